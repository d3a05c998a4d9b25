"""A poll's results page (per question: counts, shares, a chart; by territory: a table and a
chart; scale averages; free answers, masked) and its exports — CSV and XLSX, streamed like the
center's (tsur.analytics.exports), holding no personal data: a ballot is a number within the poll,
a territory, a channel and the answers."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from tsur.analytics import exports
from tsur.polls.models import Poll
from tsur.polls.results import EXPORT_HEADER, SUMMARY_HEADER, export_rows, poll_results, small_count, summary_rows
from tsur.workspace.polls.guards import may_build, polls_reader
from tsur.workspace.polls.views import SECTION
from tsur.workspace.views import nav_context

EXPORT_KINDS = ("csv", "xlsx")
EXPORT_PARTS = ("answers", "summary")


def _local(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d.%m.%Y %H:%M") if moment else ""


@polls_reader
def poll_results_page(request: HttpRequest, poll_id: int) -> HttpResponse:
    poll = get_object_or_404(Poll, pk=poll_id)
    results = poll_results(poll)
    ctx = {
        **nav_context(request, SECTION),
        "poll": poll,
        "r": results,
        "charts": {"questions": [q.chart() for q in results.questions]},
        "small_count": small_count(),
        "may_build": may_build(request.user),
    }
    return render(request, "workspace/polls/results.html", ctx)


@polls_reader
def poll_results_export(request: HttpRequest, poll_id: int, part: str, kind: str) -> HttpResponse:
    if kind not in EXPORT_KINDS or part not in EXPORT_PARTS:
        raise Http404("Нет такой выгрузки.")
    poll = get_object_or_404(Poll, pk=poll_id)
    name = f"poll-{poll.pk}-{'answers' if part == 'answers' else 'results'}"
    if part == "answers":
        title = f"Ответы опроса «{poll.title}» (без персональных данных)"
        return exports.response(kind, name, EXPORT_HEADER, export_rows(poll, _local), title=title)
    title = f"Итоги опроса «{poll.title}»"
    return exports.response(kind, name, SUMMARY_HEADER, summary_rows(poll_results(poll)), title=title)
