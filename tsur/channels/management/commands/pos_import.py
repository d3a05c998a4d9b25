from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tsur.channels.pos_import.importer import import_file, pos_channel
from tsur.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Import messages exported from the feedback platform (ПОС), CSV or XLSX: idempotent on the ПОС number; "
        "prints what was created, updated or rejected and why."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the export: .csv (UTF-8 or Windows-1251) or .xlsx")
        parser.add_argument(
            "--mapping",
            help='column headers per field as JSON, e.g. \'{"number": "Номер обращения"}\', or '
            '\'{"columns": {...}, "statuses": {"Исполнено": "answered"}}\'; @path reads it from a file',
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report only, write nothing")
        parser.add_argument("--channel", default="", help="code of the ПОС import channel (default: the only one, created if none)")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def handle(self, *args, **options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Файл не найден: {path}")
        columns, statuses = _mapping(options["mapping"])
        try:
            config = pos_channel(options["channel"])
            report = import_file(path, name=path.name, config=config, columns=columns, statuses=statuses, dry_run=options["dry_run"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(report.as_text())
        if report.problems:
            raise CommandError("Файл не принят.")


def _mapping(raw: str | None) -> tuple[dict | None, dict | None]:
    if not raw:
        return None, None
    if raw.startswith("@"):
        try:
            raw = Path(raw[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Не удалось прочитать файл соответствия: {exc}") from None
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise CommandError(f"--mapping: это не JSON ({exc.msg}, позиция {exc.pos})") from None
    if not isinstance(value, dict):
        raise CommandError('--mapping: нужен объект JSON, например {"number": "Номер обращения"}')
    if value and set(value) <= {"columns", "statuses"}:
        return value.get("columns"), value.get("statuses")
    return value, None
