"""The governor's situation-center front page: key figures (each a link to its list of appeals),
the top points of tension with their explanations, what changed since yesterday and since last
week, and the organisations with the most appeals overdue now."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_GET

from tsur.analytics import figures
from tsur.analytics.filters import DEFAULT_DAYS, LONGEST_DAYS, Filters
from tsur.core import clock
from tsur.core.db_router import replica_reads  # read-only pages: the replica when one is configured
from tsur.workspace.center import weekly_format as fmt
from tsur.workspace.center import weekly_tension
from tsur.workspace.center.guards import center_required
from tsur.workspace.center.kept import kept, when
from tsur.workspace.views import nav_context

TOP_POINTS = 7
WORST_OVERDUE = 7


@dataclasses.dataclass(frozen=True)
class FrontTile:
    label: str
    value: str
    note: str
    worse: int  # 1: worse than the period compared with, -1: better, 0: not compared
    href_query: str  # the drill-down's filters
    testid: str


# Days of received counts the page reads at once: this week and last, yesterday and the day before.
DAILY_SPAN = 15


def received_per_day(today: dt.date) -> dict[dt.date, int]:
    """Appeals received on each of the last DAILY_SPAN days, today included (one rollup read)."""
    span = Filters(date_from=today - dt.timedelta(days=DAILY_SPAN - 1), date_to=today)
    data = figures.series(span, "block", top=1000)
    return {span.date_from + dt.timedelta(days=i): sum(s["data"][i] for s in data["series"]) for i in range(DAILY_SPAN)}


def _received(daily: dict[dt.date, int], first: dt.date, last: dt.date) -> int:
    return sum(n for day, n in daily.items() if first <= day <= last)


def _tiles(today: dt.date, daily: dict[dt.date, int]) -> list[FrontTile]:
    day = Filters(date_from=today, date_to=today)
    monday = today - dt.timedelta(days=today.weekday())
    week = Filters(date_from=monday, date_to=today)
    month = Filters(date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today)
    # Overdue now counts every open appeal, whenever received: the longest period filters allow.
    everything = Filters(date_from=today - dt.timedelta(days=LONGEST_DAYS - 1), date_to=today)
    week_ago = dt.timedelta(days=7)

    received_today = daily[today]
    received_then = daily[today - week_ago]
    received_week = _received(daily, monday, today)
    received_last_week = _received(daily, monday - week_ago, today - week_ago)
    live = figures.live_counts(everything)
    recent = figures.overview(month)
    # Today is not over: its count is set beside the whole same day a week ago, not as a percentage
    # (a morning would always read as a fall).
    return [
        FrontTile(
            "Поступило сегодня", fmt.number(received_today),
            f"в тот же день прошлой недели — {fmt.number(received_then)} за весь день", 0, day.query(), "tile-today",
        ),
        FrontTile(
            "Поступило за неделю", fmt.number(received_week),
            f"с понедельника; за те же дни прошлой недели — {fmt.number(received_last_week)}", 0, week.query(), "tile-week",
        ),
        FrontTile(
            "Просрочено сейчас", fmt.number(live.get("overdue_now") or 0),
            f"в работе: {fmt.number(live.get('open_now') or 0)}", 1 if live.get("overdue_now") else 0,
            everything.query(only="overdue"), "tile-overdue",
        ),
        FrontTile(
            "Медиана времени ответа", fmt.duration(recent.answer.median_hours),
            f"за {DEFAULT_DAYS} дней; 90 % ответов — за {fmt.duration(recent.answer.p90_hours)}"
            if recent.answer.count else f"ответов за {DEFAULT_DAYS} дней не было", 0,
            month.query(only="answered"), "tile-answer-time",
        ),
        FrontTile(
            "Удовлетворённость", fmt.percent(recent.satisfaction),
            f"оценки 4–5 за {DEFAULT_DAYS} дней (оценок: {fmt.number(recent.rated)})" if recent.rated else f"оценок за {DEFAULT_DAYS} дней нет",
            0, month.query(only="rated"), "tile-satisfaction",
        ),
    ]


@dataclasses.dataclass(frozen=True)
class ChangeRow:
    label: str
    day: str
    week: str
    day_note: str = ""
    week_note: str = ""


def _changes(now: dt.datetime, today: dt.date, daily: dict[dt.date, int]) -> tuple[list[ChangeRow], list[dict]]:
    """Points of tension that appeared, grew or were resolved in the last day and week, and the
    appeals received in the last day and week against the day and week before."""
    day = weekly_tension.changes_since(now - dt.timedelta(days=1))
    week = weekly_tension.changes_since(now - dt.timedelta(days=7))

    yesterday = today - dt.timedelta(days=1)
    r_day, r_day_before = daily[yesterday], daily[yesterday - dt.timedelta(days=1)]
    r_week = _received(daily, today - dt.timedelta(days=7), yesterday)
    r_week_before = _received(daily, today - dt.timedelta(days=14), today - dt.timedelta(days=8))
    rows = [
        ChangeRow("Новые точки напряжённости", fmt.number(len(day.new)), fmt.number(len(week.new))),
        ChangeRow("Точки, которые растут", fmt.number(len(day.grown)), fmt.number(len(week.grown))),
        ChangeRow("Точки, которые разрешились", fmt.number(len(day.resolved)), fmt.number(len(week.resolved))),
        ChangeRow(
            "Поступило обращений (вчера; 7 дней до сегодня)",
            fmt.number(r_day),
            fmt.number(r_week),
            f"днём раньше {fmt.number(r_day_before)}",
            f"неделей раньше {fmt.number(r_week_before)}",
        ),
    ]
    names: list[dict] = []
    for kind, state, points in (("новая", "new", week.new), ("растёт", "growing", week.grown), ("разрешилась", "resolved", week.resolved)):
        # Neighbouring windows of one place and topic can be separate points: name each place once.
        titles: set[str] = set()
        for p in points:
            if p.title not in titles and len(titles) < 5:
                titles.add(p.title)
                names.append({"kind": kind, "state": state, "point": p})
    return rows, names


def _figures(now: dt.datetime, today: dt.date) -> dict:
    """Everything the page shows but its navigation: region-wide, the same for every user."""
    month = Filters(date_from=today - dt.timedelta(days=DEFAULT_DAYS - 1), date_to=today)
    everything = Filters(date_from=today - dt.timedelta(days=LONGEST_DAYS - 1), date_to=today)
    daily = received_per_day(today)
    changes, change_names = _changes(now, today, daily)
    overdue = [
        {"name": o.name, "overdue_now": fmt.number(o.overdue_now), "open_now": fmt.number(o.open_now),
         "href_query": everything.query(organisation=o.code, only="overdue")}
        for o in figures.worst_overdue(WORST_OVERDUE)
    ]  # fmt: skip
    # Overdue appeals not yet sent to any organisation (registration or routing is late) count in
    # the tile, so the table names them too, or its rows would not add up to the tile.
    unassigned = (figures.live_counts(everything, by=("organisation_id",)).get((None,)) or {}).get("overdue_now") or 0
    return {
        "tiles": _tiles(today, daily),
        "points": weekly_tension.top_points(month, limit=TOP_POINTS),
        "changes": changes,
        "change_names": change_names,
        "overdue": overdue,
        "overdue_unassigned": fmt.number(unassigned) if unassigned else "",
        "overdue_unassigned_query": everything.query(only="overdue"),
        "month": month,
    }


@require_GET
@center_required
@replica_reads()
def center(request: HttpRequest) -> HttpResponse:
    now = clock.now()
    today = timezone.localdate(now)
    shown = kept("front", today.isoformat(), lambda: _figures(now, today))
    ctx = {**nav_context(request, "center"), **shown.value, **when(shown)}
    return render(request, "workspace/center/front.html", ctx)


urlpatterns: list[URLPattern] = [path("", center, name="center")]
