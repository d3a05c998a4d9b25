"""Points of tension in Django's admin: read-only (decisions go through the services, with their
audit, from the center's pages)."""

from __future__ import annotations

from django.contrib import admin

from tsur.tension.models import TensionAction, TensionPoint


class ActionInline(admin.TabularInline):
    model = TensionAction
    extra = 0
    can_delete = False
    fields = ("at", "kind", "actor", "organisation", "reason", "from_handling", "to_handling")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TensionPoint)
class TensionPointAdmin(admin.ModelAdmin):
    list_display = ("__str__", "territory", "block", "category", "state", "handling", "count", "expected", "score", "window_start", "window_end")
    list_filter = ("state", "handling", "level", "block")
    search_fields = ("explanation",)
    readonly_fields = [f.name for f in TensionPoint._meta.fields]
    exclude = ("appeals",)
    inlines = [ActionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(TensionAction)
class TensionActionAdmin(admin.ModelAdmin):
    list_display = ("at", "point", "kind", "actor", "organisation", "reason")
    list_filter = ("kind",)
    readonly_fields = [f.name for f in TensionAction._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
