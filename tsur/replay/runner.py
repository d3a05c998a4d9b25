"""A replay run: read the export, set the region up, play the appeals in batches (one
transaction per batch, one savepoint per appeal), skip what is already loaded, report progress.

Resumable and idempotent by construction: an appeal is stored with its whole history or not at
all, and the portal id is its external id, so a later run finds what is done and goes on."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from django.db import transaction

from tsur.appeals.models import Appeal
from tsur.core.errors import ValidationFailed
from tsur.core.events import gathering
from tsur.replay import services
from tsur.replay import source as S
from tsur.replay.config import Actors, RegionConfig, set_up_region
from tsur.replay.player import Played, Player, refusal

DATA_ZONE = "Europe/Moscow"  # the default when the configuration names no zone


class ReplayError(Exception):
    """The run cannot start (bad options, a missing file, a shift that contradicts the loaded one)."""


@dataclass
class Options:
    data_dir: Path
    limit: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    shift_to: dt.date | None = None
    batch: int = 200
    started_by: str = "командная строка"
    explain_skips: bool = False  # list every skipped history step (tsur replay -v 2)
    bulk: bool = False  # write each batch through the history import (tsur.answers.history)


@dataclass
class Outcome:
    selected: int = 0
    loaded: int = 0
    skipped: int = 0
    failed: int = 0
    steps: int = 0
    steps_skipped: int = 0
    shift_days: int = 0
    seconds: float = 0.0
    problems: list[S.Problem] = field(default_factory=list)
    run_id: int | None = None

    @property
    def rate(self) -> float:
        return self.loaded / self.seconds if self.seconds else 0.0


Progress = Callable[[int, int, float], None]  # (done, total, seconds so far)


def select(rows: list[S.Row], options: Options) -> list[S.Row]:
    chosen = [
        r for r in rows
        if (options.date_from is None or r.created.date() >= options.date_from)
        and (options.date_to is None or r.created.date() <= options.date_to)
    ]
    return chosen[: options.limit] if options.limit is not None else chosen


def attach_history(rows: list[S.Row], history: dict[str, list[S.Step]], cut: dict[str, str], problems: list[S.Problem]) -> None:
    """Give each row its steps; a step dated before the message itself ends the history there."""
    for row in rows:
        steps = history.get(row.external_id, [])
        for i, step in enumerate(steps):
            if step.at < row.created - S.CLOCK_SLACK:
                problems.append(S.Problem(S.APPEALS_FILE, row.line, f"сообщение {row.external_id}: статус «{step.status}» "
                                          f"({step.at:%Y-%m-%d %H:%M}) раньше создания сообщения; история загружается до него"))
                steps = steps[:i]
                break
        row.history = steps
        row.history_cut = cut.get(row.external_id, "")


def shift_for(options: Options, newest: dt.date | None, config: RegionConfig) -> int:
    """Whole days added to every moment: the newest day of the data lands on --shift-to. A region
    already partly loaded keeps the shift it was loaded with (a resumed run must not mix times)."""
    stored = services.stored_shift(config.region)
    if options.shift_to is None:
        return stored or 0
    wanted = (options.shift_to - newest).days if newest else 0
    if stored is not None and stored != wanted:
        raise ReplayError(
            f"обращения региона уже загружены со сдвигом {stored} дн., а --shift-to {options.shift_to} даёт {wanted} дн.: "
            "продолжите без --shift-to (сдвиг прежнего запуска сохраняется) или с прежней датой"
        )
    return wanted


def run(config: RegionConfig, options: Options, progress: Progress | None = None) -> Outcome:
    if options.date_from and options.date_to and options.date_from > options.date_to:
        raise ReplayError(f"--from {options.date_from} позже --to {options.date_to}")
    if options.batch < 1 or (options.limit is not None and options.limit < 0):
        raise ReplayError("--batch должен быть не меньше 1, --limit не меньше 0")
    zone = ZoneInfo(config.raw.get("time_zone") or DATA_ZONE)
    outcome = Outcome()
    try:
        history, cut = S.read_history(options.data_dir / S.HISTORY_FILE, zone, outcome.problems)
        rows = list(S.read_appeals(options.data_dir / S.APPEALS_FILE, config, zone, outcome.problems))
    except S.SourceError as exc:
        raise ReplayError(str(exc)) from None
    newest = max((s.at.date() for steps in history.values() for s in steps), default=None)
    newest = max([d for d in (newest, max((r.created.date() for r in rows), default=None)) if d], default=None)
    chosen = select(rows, options)
    attach_history(chosen, history, cut, outcome.problems)
    outcome.selected = len(chosen)
    set_up_region(config)
    outcome.shift_days = shift_for(options, newest, config)
    player = Player(config, Actors.of(config), dt.timedelta(days=outcome.shift_days), options.explain_skips)
    run_row = services.start_run(
        region=config.region, data_dir=str(options.data_dir), shift_days=outcome.shift_days, started_by=options.started_by,
        options={"limit": options.limit, "from": str(options.date_from or ""), "to": str(options.date_to or ""),
                 "shift_to": str(options.shift_to or ""), "batch": options.batch, "bulk": options.bulk, "config": config.path.name},
    )
    outcome.run_id = run_row.pk
    started = time.monotonic()
    done = 0

    def tick(played: int) -> None:
        if progress:
            progress(done + played, len(chosen), time.monotonic() - started)

    try:
        for start in range(0, len(chosen), options.batch):
            batch = chosen[start : start + options.batch]
            _play_batch(player, config, batch, run_row, outcome, tick, options.bulk)
            done += len(batch)
    except BaseException as exc:
        outcome.seconds = time.monotonic() - started
        services.finish_run(run_row, failed=True, note=f"прерван после {done} из {len(chosen)}: {type(exc).__name__}")
        raise
    outcome.seconds = time.monotonic() - started
    services.finish_run(run_row, failed=False, note=summary(outcome))
    return outcome


def _play_batch(player: Player, config: RegionConfig, batch: list[S.Row], run_row, outcome: Outcome,
                tick: Callable[[int], None], bulk: bool = False) -> None:
    ids = [r.external_id for r in batch]
    existing = set(Appeal.objects.filter(channel=config.channel_code, external_id__in=ids).values_list("external_id", flat=True))
    counts = {"loaded": 0, "skipped": 0, "failed": 0, "steps": 0, "steps_skipped": 0}
    problems: list[S.Problem] = []
    last = ""
    new: list[S.Row] = []
    for row in batch:
        if row.external_id in existing:
            counts["skipped"] += 1
        else:
            existing.add(row.external_id)  # the same id twice in one export loads once
            new.append(row)
    # One transaction per batch, one savepoint per appeal and per step; what the services publish
    # reaches the subscribers (analytics, tension, triage) once per batch (core.events.gathering).
    with transaction.atomic(), gathering():
        results: list[tuple[S.Row, Played | Exception]] = []
        if bulk and new:
            try:
                results = list(zip(new, player.record(new), strict=True))
            except ValidationFailed:
                results = []  # the import refused one of them: this batch goes through the services, one by one
        if not results:
            for n, row in enumerate(new, 1):
                tick(counts["skipped"] + n - 1)
                try:
                    results.append((row, player.play(row)))
                except Exception as exc:  # any refusal of one appeal is reported on its line, the rest loads
                    results.append((row, exc))
        for row, played in results:
            if isinstance(played, Exception):
                counts["failed"] += 1
                problems.append(S.Problem(S.APPEALS_FILE, row.line, f"сообщение {row.external_id} не загружено: {refusal(played)}"))
                continue
            counts["loaded"] += 1
            counts["steps"] += played.steps
            counts["steps_skipped"] += len(played.skipped)
            if player.explain_skips:
                problems += [S.Problem(S.APPEALS_FILE, row.line, f"сообщение {row.external_id}: шаг пропущен: {why}") for why in played.skipped]
            last = row.external_id
            if row.history_cut:
                problems.append(S.Problem(S.APPEALS_FILE, row.line, f"сообщение {row.external_id}: {row.history_cut}"))
        services.record_batch(run_row, rows=len(batch), last_external_id=last, **counts)
    tick(len(batch))
    outcome.problems += problems
    for key, value in counts.items():
        setattr(outcome, key, getattr(outcome, key) + value)


def summary(outcome: Outcome) -> str:
    return (
        f"отобрано {outcome.selected}, загружено {outcome.loaded}, уже были {outcome.skipped}, отклонено {outcome.failed}; "
        f"шагов истории {outcome.steps}, пропущено {outcome.steps_skipped}; замечаний {len(outcome.problems)}; "
        f"сдвиг {outcome.shift_days} дн.; {outcome.seconds:.1f} с ({outcome.rate:.1f} обращений/с)"
    )
