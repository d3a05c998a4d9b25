"""Stored weekly reports: the PDF files under MEDIA_ROOT/reports/ and a JSON index beside them.

The index is the record of every report made: which week, when, why (by the schedule or on
demand) and by whom, the file's size and SHA-256. `store_report` is the one door that adds to it.
Writers take an exclusive lock on `reports/.lock` (fcntl) around the read-modify-write of the
index, so two workers running the Monday job at once cannot both make the week's scheduled
report, and no reader ever sees a half-written index or PDF (both are written to a temporary
file and renamed into place).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import fcntl
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from tsur.core import clock
from tsur.workspace.center.weekly_week import Week

SCHEDULED = "scheduled"
ON_DEMAND = "on_demand"
REASONS = {SCHEDULED: "по расписанию", ON_DEMAND: "по запросу"}
REPORT_ID = re.compile(r"^\d{4}-W\d{2}-\d{8}T\d{6}(-\d+)?$")


@dataclasses.dataclass(frozen=True)
class StoredReport:
    id: str
    week: str  # ISO week, «2026-W47»
    file: str
    generated_at: dt.datetime
    reason: str
    actor: str  # username; empty for the schedule
    actor_name: str
    size: int
    sha256: str

    @property
    def reason_label(self) -> str:
        return REASONS.get(self.reason, self.reason)

    @property
    def week_title(self) -> str:
        """The week as people name it («Неделя 47: 16–22 ноября 2026 г.»), not its ISO code."""
        year, number = self.week.split("-W")
        return Week(int(year), int(number)).title().capitalize()

    def to_json(self) -> dict:
        data = dataclasses.asdict(self)
        data["generated_at"] = self.generated_at.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict) -> StoredReport:
        return cls(**{**data, "generated_at": dt.datetime.fromisoformat(data["generated_at"])})


def folder() -> Path:
    return Path(settings.MEDIA_ROOT) / "reports"


def _index_path() -> Path:
    return folder() / "index.json"


@contextlib.contextmanager
def locked() -> Iterator[None]:
    """Hold the reports' exclusive lock (blocks until another writer is done)."""
    folder().mkdir(parents=True, exist_ok=True)
    with open(folder() / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_atomically(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def reports() -> list[StoredReport]:
    """Every stored report, newest first."""
    try:
        raw = json.loads(_index_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    found = [StoredReport.from_json(item) for item in raw.get("reports", [])]
    return sorted(found, key=lambda r: (r.generated_at, r.id), reverse=True)


def find(report_id: str) -> StoredReport | None:
    if not REPORT_ID.match(report_id or ""):
        return None
    return next((r for r in reports() if r.id == report_id), None)


def path_of(report: StoredReport) -> Path:
    return folder() / report.file


def has_scheduled(week: str) -> bool:
    return any(r.week == week and r.reason == SCHEDULED for r in reports())


def store_report(week: str, pdf: bytes, *, reason: str, actor=None) -> StoredReport:
    """Add a report to the store and the index (the caller holds `locked()`). Each call is a new
    entry: a report made again on demand keeps the earlier one, as it may have been handed out."""
    if reason not in REASONS:
        raise ValueError(f"unknown reason {reason!r}")
    if not pdf.startswith(b"%PDF"):
        raise ValueError("not a PDF")
    now = clock.now()
    existing = {r.id for r in reports()}
    base = f"{week}-{now.astimezone(dt.UTC):%Y%m%dT%H%M%S}"
    report_id, n = base, 1
    while report_id in existing:
        n += 1
        report_id = f"{base}-{n}"
    entry = StoredReport(
        id=report_id,
        week=week,
        file=f"weekly-{report_id}.pdf",
        generated_at=now,
        reason=reason,
        actor=actor.get_username() if actor is not None else "",
        actor_name=(actor.get_full_name() or actor.get_username()) if actor is not None else "",
        size=len(pdf),
        sha256=hashlib.sha256(pdf).hexdigest(),
    )
    _write_atomically(path_of(entry), pdf)
    index = {"reports": [r.to_json() for r in sorted([*reports(), entry], key=lambda r: (r.generated_at, r.id))]}
    _write_atomically(_index_path(), json.dumps(index, ensure_ascii=False, indent=1).encode("utf-8"))
    return entry
