"""The queue: filters from GET parameters, sorting, per-status counters.

Every list starts from `access.appeals_for(user)`; filters only narrow it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, F, Q, QuerySet

from tsur.accounts.models import Role
from tsur.appeals import access, channels
from tsur.appeals.models import OPEN_STATUSES, Appeal, Status
from tsur.appeals.queries import due_soon_q, overdue_q
from tsur.appeals.search import search_q
from tsur.core import clock
from tsur.core.refcache import Cached
from tsur.directory.models import Block, Category, Organisation, Territory

PAGE_SIZE = 50
# Published, closed, rejected, joined: counted apart from the open ones (`_finished_counts`).
FINISHED_STATUSES = tuple(code for code in Status.values if code not in OPEN_STATUSES)

STATUS_OPEN = "open"
STATUS_ALL = "all"

SORTS: dict[str, tuple[str, list]] = {
    "due": ("срок ↑", [F("due_at").asc(nulls_last=True), "-received_at"]),
    "-due": ("срок ↓", [F("due_at").desc(nulls_last=True), "-received_at"]),
    "received": ("поступило ↑", ["received_at", "pk"]),
    "-received": ("поступило ↓", ["-received_at", "-pk"]),
}
DEFAULT_SORT = "due"


@dataclass(frozen=True)
class FilterReference:
    """The classifier rows every filter and action form offers, as plain tuples: read once per
    process and kept for TSUR_REFERENCE_CACHE_SECONDS (`tsur.core.refcache`). A queue page and a
    card offered them from about 700 model instances built per request."""

    blocks: tuple[tuple[str, str, int], ...]  # key, name, id; in the blocks' order
    categories: tuple[tuple[str, str, str, str, int], ...]  # active ones: block key, block name, code, name, id
    territories: tuple[tuple[int, str, str, int | None], ...]  # id, code, name, parent id; by name
    organisations: tuple[tuple[str, str, int], ...]  # active ones: code, short name, id; by short name


def _load_reference() -> FilterReference:
    categories = Category.objects.filter(is_active=True).order_by("block__order", "block__name", "name")
    return FilterReference(
        blocks=tuple(Block.objects.order_by("order", "name").values_list("key", "name", "pk")),
        categories=tuple(categories.values_list("block__key", "block__name", "code", "name", "pk")),
        territories=tuple(Territory.objects.order_by("name").values_list("pk", "code", "name", "parent_id")),
        organisations=tuple(Organisation.objects.filter(is_active=True).order_by("short_name").values_list("code", "short_name", "pk")),
    )


_REFERENCE = Cached("workspace-filter-reference", _load_reference, watch=(Block, Category, Territory, Organisation))


def filter_reference() -> FilterReference:
    return _REFERENCE.get()


def territory_choices(allowed: set[int] | None = None) -> list[tuple[str, str]]:
    """Territories as a tree: children indented under their parent. With `allowed`, only those
    territories are offered (their place in the tree is kept, so the indentation still reads)."""
    children: dict[int | None, list[tuple[int, str, str, int | None]]] = {}
    for row in filter_reference().territories:
        children.setdefault(row[3], []).append(row)
    out: list[tuple[str, str]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for pk, code, name, _parent in children.get(parent_id, []):
            if allowed is None or pk in allowed:
                out.append((code, "\u00a0\u00a0" * depth + name))
            if depth < 6:
                walk(pk, depth + 1)

    walk(None, 0)
    return out


def category_choices(*, empty: str | None = None, block: str = "") -> list:
    """Categories grouped by block, for a <select> with optgroups; with `block`, only that block's."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for block_key, block_name, code, name, _pk in filter_reference().categories:
        if not block or block_key == block:
            groups.setdefault(block_name, []).append((code, name))
    choices: list = [("", empty)] if empty is not None else []
    choices.extend((name, items) for name, items in groups.items())
    return choices


# Roles whose scope is the whole region: every organisation and territory may occur in it.
WHOLE_REGION_ROLES = frozenset({Role.REGIONAL_OPERATOR, Role.ADMINISTRATOR, Role.ANALYST})


@dataclass(frozen=True)
class FilterScope:
    """What the filters may offer a user: None means everything (the whole region's roles)."""

    organisations: set[int] | None = None
    territories: set[int] | None = None

    @classmethod
    def of(cls, user, scope: QuerySet) -> FilterScope:
        """A coordinator or executor sees one organisation; a municipal operator one queue: offer
        only the organisations and territories their appeals can have (the territories that
        occur in their scope, their organisation's and their queue's territories)."""
        if user is None or access.role_of(user) in WHOLE_REGION_ROLES:
            return cls()
        m = access.membership_of(user)
        occurring = scope.order_by().exclude(territory=None).values_list("territory_id", flat=True).distinct()
        territories = set(occurring)
        organisations: set[int] = set()
        if m is not None and m.organisation_id:
            organisations.add(m.organisation_id)
            for t in Territory.objects.filter(organisations=m.organisation_id).only("pk"):
                territories |= t.descendant_ids()
        if m is not None and m.queue_id and m.queue.territory_id:
            territories |= m.queue.territory.descendant_ids()
        if access.role_of(user) == Role.MUNICIPAL_OPERATOR:
            # A queue's appeals go to whichever organisation the rules choose: offer those that occur.
            organisations |= set(scope.order_by().exclude(organisation=None).values_list("organisation_id", flat=True).distinct())
        return cls(organisations=organisations, territories=territories)


@dataclass(frozen=True)
class FilterChoices:
    """The filters' option lists for one user, loaded once per request: the queue's form and every
    saved view's counter share them (from `filter_reference`: no query while it is kept)."""

    blocks: list[tuple[str, str]]
    by_block: dict[str, list[tuple[str, str, str]]]  # block key -> (block name, code, name)
    territories: list[tuple[str, str]]
    organisations: list[tuple[str, str]]
    # Codes to ids, so the filters compare the appeal's own columns (no join per counted row).
    ids: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def load(cls, scope: FilterScope) -> FilterChoices:
        ref = filter_reference()
        by_block: dict[str, list[tuple[str, str, str]]] = {}
        for block_key, block_name, code, name, _pk in ref.categories:
            by_block.setdefault(block_key, []).append((block_name, code, name))
        org_rows = ref.organisations
        if scope.organisations is not None:
            org_rows = tuple(row for row in org_rows if row[2] in scope.organisations)
        return cls(
            blocks=[(key, name) for key, name, _ in ref.blocks],
            by_block=by_block,
            territories=territory_choices(scope.territories),
            organisations=[(code, name) for code, name, _ in org_rows],
            ids={
                "block": {key: pk for key, _, pk in ref.blocks},
                "category": {row[2]: row[4] for row in ref.categories},
                "organisation": {code: pk for code, _, pk in org_rows},
            },
        )

    def categories(self, block: str = "") -> list:
        """«Все категории» and the categories grouped by block; only `block`'s when it is set."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for key, items in self.by_block.items():
            if block and key != block:
                continue
            for block_name, code, name in items:
                groups.setdefault(block_name, []).append((code, name))
        return [("", "Все категории"), *groups.items()]


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

    def __init__(self, *args, scope: FilterScope | None = None, choices: FilterChoices | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        c = choices or FilterChoices.load(scope or FilterScope())
        self.choices = c
        f = self.fields
        f["status"].choices = [(STATUS_OPEN, "Все открытые"), (STATUS_ALL, "Все статусы"), *Status.choices]
        f["block"].choices = [("", "Все блоки"), *c.blocks]
        block = self.data.get("block", "") if self.is_bound else ""
        if block not in dict(c.blocks):
            block = ""
        # The category list follows the chosen block (164 categories in one list is no filter).
        f["category"].choices = c.categories(block)
        f["territory"].choices = [("", "Все территории"), *c.territories]
        f["organisation"].choices = [("", "Все организации"), *c.organisations]
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
    found: int = 0  # the list's length, known from the counters: the paginator need not count again


def filters_q(form: QueueFilterForm, now: dt.datetime, *, with_status: bool = True, personal_data: bool = False) -> Q:
    """The form's filters as one condition: a queryset filter, or a counter's FILTER clause."""
    v = form.value
    ids = form.choices.ids
    cond = Q()
    if v("q"):
        cond &= search_q(v("q"), personal_data=personal_data)
    if v("block"):
        cond &= Q(block_id=ids["block"][v("block")]) if v("block") in ids.get("block", {}) else Q(block__key=v("block"))
    if v("category"):
        cond &= Q(category_id=ids["category"][v("category")]) if v("category") in ids.get("category", {}) else Q(category__code=v("category"))
    if v("territory"):
        territory = Territory.objects.filter(code=v("territory")).first()
        cond &= Q(territory_id__in=sorted(territory.descendant_ids())) if territory else Q(pk__in=[])
    if v("organisation"):
        known = ids.get("organisation", {})
        cond &= Q(organisation_id=known[v("organisation")]) if v("organisation") in known else Q(organisation__code=v("organisation"))
    if v("channel"):
        cond &= Q(channel=v("channel"))
    if v("overdue"):
        cond &= overdue_q(now)
    if v("due_soon"):
        cond &= due_soon_q(now)
    if with_status:
        status = current_status(form)
        if status == STATUS_OPEN:
            cond &= Q(status__in=OPEN_STATUSES)
        elif status != STATUS_ALL:
            cond &= Q(status=status)
    return cond


def apply_filters(qs: QuerySet, form: QueueFilterForm, now: dt.datetime, *, with_status: bool = True, personal_data: bool = False) -> QuerySet:
    return qs.filter(filters_q(form, now, with_status=with_status, personal_data=personal_data))


def current_status(form: QueueFilterForm) -> str:
    return form.value("status") or STATUS_OPEN


def _open_counts(base: QuerySet, now: dt.datetime) -> dict:
    """One pass over the open appeals (the status index finds them): per status, overdue and due
    within 24 h."""
    return base.filter(status__in=sorted(OPEN_STATUSES)).order_by().aggregate(
        **{f"s_{code}": Count("pk", filter=Q(status=code)) for code in sorted(OPEN_STATUSES)},
        overdue=Count("pk", filter=overdue_q(now)),
        due_soon=Count("pk", filter=due_soon_q(now)),
    )


def _finished_counts(base: QuerySet, *, keep: bool) -> dict[str, int]:
    """The finished appeals per status: most of the table, and more every day. With `keep`, kept
    in the shared cache for TSUR_QUEUE_ARCHIVE_COUNT_SECONDS under the statement that counts them
    (so per scope and filters): an operator's page and its polling count them once a minute."""
    qs = base.filter(status__in=FINISHED_STATUSES).order_by().values_list("status").annotate(n=Count("pk"))
    if not keep:
        return dict(qs)
    seconds = settings.TSUR_QUEUE_ARCHIVE_COUNT_SECONDS
    sql, params = qs.query.sql_with_params()
    key = "queue-finished:" + hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    counts = cache.get(key)
    if counts is None:
        counts = dict(qs)
        cache.set(key, counts, seconds)
    return counts


def run_queue(scope: QuerySet, form: QueueFilterForm, *, personal_data: bool = False) -> QueueResult:
    now = clock.now()
    base = apply_filters(scope, form, now, with_status=False, personal_data=personal_data)
    status = current_status(form)
    # Two passes over the filtered appeals (with 100,000 appeals each separate COUNT is another
    # scan): the open ones on every page; the finished ones from the cache, unless the list shown
    # is of finished appeals (its length must be exact: the pages are numbered by it).
    figures = _open_counts(base, now)
    by_status = {code: figures[f"s_{code}"] for code in OPEN_STATUSES}
    keep = (status in OPEN_STATUSES or status == STATUS_OPEN) and settings.TSUR_QUEUE_ARCHIVE_COUNT_SECONDS > 0
    # «Просроченные» and «срок в 24 ч» are about open appeals only: no finished one passes them.
    finished = {} if form.value("overdue") or form.value("due_soon") else _finished_counts(base, keep=keep)
    by_status.update({code: finished.get(code, 0) for code in FINISHED_STATUSES})
    counters = [
        {"code": code, "label": label, "count": by_status[code], "kept": keep and code in FINISHED_STATUSES}
        for code, label in Status.choices
    ]
    sort = form.value("sort") or DEFAULT_SORT
    if status == STATUS_OPEN:
        found = sum(by_status[s] for s in OPEN_STATUSES)
    elif status == STATUS_ALL:
        found = sum(by_status.values())
    else:
        found = by_status.get(status, 0)
    qs = (
        # The directory's rows are attached to the page's appeals from the process's copy
        # (tsur.workspace.directory): five joins cost PostgreSQL more to plan than to run.
        apply_filters(scope, form, now, personal_data=personal_data).select_related("executor")
    )
    qs = qs.order_by(*SORTS[sort][1])
    return QueueResult(
        queryset=qs,
        counters=counters,
        total_open=sum(by_status[s] for s in OPEN_STATUSES),
        overdue=figures["overdue"] or 0,
        due_soon=figures["due_soon"] or 0,
        status=status,
        sort=sort,
        found=found,
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
