"""The center's reports: the weekly report for the governor's meeting as a page and as a PDF,
the stored PDFs (made every Monday by the schedule, or on demand here) and their list."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from tsur.core import clock
from tsur.core.errors import ValidationFailed
from tsur.workspace.center import weekly
from tsur.workspace.center import weekly_store as store
from tsur.workspace.center.guards import center_required
from tsur.workspace.center.weekly_week import Week
from tsur.workspace.views import nav_context


def _week(request: HttpRequest) -> Week:
    return Week.parse(request.GET.get("week") or request.POST.get("week") or "", today=timezone.localdate(clock.now()))


def _reports_page(request: HttpRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    today = timezone.localdate(clock.now())
    last = Week.last_complete(today)
    weeks = [last]
    for _ in range(11):
        weeks.append(weeks[-1].previous())
    ctx = {
        **nav_context(request, "center_reports"),
        "stored": store.reports(),
        "weeks": weeks,
        "current": Week.of(today),
        "error": error,
        "weekly_hour": weekly.WEEKLY_HOUR,
    }
    return render(request, "workspace/center/reports.html", ctx, status=status)


@require_GET
@center_required
def center_reports(request: HttpRequest) -> HttpResponse:
    return _reports_page(request)


@require_GET
@center_required
def center_weekly(request: HttpRequest) -> HttpResponse:
    try:
        week = _week(request)
    except ValidationFailed as exc:
        return _reports_page(request, error=exc.message, status=400)
    report = weekly.build(week)
    today = timezone.localdate(clock.now())
    ctx = {
        **nav_context(request, "center_reports"),
        "report": report,
        "links": True,
        "previous_week": week.previous(),
        "next_week": week.next() if week.next().monday <= today else None,
    }
    return render(request, "workspace/center/weekly.html", ctx)


@require_GET
@center_required
def center_weekly_pdf(request: HttpRequest) -> HttpResponse:
    """The week's report as a PDF made now (not stored: «Сохранить отчёт» on the reports page does that)."""
    try:
        week = _week(request)
    except ValidationFailed as exc:
        return _reports_page(request, error=exc.message, status=400)
    pdf = weekly.render_pdf(weekly.build(week))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="weekly-{week.label}.pdf"'
    return response


@require_POST
@center_required
def center_weekly_store(request: HttpRequest) -> HttpResponse:
    """Make the week's report now and keep it (on demand; recorded with who asked)."""
    try:
        week = _week(request)
    except ValidationFailed as exc:
        return _reports_page(request, error=exc.message, status=400)
    entry = weekly.generate(week, reason=store.ON_DEMAND, actor=request.user)
    messages.success(request, f"Отчёт за {week.title()} сформирован и сохранён.")
    return redirect(reverse("workspace:center_reports") + f"#report-{entry.id}")


@require_GET
@center_required
def center_report_file(request: HttpRequest, report_id: str) -> HttpResponse:
    entry = store.find(report_id)
    if entry is None or not store.path_of(entry).exists():
        raise Http404("Отчёт не найден.")
    return FileResponse(open(store.path_of(entry), "rb"), content_type="application/pdf", filename=entry.file)


urlpatterns: list[URLPattern] = [
    path("reports/", center_reports, name="center_reports"),
    path("reports/weekly/", center_weekly, name="center_weekly"),
    path("reports/weekly.pdf", center_weekly_pdf, name="center_weekly_pdf"),
    path("reports/weekly/store/", center_weekly_store, name="center_weekly_store"),
    path("reports/stored/<str:report_id>.pdf", center_report_file, name="center_report_file"),
]
