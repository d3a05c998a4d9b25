"""Admin for the reference data officials configure: territories, streets, places outside the
region, organisations, taxonomy, queues."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from tsur.directory.models import Block, CalendarException, Category, Organisation, OutsidePlace, Queue, Street, Territory


def _count_points(coords) -> int:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return 1
    return sum(_count_points(c) for c in coords or [])


@admin.register(Territory)
class TerritoryAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent", "oktmo", "population", "has_boundary")
    list_filter = ("level",)
    search_fields = ("name", "code", "oktmo")
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)
    # The boundary comes from the geo import (tsur/lib/geo); hand-editing a large GeoJSON in a
    # textarea corrupts it, so the form shows a summary only.
    readonly_fields = ("boundary_summary",)
    fields = ("code", "name", "level", "parent", "oktmo", "population", "lat", "lon", "boundary_summary", "source")

    @admin.display(boolean=True, description="граница")
    def has_boundary(self, obj: Territory) -> bool:
        return bool(obj.boundary)

    @admin.display(description="граница (GeoJSON)")
    def boundary_summary(self, obj: Territory) -> str:
        b = obj.boundary
        if not b:
            return "нет (загружается импортом границ)"
        kind = b.get("type", "?") if isinstance(b, dict) else "?"
        points = _count_points(b.get("coordinates")) if isinstance(b, dict) else 0
        return format_html("{} · {} точек · только чтение, обновляется импортом границ", kind, points)


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "territory", "lat", "lon")
    list_filter = ("type",)
    search_fields = ("name", "territory__name")
    autocomplete_fields = ("territory",)
    list_select_related = ("territory",)
    list_per_page = 100
    fields = ("name", "type", "territory", "lat", "lon")


@admin.register(OutsidePlace)
class OutsidePlaceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)
    fields = ("name", "kind")


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("short_name", "code", "kind", "parent", "is_active", "email")
    list_filter = ("kind", "is_active")
    search_fields = ("short_name", "name", "code", "email")
    autocomplete_fields = ("parent",)
    filter_horizontal = ("territories",)
    list_select_related = ("parent",)
    fieldsets = (
        (None, {"fields": ("code", "short_name", "name", "kind", "parent", "is_active", "email")}),
        ("Компетенция", {"fields": ("territories",)}),
        ("Рабочее время (пусто — по регламенту)", {"fields": ("work_start", "work_end")}),
    )


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "organisation", "is_working", "work_end", "note")
    list_filter = ("is_working", "organisation")
    search_fields = ("note",)
    date_hierarchy = "date"
    autocomplete_fields = ("organisation",)


class CategoryInline(admin.TabularInline):
    model = Category
    fields = ("code", "name", "default_urgency", "default_regime", "municipal_competence", "is_active")
    extra = 0
    show_change_link = True


@admin.register(Block)
class BlockAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "order", "category_count")
    list_editable = ("order",)
    search_fields = ("name", "key")
    inlines = [CategoryInline]

    @admin.display(description="категорий")
    def category_count(self, obj: Block) -> int:
        return obj.categories.count()


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = (
        "name", "code", "block", "default_urgency", "default_regime", "municipal_competence", "is_public", "is_active",
    )
    list_editable = ("default_urgency", "default_regime")
    list_filter = ("block", "default_urgency", "default_regime", "municipal_competence", "is_public", "is_active")
    search_fields = ("name", "code", "open311_code")
    list_select_related = ("block",)
    list_per_page = 100


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "territory", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code")
    autocomplete_fields = ("territory",)
    filter_horizontal = ("categories",)
