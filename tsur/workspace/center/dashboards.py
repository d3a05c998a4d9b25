"""The center's dashboards: the overview with charts (`center_dashboard`), the KPI rating of
organisations (`center_kpi`), the region's own figures (`center_region`), the drill-down list of
appeals behind every number (`center_appeals`) and their CSV/XLSX exports.

Figures come from tsur.analytics (precomputed daily rollup + live «now» counts); the drill-down
filters appeals with the very conditions the rollup counts (tsur.analytics.measures), within what
the user may see (appeals.access.appeals_for).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from tsur.analytics import exports, figures, kpi, measures
from tsur.analytics.filters import Filters, choices
from tsur.analytics.templatetags.center_figures import drill as drill_url
from tsur.analytics.templatetags.center_figures import hours, num, pct, thousands
from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.core.db_router import replica_reads  # read-only pages: the replica when one is configured
from tsur.core.errors import ValidationFailed
from tsur.workspace.center.guards import center_required
from tsur.workspace.center.kept import kept, when
from tsur.workspace.views import nav_context

PAGE_SIZE = 50
EXPORT_KINDS = ("csv", "xlsx")


def _bad_filters(request: HttpRequest, exc: ValidationFailed, section: str) -> HttpResponse:
    ctx = {
        **nav_context(request, section),
        "message": exc.message,
        "field_errors": exc.field_errors,
        "filters": None,
        "raw": request.GET,
        "filter_choices": choices(),
        "action": request.path,
    }
    return render(request, "workspace/center/dashboards_bad_filters.html", ctx, status=400)


def _parse(request: HttpRequest) -> Filters:
    return Filters.parse(request.GET)


def _base(request: HttpRequest, filters: Filters, section: str, action: str) -> dict:
    return {
        **nav_context(request, section),
        "filters": filters,
        "raw": filters.params(),
        "filter_choices": choices(),
        "action": action,
        "drill": reverse("workspace:center_appeals"),
        "q": filters.query(),
    }


def _previous(filters: Filters) -> Filters:
    length = dt.timedelta(days=filters.days)
    return dataclasses.replace(filters, date_from=filters.date_from - length, date_to=filters.date_to - length)


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _tiles(o: figures.Overview, drill: str, query: str) -> list[dict]:
    def tile(code: str, only: str, value: str, raw: int, label: str, sub: str = "", tone: str = "") -> dict:
        return {"code": code, "href": drill_url(drill, query, only), "value": value, "raw": raw, "label": label, "sub": sub, "tone": tone}

    return [
        tile("received", "received", thousands(o.received), o.received, "Поступило", "за период"),
        tile("answered", "answered", thousands(o.answered), o.answered, "Дан ответ", "опубликован жителю"),
        tile("in_time", "in_time", pct(o.in_time_share), o.answered_in_time, "Ответов в срок",
             f"{thousands(o.answered_in_time)} из {thousands(o.answered)}", "green"),
        tile("overdue", "overdue", thousands(o.overdue_now), o.overdue_now, "Просрочено сейчас", f"из {thousands(o.open_now)} в работе", "red"),
        tile("review", "routed", hours(o.review.median_hours), o.review.count, "Рассмотрение, медиана", f"p90: {hours(o.review.p90_hours)}"),
        tile("answer", "answered", hours(o.answer.median_hours), o.answer.count, "Ответ, медиана", f"p90: {hours(o.answer.p90_hours)}"),
        tile("good", "good", pct(o.satisfaction), o.rated_good, "Оценки 4–5",
             f"средняя {num(o.average_rating)} · оценок {thousands(o.rated)}"),
        tile("reopened", "reopened", pct(o.reopen_rate), o.reopened, "Возобновлено", f"{thousands(o.reopened)} обращений", "amber"),
        tile("formal", "formal", thousands(o.formal), o.formal, "Отписки", "по автоматической проверке", "amber"),
        tile("returned", "returned", thousands(o.returned), o.returned, "Возвращено на доработку"),
        tile("repeat", "repeat", thousands(o.repeat), o.repeat, "Повторные жалобы", "на ту же проблему"),
    ]


TABLE_HEAD = (
    "Поступило", "Ответов", "В срок", "Просрочено сейчас", "Рассмотрение, медиана / p90", "Ответ, медиана / p90", "Оценки 4–5",
    "Возобновлено", "Отписки",
)


def _joined(parts: list[str]) -> str:
    """Safe pieces (each made by format_html) as one safe string."""
    return format_html_join("", "{}", ((p,) for p in parts))


def figures_table(rows: list[figures.Row], *, dim: str, first: str, drill: str, query: str) -> str:
    """The per-organisation or per-municipality table, every number a link to its appeals. Built
    here rather than in a template: a year's table is ~500 cells, and the template engine spent
    more time on them than the database on the figures."""

    def cell(row: figures.Row, only: str, text: str, bad: bool = False) -> str:
        css = "num bad" if bad else "num"
        if not row.code:
            return format_html('<td class="{}">{}</td>', css, text)
        return format_html('<td class="{}"><a href="{}">{}</a></td>', css, drill_url(drill, query, only, **{dim: row.code}), text)

    body = []
    for r in rows:
        f = r.figures
        cells = [
            cell(r, "received", thousands(f.received)),
            cell(r, "answered", thousands(f.answered)),
            cell(r, "in_time", pct(f.in_time_share)),
            cell(r, "overdue", thousands(f.overdue_now), bad=bool(f.overdue_now)),
            cell(r, "routed", f"{hours(f.review.median_hours)} / {hours(f.review.p90_hours)}"),
            cell(r, "answered", f"{hours(f.answer.median_hours)} / {hours(f.answer.p90_hours)}"),
            cell(r, "good", pct(f.satisfaction)),
            cell(r, "reopened", thousands(f.reopened)),
            cell(r, "formal", thousands(f.formal)),
        ]
        body.append(format_html("<tr><td>{}</td>{}</tr>", r.name, _joined(cells)))
    if not body:
        body.append(format_html('<tr><td colspan="{}" class="empty">За период обращений нет.</td></tr>', len(TABLE_HEAD) + 1))
    head = format_html_join("", '<th class="num">{}</th>', ((h,) for h in TABLE_HEAD))
    return format_html(
        '<div class="table-wrap"><table class="grid figures-table" data-testid="table-{}"><thead><tr><th>{}</th>{}</tr></thead>'
        "<tbody>{}</tbody></table></div>",
        dim, first, head, _joined(body),
    )


@center_required
@replica_reads()
def dashboard(request: HttpRequest) -> HttpResponse:
    try:
        filters = _parse(request)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_dashboard")
    shown = kept("dashboard", _key(filters), lambda: _dashboard_figures(filters))
    ctx = {
        **_base(request, filters, "center_dashboard", reverse("workspace:center_dashboard")),
        **shown.value,
        "previous": _previous(filters),
        "review_target": getattr(settings, "TSUR_CENTER_REVIEW_TARGET_HOURS", 24),
        **when(shown),
    }
    return render(request, "workspace/center/dashboards.html", ctx)


def _key(filters: Filters) -> str:
    """The figures' key: the filters, and the day (live counts and «today» move with it)."""
    return f"{timezone.localdate(clock.now()).isoformat()}?{filters.query()}"


def _dashboard_figures(filters: Filters) -> dict:
    parts = figures.breakdown(filters)
    overview = parts.total
    drill, q = reverse("workspace:center_appeals"), filters.query()
    before = figures.overview(_previous(filters), live=False)
    charts = {
        "drill": reverse("workspace:center_appeals"),
        "query": filters.params(),
        "volumes": [figures.series(filters, by) for by in ("block", "category", "territory", "channel")],
        "times": {
            "labels": ["Рассмотрение (до направления)", "Ответ (до публикации)"],
            "median": [_hours(overview.review.median_hours), _hours(overview.answer.median_hours)],
            "p90": [_hours(overview.review.p90_hours), _hours(overview.answer.p90_hours)],
            "median_before": [_hours(before.review.median_hours), _hours(before.answer.median_hours)],
            "p90_before": [_hours(before.review.p90_hours), _hours(before.answer.p90_hours)],
            "target": [getattr(settings, "TSUR_CENTER_REVIEW_TARGET_HOURS", 24), None],
        },
    }
    return {
        "o": overview,
        "tiles": _tiles(overview, reverse("workspace:center_appeals"), filters.query()),
        "before": before,
        "charts": charts,
        "organisations_table": figures_table(parts.organisations, dim="organisation", first="Организация", drill=drill, query=q),
        "municipalities_table": figures_table(parts.municipalities, dim="territory", first="Муниципалитет", drill=drill, query=q),
    }


@center_required
@replica_reads()
def kpi_page(request: HttpRequest) -> HttpResponse:
    try:
        filters = _parse(request)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_kpi")
    shown = kept("kpi", _key(filters), lambda: _rating_groups(filters))
    ctx = {
        **_base(request, filters, "center_kpi", reverse("workspace:center_kpi")),
        "groups": shown.value,
        **when(shown),
        "formula": kpi.formula_text(),
        "objective_formula": kpi.objective_text(),
        "confirmed_formula": kpi.confirmed_text(),
        "weights": kpi.WEIGHTS,
    }
    return render(request, "workspace/center/dashboards_kpi.html", ctx)


@center_required
@replica_reads()
def region(request: HttpRequest) -> HttpResponse:
    try:
        filters = _parse(request)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_region")
    shown = kept("region", _key(filters), lambda: _region_figures(filters))
    ctx = {**_base(request, filters, "center_region", reverse("workspace:center_region")), **shown.value, **when(shown)}
    return render(request, "workspace/center/dashboards_region.html", ctx)


def _rating_groups(filters: Filters) -> list[tuple[str, list]]:
    groups: list[tuple[str, list]] = []
    for s in kpi.organisation_rating(filters):
        if not groups or groups[-1][0] != s.kind_label:
            groups.append((s.kind_label, []))
        groups[-1][1].append(s)
    return groups


def _region_figures(filters: Filters) -> dict:
    parts = figures.breakdown(filters)
    return {
        "r": kpi.region_figures(filters, parts),
        "municipalities_table": figures_table(
            parts.municipalities, dim="territory", first="Муниципалитет", drill=reverse("workspace:center_appeals"), query=filters.query()
        ),
    }


def _selection(request: HttpRequest, filters: Filters):
    """The drill-down's appeals and the measure that selects them (raises ValidationFailed)."""
    only = (request.GET.get("only") or "received").strip()
    measure = measures.MEASURES.get(only)
    if measure is None:
        raise ValidationFailed(
            f"Показатель «{only[:32]}» не известен.", field_errors={"only": [f"Показатель «{only[:32]}» не известен."]}
        )
    appeals = access.appeals_for(request.user, Appeal.objects.filter(filters.appeals_q()))
    if request.resolver_match.url_name.endswith("export"):
        appeals = measures.annotate_facts(appeals)  # the export shows the latest rating
    appeals = appeals.filter(measures.condition(only, clock.now()))
    return appeals.order_by("-received_at", "-pk"), measure


@center_required
@replica_reads()
def appeals_list(request: HttpRequest) -> HttpResponse:
    try:
        filters = _parse(request)
        appeals, measure = _selection(request, filters)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_appeals")
    page = Paginator(
        appeals.select_related("category", "block", "territory", "organisation").only(
            "number", "received_at", "status", "due_at", "text_masked", "channel", "category__name", "block__name",
            "territory__name", "organisation__short_name",
        ),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    only = measure.code
    ctx = {
        **_base(request, filters, "center_appeals", reverse("workspace:center_appeals")),
        "measure": measure,
        "only": only,
        "only_hidden": {"only": only},
        "page": page,
        "now": clock.now(),
        "page_query": filters.query(only=only),
        "export_query": filters.query(only=only),
        "description": f"Обращения {measure.label}: {filters.describe()}",
    }
    return render(request, "workspace/center/dashboards_appeals.html", ctx)


def _kind(kind: str) -> str:
    if kind not in EXPORT_KINDS:
        raise Http404("Выгрузка бывает в форматах CSV и XLSX.")
    return kind


@center_required
@replica_reads()
def appeals_export(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        filters = _parse(request)
        appeals, measure = _selection(request, filters)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_appeals")
    title = f"Обращения {measure.label}: {filters.describe()}"
    name = f"obrashcheniya-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    return exports.response(_kind(kind), name, exports.appeal_header(), exports.appeal_rows(appeals), title=title)


@center_required
@replica_reads()
def kpi_export(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        filters = _parse(request)
    except ValidationFailed as exc:
        return _bad_filters(request, exc, "center_kpi")
    title = f"Рейтинг организаций (KPI ЦУР): {filters.describe()}"
    name = f"kpi-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}"
    return exports.response(_kind(kind), name, exports.KPI_HEADER, exports.kpi_rows(kpi.organisation_rating(filters)), title=title)


urlpatterns = [
    path("dashboard/", dashboard, name="center_dashboard"),
    path("kpi/", kpi_page, name="center_kpi"),
    path("kpi/export.<str:kind>", kpi_export, name="center_kpi_export"),
    path("region/", region, name="center_region"),
    path("appeals/", appeals_list, name="center_appeals"),
    path("appeals/export.<str:kind>", appeals_export, name="center_appeals_export"),
]
