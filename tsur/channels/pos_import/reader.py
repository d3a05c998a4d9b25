"""Reading an export: CSV (UTF-8 or Windows-1251, comma/semicolon/tab) or XLSX (first sheet), into
the header row and JSON-safe rows numbered as a spreadsheet shows them."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO


class ExportError(Exception):
    """The file cannot be read as an export (message in Russian, for the person importing)."""


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, dict]]  # (line number in the file, {header: value})


def _cell(value) -> str | int | float | bool | None:
    """JSON-safe cell: dates as ISO text (naive, as in the file), whole floats as integers."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def read_table(source: str | Path | BinaryIO, name: str = "", *, max_rows: int = 100_000) -> Table:
    filename = name or str(source)
    data = Path(source).read_bytes() if isinstance(source, str | Path) else source.read()
    if filename.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, max_rows)
    if filename.lower().endswith(".xls"):
        raise ExportError("Старый формат .xls не поддерживается: сохраните выгрузку как .xlsx или .csv.")
    return _read_csv(data, max_rows)


def _read_csv(data: bytes, max_rows: int) -> Table:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1251 decodes any byte
        raise ExportError("Не удалось определить кодировку файла (ожидается UTF-8 или Windows-1251).")
    if not text.strip():
        raise ExportError("Файл пустой.")
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=";,\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    headers = [h.strip() for h in next(reader, [])]
    rows = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= max_rows:
            raise ExportError(f"В файле больше {max_rows} строк: разделите выгрузку на части.")
        rows.append((reader.line_num, dict(zip(headers, values, strict=False))))
    return Table(headers, rows)


def _read_xlsx(data: bytes, max_rows: int) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise ExportError(f"Не удалось прочитать файл XLSX ({type(exc).__name__}).") from None
    try:
        sheet = book.worksheets[0]
        headers: list[str] | None = None
        rows = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if headers is None:
                if any(v not in (None, "") for v in values):
                    headers = [str(v).strip() if v is not None else "" for v in values]
                continue
            if not any(v not in (None, "") for v in values):
                continue
            if len(rows) >= max_rows:
                raise ExportError(f"В файле больше {max_rows} строк: разделите выгрузку на части.")
            rows.append((number, {h: _cell(v) for h, v in zip(headers, values, strict=False) if h}))
    finally:
        book.close()
    if headers is None:
        raise ExportError("Файл пустой.")
    return Table(headers, rows)
