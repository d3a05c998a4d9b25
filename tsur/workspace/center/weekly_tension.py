"""Points of tension as the weekly report, the front page and the map show them: read through
`tsur.tension.queries` (points, changes), written for people (title, state, figures in Russian)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

from django.urls import reverse

from tsur.analytics.filters import Filters
from tsur.lib.ru import plural
from tsur.tension import naming, queries
from tsur.tension.models import TensionPoint
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


def neighbours_phrase(n: int) -> str:
    """«ещё 1 соседний участок», «ещё 3 соседних участка», «ещё 5 соседних участков»."""
    form = plural(n, "соседний участок", "соседних участка", "соседних участков")
    return f"ещё {n} {form}"


def title_of(point: TensionPoint) -> str:
    """«Нет отопления — Калуга» / «Дороги (весь блок) — Малоярославец, у ул. Ленина (и ещё 3
    соседних участка)»: the place as an official names it (tsur.tension.naming), the neighbouring
    cells of the same episode counted (tsur.tension.grouping)."""
    topic = point.category.name if point.category_id else f"{point.block.name} (весь блок)"
    place = naming.place_name(point)
    title = f"{topic} — {place}" if place else topic
    group = getattr(point, "group", None)
    if group is not None and group.neighbours:
        title += f" (и {neighbours_phrase(len(group.neighbours))})"
    return title


def score_label(score: float) -> str:
    """The score in Russian; a surprise at or beyond the display cap (queries.SCORE_CAP, inf
    included) reads «очень высокая»."""
    if not math.isfinite(score) or score >= queries.SCORE_CAP:
        return "очень высокая"
    return fmt.number(round(score, 1))


def view_of(point: TensionPoint) -> PointView:
    last_day = point.window_end - dt.timedelta(days=1)
    group = getattr(point, "group", None)
    score = getattr(point, "group_score", None)
    score = queries.cap(point.score if score is None else score)
    count, expected = (group.count, group.expected) if group is not None else (point.count, point.expected)
    return PointView(
        id=point.pk,
        url=reverse("workspace:center_tension_point", args=[point.pk]),
        title=title_of(point),
        state=point.state,
        state_label=point.get_state_display(),
        score=score_label(score),
        count=fmt.number(count),
        expected=fmt.number(round(expected, 1)),
        period=f"{point.window_start:%d.%m} — {last_day:%d.%m.%Y}",
        explanation=naming.facts_of(point),
        lat=point.lat,
        lon=point.lon,
        raw_score=score,
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
