"""The admin's part of polls: where published polls are announced (configuration), and the
announcements' delivery rows, read-only, to see what failed and why."""

from __future__ import annotations

from django.contrib import admin

from tsur.core.admin import RussianAdmin
from tsur.polls.models import Announcement, AnnouncementTarget


@admin.register(AnnouncementTarget)
class AnnouncementTargetAdmin(admin.ModelAdmin):
    # The channel is named by its configuration's code (a key officials set in «Каналы»): shown
    # as the code, under «код канала», and not offered as a filter of codes.
    list_display = ("name", "channel_code", "place", "enabled")
    list_filter = ("enabled",)
    filter_horizontal = ("territories",)
    search_fields = ("name", "channel_code")


@admin.register(Announcement)
class AnnouncementAdmin(RussianAdmin):
    labels = {"channel_code": "код канала", "place": "куда"}
    list_display = ("poll", "channel_code", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state",)
    readonly_fields = [f.name for f in Announcement._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
