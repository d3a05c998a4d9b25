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


def findings_text(found: list) -> str:
    """The formal-reply check's findings as the card shows them: «phrase» — why."""
    parts = []
    for f in found or []:
        if isinstance(f, dict):
            parts.append(f"«{f['phrase']}» — {f.get('why', '')}" if f.get("phrase") else str(f.get("why", "")))
        else:
            parts.append(str(f))
    return "; ".join(parts) or "—"


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdmin):
    labels = {
        "appeal": "обращение", "author": "автор", "organisation_name": "организация", "created_at": "создан",
        "check_state": "проверка", "checked_by": "проверил", "checked_at": "проверено", "check_note": "замечание проверки",
        "formal_findings": "признаки формальной отписки", "published_at": "опубликован",
    }  # fmt: skip
    renderers = {"formal_findings": lambda found: findings_text(found)}
    list_display = ("created_at", "appeal", "kind", "check_state", "published_at")
    list_filter = ("kind", "check_state")
    search_fields = ("appeal__number",)
    search_help_text = "Поиск по номеру обращения"
    list_select_related = ("appeal",)
    fields = (
        "appeal", "kind", "text", "author", "organisation_name", "created_at", "check_state", "checked_by", "checked_at",
        "check_note", "formal_findings", "published_at",
    )
    readonly_fields = fields


@admin.register(Rating)
class RatingAdmin(ReadOnlyAdmin):
    labels = {"appeal": "обращение", "answer": "ответ", "created_at": "поставлена"}
    list_display = ("created_at", "appeal", "score")
    list_filter = ("score",)
    search_fields = ("appeal__number",)
    search_help_text = "Поиск по номеру обращения"
    list_select_related = ("appeal",)
    fields = ("appeal", "answer", "score", "comment", "created_at")
    readonly_fields = fields


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    labels = {
        "appeal": "обращение", "requested_by": "запросил", "state": "решение", "decided_by": "решил", "decided_at": "решено",
        "created_at": "запрошено",
    }  # fmt: skip
    list_display = ("created_at", "appeal", "days", "state", "decided_at")
    list_filter = ("state",)
    search_fields = ("appeal__number",)
    search_help_text = "Поиск по номеру обращения"
    list_select_related = ("appeal",)
    fields = ("appeal", "requested_by", "days", "reason", "state", "decided_by", "decided_at", "created_at")
    readonly_fields = fields
