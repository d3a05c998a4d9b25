"""Complaint screening as channels use it: the model, loaded once per process (when it is missing
or broken, the reason why: every post is then treated as a complaint), the screening of a batch's
public posts, and what the appeal card shows of the decision.

The reasons are shown to operators (the row's decision, the card's «Отбор жалоб»), so they are
Russian and name no exception class; the class goes to the log."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from pathlib import Path

from django.conf import settings
from django.db.models import Q

from tsur.appeals.models import Appeal
from tsur.channels.models import InboundMessage
from tsur.channels.outcomes import Outcome, State

log = logging.getLogger(__name__)


class _ScreenHolder:
    """The complaint-screening model, loaded once per process. When it is missing or broken every
    post is treated as a complaint (a missed complaint costs more than an extra appeal for an
    operator to reject), the reason is recorded on each row, and loading is retried later."""

    RETRY_SECONDS = 300

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.screen = None
        self.reason = ""
        self.checked_at = -math.inf

    def get(self):
        with self.lock:
            if self.screen is None and time.monotonic() - self.checked_at > self.RETRY_SECONDS:
                self.checked_at = time.monotonic()
                self.screen, self.reason = _load_screen()
            return self.screen, self.reason

    def reset(self) -> None:
        with self.lock:
            self.screen, self.reason, self.checked_at = None, "", -math.inf


def screening_model_dir() -> Path:
    configured = getattr(settings, "TSUR_SCREENING_MODEL_DIR", "")
    return Path(configured) if configured else Path(__file__).resolve().parent.parent / "triage" / "models" / "default" / "screening"


def _load_screen():
    directory = screening_model_dir()
    try:
        from tsur.triage.engine.screening import ComplaintScreen
    except ImportError as exc:
        log.warning("complaint screening unavailable: %s", exc)
        return None, "модуль отбора жалоб не установлен"
    try:
        screen = ComplaintScreen.load(directory)
        if settings.TSUR_SCREENING_THRESHOLD:
            # The center would rather read a few posts too many than miss a complaint: the shipped
            # model catches ~0.8 of social-post complaints at 0.2 but ~0.2 at its own 0.45
            # (docs/triage-evaluation-screening.md).
            screen.threshold = settings.TSUR_SCREENING_THRESHOLD
    except Exception as exc:  # ScreeningModelError, or anything a broken model raises
        log.warning("complaint screening model not loaded from %s: %s: %s", directory, type(exc).__name__, exc)
        return None, "модель отбора жалоб не загружена"
    log.info("complaint screening model loaded from %s", directory)
    return screen, ""


SCREEN = _ScreenHolder()


# Ends the decision of a post that was not screened because the model failed.
TAKEN_AS_COMPLAINT = "пост считается жалобой"
# An exception class in parentheses, as decisions stored before it was kept out of them read.
_CLASS_NAME = re.compile(r"\s*\([A-Za-z_][A-Za-z0-9_.]*\)")


def screen_posts(outcomes: list[Outcome]) -> None:
    """Decide complaint or not for public posts (a batch at once). Without a working model every
    post is a complaint (a missed complaint costs more than an operator rejecting an extra
    appeal), and the decision says why."""
    if not outcomes:
        return
    screen, reason = SCREEN.get()
    verdicts = None
    if screen is not None:
        try:
            verdicts = screen.predict([o.message.text for o in outcomes])
        except Exception as exc:
            log.exception("complaint screening failed on a batch of %d posts (%s)", len(outcomes), type(exc).__name__)
            reason = "ошибка модели отбора жалоб"
    if verdicts is None:
        for o in outcomes:
            o.state = State.APPEAL
            o.decision = f"{reason}: {TAKEN_AS_COMPLAINT}"[:300]
        return
    threshold = getattr(screen, "threshold", 0.5)
    for o, (is_complaint, probability) in zip(outcomes, verdicts, strict=True):
        o.probability = float(probability)
        verdict = "жалоба" if is_complaint else "не жалоба"
        o.decision = f"{verdict}: вероятность жалобы {probability:.2f} (порог {threshold:.2f})"
        o.state = State.APPEAL if is_complaint else State.SIGNAL


def screening_of(appeal: Appeal) -> str:
    """What complaint screening decided about the post the appeal came from («жалоба: вероятность
    жалобы 0.83 (порог 0.20)», or why the post was taken as a complaint unscreened: «модель отбора
    жалоб не загружена: пост считается жалобой»), or "" for an appeal that was not screened (a
    form, a letter, a private message). In Russian: an exception class name that an older
    decision carries is left out."""
    screened = Q(complaint_probability__isnull=False) | Q(decision__contains=TAKEN_AS_COMPLAINT)
    row = InboundMessage.objects.filter(screened, appeal=appeal).order_by("pk").first()
    return _CLASS_NAME.sub("", row.decision) if row is not None else ""

