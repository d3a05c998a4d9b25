"""CSV and XLSX exports of the center's lists, streamed in constant memory (a year of a region is
hundreds of thousands of rows) and free of personal data: no resident's field is ever read, the
text is the masked copy (`Appeal.text_masked`), the address is left out. Headers are Russian,
times are Moscow's.

CSV is written for a Russian spreadsheet: UTF-8 with a byte-order mark, «;» between fields.
XLSX goes through openpyxl's write-only workbook (rows go straight to a temporary file) and the
finished file is streamed from disk and deleted.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook

from tsur.analytics import kpi
from tsur.appeals import channels
from tsur.appeals.models import Status

CHUNK = 2000
STATUS_LABELS = dict(Status.choices)

APPEAL_COLUMNS: list[tuple[str, Callable[[dict], Any]]] = [
    ("Номер", lambda r: r["number"]),
    ("Поступило (МСК)", lambda r: _local(r["received_at"])),
    ("Канал", lambda r: channels.label(r["channel"])),
    ("Блок", lambda r: r["block__name"] or ""),
    ("Категория", lambda r: r["category__name"] or ""),
    ("Территория", lambda r: r["territory__name"] or ""),
    ("Организация", lambda r: r["organisation__short_name"] or ""),
    ("Статус", lambda r: STATUS_LABELS.get(r["status"], r["status"])),
    ("Срок ответа (МСК)", lambda r: _local(r["due_at"])),
    ("Ответ опубликован (МСК)", lambda r: _local(r["published_at"])),
    ("Возобновлений", lambda r: r["reopened_count"]),
    ("Оценка жителя", lambda r: r["last_score"] if r["last_score"] is not None else ""),
    ("Текст (без персональных данных)", lambda r: r["text_masked"]),
]
APPEAL_FIELDS = (
    "number", "received_at", "channel", "block__name", "category__name", "territory__name", "organisation__short_name",
    "status", "due_at", "published_at", "reopened_count", "last_score", "text_masked",
)


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


def appeal_rows(appeals) -> Iterator[list]:
    """The export's rows of an annotated queryset of appeals (see measures.annotate_facts)."""
    for r in appeals.values(*APPEAL_FIELDS).iterator(chunk_size=CHUNK):
        yield [get(r) for _, get in APPEAL_COLUMNS]


def appeal_header() -> list[str]:
    return [title for title, _ in APPEAL_COLUMNS]


def _pct(x: float | None) -> str | float:
    return "" if x is None else round(100 * x, 1)


KPI_HEADER = [
    "Группа", "Место в группе", "Организация", "Итоговый балл", "Зона", "Поступило", "Ответов", "Ответов в срок",
    "Своевременность, %", "В работе сейчас", "Просрочено сейчас", "Доля просроченных, %", "Отписки", "Возвращено на доработку",
    "Возобновлено", "Повторные жалобы", "Качество, %", "Оценено", "Оценки 4–5", "Удовлетворённость, %", "Примечание",
    "Ответов на проверку решения", "Подтверждено жителями после решения, %",
]
ZONES = {"green": "зелёная", "yellow": "жёлтая", "red": "красная", "none": "нет оценки"}


def kpi_rows(rating: Iterable[kpi.OrganisationScore]) -> Iterator[list]:
    for s in rating:
        f = s.figures
        yield [
            s.kind_label, s.rank or "", s.name, "" if s.score is None else round(s.score, 1), ZONES[s.zone], f.received,
            f.answered, f.answered_in_time, _pct(s.timeliness), f.open_now, f.overdue_now, _pct(s.overdue_share), f.formal,
            f.returned, f.reopened, f.repeat, _pct(s.quality), f.rated, f.rated_good, _pct(s.satisfaction), s.note,
            *_confirmed(s.confirmed),
        ]


def _confirmed(c) -> list:
    """The follow-up answers and the share of yes («недостаточно данных» below the minimum)."""
    if c is None:
        return [0, ""]
    return [c.answered, _pct(c.share) if c.enough else kpi.NOT_ENOUGH]


class _Line:
    """A file-like object that hands back what csv.writer writes."""

    def write(self, value: str) -> str:
        return value


def csv_stream(header: list[str], rows: Iterable[list], *, title: str = "") -> Iterator[bytes]:
    writer = csv.writer(_Line(), delimiter=";")
    yield "\ufeff".encode()
    if title:
        yield writer.writerow([title]).encode()
    yield writer.writerow(header).encode()
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow(row))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(header: list[str], rows: Iterable[list], *, title: str = "", sheet: str = "Данные") -> str:
    """Write the rows to a temporary XLSX file (write-only: constant memory) and return its path."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    if title:
        ws.append([title])
    ws.append(header)
    for row in rows:
        ws.append(row)
    fd, path = tempfile.mkstemp(prefix="tsur-export-", suffix=".xlsx")
    os.close(fd)
    try:
        wb.save(path)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _file_chunks(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(64 * 1024):
                yield chunk
    finally:
        os.unlink(path)


def response(kind: str, filename: str, header: list[str], rows: Iterable[list], *, title: str = "") -> StreamingHttpResponse:
    """A streamed download of the rows as `kind` ("csv" or "xlsx")."""
    if kind == "xlsx":
        path = xlsx_file(header, rows, title=title)
        resp = StreamingHttpResponse(
            _file_chunks(path), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        resp["Content-Length"] = str(os.path.getsize(path))
    else:
        resp = StreamingHttpResponse(csv_stream(header, rows, title=title), content_type="text/csv; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return resp
