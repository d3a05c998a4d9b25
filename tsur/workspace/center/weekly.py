"""The weekly report for the governor's meeting: built from the center's own figures
(tsur.analytics: overview, series, KPI rating, worst overdue) and points of tension
(tsur.tension.queries), rendered to HTML (the page) and to an A4 PDF by WeasyPrint (the same
template body; charts are server-side SVG because WeasyPrint runs no JavaScript).

Made on schedule — every Monday from WEEKLY_HOUR Moscow time, for the week that has just ended,
once (`run_schedule`, the periodic job of tasks.py) — and on demand from the reports page.
Stored PDFs and their index: weekly_store.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from tsur.analytics import figures, kpi
from tsur.analytics.filters import Filters
from tsur.core import clock
from tsur.workspace.center import weekly_charts as charts
from tsur.workspace.center import weekly_format as fmt
from tsur.workspace.center import weekly_store as store
from tsur.workspace.center import weekly_tension
from tsur.workspace.center.weekly_week import Week

# The Monday job makes last week's report from this hour (Moscow): the night's recounts are done
# and the report is on the table before a morning meeting.
WEEKLY_HOUR = 7
TOP_POINTS = 10
TOP_ORGANISATIONS = 15
WORST_OVERDUE = 10
WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


@dataclasses.dataclass(frozen=True)
class Tile:
    label: str
    value: str
    change: str
    # 1: this figure got worse, -1: better, 0: neither (the report colours it).
    worse: int
    href_query: str  # the drill-down's query string: the week's filters and the measure


@dataclasses.dataclass(frozen=True)
class BlockRow:
    name: str
    code: str
    this_week: int
    last_week: int
    change: str


@dataclasses.dataclass(frozen=True)
class WeeklyReport:
    week: Week
    generated_at: dt.datetime
    partial: bool  # the week has not ended yet
    filters: Filters
    tiles: list[Tile]
    daily_chart: SafeString
    blocks: list[BlockRow]
    blocks_chart: SafeString
    tension: weekly_tension.TensionSection
    kpi_rows: list[KpiRow]
    kpi_chart: SafeString
    kpi_formula: str
    overdue: list[figures.OverdueOrganisation]

    @property
    def title(self) -> str:
        return f"Еженедельный отчёт ЦУР: {self.week.title()}"


def week_filters(week: Week) -> Filters:
    return Filters(date_from=week.monday, date_to=week.sunday)


@dataclasses.dataclass(frozen=True)
class KpiRow:
    """One organisation's rating, written for the table."""

    name: str
    group: str
    rank: str
    score: str
    timeliness: str
    quality: str
    satisfaction: str
    answered: str
    overdue: str
    note: str

    @classmethod
    def of(cls, r: kpi.OrganisationScore) -> KpiRow:
        return cls(
            name=r.name,
            group=r.kind_label,
            rank=f"{r.rank} из {r.group_size}" if r.rank else "—",
            score=fmt.number(round(r.score)) if r.score is not None else "—",
            timeliness=fmt.percent(r.timeliness),
            quality=fmt.percent(r.quality),
            satisfaction=fmt.percent(r.satisfaction),
            answered=fmt.number(r.figures.answered),
            overdue=fmt.number(r.figures.overdue_now),
            note=r.note,
        )


def _tiles(filters: Filters, this: figures.Overview, last: figures.Overview) -> list[Tile]:
    received_change, received_sign = fmt.change(this.received, last.received)
    in_time_change, in_time_sign = fmt.share_change(this.in_time_share, last.in_time_share)
    sat_change, sat_sign = fmt.share_change(this.satisfaction, last.satisfaction)
    median_change, median_sign = fmt.change(this.answer.median_hours, last.answer.median_hours)
    return [
        Tile("Поступило обращений", fmt.number(this.received), received_change, received_sign, filters.query()),
        Tile(
            "Ответов опубликовано", fmt.number(this.answered), f"из них в срок: {fmt.number(this.answered_in_time)}", 0,
            filters.query(only="answered"),
        ),
        Tile("Доля ответов в срок", fmt.percent(this.in_time_share), in_time_change, -in_time_sign, filters.query(only="in_time")),
        Tile("Медиана времени ответа", fmt.duration(this.answer.median_hours), median_change, median_sign, filters.query(only="answered")),
        Tile(
            "Из поступивших просрочено сейчас", fmt.number(this.overdue_now), f"в работе сейчас: {fmt.number(this.open_now)}", 0,
            filters.query(only="overdue"),
        ),
        Tile("Удовлетворённость (оценки 4–5)", fmt.percent(this.satisfaction), sat_change, -sat_sign, filters.query(only="good")),
    ]


def _daily(week: Week) -> tuple[SafeString, list[BlockRow]]:
    """Received per day of this week and last, and per block, from one series over both weeks."""
    both = Filters(date_from=week.previous().monday, date_to=week.sunday)
    data = figures.series(both, "block", top=50)
    per_day = [sum(s["data"][i] for s in data["series"]) for i in range(14)] if data["series"] else [0] * 14
    days = week.days
    bars = [charts.Bar(f"{WEEKDAYS[i]} {days[i]:%d.%m}", per_day[7 + i], per_day[i]) for i in range(7)]
    chart = charts.columns(bars, title="Поступило обращений по дням: эта неделя и прошлая")
    blocks = []
    for s in data["series"]:
        this_week, last_week = sum(s["data"][7:]), sum(s["data"][:7])
        blocks.append(BlockRow(s["name"], s["code"], this_week, last_week, fmt.change(this_week, last_week)[0]))
    blocks.sort(key=lambda b: (-b.this_week, -b.last_week, b.name))
    return chart, blocks


def _kpi_chart(rating: list[kpi.OrganisationScore]) -> SafeString:
    scored = [r for r in rating if r.score is not None][:TOP_ORGANISATIONS]
    if not scored:
        return SafeString("")
    bars = [charts.Bar(r.name, r.score or 0, note=f"{fmt.number(round(r.score or 0))}") for r in scored]
    return charts.rows(bars, title="Рейтинг организаций ЦУР (0–100)", top_value=100)


def build(week: Week) -> WeeklyReport:
    """Gather every figure of the week's report (read only: nothing is stored)."""
    now = clock.now()
    this_filters, last_filters = week_filters(week), week_filters(week.previous())
    this, last = figures.overview(this_filters), figures.overview(last_filters)
    daily_chart, blocks = _daily(week)
    blocks_chart = charts.rows(
        [charts.Bar(b.name, b.this_week, b.last_week) for b in blocks[:10]], title="Поступило по блокам: эта неделя и прошлая"
    )
    rating = kpi.organisation_rating(this_filters)
    return WeeklyReport(
        week=week,
        generated_at=now,
        partial=week.end > now,
        filters=this_filters,
        tiles=_tiles(this_filters, this, last),
        daily_chart=daily_chart,
        blocks=blocks,
        blocks_chart=blocks_chart,
        tension=weekly_tension.section(week, this_filters, limit=TOP_POINTS),
        kpi_rows=[KpiRow.of(r) for r in rating[: TOP_ORGANISATIONS * 2]],
        kpi_chart=_kpi_chart(rating),
        kpi_formula=kpi.formula_text(),
        overdue=figures.worst_overdue(WORST_OVERDUE),
    )


# --- rendering --------------------------------------------------------------------------------


def _stylesheet() -> str:
    path = finders.find("center/weekly.css")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def render_pdf(report: WeeklyReport) -> bytes:
    """The report as an A4 PDF (WeasyPrint; fonts with Cyrillic from the system's fontconfig).
    Everything is inline (SVG charts, the stylesheet): WeasyPrint fetches nothing."""
    from weasyprint import CSS, HTML  # heavy (Pango, fonts): loaded only when a PDF is made

    html = render_to_string("workspace/center/weekly_pdf.html", {"report": report, "links": False})
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=_stylesheet())])


def generate(week: Week, *, reason: str, actor=None) -> store.StoredReport:
    """Build the week's report, render it and store it (an on-demand report is always a new one)."""
    pdf = render_pdf(build(week))
    with store.locked():
        return store.store_report(week.label, pdf, reason=reason, actor=actor)


def due_week(now: dt.datetime) -> Week:
    """The week the schedule owes a report for at `now`: last week, from Monday WEEKLY_HOUR."""
    local = timezone.localtime(now)
    monday = local.date() - dt.timedelta(days=local.weekday())
    if local.weekday() == 0 and local.hour < WEEKLY_HOUR:
        monday -= dt.timedelta(days=7)
    return Week.of(monday - dt.timedelta(days=1))


def run_schedule(now: dt.datetime) -> str:
    """The periodic job: make the owed week's scheduled report unless it is stored. Two workers
    at once: the lock makes the second one find the first one's report and do nothing."""
    week = due_week(now)
    if store.has_scheduled(week.label):
        return "up to date"
    with store.locked():
        if store.has_scheduled(week.label):
            return "up to date"
        pdf = render_pdf(build(week))
        entry = store.store_report(week.label, pdf, reason=store.SCHEDULED)
    return f"made {entry.id}"
