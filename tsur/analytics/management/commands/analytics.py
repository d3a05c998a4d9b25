"""`tsur analytics rebuild [--from DATE]`: recount the precomputed figures from the appeals."""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tsur.analytics import rollup
from tsur.analytics.models import Rebuild


class Command(BaseCommand):
    help = "Пересчёт показателей ситуационного центра (analytics rebuild [--from ГГГГ-ММ-ДД])"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        rebuild = sub.add_parser("rebuild", help="пересчитать показатели по дням из обращений")
        rebuild.add_argument("--from", dest="since", help="первый день пересчёта (ГГГГ-ММ-ДД); по умолчанию всё")

    def handle(self, *args, action: str, since: str | None = None, **options) -> None:
        day = None
        if since:
            try:
                day = dt.date.fromisoformat(since)
            except ValueError as exc:
                raise CommandError(f"--from: «{since}» is not a date YYYY-MM-DD") from exc
        started = time.monotonic()
        log = rollup.rebuild_all(since=day, reason=Rebuild.Reason.COMMAND)
        took = time.monotonic() - started
        if log is None:
            self.stdout.write("no appeals: nothing to count")
            return
        self.stdout.write(
            f"recounted {log.days} days {log.day_from}..{log.day_to}: {log.appeals} appeals in {log.rows} rows, {took:.1f} s"
        )
