"""Records for `tsur tension detect` from analysts' files: CSV, gzip-compressed CSV or JSON lines,
several files as one stream. Every line that cannot be used is reported with its file and line
number and skipped; a file that cannot be used at all raises InputError."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import h3

from tsur.tension.engine.model import Record

# A text field of a real export may be long (answers, letters); csv's default limit is 128 KB.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


class InputError(Exception):
    """The input cannot be used at all (no file, no such column, nothing readable)."""


@dataclass(frozen=True)
class Columns:
    time: str
    place: str
    topic: str
    parent_topic: str = ""
    lat: str = ""
    lon: str = ""
    id: str = ""
    address: str = ""

    def required(self) -> list[str]:
        return [c for c in (self.time, self.place, self.topic, self.parent_topic, self.lat, self.lon, self.id, self.address) if c]


def parse_moment(raw: str, zone: ZoneInfo) -> dt.date:
    """The local day of an ISO date or date-time (a zoned one is converted to `zone`), or of the
    Russian «ДД.ММ.ГГГГ[ ЧЧ:ММ[:СС]]»."""
    text = raw.strip()
    if not text:
        raise ValueError("empty time")
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for fmt in ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"):
            try:
                moment = dt.datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(f"time {text[:40]!r} is not an ISO date/time or DD.MM.YYYY") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date()


def _rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, row or None, problem) for every data line of one file."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with raw:
        head = raw.read(2)
        raw.seek(0)
        stream = gzip.open(raw) if head == b"\x1f\x8b" else raw
        # utf-8-sig: spreadsheet exports often begin with a byte-order mark.
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="strict", newline="")
        try:
            first = text.read(1)
        except (UnicodeDecodeError, OSError, EOFError) as exc:
            raise InputError(f"{path}: not a readable UTF-8 text file ({exc.__class__.__name__})") from exc
        if not first:
            raise InputError(f"{path}: the file is empty")
        is_json = first in "{[" or path.name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".json"))
        try:
            if is_json:
                yield from _json_rows(first, text)
            else:
                yield from _csv_rows(first, text, path)
        except (UnicodeDecodeError, OSError, EOFError, gzip.BadGzipFile) as exc:
            raise InputError(f"{path}: reading stopped: {exc.__class__.__name__}: {exc}") from exc


def _json_rows(first: str, text: io.TextIOBase) -> Iterator[tuple[int, dict | None, str]]:
    line_no = 0
    pending = first
    for line in text:
        line_no += 1
        line = pending + line
        pending = ""
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        if not isinstance(value, dict):
            yield line_no, None, "a JSON line must be an object"
            continue
        yield line_no, value, ""


def _csv_rows(first: str, text: io.TextIOBase, path: Path) -> Iterator[tuple[int, dict | None, str]]:
    header_line = first + text.readline()

    def chars() -> Iterator[str]:
        yield header_line
        yield from text

    # Russian spreadsheet exports separate fields with ";" (the comma is the decimal sign).
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(chars(), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as exc:
        raise InputError(f"{path}: the header line is not valid CSV: {exc}") from exc
    width = len(header)
    for row in reader:
        line_no = reader.line_num
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        if len(row) != width:
            yield line_no, None, f"{len(row)} fields where the header has {width}"
            continue
        yield line_no, dict(zip(header, row, strict=True)), ""


def _header_check(path: Path, row: dict, columns: Columns) -> None:
    missing = [c for c in columns.required() if c not in row]
    if missing:
        have = ", ".join(list(row)[:30])
        raise InputError(f"{path}: no column {', '.join(repr(m) for m in missing)} (the file has: {have})")


def read_records(
    paths: list[Path],
    columns: Columns,
    *,
    zone: ZoneInfo,
    h3_resolution: int,
    warn: Callable[[str], None],
    max_warnings: int = 200,
) -> tuple[list[Record], int]:
    """All usable records of the files, and how many lines were skipped. With lat/lon columns the
    place is the H3 cell where a row has valid coordinates (its place column becomes the parent),
    else the place column."""
    records: list[Record] = []
    skipped = 0
    for path in paths:
        checked = False
        for line_no, row, problem in _rows(path):
            if row is not None and not checked:
                _header_check(path, row, columns)
                checked = True
            if row is not None:
                record, problem = _record(row, columns, zone, h3_resolution)
                if record is not None:
                    records.append(record)
                    continue
            skipped += 1
            if skipped <= max_warnings:
                warn(f"{path}:{line_no}: skipped: {problem}")
            elif skipped == max_warnings + 1:
                warn(f"{path}:{line_no}: more lines skipped; only the first {max_warnings} are listed")
    return records, skipped


def _text(row: dict, column: str) -> str:
    value = row.get(column)
    if value is None:
        return ""
    return str(value).strip()


def _record(row: dict, columns: Columns, zone: ZoneInfo, resolution: int) -> tuple[Record | None, str]:
    if any(c not in row for c in columns.required()):
        missing = [c for c in columns.required() if c not in row]
        return None, f"no field {', '.join(repr(m) for m in missing)}"
    try:
        day = parse_moment(_text(row, columns.time), zone)
    except ValueError as exc:
        return None, f"column {columns.time!r}: {exc}"
    place = _text(row, columns.place)
    topic = _text(row, columns.topic)
    if not topic:
        return None, f"column {columns.topic!r} is empty"
    cell = ""
    if columns.lat and columns.lon:
        cell = _cell(_text(row, columns.lat), _text(row, columns.lon), resolution)
    if not place and not cell:
        return None, f"column {columns.place!r} is empty and there are no coordinates"
    return (
        Record(
            day=day,
            place=cell or place,
            parent_place=place if cell else "",
            topic=topic,
            block=_text(row, columns.parent_topic) if columns.parent_topic else "",
            id=_text(row, columns.id) if columns.id else "",
            source=_text(row, columns.address) if columns.address else "",
        ),
        "",
    )


def _cell(lat_raw: str, lon_raw: str, resolution: int) -> str:
    """The H3 cell of valid coordinates; "" for empty, unparsable or impossible ones."""
    try:
        lat, lon = float(lat_raw.replace(",", ".")), float(lon_raw.replace(",", "."))
    except ValueError:
        return ""
    if not (math.isfinite(lat) and math.isfinite(lon)) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return ""
    if lat == 0 and lon == 0:
        return ""
    return h3.latlng_to_cell(lat, lon, resolution)
