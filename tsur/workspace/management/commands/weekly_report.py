"""`tsur weekly_report [--week 2026-W47 | --week 2026-11-18]`: make the weekly report for the
governor's meeting now and store it (on demand, from the shell), printing where it went.
The Monday schedule runs without it (the periodic job `center.weekly_report`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.workspace.center import weekly
from tsur.workspace.center import weekly_store as store
from tsur.workspace.center.weekly_week import Week


class Command(BaseCommand):
    help = "Сформировать и сохранить еженедельный отчёт ЦУР (PDF) за неделю: по умолчанию за прошедшую."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--week", default="", help="ISO week (2026-W47) or a date inside it; default: the last complete week")

    def handle(self, *args, **options) -> None:
        try:
            week = Week.parse(options["week"], today=timezone.localdate(clock.now()))
        except ValidationFailed as exc:
            raise CommandError(exc.message) from None
        entry = weekly.generate(week, reason=store.ON_DEMAND)
        self.stdout.write(f"{week.label}: {store.path_of(entry)} ({entry.size} bytes, sha256 {entry.sha256[:12]}…)")
