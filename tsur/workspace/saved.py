"""Saved views of the queue: save, share with my organisation, delete, count.

A view is only a query string: using it opens the queue with those filters, which the queue's
form checks against the viewer's scope like any typed URL (a value the viewer may not filter by
is dropped; the list starts from `access.appeals_for`). Counters are one COUNT per view over the
viewer's scope (at most MAX_VIEWS views are shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.http import QueryDict

from tsur.accounts.models import Role
from tsur.appeals import access
from tsur.appeals.models import OPEN_STATUSES
from tsur.core import clock
from tsur.core.errors import AccessDenied, ValidationFailed
from tsur.workspace.models import SavedView
from tsur.workspace.queries import FilterChoices, QueueFilterForm, filters_q

MAX_VIEWS = 10
# The queue's parameters a view keeps (never the page: a view is a list, not a place in it).
VIEW_PARAMS = ("q", "status", "block", "category", "territory", "organisation", "channel", "overdue", "due_soon", "sort")


@dataclass(frozen=True)
class ViewCounter:
    view: SavedView
    count: int
    query: str
    mine: bool


def views_for(user) -> QuerySet:
    """My views and those shared with my organisation."""
    m = access.membership_of(user)
    cond = Q(owner=user)
    if m is not None and m.organisation_id:
        cond |= Q(organisation_id=m.organisation_id)
    return SavedView.objects.filter(cond).select_related("owner").order_by("order", "name", "pk")


def can_share(user) -> bool:
    """Coordinators and the center's operators share views with their organisation."""
    m = access.membership_of(user)
    role = access.role_of(user)
    return bool(m and m.organisation_id and (role in access.OPERATOR_ROLES or role == Role.COORDINATOR))


def clean_query(raw: str) -> str:
    """Keep only the queue's own non-empty parameters, in a stable order."""
    params = QueryDict(raw)
    pairs = [(k, params.get(k, "")) for k in VIEW_PARAMS if params.get(k, "")]
    return urlencode(pairs)


def save_view(user, *, name: str, query: str, share: bool = False) -> SavedView:
    name = name.strip()
    if not name:
        raise ValidationFailed("Укажите название вида.", field_errors={"name": ["Обязательное поле."]})
    if SavedView.objects.filter(owner=user).count() >= MAX_VIEWS:
        raise ValidationFailed(f"Можно сохранить не больше {MAX_VIEWS} видов: удалите ненужный.")
    organisation_id = None
    if share:
        if not can_share(user):
            raise AccessDenied("Делиться видами с организацией могут координаторы и операторы ЦУР.")
        organisation_id = access.membership_of(user).organisation_id
    last = views_for(user).order_by("-order").values_list("order", flat=True).first() or 0
    return SavedView.objects.create(owner=user, organisation_id=organisation_id, name=name[:80], query=clean_query(query), order=last + 1)


def delete_view(user, pk: int) -> None:
    deleted, _ = SavedView.objects.filter(pk=pk, owner=user).delete()
    if not deleted:
        raise AccessDenied("Удалить можно только свой вид.")


def counters(user, scope: QuerySet, choices: FilterChoices, *, personal_data: bool = False) -> list[ViewCounter]:
    """Each visible view with the number of open appeals it lists for this user now: all views
    counted in one pass over the user's open appeals (one COUNT … FILTER per view; a query per
    view was a scan per view). The option lists that check a view's filters are the caller's."""
    now = clock.now()
    views = list(views_for(user)[:MAX_VIEWS])
    if not views:
        return []
    conditions = {}
    for view in views:
        form = QueueFilterForm(QueryDict(view.query), choices=choices)
        form.is_valid()
        conditions[f"v{view.pk}"] = Count("pk", filter=filters_q(form, now, personal_data=personal_data))
    figures = scope.filter(status__in=OPEN_STATUSES).order_by().aggregate(**conditions)
    return [ViewCounter(view=view, count=figures[f"v{view.pk}"] or 0, query=view.query, mine=view.owner_id == user.pk) for view in views]
