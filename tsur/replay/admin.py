"""Replay runs are read-only in the admin: they are written only by tsur.replay.services."""

from __future__ import annotations

from django.contrib import admin

from tsur.core.admin import ReadOnlyAdmin
from tsur.replay.models import ReplayRun


@admin.register(ReplayRun)
class ReplayRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "region", "state", "loaded", "skipped", "failed", "shift_days", "finished_at")
    list_filter = ("region", "state")
    fields = (
        "region", "data_dir", "options", "shift_days", "state", "started_by", "started_at", "finished_at", "rows_seen",
        "loaded", "skipped", "failed", "steps", "steps_skipped", "last_external_id", "note",
    )
    readonly_fields = fields
