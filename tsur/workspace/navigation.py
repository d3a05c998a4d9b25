"""«Следующее обращение» from the card: the next or previous appeal in the operator's current queue.

The queue view remembers its last query (filters, sort, which list) in the session; the card's
«Следующее →» / «← Предыдущее» links and the `n` / `Shift+N` keys ask these views, which rebuild
that queue and step from the current appeal in the queue's own order and scope.

The step is by key, not by position: «next» is the first appeal of the queue that sorts after the
current one. An appeal the operator has just routed has usually left a «На модерации» queue; the
next one is still the one that followed it, and nothing is skipped.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from django.contrib import messages
from django.db.models import DateTimeField, F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET

from tsur.appeals import access
from tsur.appeals.models import Appeal
from tsur.core import clock
from tsur.workspace.guards import scoped_appeal, staff_required
from tsur.workspace.queries import DEFAULT_SORT, SORTS, QueueFilterForm, apply_filters

SESSION_KEY = "tsur.workspace.last_queue"
CARD_KEY = "tsur.workspace.last_card"
LISTS = ("queue", "mine")
# The queue's paging and live-update parameters say where the operator looked, not what the queue is.
NOT_FILTERS = ("page",)


def remember_queue(request: HttpRequest, list_name: str) -> None:
    """Called by the queue views: keep the query of the list the operator is working through."""
    if list_name not in LISTS:
        return
    query = request.GET.copy()
    for name in NOT_FILTERS:
        query.pop(name, None)
    saved = {"list": list_name, "query": query.urlencode()}
    if request.session.get(SESSION_KEY) != saved:
        request.session[SESSION_KEY] = saved


def remembered_queue(request: HttpRequest) -> tuple[str, str]:
    """(list name, query string) of the last queue shown; the whole open queue when none was."""
    saved = request.session.get(SESSION_KEY) or {}
    list_name = saved.get("list") if saved.get("list") in LISTS else "queue"
    return list_name, str(saved.get("query") or "")


def queue_url(request: HttpRequest) -> str:
    list_name, query = remembered_queue(request)
    url = reverse(f"workspace:{list_name}")
    return f"{url}?{query}" if query else url


def remember_card(request: HttpRequest, appeal: Appeal) -> None:
    """Called by the card view: keep where this appeal stood in the queue when the operator opened it.

    Routing recomputes the deadline the queue sorts by; «next» after routing must still be the appeal
    that followed it in the list the operator was working through, not one far down."""
    _, query = remembered_queue(request)
    keys = _keys(Appeal.objects.order_by(*sort_order(query)))
    if any("__" in k.field for k in keys):
        request.session.pop(CARD_KEY, None)
        return
    # isoformat keeps the microseconds (Django's JSON encoder would cut them to milliseconds, and
    # the appeal would then sort after itself).
    values = [v.isoformat() if isinstance(v, dt.datetime) else v for v in (getattr(appeal, k.field) for k in keys)]
    remembered = {"number": appeal.number, "query": query, "values": json.dumps(values)}
    if request.session.get(CARD_KEY) != remembered:  # the same card again: no session write
        request.session[CARD_KEY] = remembered


def _remembered_values(request: HttpRequest, appeal: Appeal, query: str, keys: list[_Key]) -> list | None:
    saved = request.session.get(CARD_KEY) or {}
    if saved.get("number") != appeal.number or saved.get("query") != query:
        return None
    values = json.loads(saved.get("values") or "[]")
    if len(values) != len(keys):
        return None
    out = []
    for key, value in zip(keys, values, strict=True):
        field = Appeal._meta.get_field("id" if key.field == "pk" else key.field)
        out.append(parse_datetime(value) if value is not None and isinstance(field, DateTimeField) else value)
    return out


def sort_order(query: str) -> list:
    sort = QueryDict(query).get("sort") or DEFAULT_SORT
    return SORTS.get(sort, SORTS[DEFAULT_SORT])[1]


def queue_of(user, list_name: str, query: str) -> QuerySet:
    """The ordered queryset the queue page shows for this query (same filters, scope and order as
    `run_queue`, without its counters: a step to the next appeal needs no scan of the whole queue)."""
    scope = access.appeals_for(user)
    if list_name == "mine":
        scope = scope.filter(executor=user)
    form = QueueFilterForm(QueryDict(query))
    form.is_valid()
    qs = apply_filters(scope, form, clock.now(), personal_data=access.can_see_personal_data(user))
    return qs.order_by(*SORTS[form.value("sort") or DEFAULT_SORT][1])


# --- keyset stepping ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Key:
    field: str
    descending: bool
    nulls_last: bool

    def reversed(self) -> _Key:
        return _Key(self.field, not self.descending, not self.nulls_last)

    def order(self) -> OrderBy:
        nulls = {"nulls_last": True} if self.nulls_last else {"nulls_first": True}
        return F(self.field).desc(**nulls) if self.descending else F(self.field).asc(**nulls)

    def after(self, value) -> Q:
        """Rows strictly after `value` in this key's order."""
        if value is None:
            # Nulls last: nothing sorts after a null. Nulls first: every non-null does.
            return Q(pk__in=[]) if self.nulls_last else Q(**{f"{self.field}__isnull": False})
        cond = Q(**{f"{self.field}__{'lt' if self.descending else 'gt'}": value})
        return cond | Q(**{f"{self.field}__isnull": True}) if self.nulls_last else cond

    def equal(self, value) -> Q:
        return Q(**{f"{self.field}__isnull": True}) if value is None else Q(**{self.field: value})


def _keys(qs: QuerySet) -> list[_Key]:
    """The queryset's ordering as keys, made total by the primary key."""
    keys: list[_Key] = []
    for term in qs.query.order_by:
        if isinstance(term, str):
            descending = term.startswith("-")
            field = term.lstrip("-")
            # Plain names in our sorts are never null; say where nulls go anyway, so both databases agree.
            keys.append(_Key("pk" if field == "id" else field, descending, True))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            keys.append(_Key(term.expression.name, term.descending, not term.nulls_first))
        else:
            raise ValueError(f"Unsupported queue ordering: {term!r}")
    if not any(k.field == "pk" for k in keys):
        keys.append(_Key("pk", False, True))
    return keys


def _step(qs: QuerySet, appeal: Appeal, *, forward: bool, values: list | None = None) -> str | None:
    keys = _keys(qs)
    if values is None or len(values) != len(keys):
        # Read the keys from the database: a sort may follow a relation (organisation__short_name).
        values = list(Appeal.objects.filter(pk=appeal.pk).values_list(*(k.field for k in keys)).get())
    if not forward:
        keys = [k.reversed() for k in keys]
    cond = Q(pk__in=[])
    for i, key in enumerate(keys):
        part = key.after(values[i])
        for prev, value in zip(keys[:i], values[:i], strict=True):
            part &= prev.equal(value)
        cond |= part
    following = qs.filter(cond).exclude(pk=appeal.pk).order_by(*(k.order() for k in keys))
    return following.values_list("number", flat=True).first()


def neighbour(user, appeal: Appeal, list_name: str, query: str, *, forward: bool = True, request: HttpRequest | None = None) -> str | None:
    """The number of the next (or previous) appeal of the queue after this one, or None at its end.
    With the request, from where the appeal stood when its card was opened (`remember_card`)."""
    qs = queue_of(user, list_name, query)
    values = _remembered_values(request, appeal, query, _keys(qs)) if request is not None else None
    return _step(qs, appeal, forward=forward, values=values)


# --- views ----------------------------------------------------------------------------------------


def _go(request: HttpRequest, number: str, *, forward: bool) -> HttpResponse:
    appeal = scoped_appeal(request.user, number)
    list_name, query = remembered_queue(request)
    target = neighbour(request.user, appeal, list_name, query, forward=forward, request=request)
    if target is None:
        if forward:
            messages.info(request, f"После обращения № {appeal.number} в вашей очереди обращений нет.")
            return redirect(queue_url(request))
        messages.info(request, f"Обращение № {appeal.number} — первое в вашей очереди.")
        return redirect(reverse("workspace:card", args=[appeal.number]))
    return redirect(reverse("workspace:card", args=[target]))


@staff_required
@require_GET
def next_appeal(request: HttpRequest, number: str) -> HttpResponse:
    return _go(request, number, forward=True)


@staff_required
@require_GET
def previous_appeal(request: HttpRequest, number: str) -> HttpResponse:
    return _go(request, number, forward=False)


@staff_required
@require_GET
def back_to_queue(request: HttpRequest) -> HttpResponse:
    return redirect(queue_url(request))
