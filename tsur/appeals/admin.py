"""Appeals in the admin: read-only, for superusers only.

State changes go through the services (one door for every change), never through an admin form;
the resident's personal data is not shown here at all.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from tsur.appeals.models import Appeal, Event, Notification, Problem
from tsur.core.admin import ReadOnlyAdmin


class EventInline(admin.TabularInline):
    model = Event
    fields = ("at", "kind", "actor_label", "from_status", "to_status", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ("at", "pk")

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


# Never: resident (personal data), access_key (the resident's private link), search_text.
APPEAL_FIELDS = (
    "number", "channel", "external_id", "regime", "status", "text",
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
    list_display = ("number", "received_at", "channel", "status", "block", "category", "territory", "organisation", "due_at")
    list_filter = ("status", "channel", "regime", "urgency", "block", "organisation")
    search_fields = ("number",)
    date_hierarchy = "received_at"
    list_select_related = ("block", "category", "territory", "organisation")
    fields = APPEAL_FIELDS
    readonly_fields = APPEAL_FIELDS
    inlines = [EventInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("at", "appeal", "kind", "actor_label", "from_status", "to_status")
    list_filter = ("kind",)
    search_fields = ("appeal__number", "kind")
    list_select_related = ("appeal",)
    date_hierarchy = "at"
    fields = ("appeal", "kind", "actor", "actor_label", "at", "from_status", "to_status", "reason", "data")
    readonly_fields = fields


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "appeal", "kind", "state", "attempts", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("appeal__number",)
    list_select_related = ("appeal",)
    # The body carries the resident's private status link: the subject is enough to audit delivery.
    fields = ("appeal", "kind", "subject", "state", "attempts", "last_error", "created_at", "sent_at")
    readonly_fields = fields


@admin.register(Problem)
class ProblemAdmin(ReadOnlyAdmin):
    list_display = ("pk", "lead", "created_at")
    search_fields = ("lead__number",)
    list_select_related = ("lead",)
    fields = ("lead", "created_at")
    readonly_fields = fields
