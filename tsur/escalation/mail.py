"""Signals by e-mail, for the staff who asked for them (Membership.signals_by_email, off by
default). Like residents' notifications (tsur.appeals.tasks): a row per (signal, user) recorded
in the transaction that makes the signal, sent after commit, claimed with a row lock so two
workers never send one twice, retried by the sweeper until its attempts run out.

The letter carries the appeal's number, category, territory, the kind of signal and the link to
the card: nothing the resident wrote or who they are."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse

from tsur.core import clock
from tsur.deadlines.models import SignalEmail, StaffAlert
from tsur.escalation.inbox import alerts_for

log = logging.getLogger(__name__)

MAX_EMAIL_ATTEMPTS = 5


def record_emails(alerts: Sequence[StaffAlert]) -> list[int]:
    """Record the e-mails of these signals to every user who wants them and may see them; returns
    the ids of those still to send. Idempotent: a (signal, user) is recorded once."""
    if not alerts:
        return []
    wanting = list(get_user_model().objects.filter(is_active=True, membership__signals_by_email=True).exclude(email="").select_related("membership"))
    if not wanting:
        return []
    ids = [a.pk for a in alerts]
    now = clock.now()
    rows = [
        SignalEmail(alert_id=pk, user=user, created_at=now)
        for user in wanting
        for pk in alerts_for(user).filter(pk__in=ids).values_list("pk", flat=True)
    ]
    SignalEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return list(SignalEmail.objects.filter(alert_id__in=ids, state=SignalEmail.State.PENDING).values_list("pk", flat=True))


def letter(alert: StaffAlert) -> tuple[str, str]:
    """Subject and body: number, category, territory, kind, link; nothing of the resident."""
    appeal = alert.appeal
    kind = alert.get_kind_display()
    link = settings.SITE_URL.rstrip("/") + reverse("workspace:card", args=[appeal.number])
    lines = [
        f"{kind}.",
        "",
        f"Обращение: {appeal.number}",
        f"Категория: {appeal.category.name if appeal.category_id else 'не определена'}",
        f"Территория: {appeal.territory.name if appeal.territory_id else 'не определена'}",
        "",
        f"Открыть карточку: {link}",
        "",
        "Письмо отправлено, потому что вы включили сигналы на e-mail в настройках уведомлений.",
    ]
    return f"ЦУР: {kind} — обращение {appeal.number}", "\n".join(lines)


def send_signal_emails(ids: list[int]) -> dict[str, int]:
    """Send a batch of signal e-mails (see the module's docstring)."""
    with transaction.atomic():
        rows = list(
            SignalEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, state=SignalEmail.State.PENDING, attempts__lt=MAX_EMAIL_ATTEMPTS)
            .order_by("pk")
        )
        if not rows:
            return {"not pending": len(set(ids))}
        SignalEmail.objects.filter(pk__in=[r.pk for r in rows]).update(attempts=F("attempts") + 1)
    counts = {"not pending": len(set(ids)) - len(rows), "sent": 0, "failed": 0}
    loaded = SignalEmail.objects.filter(pk__in=[r.pk for r in rows]).select_related("user", "alert__appeal__category", "alert__appeal__territory")
    for row in loaded:
        counts[_send(row)] += 1
    return {k: v for k, v in counts.items() if v}


def _send(row: SignalEmail) -> str:
    subject, body = letter(row.alert)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [row.user.email])
    except Exception as exc:
        state = SignalEmail.State.FAILED if row.attempts >= MAX_EMAIL_ATTEMPTS else SignalEmail.State.PENDING
        SignalEmail.objects.filter(pk=row.pk).update(state=state, last_error=f"{type(exc).__name__}: {exc}"[:500])
        # No address in the log: the row's id says which letter it was.
        log.warning("signal e-mail %s failed: %s", row.pk, type(exc).__name__)
        return "failed"
    SignalEmail.objects.filter(pk=row.pk).update(state=SignalEmail.State.SENT, sent_at=clock.now(), last_error="")
    return "sent"
