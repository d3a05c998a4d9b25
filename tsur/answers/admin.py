"""Admin for answer templates; answers, ratings and extension requests are read-only for
superusers (they change only through the answer services)."""

from __future__ import annotations

from django.contrib import admin

from tsur.answers.models import Answer, AnswerTemplate, ExtensionRequest, Rating
from tsur.core.admin import ReadOnlyAdmin


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "block", "is_active")
    list_filter = ("kind", "block", "is_active")
    search_fields = ("name", "code", "text")
    autocomplete_fields = ("block",)


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "appeal", "kind", "check_state", "published_at")
    list_filter = ("kind", "check_state")
    search_fields = ("appeal__number",)
    list_select_related = ("appeal",)
    fields = (
        "appeal", "kind", "text", "author", "organisation_name", "created_at", "check_state", "checked_by", "checked_at",
        "check_note", "formal_findings", "published_at",
    )
    readonly_fields = fields


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "appeal", "score")
    list_filter = ("score",)
    search_fields = ("appeal__number",)
    list_select_related = ("appeal",)
    fields = ("appeal", "answer", "score", "comment", "created_at")
    readonly_fields = fields


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "appeal", "days", "state", "decided_at")
    list_filter = ("state",)
    search_fields = ("appeal__number",)
    list_select_related = ("appeal",)
    fields = ("appeal", "requested_by", "days", "reason", "state", "decided_by", "decided_at", "created_at")
    readonly_fields = fields
