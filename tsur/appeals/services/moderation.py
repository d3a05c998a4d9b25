"""Moderation: classification, place and urgency, routing to an organisation (by rule or by hand),
transfer, return to the center, rejection, and what the automatic triage proposes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tsur.appeals.models import (
    Appeal,
    ClassificationSource,
    RejectionReason,
)
from tsur.appeals.services.creation import CATEGORY_DEFAULT_URGENCY, regime_for
from tsur.appeals.services.notifications import notify_resident
from tsur.appeals.services.transitions import changing
from tsur.core import clock
from tsur.core.errors import TransitionNotAllowed, ValidationFailed
from tsur.directory.models import Block, Category, Organisation, Territory, Urgency
from tsur.directory.services import queue_for, region_contains
from tsur.routing.services import decide


def take_to_moderation(appeal: Appeal | int, actor=None) -> Appeal:
    """The intake pipeline is done with a new appeal (or an operator takes it by hand)."""
    with changing(appeal, "take_to_moderation", actor) as ch:
        ch.reason = "Первичная обработка завершена" if actor is None else "Взято на модерацию оператором"
    return ch.appeal


def _apply_classification(a: Appeal, category: Category, source: str, confidence: float | None = None, queues=queue_for) -> dict:
    before = {"category": a.category.code if a.category_id else None, "regime": a.regime}
    a.category = category
    a.block = category.block
    if not a.urgency_reason or a.urgency_reason == CATEGORY_DEFAULT_URGENCY:
        # Urgency set by hand (with its reason) stays; a category default follows the category.
        a.urgency = category.default_urgency
        a.urgency_reason = CATEGORY_DEFAULT_URGENCY if category.default_urgency == Urgency.HIGH else ""
    a.classification_source = source
    a.classification_confidence = confidence
    a.regime = regime_for(a.channel, category)
    a.queue = queues(a.territory, category)
    return {"before": before, "after": {"category": category.code, "regime": a.regime}}


def reclassify(
    appeal: Appeal | int,
    actor,
    *,
    category_code: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    category = Category.objects.filter(code=category_code, is_active=True).select_related("block").first()
    if category is None:
        raise ValidationFailed("Такой категории нет в классификаторе.", field_errors={"category": ["Неизвестная категория."]})
    with changing(appeal, "reclassify", actor, expected_version=expected_version) as ch:
        ch.data = _apply_classification(ch.appeal, category, ClassificationSource.OPERATOR)
        ch.reason = reason
    return ch.appeal


def _point(lat: float | None, lon: float | None) -> list[float] | None:
    return [lat, lon] if lat is not None and lon is not None else None


def _check_new_point(lat: float | None, lon: float | None) -> None:
    """The operator's point: both coordinates, in range, inside the configured region (Russian errors)."""
    if (lat is None) != (lon is None):
        raise ValidationFailed("Укажите обе координаты точки: широту и долготу.", field_errors={"point": ["Нужны обе координаты."]})
    if lat is None:
        return
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValidationFailed("Координаты вне допустимого диапазона.", field_errors={"point": ["Широта от −90 до 90, долгота от −180 до 180."]})
    if region_contains(lat, lon) is False:
        raise ValidationFailed("Точка находится за пределами региона.", field_errors={"point": ["Точка за пределами региона."]})


def change_place(
    appeal: Appeal | int,
    actor,
    *,
    territory_code: str = "",
    address: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    clear_point: bool = False,
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    """The operator corrects the place: territory, address, and the point (moved or cleared).

    The event keeps before/after of all three; what depends on the place (the queue, the search
    text) is recomputed here, and the monitoring matcher re-runs on the event (REMATCH_KINDS)."""
    territory = Territory.objects.filter(code=territory_code).first() if territory_code else None
    if territory_code and territory is None:
        raise ValidationFailed("Такой территории нет в справочнике.", field_errors={"territory": ["Неизвестная территория."]})
    if clear_point and lat is not None:
        raise ValidationFailed(
            "Точку нельзя одновременно поставить и убрать.", field_errors={"point": ["Выберите одно: новая точка или убрать точку."]}
        )
    _check_new_point(lat, lon)
    with changing(appeal, "change_place", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        ch.data = {"before": {"territory": a.territory.code if a.territory_id else None, "address": a.address, "point": _point(a.lat, a.lon)}}
        if territory is not None:
            a.territory = territory
        if address is not None:
            a.address = address.strip()[:300]
        if clear_point:
            a.lat = a.lon = None
        elif lat is not None:
            a.lat, a.lon = lat, lon
        a.place_source = ClassificationSource.OPERATOR
        a.queue = queue_for(a.territory, a.category)
        a.refresh_search_text()
        ch.data["after"] = {"territory": a.territory.code if a.territory_id else None, "address": a.address, "point": _point(a.lat, a.lon)}
        ch.reason = reason
    return ch.appeal


def change_urgency(
    appeal: Appeal | int, actor, *, urgency: str, reason: str, expected_version: int | None = None
) -> Appeal:
    if urgency not in Urgency.values:
        raise ValidationFailed("Срочность: допустимы значения high и normal.", field_errors={"urgency": ["Неизвестное значение."]})
    if not reason.strip():
        raise ValidationFailed("Укажите причину изменения срочности.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "change_urgency", actor, expected_version=expected_version) as ch:
        ch.data = {"before": ch.appeal.urgency, "after": urgency}
        ch.appeal.urgency = urgency
        ch.appeal.urgency_reason = reason.strip()[:300]
        ch.reason = reason
    return ch.appeal


def route_appeal(
    appeal: Appeal | int,
    actor,
    *,
    organisation_code: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    """Moderation passed: register the appeal and send it to an organisation, by rule or by hand."""

    manual = None
    if organisation_code:
        manual = Organisation.objects.filter(code=organisation_code, is_active=True).first()
        if manual is None:
            raise ValidationFailed("Организация не найдена.", field_errors={"organisation": ["Неизвестная организация."]})
    with changing(appeal, "route", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if manual is not None:
            a.organisation = manual
            a.routing_reason = f"Выбрано оператором вручную: {reason.strip() or 'без комментария'}"
            ch.data = {"organisation": manual.code, "manual": True}
        else:
            decision = decide(a)
            a.organisation = decision.organisation
            a.routing_reason = decision.reason
            ch.data = {"organisation": decision.organisation.code, "rule": decision.rule_id, "manual": False}
        now = clock.now()
        a.registered_at = a.registered_at or now
        a.routed_at = now
        a.executor = None
        ch.reason = a.routing_reason
        comment = reason.strip()
        if manual is None and comment:
            # By the rules the appeal's routing_reason is the rule's explanation; the operator's
            # words for the organisation go with the event (the reason, masked like every free text).
            ch.reason = f"{a.routing_reason.rstrip('. ')}. Комментарий оператора: {comment}"
            ch.data["commented"] = True
    return ch.appeal


def transfer_appeal(
    appeal: Appeal | int, actor, *, organisation_code: str, reason: str, expected_version: int | None = None
) -> Appeal:

    if not reason.strip():
        raise ValidationFailed("Укажите причину переадресации.", field_errors={"reason": ["Обязательное поле."]})
    target = Organisation.objects.filter(code=organisation_code, is_active=True).first()
    if target is None:
        raise ValidationFailed("Организация не найдена.", field_errors={"organisation": ["Неизвестная организация."]})
    with changing(appeal, "transfer", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if a.organisation_id == target.pk:
            raise ValidationFailed("Обращение уже находится в этой организации.", field_errors={"organisation": ["Та же организация."]})
        ch.data = {"from": a.organisation.code if a.organisation_id else None, "to": target.code}
        a.organisation = target
        a.executor = None
        a.routed_at = clock.now()
        a.routing_reason = f"Переадресовано: {reason.strip()}"
        # The new organisation gets its reminders and escalations afresh (the due date is
        # recomputed by the transition: its calendar may differ).
        a.escalation_level = 0
        a.reminded_at = None
        ch.reason = reason.strip()
    return ch.appeal


def return_to_moderation(appeal: Appeal | int, actor, *, reason: str, expected_version: int | None = None) -> Appeal:
    """A coordinator says the appeal is not theirs: it goes back to the center's moderation."""
    if not reason.strip():
        raise ValidationFailed("Укажите, почему обращение не относится к вашей организации.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "return_to_moderation", actor, expected_version=expected_version) as ch:
        ch.data = {"from": ch.appeal.organisation.code if ch.appeal.organisation_id else None}
        ch.appeal.organisation = None
        ch.appeal.executor = None
        ch.reason = reason.strip()
    return ch.appeal


def reject_appeal(
    appeal: Appeal | int, actor, *, reason_code: str, note: str = "", expected_version: int | None = None
) -> Appeal:
    if reason_code not in RejectionReason.values:
        raise ValidationFailed("Выберите причину отклонения.", field_errors={"reason": ["Неизвестная причина."]})
    if reason_code == RejectionReason.OTHER and not note.strip():
        raise ValidationFailed("Опишите причину отклонения.", field_errors={"note": ["Обязательное поле для причины «Иное»."]})
    with changing(appeal, "reject", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if hasattr(a, "led_problem") and a.led_problem.appeals.exclude(pk=a.pk).exists():
            raise TransitionNotAllowed("Нельзя отклонить ведущее обращение проблемы, к которому присоединены другие.")
        a.rejection_reason = reason_code
        a.rejection_note = note.strip()
        a.closed_at = clock.now()
        ch.reason = f"{RejectionReason(reason_code).label}. {note.strip()}".strip()
        notify_resident(
            a,
            "rejected",
            f"Обращение {a.number} отклонено",
            f"Обращение {a.number} не может быть рассмотрено. Причина: {ch.reason}",
        )
    return ch.appeal


@dataclass
class AutoTriage:
    """What the automatic triage proposes for a newly received appeal."""

    category: Category | None = None
    block_key: str = ""
    block: object | None = None  # the Block of block_key when the caller has it (read otherwise)
    confidence: float | None = None
    territory: Territory | None = None
    address: str = ""
    urgency_reason: str = ""  # non-empty: raise the urgency to high with this reason
    summary: dict = field(default_factory=dict)


def apply_auto_triage(appeal: Appeal | int, proposal: AutoTriage) -> Appeal:
    """Apply what triage found, without overriding anything the resident or an operator set."""
    return auto_triage(appeal, proposal)[0]


def auto_triage(appeal: Appeal | int, proposal: AutoTriage) -> tuple[Appeal, dict]:
    """`apply_auto_triage`, also returning what it applied (as recorded in the event's data)."""
    with changing(appeal, "auto_triage", None, label=AUTO_TRIAGE_LABEL) as ch:
        applied = apply_proposal(ch.appeal, proposal)
        ch.data = {"applied": applied, **proposal.summary}
        ch.reason = auto_triage_reason(applied, ch.appeal)
    return ch.appeal, applied


AUTO_TRIAGE_LABEL = "автоматический разбор"


# What `apply_proposal` records it applied (keys in the event's data), in words for the history.
APPLIED_LABELS = {"category": "категория", "block": "блок", "territory": "территория", "address": "адрес", "urgency": "срочность"}


def describe_applied(applied: dict, name: Callable[[str, str], str]) -> str:
    """«категория: Ямы на дороге, территория: Город»: `name(kind, key)` names a category, block or
    territory key (the event's data keeps the keys; the history shows names)."""
    parts = []
    # In a fixed order: PostgreSQL's jsonb keeps an event's data with its keys reordered, and the
    # same change must read the same on every database.
    order = {key: i for i, key in enumerate(APPLIED_LABELS)}
    for key, value in sorted(applied.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0])):
        if key in ("category", "block", "territory"):
            value = name(key, value)
        elif key == "urgency":
            value = Urgency(value).label.lower() if value in Urgency.values else value
        parts.append(f"{APPLIED_LABELS.get(key, key)}: {value}")
    return ", ".join(parts) or "без изменений"


def auto_triage_reason(applied: dict, appeal: Appeal) -> str:
    """The auto_triage event's reason, naming what was applied from the appeal's own objects."""
    objects = {"category": appeal.category, "block": appeal.block, "territory": appeal.territory}
    return describe_applied(applied, lambda kind, key: getattr(objects[kind], "name", key) if objects[kind] is not None else key)


def apply_proposal(a: Appeal, proposal: AutoTriage, *, queues=queue_for) -> dict:
    """Change the (locked) appeal in memory as triage proposes, without overriding anything the
    resident or an operator set; the queue follows. Returns what was applied. The caller saves the
    appeal, logs the `auto_triage` event and recomputes the deadline (the transition's clock:
    `changing` does it, the batch path with its shared DeadlineRules). `queues` (a QueueLookup)
    may be shared by the appeals of a batch."""

    applied: dict = {}
    if a.category_id is None and proposal.category is not None:
        _apply_classification(a, proposal.category, ClassificationSource.AUTO, proposal.confidence, queues=queues)
        applied["category"] = proposal.category.code
    elif a.block_id is None and proposal.block_key:
        block = proposal.block if proposal.block is not None else Block.objects.filter(key=proposal.block_key).first()
        if block is not None:
            a.block, a.classification_source, a.classification_confidence = block, ClassificationSource.AUTO, proposal.confidence
            applied["block"] = block.key
    if a.territory_id is None and proposal.territory is not None:
        a.territory = proposal.territory
        a.place_source = ClassificationSource.AUTO
        applied["territory"] = proposal.territory.code
    if not a.address and proposal.address:
        a.address = proposal.address[:300]
        applied["address"] = a.address
    if proposal.urgency_reason and (a.urgency != Urgency.HIGH or a.urgency_reason == CATEGORY_DEFAULT_URGENCY):
        # Raise it, or replace the category's generic reason with the concrete one found.
        a.urgency, a.urgency_reason = Urgency.HIGH, proposal.urgency_reason[:300]
        applied["urgency"] = "high"
    a.queue = queues(a.territory, a.category)
    return applied
