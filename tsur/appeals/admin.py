"""Appeals in the admin: read-only, for superusers only.

State changes go through the services (one door for every change), never through an admin form;
the resident's personal data is not shown here at all: no contact fields, and every free text (the
appeal's, the events' reasons and data) masked as analysts read it (tsur.appeals.privacy). Events
are named as on the card, statuses by their labels, times in Moscow time.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tsur.appeals import channels, event_labels
from tsur.appeals.models import Appeal, Event, Notification, Problem, Status
from tsur.appeals.privacy import masked
from tsur.core.admin import ReadOnlyAdmin, RussianLabels, named_filter, shown


def status_name(code: str) -> str:
    return Status(code).label if code in Status.values else (code or "—")


EVENT_LABELS = {
    "at": "время", "appeal": "обращение", "kind": "событие", "actor": "пользователь", "actor_label": "кто",
    "from_status": "было", "to_status": "стало", "reason": "основание", "data": "данные события",
}  # fmt: skip
EVENT_RENDERERS = {"kind": event_labels.event_label, "from_status": status_name, "to_status": status_name}


def masked_event_field(name: str):
    """An event's free text (`reason`, or `data` as JSON) with the resident's personal data masked:
    residents' messages and ratings are kept as written in the log."""

    @admin.display(description=EVENT_LABELS[name])
    def show(event: Event) -> str:
        appeal = event.appeal
        resident = appeal.resident if appeal.resident_id else None
        return masked(shown(getattr(event, name)), resident) or "—"

    show.__name__ = name
    return show


EVENT_REASON, EVENT_DATA = masked_event_field("reason"), masked_event_field("data")


class EventInline(RussianLabels, admin.TabularInline):
    model = Event
    labels = EVENT_LABELS
    renderers = EVENT_RENDERERS
    fields = ("at", "kind", "actor_label", "from_status", "to_status", EVENT_REASON)
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("at", "pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("appeal__resident")


# Never: resident (personal data), access_key (the resident's private link), search_text; the text
# as masked when it was received, not as written.
APPEAL_FIELDS = (
    "number", "channel", "external_id", "regime", "status", "text_masked",
    "territory", "address", "lat", "lon", "place_source",
    "block", "category", "classification_source", "classification_confidence", "urgency", "urgency_reason",
    "queue", "organisation", "executor", "routing_reason",
    "close_reason", "rejection_reason", "rejection_note", "problem",
    "received_at", "registered_at", "routed_at", "due_at", "due_explain", "registration_due_at", "transfer_due_at",
    "interim_answered_at", "extension_days", "extensions_count", "answered_at", "published_at", "closed_at",
    "escalation_level", "reopened_count", "version", "created_at", "updated_at",
)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    labels = {
        "channel": "канал", "place_source": "откуда место", "classification_source": "кто классифицировал",
        "classification_confidence": "уверенность классификации", "close_reason": "причина закрытия",
        "rejection_reason": "причина отклонения", "rejection_note": "пояснение к отклонению", "routed_at": "направлено",
        "due_explain": "как посчитан срок", "registration_due_at": "зарегистрировать до", "transfer_due_at": "переадресовать до",
        "interim_answered_at": "промежуточный ответ", "extension_days": "продлено на, дней", "extensions_count": "продлений",
        "answered_at": "ответ подготовлен", "published_at": "ответ опубликован", "closed_at": "закрыто",
        "escalation_level": "уровень эскалации", "reopened_count": "возобновлений", "version": "версия записи",
        "created_at": "создано", "updated_at": "изменено", "text_masked": "текст (персональные данные скрыты)",
    }  # fmt: skip
    renderers = {"channel": channels.label}
    list_display = ("number", "received_at", "channel", "status", "block", "category", "territory", "organisation", "due_at")
    list_filter = ("status", named_filter("channel", "канал", channels.choices), "regime", "urgency", "block", "organisation")
    search_fields = ("number",)
    search_help_text = "Поиск по номеру обращения"
    date_hierarchy = "received_at"
    list_select_related = ("block", "category", "territory", "organisation")
    fields = APPEAL_FIELDS
    readonly_fields = APPEAL_FIELDS
    inlines = [EventInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    labels = EVENT_LABELS
    renderers = EVENT_RENDERERS
    list_display = ("at", "appeal", "kind", "actor_label", "from_status", "to_status")
    list_filter = (named_filter("kind", "событие", event_labels.choices),)
    search_fields = ("appeal__number",)
    search_help_text = "Поиск по номеру обращения"
    list_select_related = ("appeal",)
    date_hierarchy = "at"
    fields = ("appeal", "kind", "actor", "actor_label", "at", "from_status", "to_status", EVENT_REASON, EVENT_DATA)
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    labels = {
        "created_at": "создано", "appeal": "обращение", "kind": "вид", "subject": "тема", "state": "состояние",
        "attempts": "попыток", "last_error": "последняя ошибка", "sent_at": "отправлено",
    }  # fmt: skip
    renderers = {"kind": event_labels.notification_label}
    list_display = ("created_at", "appeal", "kind", "state", "attempts", "sent_at")
    list_filter = ("state", named_filter("kind", "вид", lambda: event_labels.NOTIFICATION_LABELS.items()))
    search_fields = ("appeal__number",)
    search_help_text = "Поиск по номеру обращения"
    list_select_related = ("appeal",)
    # The body carries the resident's private status link: the subject is enough to audit delivery.
    fields = ("appeal", "kind", "subject", "state", "attempts", "last_error", "created_at", "sent_at")
    readonly_fields = fields


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    labels = {"lead": "ведущее обращение", "created_at": "создана"}
    list_display = ("problem", "lead", "created_at")
    search_fields = ("lead__number",)
    search_help_text = "Поиск по номеру ведущего обращения"
    list_select_related = ("lead",)
    fields = ("lead", "created_at")
    readonly_fields = fields

    @admin.display(description="проблема", ordering="pk")
    def problem(self, obj: Problem) -> str:
        return f"№{obj.pk}"
