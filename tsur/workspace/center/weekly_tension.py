"""Points of tension as the weekly report, the front page and the map show them: read through
`tsur.tension.queries` (points, changes), written for people (title, state, figures in Russian)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from django.urls import reverse

from tsur.analytics.filters import Filters
from tsur.tension import queries
from tsur.tension.models import PlaceKind, TensionPoint
from tsur.workspace.center import weekly_format as fmt
from tsur.workspace.center.weekly_week import Week


@dataclasses.dataclass(frozen=True)
class PointView:
    id: int
    url: str
    title: str
    state: str
    state_label: str
    score: str
    count: str
    expected: str
    period: str
    explanation: str
    lat: float | None
    lon: float | None
    raw_score: float


def title_of(point: TensionPoint) -> str:
    """«Нет отопления — Калуга» / «Дороги (весь блок) — Калуга, участок карты»."""
    topic = point.category.name if point.category_id else f"{point.block.name} (весь блок)"
    place = point.territory.name if point.territory_id else ""
    if point.place_kind == PlaceKind.CELL:
        place = f"{place}, участок карты" if place else "участок карты"
    return f"{topic} — {place}" if place else topic


def score_label(score: float) -> str:
    """The score in Russian; a surprise beyond what floating point holds reads «очень высокая»."""
    return fmt.number(round(score, 1)) if math.isfinite(score) else "очень высокая"


def view_of(point: TensionPoint) -> PointView:
    last_day = point.window_end - dt.timedelta(days=1)
    return PointView(
        id=point.pk,
        url=reverse("workspace:center_tension_point", args=[point.pk]),
        title=title_of(point),
        state=point.state,
        state_label=point.get_state_display(),
        score=score_label(point.score),
        count=fmt.number(point.count),
        expected=fmt.number(round(point.expected, 1)),
        period=f"{point.window_start:%d.%m} — {last_day:%d.%m.%Y}",
        explanation=point.explanation,
        lat=point.lat,
        lon=point.lon,
        raw_score=point.score,
    )


def top_points(filters: Filters, *, limit: int) -> list[PointView]:
    return [view_of(p) for p in queries.points(filters, limit=limit)]


@dataclasses.dataclass(frozen=True)
class Changes:
    new: list[PointView]
    grown: list[PointView]
    resolved: list[PointView]


def changes_since(since: dt.datetime, *, until: dt.datetime | None = None) -> Changes:
    """New, grown and resolved points since a moment. With `until` (a past week's report), points
    first seen or resolved after it are left out; growth is judged on the points as they are now."""
    found: dict[str, list[PointView]] = {"new": [], "grown": [], "resolved": []}
    for change in queries.changes(since):
        p = change.point
        if until is not None and change.kind == "new" and p.first_seen >= until:
            continue
        if until is not None and change.kind == "resolved" and p.updated_at >= until:
            continue
        found[change.kind].append(view_of(p))
    return Changes(found["new"], found["grown"], found["resolved"])


@dataclasses.dataclass(frozen=True)
class ChangeRow:
    label: str
    count: int
    names: list[str]


@dataclasses.dataclass(frozen=True)
class TensionSection:
    summary: str
    points: list[PointView]
    changes: list[ChangeRow]


def section(week: Week, filters: Filters, *, limit: int) -> TensionSection:
    """The weekly report's points of tension: the week's top points and what changed during it."""
    points = top_points(filters, limit=limit)
    ch = changes_since(week.start, until=week.end)
    rows = [
        ChangeRow("Новые", len(ch.new), [p.title for p in ch.new[:5]]),
        ChangeRow("Выросли", len(ch.grown), [p.title for p in ch.grown[:5]]),
        ChangeRow("Завершились", len(ch.resolved), [p.title for p in ch.resolved[:5]]),
    ]
    if points:
        summary = (
            f"Места и темы, где обращений за неделю заметно больше обычного, по убыванию оценки (не более {limit}). "
            f"За неделю новых точек — {len(ch.new)}, выросли — {len(ch.grown)}, завершились — {len(ch.resolved)}."
        )
    else:
        summary = "Мест и тем, где обращений заметно больше обычного, за неделю не найдено."
    return TensionSection(summary, points, rows)
