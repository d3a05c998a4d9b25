"""How the appeal's log names its events, for every screen that shows one (the card's history, the
admin). Transitions are named by the lifecycle; the other kinds are listed here by their stored
key, including those written by apps above this one (monitoring links, channel deliveries), so the
admin, which lives here, names them too. A kind nobody named is shown as «служебное событие»,
never as its key (tests/admin/test_russian.py and tests/workspace/test_card_russian.py)."""

from __future__ import annotations

from tsur.appeals.lifecycle import TRANSITIONS

LABELS = {
    "created": "Обращение зарегистрировано",
    "personal_data_viewed": "Просмотр персональных данных",
    "reminder": "Напоминание о сроке",
    "escalation": "Эскалация: срок нарушен",
    "resident_message": "Дополнение от жителя",
    "status_link_sent": "Персональная ссылка отправлена жителю повторно",
    "problem_led": "Стало ведущим в проблеме",
    "note_added": "Внутренняя заметка",
    # Written by tsur.appeals.services.retention (part pd).
    "personal_data_purged": "Персональные данные жителя обезличены",
    "personal_data_request": "Запрос жителя об удалении персональных данных",
    # Written by tsur.monitoring.links (its EVENT_LABELS say the same).
    "monitoring_link_confirmed": "Связь с событием мониторинга подтверждена",
    "monitoring_link_rejected": "Связь с событием мониторинга отклонена",
    "monitoring_link_added": "Событие мониторинга связано вручную",
    # Written by tsur.channels.deliveries.
    "channel_delivery_sent": "Ответ опубликован в канале обращения",
    "channel_delivery_failed": "Ответ не удалось опубликовать в канале обращения",
}
UNKNOWN = "Служебное событие"


def event_label(kind: str) -> str:
    if kind in TRANSITIONS:
        return TRANSITIONS[kind].label
    return LABELS.get(kind, UNKNOWN)


def choices() -> list[tuple[str, str]]:
    """Every named kind with its label, for filters."""
    return list({**{k: t.label for k, t in TRANSITIONS.items()}, **LABELS}.items())


# What the resident is told (Notification.kind, also Delivery.kind), by the services that write it.
NOTIFICATION_LABELS = {
    "created": "Обращение зарегистрировано",
    "interim_answer": "Промежуточный ответ",
    "answer": "Ответ",
    "extension": "Продление срока",
    "rejected": "Обращение отклонено",
    "joined": "Обращение объединено с похожими",
    "reopened_objective": "Возвращено в работу по данным мониторинга",
    "clarification": "Запрос уточнения",
    "followup_poll": "Опрос о результате",
}


def notification_label(kind: str) -> str:
    return NOTIFICATION_LABELS.get(kind, "Уведомление")
