"""Operators' corrections of the matcher: confirm a link, reject it (with the reason), or link an
event the matcher missed. Each is one service function that checks who may, writes the link and
one event in the appeal's log (the card shows it), brings the roles and proof of closure up to
date and tells the points of tension (`evidence_changed`). The matcher never overwrites a decision.

Who may: the center's and municipal operators (within the appeals they see) and the coordinator
of the appeal's organisation.
"""

from __future__ import annotations

from django.db import transaction

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.appeals.services import log_event
from tsur.core import clock
from tsur.core.errors import AccessDenied, NotFound, ValidationFailed
from tsur.monitoring import closure
from tsur.monitoring.models import Link, LinkRole, LinkStatus, MonitoringEvent
from tsur.monitoring.scoring import AppealFacts, EventFacts, score

LINK_CONFIRMED_EVENT = "monitoring_link_confirmed"
LINK_REJECTED_EVENT = "monitoring_link_rejected"
LINK_ADDED_EVENT = "monitoring_link_added"
# How the appeal's log names these events (the card reads it beside the lifecycle's labels).
EVENT_LABELS = {
    LINK_CONFIRMED_EVENT: "Связь с событием мониторинга подтверждена",
    LINK_REJECTED_EVENT: "Связь с событием мониторинга отклонена",
    LINK_ADDED_EVENT: "Событие мониторинга связано вручную",
}
NOTE_MAX = 500


def can_correct(user, appeal: Appeal) -> bool:
    """Operators within their scope, and the coordinator of the appeal's organisation."""
    role = access.role_of(user)
    if role in access.OPERATOR_ROLES:
        return access.can_view(user, appeal)
    if role == Role.COORDINATOR:
        m = access.membership_of(user)
        return bool(m and m.organisation_id and m.organisation_id == appeal.organisation_id)
    return False


def _require(user, appeal: Appeal) -> None:
    if not can_correct(user, appeal):
        raise AccessDenied("Недостаточно прав, чтобы менять связи обращения с событиями мониторинга.")


def _link(link: Link | int) -> Link:
    pk = link.pk if isinstance(link, Link) else link
    found = Link.objects.select_for_update().select_related("appeal", "event__source", "event__kind").filter(pk=pk).first()
    if found is None:
        raise NotFound("Связь с событием не найдена.")
    return found


def _event_words(lk: Link) -> str:
    e = lk.event
    return f"«{e.title or e.kind.name}» ({e.source.name})"


def _decide(lk: Link, user, status: str, note: str) -> None:
    lk.status = status
    lk.decided_by = user
    lk.decided_at = clock.now()
    lk.note = note[:NOTE_MAX]
    if status == LinkStatus.REJECTED:
        lk.role, lk.role_at = LinkRole.CONFIRMS, None
    lk.save(update_fields=["status", "decided_by", "decided_at", "note", "role", "role_at"])


def confirm_link(link: Link | int, user, note: str = "") -> Link:
    """The operator agrees the event is about the appeal (a rejected link may be confirmed again)."""
    note = (note or "").strip()
    with transaction.atomic():
        lk = _link(link)
        _require(user, lk.appeal)
        if lk.status == LinkStatus.CONFIRMED:
            return lk
        _decide(lk, user, LinkStatus.CONFIRMED, note)
        reason = f"Событие {_event_words(lk)} относится к обращению" + (f": {note}" if note else "")
        log_event(lk.appeal, LINK_CONFIRMED_EVENT, user, reason=reason, data={"monitoring_event": lk.event_id, "link": lk.pk})
        closure.evaluate([lk.appeal_id], changed=[lk.appeal_id])
    return lk


def reject_link(link: Link | int, user, note: str) -> Link:
    """The operator says the event is not about the appeal; the reason is required. The matcher
    never links the pair again."""
    note = (note or "").strip()
    if not note:
        raise ValidationFailed("Укажите, почему событие не относится к обращению.", field_errors={"note": ["Обязательное поле."]})
    with transaction.atomic():
        lk = _link(link)
        _require(user, lk.appeal)
        if lk.status == LinkStatus.REJECTED:
            return lk
        _decide(lk, user, LinkStatus.REJECTED, note)
        reason = f"Событие {_event_words(lk)} не относится к обращению: {note}"
        log_event(lk.appeal, LINK_REJECTED_EVENT, user, reason=reason, data={"monitoring_event": lk.event_id, "link": lk.pk})
        closure.evaluate([lk.appeal_id], changed=[lk.appeal_id])
    return lk


def _operator_reason(event: MonitoringEvent, appeal: Appeal, note: str) -> tuple[float, str]:
    """The matcher's score and reason where it would have linked the pair; else the operator's."""
    kind = event.kind
    cats = set(kind.categories.values_list("pk", flat=True))
    blocks = set(kind.categories.values_list("block_id", flat=True))
    m = score(
        EventFacts(
            event.occurred_at, kind.name, kind.radius_m, kind.before_hours, kind.after_hours, frozenset(cats), frozenset(blocks),
            event.lat, event.lon, event.cell, event.address, event.territory_id,
        ),
        AppealFacts(
            appeal.received_at, appeal.category_id, appeal.block_id,
            appeal.category.name if appeal.category_id else "", appeal.block.name if appeal.block_id else "",
            appeal.lat, appeal.lon, appeal.address, appeal.territory_id, appeal.territory.name if appeal.territory_id else "",
            appeal.published_at,
        ),
    )  # fmt: skip
    if m is not None:
        return m.score, m.reason
    return 1.0, ("связано оператором: " + note if note else "связано оператором")[:NOTE_MAX]


def add_link(event: MonitoringEvent | int, appeal: Appeal | int, user, note: str = "") -> Link:
    """Link an event the matcher missed (or take back a rejection): the link is confirmed."""
    note = (note or "").strip()
    with transaction.atomic():
        e = MonitoringEvent.objects.select_related("kind", "source").filter(pk=getattr(event, "pk", event)).first()
        if e is None:
            raise NotFound("Событие мониторинга не найдено.")
        a = (
            Appeal.objects.select_related("category", "block", "territory")
            .defer("territory__boundary").filter(pk=getattr(appeal, "pk", appeal)).first()
        )
        if a is None:
            raise NotFound("Обращение не найдено.")
        _require(user, a)
        existing = Link.objects.select_for_update().filter(event=e, appeal=a).first()
        if existing is not None:
            if existing.status != LinkStatus.CONFIRMED:
                _decide(existing, user, LinkStatus.CONFIRMED, note)
            lk = existing
        else:
            value, reason = _operator_reason(e, a, note)
            lk = Link.objects.create(
                event=e, appeal=a, score=value, reason=reason, status=LinkStatus.CONFIRMED,
                decided_by=user, decided_at=clock.now(), note=note[:NOTE_MAX],
            )  # fmt: skip
        lk.event = e
        reason = f"Событие {_event_words(lk)} связано с обращением" + (f": {note}" if note else "")
        log_event(a, LINK_ADDED_EVENT, user, reason=reason, data={"monitoring_event": e.pk, "link": lk.pk})
        closure.evaluate([a.pk], changed=[a.pk])
    return lk
