"""The queue pages: «Очередь обращений» and «Мои обращения», their saved views and bulk actions.

With HTMX a request gets the results fragment it replaces (filters, paging, the page's own polling,
a bulk action's summary); without JavaScript the same URLs serve whole pages.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_POST

from tsur.appeals import access
from tsur.appeals.privacy import appeal_text
from tsur.core import clock
from tsur.core.errors import DomainError
from tsur.workspace import bulk, directory, saved
from tsur.workspace.countdown import Countdowns
from tsur.workspace.guards import is_htmx, staff_required
from tsur.workspace.navigation import remember_queue
from tsur.workspace.queries import PAGE_SIZE, FilterChoices, FilterScope, QueueFilterForm, due_state, run_queue
from tsur.workspace.queue_rows import rows_html
from tsur.workspace.views import nav_context

FILTER_NAMES = ("q", "block", "category", "territory", "organisation", "channel", "overdue", "due_soon")
LISTS = {"queue": "Очередь обращений", "mine": "Мои обращения"}
POLL_HEADER = "HTTP_X_QUEUE_POLL"


def _scope(request: HttpRequest, section: str) -> QuerySet:
    scope = access.appeals_for(request.user)
    if section == "mine":
        scope = scope.filter(executor=request.user)
    return scope


def card_url_of() -> Callable[[str], str]:
    """The card's URL of an appeal number, reversed once per page instead of twice per row."""
    head, _, tail = reverse("workspace:card", args=[_NUMBER]).partition(_NUMBER)
    return lambda number: f"{head}{quote(number, safe='')}{tail}"


_NUMBER = "__number__"


def truncated(text: str, limit: int) -> str:
    """What the `truncatechars` filter makes of `text`. Most texts are shorter than `limit`, and
    those the filter would walk character by character only to leave whole."""
    return text if len(text) <= limit else Truncator(text).chars(limit)


def _context(request: HttpRequest, params: QueryDict, section: str) -> dict:
    user = request.user
    scope = _scope(request, section)
    choices = FilterChoices.load(FilterScope.of(user, scope))
    form = QueueFilterForm(params, choices=choices)
    form.is_valid()
    pd = access.can_see_personal_data(user)
    result = run_queue(scope, form, personal_data=pd)
    paginator = Paginator(result.queryset, PAGE_SIZE)
    paginator.count = result.found  # known from the counters' single pass: no second COUNT
    page = paginator.get_page(params.get("page"))
    now = clock.now()
    appeals = list(page.object_list)
    directory.attach(appeals)
    countdowns = Countdowns(now).prepare(appeals)
    card_url = card_url_of()
    rows = []
    for a in appeals:
        text = appeal_text(a, pd=pd)
        rows.append({
            "appeal": a, "url": card_url(a.number), "title": truncated(text, 400), "text": truncated(text, 200),
            "due_state": due_state(a, now), "countdown": countdowns.of(a),
        })  # fmt: skip
    query = urlencode([(k, v) for k, v in params.items() if v])
    ops = bulk.ops_for(user)
    return {
        "form": form,
        "result": result,
        "page": page,
        "rows": rows,
        "section": section,
        "title": LISTS[section],
        "list_url": reverse(f"workspace:{section}"),
        "query": query,
        "filtered": any(form.value(n) for n in FILTER_NAMES),
        "views": saved.counters(user, scope, choices, personal_data=pd),
        "can_share": saved.can_share(user),
        "bulk_ops": ops,
        "bulk_forms": {op.name: bulk.make_form(op, user) for op in ops},
        "bulk_max": bulk.MAX_BATCH,
        "server_now_ms": int(now.timestamp() * 1000),
        "poll_seconds": getattr(settings, "TSUR_QUEUE_POLL_SECONDS", 30),
    }


def _render(request: HttpRequest, ctx: dict, *, status: int = 200) -> HttpResponse:
    ctx["rows_html"] = rows_html(ctx["rows"], ctx.get("checked", ()))
    if is_htmx(request):
        # The page's own polling refreshes the rows only: the filter form (and its category list,
        # swapped out of band after a change of block) stays as the operator left it.
        ctx["oob_filters"] = request.META.get(POLL_HEADER) != "1"
        return render(request, "workspace/_queue_results.html", ctx, status=status)
    ctx.update(nav_context(request, ctx["section"]))
    return render(request, "workspace/queue.html", ctx, status=status)


@staff_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    remember_queue(request, "queue")
    return _render(request, _context(request, request.GET, "queue"))


@staff_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    remember_queue(request, "mine")
    return _render(request, _context(request, request.GET, "mine"))


def _posted_list(request: HttpRequest) -> tuple[str, QueryDict]:
    section = request.POST.get("list", "queue")
    if section not in LISTS:
        section = "queue"
    return section, QueryDict(request.POST.get("query", ""))


@staff_required
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    section, params = _posted_list(request)
    summary, form = bulk.run_bulk(
        request.user, request.POST.get("op", ""), request.POST.getlist("number"), bulk.parse_versions(request.POST), request.POST
    )
    ctx = _context(request, params, section)
    ctx["summary"] = summary
    if form is not None and summary.error:
        ctx["bulk_forms"][summary.op] = form
        ctx["bulk_open"] = summary.op
        ctx["checked"] = set(request.POST.getlist("number"))
    return _render(request, ctx, status=200 if not summary.error else 422)


@staff_required
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    section, params = _posted_list(request)
    try:
        view = saved.save_view(request.user, name=request.POST.get("name", ""), query=params.urlencode(), share=request.POST.get("share") == "on")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Вид «{view.name}» сохранён.")
    return redirect(_list_url(section, params))


@staff_required
@require_POST
def view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    section, params = _posted_list(request)
    try:
        saved.delete_view(request.user, pk)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Вид удалён.")
    return redirect(_list_url(section, params))


def _list_url(section: str, params: QueryDict) -> str:
    url = reverse(f"workspace:{section}")
    query = urlencode([(k, v) for k, v in params.items() if v])
    return f"{url}?{query}" if query else url
