"""Replay runs are read-only in the admin: they are written only by tsur.replay.services. The
region is shown by its name from the shipped configuration, the options with Moscow times."""

from __future__ import annotations

from functools import cache

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from tsur.core.admin import ReadOnlyAdmin
from tsur.directory.models import Territory
from tsur.replay.config import ConfigError, configs
from tsur.replay.models import ReplayRun


@cache
def region_names() -> dict[str, str]:
    """{region key: the name of its region territory} of every shipped configuration."""
    try:
        shipped = configs()
    except ConfigError:
        return {}
    names = {}
    for config in shipped:
        regions = [t["name"] for t in config.raw.get("territories", []) if t.get("level") == Territory.Level.REGION]
        names[config.region] = regions[0] if regions else config.channel_label
    return names


def region_name(key: str) -> str:
    return region_names().get(key, key)


class RegionFilter(admin.SimpleListFilter):
    title = "регион"
    parameter_name = "region"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        keys = ReplayRun.objects.order_by().values_list("region", flat=True).distinct()
        return sorted(((k, region_name(k)) for k in keys), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(region=self.value()) if self.value() else queryset


@admin.register(ReplayRun)
class ReplayRunAdmin(ReadOnlyAdmin):
    labels = {"region": "регион", "options": "параметры запуска"}
    renderers = {"region": region_name}
    list_display = ("started_at", "region", "state", "loaded", "skipped", "failed", "shift_days", "finished_at")
    list_filter = (RegionFilter, "state")
    fields = (
        "region", "data_dir", "options", "shift_days", "state", "started_by", "started_at", "finished_at", "rows_seen",
        "loaded", "skipped", "failed", "steps", "steps_skipped", "last_external_id", "note",
    )
    readonly_fields = fields
