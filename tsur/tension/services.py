"""The one door for points of tension: recomputing them from the appeals (full or for the series
that changed) and the center's decisions about them — acknowledge, assign to an organisation,
dismiss with a reason — each a named function writing one audit row.

Decisions survive recomputation: a recomputed point keeps its handling, organisation and audit.
A dismissed point stays dismissed unless it grows markedly: when its score reaches
REOPEN_GROWTH × the score it had when dismissed and it has more appeals than then, it is opened
again by the system (audited as «вернулась после отклонения», with the figures)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import h3
from django.db import transaction
from django.utils import timezone

from tsur.accounts.roles import is_center_role
from tsur.core import clock
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.directory.models import Block, Category, Organisation, Territory
from tsur.polls import followup
from tsur.tension import counts
from tsur.tension.engine.detect import detect
from tsur.tension.engine.explain import explain, number
from tsur.tension.engine.model import CATEGORY, Point, SeriesKey
from tsur.tension.models import ActionKind, Handling, Level, PlaceKind, TensionAction, TensionPoint
from tsur.tension.records import Places, load
from tsur.tension.settings import detector_config

# The platform keeps the points of windows ending in the last LIVE_DAYS days up to date; older
# ones are history. It reads LOAD_DAYS of appeals: the usual level's history and, a year back,
# the same weeks for the seasonal adjustment.
LIVE_DAYS = 28
LOAD_DAYS = 400
REOPEN_GROWTH = 1.5
REASON_MIN_LENGTH = 5


# --- recomputing ------------------------------------------------------------------------------


class _Names:
    """Russian names for the explanation: no codes are shown to people."""

    def __init__(self, block: Block) -> None:
        self.topics = {c.code: c.name for c in Category.objects.filter(block=block)}
        self.topics[block.key] = block.name
        self.territories = {code: (pk, name) for pk, code, name in Territory.objects.values_list("pk", "code", "name")}

    def topic(self, code: str) -> str:
        return self.topics.get(code, code)

    def place(self, place: str, territory_name: str) -> str:
        if place in self.territories:
            return self.territories[place][1]
        return f"{territory_name or 'участок'}, участок карты" if territory_name else "участок карты"


def recompute_block(
    block: Block, *, keys: set[SeriesKey] | None = None, now: dt.datetime | None = None, start: dt.date | None = None
) -> int:
    """Recompute the block's points (only the series in `keys` when given) as of `now`, for the
    windows ending from `start` (default: LIVE_DAYS ago); returns how many points were written.
    Idempotent: running it twice gives the same points."""
    now = now or clock.now()
    cfg = detector_config()
    today = timezone.localdate(now)
    live_start = today - dt.timedelta(days=LIVE_DAYS)
    start = start or live_start
    places = Places()
    since = min(today - dt.timedelta(days=LOAD_DAYS), start - dt.timedelta(days=LOAD_DAYS - LIVE_DAYS))
    end = today + dt.timedelta(days=1)
    if keys is not None and start == live_start and counts.is_placed(block, since):
        # The usual case, a few series after appeals changed: counts, not the block's rows.
        rows = counts.window_rows(block, since, now)
        base = counts.baseline(block, rows, start, today, cfg)
        found = []
        placed_of: dict = {}
        if base is not None:
            detail_from = start - dt.timedelta(days=cfg.window_days)
            records, placed_of, children = counts.series_records(block, keys, rows, since, now, detail_from, cfg.h3_resolution, places)
            found = detect(records, start=start, end=end, config=cfg, only=keys, baseline=base, children=children)
    else:
        records, placed_of, received_of = load(block.pk, since, now, cfg.h3_resolution, places)
        found = detect(records, start=start, end=end, config=cfg, only=keys)
        counts.rewrite_block(block, since, records, received_of)
    return _store(block, found, keys, placed_of, places, now, start, cfg)


def _store(
    block: Block, found: list[Point], keys: set[SeriesKey] | None, placed_of: dict, places: Places, now: dt.datetime, start: dt.date, cfg
) -> int:
    """Write the points found (for the `keys` series, or all), keeping decisions."""
    names = _Names(block)
    categories = {c.code: c for c in Category.objects.filter(block=block)}
    with transaction.atomic():
        since_end = start - dt.timedelta(days=cfg.merge_gap_days)
        existing = TensionPoint.objects.select_for_update(of=("self",)).filter(block=block, window_end__gte=since_end)
        by_key: dict[tuple[str, str, str], list[TensionPoint]] = defaultdict(list)
        for tp in existing.select_related("category"):
            key = (tp.place, tp.level, tp.topic_code)
            if keys is None or SeriesKey(*key) in keys:
                by_key[key].append(tp)
        kept: set[int] = set()
        written = 0
        for p in found:
            tp = _match(by_key[(p.key.place, p.key.level, p.key.topic)], p, cfg.merge_gap_days)
            tp = _write(tp, p, block, categories, placed_of, names, places, now)
            kept.add(tp.pk)
            written += 1
        for tps in by_key.values():
            for tp in tps:
                if tp.pk in kept:
                    continue
                # No longer found (the appeals were reclassified, moved or refused): a point someone
                # decided about stays as resolved history, an untouched one goes.
                if tp.actions.exists():
                    tp.state = "resolved"
                    tp.updated_at = now
                    tp.save(update_fields=["state", "updated_at"])
                else:
                    tp.delete()
    return written


def _match(candidates: list[TensionPoint], p: Point, gap: int) -> TensionPoint | None:
    for tp in candidates:
        if tp.window_start <= p.end + dt.timedelta(days=gap) and tp.window_end >= p.start - dt.timedelta(days=gap):
            candidates.remove(tp)
            return tp
    return None


def _write(
    tp: TensionPoint | None, p: Point, block: Block, categories: dict, placed_of: dict, names: _Names, places: Places, now: dt.datetime
) -> TensionPoint:
    is_cell = p.key.place not in places.by_code
    if is_cell:
        territory_id = places.by_code.get(p.parent_place)
        lat, lon = h3.cell_to_latlng(p.key.place)
    else:
        territory_id = places.by_code[p.key.place]
        t = Territory.objects.filter(pk=territory_id).values_list("lat", "lon").first() or (None, None)
        lat, lon = t
    territory_name = names.territories.get(places.code.get(territory_id, ""), (None, ""))[1] if territory_id else ""
    text = explain(p, place_name=lambda place: names.place(place, territory_name), topic_name=names.topic)
    fields = {
        "place_kind": PlaceKind.CELL if is_cell else PlaceKind.TERRITORY,
        "place": p.key.place,
        "territory_id": territory_id,
        "level": Level.CATEGORY if p.key.level == CATEGORY else Level.BLOCK,
        "block": block,
        "category": categories.get(p.key.topic) if p.key.level == CATEGORY else None,
        "lat": lat,
        "lon": lon,
        "state": p.state,
        "window_start": p.start,
        "window_end": p.end,
        "count": p.count,
        "expected": round(p.expected, 3),
        "surprise": round(p.surprise, 3),
        "sharpening": round(p.sharpening, 3),
        "score": round(p.score, 3),
        "explanation": text,
        "flags": p.flags,
        "series": [{"day": d.day.isoformat(), "count": d.count, "expected": d.expected} for d in p.series],
        "updated_at": now,
    }
    was_live = tp is not None and tp.state != "resolved"
    if tp is None:
        # Found in history (a full recompute, a replay): it was first seen when its first week was
        # over, not now, so "what changed since yesterday" does not list old points as new.
        could_see = timezone.make_aware(dt.datetime.combine(p.start + dt.timedelta(days=p.peak_days), dt.time.min))
        tp = TensionPoint.objects.create(first_seen=min(now, could_see), **fields)
    else:
        before_count = tp.count
        for name, value in fields.items():
            setattr(tp, name, value)
        if (
            tp.handling == Handling.DISMISSED
            and tp.handled_score is not None
            and p.score >= REOPEN_GROWTH * tp.handled_score
            and p.count > before_count
        ):
            _record(tp, None, ActionKind.REOPENED, Handling.OPEN,
                    f"Выросла после отклонения: оценка {number(p.score)} против {number(tp.handled_score)}, {p.count} обращений.")  # fmt: skip
            tp.handled_score = None
        tp.save()
    tp.appeals.set([int(i) for i in p.ids if int(i) in placed_of])
    if was_live and p.state == "resolved":
        # A live point resolved: its residents are asked whether the problem is really solved
        # (a point first found resolved, in history or a replay, asks nobody).
        label = f"{names.topic(p.key.topic)}, {names.place(p.key.place, territory_name)}"
        followup.point_resolved(tp.appeals.values_list("pk", flat=True), label, tp.pk)
    return tp


# --- the center's decisions -------------------------------------------------------------------


def _check_actor(actor) -> None:
    if actor is not None and not is_center_role(actor):
        raise AccessDenied("Решения по точкам напряжённости принимают операторы ЦУР, аналитики и администраторы.")


def _record(point: TensionPoint, actor, kind: str, to: str, reason: str, organisation: Organisation | None = None) -> TensionAction:
    action = TensionAction.objects.create(
        point=point, kind=kind, actor=actor, at=clock.now(), reason=reason, organisation=organisation,
        from_handling=point.handling, to_handling=to,
    )  # fmt: skip
    point.handling = to
    return action


def _locked(point: TensionPoint) -> TensionPoint:
    return TensionPoint.objects.select_for_update().get(pk=point.pk)


def acknowledge_point(point: TensionPoint, actor, note: str = "") -> TensionPoint:
    """The center has seen the point and watches it."""
    _check_actor(actor)
    with transaction.atomic():
        tp = _locked(point)
        if tp.handling != Handling.OPEN:
            raise ValidationFailed(f"Точка уже разобрана: {tp.get_handling_display()}.")
        _record(tp, actor, ActionKind.ACKNOWLEDGED, Handling.ACKNOWLEDGED, note.strip())
        tp.save(update_fields=["handling"])
    return tp


def assign_point(point: TensionPoint, actor, organisation: Organisation | None, note: str = "") -> TensionPoint:
    """Pass the point to an organisation as a problem to solve."""
    _check_actor(actor)
    if organisation is None or not organisation.is_active:
        raise ValidationFailed("Выберите действующую организацию.", field_errors={"organisation": ["Выберите действующую организацию."]})
    with transaction.atomic():
        tp = _locked(point)
        if tp.handling == Handling.ASSIGNED and tp.organisation_id == organisation.pk:
            raise ValidationFailed(f"Точка уже передана организации «{organisation.short_name}».")
        _record(tp, actor, ActionKind.ASSIGNED, Handling.ASSIGNED, note.strip(), organisation)
        tp.organisation = organisation
        tp.handled_score = None
        tp.save(update_fields=["handling", "organisation", "handled_score"])
    return tp


def dismiss_point(point: TensionPoint, actor, reason: str) -> TensionPoint:
    """Not a problem to act on (a known event, a data artefact); the reason is required. It comes
    back by itself only if it grows markedly (REOPEN_GROWTH)."""
    _check_actor(actor)
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        message = "Укажите причину отклонения (не короче 5 знаков)."
        raise ValidationFailed(message, field_errors={"reason": [message]})
    with transaction.atomic():
        tp = _locked(point)
        if tp.handling == Handling.DISMISSED:
            raise ValidationFailed("Точка уже отклонена.")
        _record(tp, actor, ActionKind.DISMISSED, Handling.DISMISSED, reason)
        tp.handled_score = tp.score
        tp.save(update_fields=["handling", "handled_score"])
    return tp
