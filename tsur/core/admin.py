"""Admin building blocks every app uses.

`RussianLabels` names the columns, fields and filters of a model whose fields carry no Russian
`verbose_name` (changing one needs a migration of that app), and shows every value the way the
rest of the platform does: times in Moscow time in the project's format (JSON included, where the
data keeps ISO strings), empty values as «—».
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import capfirst

ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")


def moscow(value: dt.datetime) -> str:
    """«05.12.2026 12:30» in the project's time zone (Europe/Moscow), as on every screen."""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return f"{timezone.localtime(value):%d.%m.%Y %H:%M}"


def _localise(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _localise(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_localise(v) for v in value]
    if isinstance(value, str) and ISO_TIME.match(value):
        try:
            return moscow(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return value


def shown(value: Any) -> str:
    """A value as the admin shows it to a person."""
    if value is None or value == "" or value == {} or value == []:
        return "—"
    if isinstance(value, dt.datetime):
        return moscow(value)
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, (dict, list)):
        return json.dumps(_localise(value), ensure_ascii=False)
    return str(value)


def column(name: str, description: str, render: Callable[[Any], str] | None = None) -> Callable[[models.Model], str]:
    """A column (or read-only field) showing attribute `name` under `description`."""

    @admin.display(description=description, ordering=name)
    def show(obj: models.Model) -> str:
        value = getattr(obj, name)
        if render is not None:
            return render(value)
        field = obj._meta.get_field(name)
        if field.choices:
            return str(dict(field.flatchoices).get(value, value)) if value not in (None, "") else "—"
        return shown(value)

    show.__name__ = name  # the admin's CSS class and the form row are named after it
    return show


class RussianLabels:
    """`labels` {field: Russian name}: those fields, wherever listed (columns, read-only fields,
    form fields, filters), are shown under the Russian name; `renderers` {field: function} turn
    a stored key into its name. Read-only fields and columns become display functions (the
    admin takes their labels from the model otherwise); an editable field keeps its form field,
    relabelled, and a `list_editable` column stays the model's. A mixin, for model admins and
    inlines alike."""

    labels: dict[str, str] = {}
    renderers: dict[str, Callable[[Any], str]] = {}

    def _column(self, name: str) -> Callable[[models.Model], str]:
        # One callable per field and admin: the form tells read-only fields by identity.
        cache = self.__dict__.setdefault("_columns", {})
        if name not in cache:
            cache[name] = column(name, self.labels[name], self.renderers.get(name))
        return cache[name]

    def _named(self, names: Sequence, keep: Sequence = ()) -> list:
        return [self._column(n) if isinstance(n, str) and n in self.labels and n not in keep else n for n in names]

    def get_list_display(self, request: HttpRequest) -> list:
        # An editable column stays a field (its header then needs the model's verbose_name).
        return self._named(super().get_list_display(request), keep=getattr(self, "list_editable", ()))

    def formfield_for_dbfield(self, db_field, request: HttpRequest, **kwargs):
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in self.labels:
            formfield.label = capfirst(self.labels[db_field.name])
        return formfield

    def get_list_display_links(self, request: HttpRequest, list_display: Sequence) -> Sequence | None:
        links = super().get_list_display_links(request, list_display)
        if not links:
            return links
        by_name = {getattr(c, "__name__", c): c for c in list_display}
        return [by_name.get(name, name) for name in links]

    def _editable(self, request: HttpRequest, obj) -> set:
        readonly = set(super().get_readonly_fields(request, obj))
        return {f for f in super().get_fields(request, obj) if isinstance(f, str) and f not in readonly}

    def get_fields(self, request: HttpRequest, obj=None) -> list:
        return self._named(super().get_fields(request, obj), keep=self._editable(request, obj))

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list:
        return self._named(super().get_readonly_fields(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj=None) -> list:
        readonly = set(super().get_readonly_fields(request, obj)) & set(self.labels)
        return [
            (name, {**opts, "fields": [self._column(f) if isinstance(f, str) and f in readonly else f for f in opts["fields"]]})
            for name, opts in super().get_fieldsets(request, obj)
        ]

    def get_changelist_instance(self, request: HttpRequest):
        cl = super().get_changelist_instance(request)
        for spec in cl.filter_specs:
            path = getattr(spec, "field_path", None)
            if path in self.labels:
                spec.title = self.labels[path]
        return cl


class RussianAdmin(RussianLabels, admin.ModelAdmin):
    """A model admin with `labels` and `renderers` (see RussianLabels)."""


class ReadOnlyAdmin(RussianLabels, admin.ModelAdmin):
    """Viewable by superusers, changeable by nobody."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict:
        return {}


def named_filter(field: str, title: str, names: Callable[[], Iterable[tuple[str, str]]]) -> type[admin.SimpleListFilter]:
    """A list filter over a field that stores a key, offering the keys by their names
    (`names()` → [(key, name)], every key the platform knows: no query over a table that may be
    large just to list what it holds)."""

    class NamedFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
            return sorted(names(), key=lambda item: item[1])

        def queryset(self, request: HttpRequest, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    NamedFilter.title = title
    NamedFilter.__name__ = f"{field.title().replace('_', '')}Filter"
    return NamedFilter
