"""The admin's part of polls: where published polls are announced (configuration), and the
announcements' delivery rows, read-only, to see what failed and why."""

from __future__ import annotations

from django.contrib import admin

from tsur.polls.models import Announcement, AnnouncementTarget


@admin.register(AnnouncementTarget)
class AnnouncementTargetAdmin(admin.ModelAdmin):
    list_display = ("name", "channel_code", "place", "enabled")
    list_filter = ("enabled", "channel_code")
    filter_horizontal = ("territories",)
    search_fields = ("name", "channel_code")


@admin.register(Announcement)
class AnnouncementAdmin(admin.ModelAdmin):
    list_display = ("poll", "channel_code", "state", "attempts", "sent_at", "last_error")
    list_filter = ("state", "channel_code")
    readonly_fields = [f.name for f in Announcement._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
