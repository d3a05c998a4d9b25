"""`tsur events partition|partitions`: the event log's monthly partitions on PostgreSQL
(tsur.appeals.partitions; docs/operations.md, «Partitioning of the event log»)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from tsur.appeals import partitions
from tsur.core import clock


class Command(BaseCommand):
    help = "Журнал событий: секционирование по месяцам (PostgreSQL) и его состояние."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        convert = sub.add_parser("partition", help="перестроить журнал событий в секции по месяцам (один раз; сначала резервная копия)")
        convert.add_argument("--yes", action="store_true", help="подтверждение: таблица будет перестроена под исключительной блокировкой")
        sub.add_parser("partitions", help="секции журнала событий, их границы и число строк")

    def handle(self, *args, action: str, **options) -> None:
        if action == "partitions":
            found = partitions.partitions()
            if not found:
                self.stdout.write("Журнал событий — одна таблица (не секционирован).")
                return
            for p in found:
                self.stdout.write(f"{p.name}\t{p.rows}\t{p.bounds}")
            return
        if not options["yes"]:
            raise CommandError(
                "Журнал событий будет перестроен под исключительной блокировкой: запись событий подождёт до конца. "
                "Сделайте резервную копию (tsur backup create) и повторите с --yes."
            )
        try:
            done = partitions.partition_events(clock.now())
        except partitions.PartitionError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Журнал событий секционирован за {done.seconds:.1f} с. Событий: {done.rows}; секций по месяцам: {len(done.partitions)}, "
            "и секция по умолчанию."
        )
        if done.dropped_references:
            self.stdout.write("Сняты внешние ключи на журнал: " + ", ".join(done.dropped_references))
