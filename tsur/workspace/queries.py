"""The queue: filters from GET parameters, sorting, per-status counters.

Every list starts from `access.appeals_for(user)`; filters only narrow it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.db.models import Count, F, QuerySet

from tsur.appeals import channels
from tsur.appeals.models import OPEN_STATUSES, Appeal, Status
from tsur.appeals.queries import due_soon_q, overdue_q
from tsur.appeals.search import search_q
from tsur.core import clock
from tsur.directory.models import Block, Category, Organisation, Territory

PAGE_SIZE = 50

STATUS_OPEN = "open"
STATUS_ALL = "all"

SORTS: dict[str, tuple[str, list]] = {
    "due": ("срок ↑", [F("due_at").asc(nulls_last=True), "-received_at"]),
    "-due": ("срок ↓", [F("due_at").desc(nulls_last=True), "-received_at"]),
    "received": ("поступило ↑", ["received_at", "pk"]),
    "-received": ("поступило ↓", ["-received_at", "-pk"]),
}
DEFAULT_SORT = "due"


def territory_choices() -> list[tuple[str, str]]:
    """Territories as a tree: children indented under their parent."""
    rows = list(Territory.objects.only("code", "name", "parent_id").order_by("name"))
    children: dict[int | None, list[Territory]] = {}
    for t in rows:
        children.setdefault(t.parent_id, []).append(t)
    out: list[tuple[str, str]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for t in children.get(parent_id, []):
            out.append((t.code, "\u00a0\u00a0" * depth + t.name))
            if depth < 6:
                walk(t.pk, depth + 1)

    walk(None, 0)
    return out


def category_choices(*, empty: str | None = None) -> list:
    """Categories grouped by block, for a <select> with optgroups."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for c in Category.objects.filter(is_active=True).select_related("block").order_by("block__order", "block__name", "name"):
        groups.setdefault(c.block.name, []).append((c.code, c.name))
    choices: list = [("", empty)] if empty is not None else []
    choices.extend((block, items) for block, items in groups.items())
    return choices


class QueueFilterForm(forms.Form):
    q = forms.CharField(label="Поиск", required=False, max_length=200)
    status = forms.ChoiceField(label="Статус", required=False)
    block = forms.ChoiceField(label="Блок", required=False)
    category = forms.ChoiceField(label="Категория", required=False)
    territory = forms.ChoiceField(label="Территория", required=False)
    organisation = forms.ChoiceField(label="Организация", required=False)
    channel = forms.ChoiceField(label="Канал", required=False)
    overdue = forms.BooleanField(label="Просроченные", required=False)
    due_soon = forms.BooleanField(label="Срок в ближайшие 24 ч", required=False)
    sort = forms.ChoiceField(label="Сортировка", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        f = self.fields
        f["status"].choices = [(STATUS_OPEN, "Все открытые"), (STATUS_ALL, "Все статусы"), *Status.choices]
        f["block"].choices = [("", "Все блоки"), *Block.objects.values_list("key", "name")]
        f["category"].choices = category_choices(empty="Все категории")
        f["territory"].choices = [("", "Все территории"), *territory_choices()]
        f["organisation"].choices = [
            ("", "Все организации"),
            *Organisation.objects.filter(is_active=True).values_list("code", "short_name"),
        ]
        f["channel"].choices = [("", "Все каналы"), *channels.choices()]
        f["sort"].choices = [(k, label) for k, (label, _) in SORTS.items()]
        f["q"].widget.attrs.update({"placeholder": "Номер, текст или адрес", "type": "search", "autocomplete": "off"})

    def value(self, name: str) -> str:
        """The cleaned value, or '' for an invalid one (a stale link must not break the queue)."""
        if not self.is_bound:
            return ""
        if name in self.errors:
            return ""
        return self.cleaned_data.get(name) or ""


@dataclass
class QueueResult:
    queryset: QuerySet
    counters: list[dict]
    total_open: int
    overdue: int
    due_soon: int
    status: str
    sort: str


def apply_filters(
    qs: QuerySet, form: QueueFilterForm, now: dt.datetime, *, with_status: bool = True, personal_data: bool = False
) -> QuerySet:
    v = form.value
    if v("q"):
        qs = qs.filter(search_q(v("q"), personal_data=personal_data))
    if v("block"):
        qs = qs.filter(block__key=v("block"))
    if v("category"):
        qs = qs.filter(category__code=v("category"))
    if v("territory"):
        territory = Territory.objects.filter(code=v("territory")).first()
        qs = qs.filter(territory_id__in=territory.descendant_ids()) if territory else qs.none()
    if v("organisation"):
        qs = qs.filter(organisation__code=v("organisation"))
    if v("channel"):
        qs = qs.filter(channel=v("channel"))
    if v("overdue"):
        qs = qs.filter(overdue_q(now))
    if v("due_soon"):
        qs = qs.filter(due_soon_q(now))
    if with_status:
        status = current_status(form)
        if status == STATUS_OPEN:
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif status != STATUS_ALL:
            qs = qs.filter(status=status)
    return qs


def current_status(form: QueueFilterForm) -> str:
    return form.value("status") or STATUS_OPEN


def run_queue(scope: QuerySet, form: QueueFilterForm, *, personal_data: bool = False) -> QueueResult:
    now = clock.now()
    base = apply_filters(scope, form, now, with_status=False, personal_data=personal_data)
    by_status = dict(base.order_by().values_list("status").annotate(n=Count("pk")))
    counters = [{"code": code, "label": label, "count": by_status.get(code, 0)} for code, label in Status.choices]
    sort = form.value("sort") or DEFAULT_SORT
    qs = apply_filters(scope, form, now, personal_data=personal_data).select_related("block", "category", "territory", "organisation", "executor")
    qs = qs.order_by(*SORTS[sort][1])
    return QueueResult(
        queryset=qs,
        counters=counters,
        total_open=sum(by_status.get(s, 0) for s in OPEN_STATUSES),
        overdue=base.filter(overdue_q(now)).count(),
        due_soon=base.filter(due_soon_q(now)).count(),
        status=current_status(form),
        sort=sort,
    )


def due_state(appeal: Appeal, now: dt.datetime) -> str:
    """'overdue', 'soon' (within 24 h) or '' — for highlighting deadlines."""
    if not appeal.is_open or appeal.due_at is None:
        return ""
    if appeal.due_at < now:
        return "overdue"
    if appeal.due_at < now + dt.timedelta(hours=24):
        return "soon"
    return ""
