"""Admin for routing rules: category × territory → organisation, with explicit precedence."""

from __future__ import annotations

from django.contrib import admin

from tsur.routing.models import RoutingRule


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("rule", "priority", "block", "category", "territory", "organisation", "is_active", "note")
    list_display_links = ("rule",)
    list_editable = ("priority", "is_active")
    list_filter = ("is_active", "block", "organisation", "territory__level")
    search_fields = ("note", "organisation__short_name", "category__name", "territory__name", "block__name")
    autocomplete_fields = ("block", "category", "territory", "organisation")
    list_select_related = ("block", "category", "territory", "organisation")
    ordering = ("-priority", "pk")
    list_per_page = 100

    @admin.display(description="правило", ordering="pk")
    def rule(self, obj: RoutingRule) -> str:
        return f"№{obj.pk}"
