"""Admin of objective monitoring, in Russian: sources (their mapping, limits and a new key shown
once), event kinds with their categories, and read-only views of what came in (events with their
versions, rejects, sensor states, links). Events and links change only through the intake and
the matcher's services, never by hand here."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.html import format_html

from tsur.monitoring.intake import REASONS
from tsur.monitoring.keys import issue_key
from tsur.monitoring.mapping import Mapping, MappingError
from tsur.monitoring.models import EventKind, EventVersion, Link, MonitoringEvent, Reject, SensorState, Source


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SourceForm(forms.ModelForm):
    """A mapping the intake cannot read is refused when saved, not at the source's next batch."""

    class Meta:
        model = Source
        fields = ("code", "name", "kind", "is_active", "mapping", "rate_per_minute", "max_batch")

    def clean_mapping(self):
        mapping = self.cleaned_data.get("mapping")
        try:
            Mapping.compile(mapping or {})
        except MappingError as exc:
            raise ValidationError(f"Схема данных не разобрана: {exc}") from exc
        return mapping


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    form = SourceForm
    list_display = ("name", "code", "kind", "is_active", "key_display", "rate_per_minute", "max_batch", "last_event_at")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    readonly_fields = ("key_display", "created_at", "last_event_at")
    fields = ("code", "name", "kind", "is_active", "key_display", "mapping", "rate_per_minute", "max_batch", "created_at", "last_event_at")
    actions = ("new_key",)

    @admin.display(description="ключ")
    def key_display(self, obj: Source) -> str:
        return f"{obj.key_prefix}…" if obj.key_prefix else "не выпущен"

    @admin.action(description="Выпустить новый ключ (прежний перестанет действовать)")
    def new_key(self, request: HttpRequest, queryset: QuerySet) -> None:
        for source in queryset:
            raw = issue_key(source, actor=request.user)
            messages.warning(
                request,
                format_html(
                    "Ключ источника «{}» выпущен. Скопируйте его сейчас — он показывается один раз и нигде не хранится: "
                    "<code style='user-select:all'>{}</code>",
                    source.name,
                    raw,
                ),
            )


@admin.register(EventKind)
class EventKindAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "source_kind", "radius_m", "before_hours", "after_hours", "resolution", "may_close", "may_reopen")
    list_filter = ("source_kind", "resolution")
    search_fields = ("name", "code")
    filter_horizontal = ("categories",)


class VersionInline(admin.TabularInline):
    model = EventVersion
    fields = ("version", "state", "version_at", "received_at", "applied", "payload_display")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("version",)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(boolean=True, description="применена")
    def applied(self, obj: EventVersion) -> bool:
        return bool(obj.normalised.get("applied", True))

    @admin.display(description="данные источника")
    def payload_display(self, obj: EventVersion) -> str:
        return format_html("<code style='white-space:pre-wrap;word-break:break-all'>{}</code>", obj.payload)


@admin.register(MonitoringEvent)
class MonitoringEventAdmin(ReadOnly):
    list_display = ("title", "source", "kind", "state", "version", "occurred_at", "received_at", "territory", "matched")
    list_filter = ("source", "kind", "state")
    search_fields = ("external_id", "title", "address")
    list_select_related = ("source", "kind", "territory")
    date_hierarchy = "occurred_at"
    inlines = (VersionInline,)
    fields = (
        "source", "external_id", "kind", "state", "version", "occurred_at", "version_at", "resolved_at", "received_at",
        "title", "address", "territory", "lat", "lon", "cell", "details_display", "image", "matched",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="сопоставлено с обращениями", ordering="matched_at")
    def matched(self, obj: MonitoringEvent) -> str:
        return formats.localize(timezone.localtime(obj.matched_at)) if obj.matched_at else "ожидает"

    @admin.display(description="подробности")
    def details_display(self, obj: MonitoringEvent) -> str:
        rows = "".join(f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}\n" for k, v in (obj.details or {}).items())
        return format_html("<span style='white-space:pre-wrap'>{}</span>", rows) if rows else "—"


class SourceFilter(admin.SimpleListFilter):
    title = "источник"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [(str(pk), name) for pk, name in Source.objects.order_by("name").values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(source_id=self.value()) if self.value() else queryset


class ReasonFilter(admin.SimpleListFilter):
    title = "причина"
    parameter_name = "code"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return sorted(REASONS.items(), key=lambda item: item[1])

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(code=self.value()) if self.value() else queryset


@admin.display(description="источник", ordering="source__name")
def source_name(obj) -> str:
    return obj.source.name if obj.source_id else "—"


@admin.register(Reject)
class RejectAdmin(ReadOnly):
    list_display = ("received_at", source_name, "reason_kind", "reason", "external_id")
    list_filter = (SourceFilter, ReasonFilter)
    search_fields = ("external_id", "reason")
    list_select_related = ("source",)
    date_hierarchy = "received_at"
    fields = ("received_at", source_name, "external_id", "reason_kind", "reason", "payload")
    readonly_fields = fields

    @admin.display(description="вид причины", ordering="code")
    def reason_kind(self, obj: Reject) -> str:
        return REASONS.get(obj.code, obj.code)


@admin.register(SensorState)
class SensorStateAdmin(ReadOnly):
    list_display = ("sensor", "metric", source_name, "alarm", "value", "read_at", "event")
    list_filter = (SourceFilter, "alarm")
    search_fields = ("sensor", "metric")
    list_select_related = ("source", "event")
    fields = (source_name, "sensor", "metric", "alarm", "value", "read_at", "event")
    readonly_fields = fields


@admin.register(Link)
class LinkAdmin(ReadOnly):
    list_display = ("event", "appeal", "score", "status", "reason", "created_at", "decided_by")
    list_filter = ("status",)
    search_fields = ("appeal__number", "event__external_id", "reason")
    list_select_related = ("event__source", "appeal", "decided_by")
    fields = ("event", "appeal", "score", "reason", "status", "created_at", "decided_by", "decided_at", "note")
    readonly_fields = fields
