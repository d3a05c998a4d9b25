"""`tsur monitoring …`: the monitoring sources from the shell.

- `tsur monitoring issue-key SOURCE`: a new key for the source (the old one stops working); the key
  is printed once and stored only as a hash.
- `tsur monitoring sources`: every source with its health: active or not, key issued, last event,
  events received in the last hour, refused items in the last 24 hours and their commonest reason.
- `tsur monitoring ingest SOURCE FILE`: send a file of events (a JSON list, {"events": [...]}, or one
  JSON object per line) through the same intake as the API; prints the result as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.utils import timezone

from tsur.core import clock
from tsur.monitoring.body import BodyError, split_items
from tsur.monitoring.intake import REASONS, ingest
from tsur.monitoring.keys import issue_key
from tsur.monitoring.mapping import MappingError
from tsur.monitoring.models import MonitoringEvent, Reject, Source


def _source(code: str) -> Source:
    source = Source.objects.filter(code=code).first()
    if source is None:
        known = ", ".join(Source.objects.order_by("code").values_list("code", flat=True)) or "нет ни одного"
        raise CommandError(f"Источник «{code}» не найден. Известные источники: {known}.")
    return source


def read_items(path: Path) -> list[str]:
    """The items of a file: a JSON list, an object with "events", or JSON lines (each kept as its text)."""
    text = path.read_text(encoding="utf-8")
    if text.lstrip().startswith(("[", '{"events"')):
        try:
            return split_items(text)
        except BodyError:
            pass
    return [line for line in text.splitlines() if line.strip()]


class Command(BaseCommand):
    help = "Monitoring sources: issue-key SOURCE, sources, ingest SOURCE FILE."

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        key = sub.add_parser("issue-key", help="issue a new key for a source (the old one stops working)")
        key.add_argument("source", help="the source's code")
        sub.add_parser("sources", help="the sources and their health")
        feed = sub.add_parser("ingest", help="send a file of events through the intake")
        feed.add_argument("source", help="the source's code")
        feed.add_argument("file", help="a JSON list, {'events': [...]} or JSON lines")

    def handle(self, *args, **options) -> None:
        getattr(self, options["what"].replace("-", "_"))(options)

    def issue_key(self, options: dict) -> None:
        source = _source(options["source"])
        raw = issue_key(source)
        self.stdout.write(f"Новый ключ источника «{source.name}» (прежний больше не действует). Он показывается один раз:")
        self.stdout.write(raw)

    def sources(self, options: dict) -> None:
        now = clock.now()
        hour = dict(MonitoringEvent.objects.filter(received_at__gte=now - dt.timedelta(hours=1)).values_list("source").annotate(n=Count("pk")))
        day = Reject.objects.filter(received_at__gte=now - dt.timedelta(hours=24))
        rejects = dict(day.values_list("source").annotate(n=Count("pk")))
        reasons: dict[int, str] = {}
        for source_id, code, _n in day.values_list("source", "code").annotate(n=Count("pk")).order_by("source", "-n"):
            reasons.setdefault(source_id, code)
        for s in Source.objects.order_by("code"):
            last = timezone.localtime(s.last_event_at).strftime("%d.%m.%Y %H:%M") if s.last_event_at else "событий не было"
            state = "действует" if s.is_active else "отключён"
            key = f"ключ {s.key_prefix}…" if s.key_prefix else "ключ не выпущен"
            refused = f"отклонено за сутки: {rejects.get(s.pk, 0)}"
            if s.pk in reasons:
                refused += f" (чаще всего: {REASONS.get(reasons[s.pk], reasons[s.pk])})"
            self.stdout.write(f"{s.code:<20} {s.name}\n    {state}; {key}; последнее событие: {last}; за час: {hour.get(s.pk, 0)}; {refused}")

    def ingest(self, options: dict) -> None:
        source = _source(options["source"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Файл {path} не найден.")
        items = read_items(path)
        try:
            result = ingest(source, items)
        except MappingError as exc:
            raise CommandError(f"Схема данных источника настроена с ошибкой: {exc}") from exc
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
