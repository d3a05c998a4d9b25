"""The complaint-screening model as channels use it: loaded once per process, and when it is
missing or broken, the reason why (every post is then treated as a complaint, see services)."""

from __future__ import annotations

import logging
import math
import threading
import time
from pathlib import Path

from django.conf import settings

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
        log.warning("complaint screening model not loaded from %s: %s", directory, exc)
        return None, f"модель отбора жалоб не загружена ({type(exc).__name__})"
    log.info("complaint screening model loaded from %s", directory)
    return screen, ""


SCREEN = _ScreenHolder()
