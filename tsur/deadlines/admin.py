"""Admin for deadline policies (the three legal regimes as data) and, read-only, staff alerts."""

from __future__ import annotations

from django.contrib import admin

from tsur.core.admin import ReadOnlyAdmin
from tsur.deadlines.models import DeadlinePolicy, StaffAlert


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name", "regime", "unit", "amount_normal", "amount_high", "unit_high",
        "extension_max_days", "extension_max_count", "remind_at_fraction",
    )
    list_filter = ("regime", "unit")
    search_fields = ("name",)
    fieldsets = (
        (None, {"fields": ("regime", "name")}),
        ("Срок ответа", {"fields": ("unit", "amount_normal", "amount_high", "unit_high")}),
        ("После промежуточного ответа (инцидент)", {"fields": ("interim_unit", "interim_amount")}),
        ("Сроки 59-ФЗ", {"fields": ("registration_days", "transfer_days")}),
        ("Продление", {"fields": ("extension_max_days", "extension_max_count")}),
        ("Напоминания и эскалация", {"fields": ("remind_at_fraction", "escalate_center_after_hours")}),
    )


@admin.register(StaffAlert)
class StaffAlertAdmin(ReadOnlyAdmin):
    labels = {
        "appeal": "обращение", "organisation": "организация", "user": "кому", "event": "событие", "addressee": "адресат",
        "text": "текст", "created_at": "создан", "seen_at": "просмотрен",
    }  # fmt: skip
    list_display = ("created_at", "appeal", "kind", "organisation", "text", "seen_at")
    list_filter = ("kind", "organisation")
    search_fields = ("appeal__number", "text")
    search_help_text = "Поиск по номеру обращения и тексту сигнала"
    list_select_related = ("appeal", "organisation")
    fields = ("appeal", "kind", "organisation", "text", "created_at", "seen_at")
    readonly_fields = fields
