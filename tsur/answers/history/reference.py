"""What the stories of one import refer to, read once: categories, territories, organisations,
deadline rules, actors' labels and memberships, and the routing remembered per place."""

from __future__ import annotations

from types import SimpleNamespace

from django.db.models.base import ModelState

from tsur.answers.checking import find_formal_reply
from tsur.appeals import access
from tsur.appeals.models import Appeal, new_access_key
from tsur.appeals.services.transitions import SYSTEM, actor_label
from tsur.deadlines.services import DeadlineRules
from tsur.directory.models import Category, Organisation, Queue, Territory
from tsur.directory.services import queue_for, territory_at
from tsur.routing.models import RoutingRule
from tsur.routing.services import RoutingDecision, decide


class Routing:
    """`routing.decide` and `directory.queue_for` remembered for a whole import.

    Both depend on the appeal's place only through the territories on its chain to the region that
    some routing rule (or queue) names, so the answer is remembered per category and that part of
    the chain: a year of a region asks the database a few hundred times, not once per category and
    village. The territories are read once with their parents linked in memory, so walking a chain
    costs no query. A generator shares one with `record_history` (it routes to choose executors)."""

    def __init__(self) -> None:
        self.territories = {t.pk: t for t in Territory.objects.all()}
        for t in self.territories.values():
            if t.parent_id is not None:
                t.parent = self.territories[t.parent_id]
        self.by_code = {t.code: t for t in self.territories.values()}
        rules = RoutingRule.objects.filter(is_active=True).exclude(territory=None)
        self._rule_places = set(rules.values_list("territory_id", flat=True))
        self._queue_places = set(Queue.objects.filter(is_active=True).values_list("territory_id", flat=True))
        self._decisions: dict[tuple, RoutingDecision] = {}
        self._queues: dict[tuple, Queue | None] = {}
        self._chains: dict[tuple[int, int], tuple[int, ...]] = {}

    def _chain(self, territory: Territory | None, among: set[int]) -> tuple[int, ...] | None:
        if territory is None:
            return None
        key = (territory.pk, id(among))
        if key not in self._chains:
            self._chains[key] = tuple(t.pk for t in self.territories[territory.pk].ancestors_and_self() if t.pk in among)
        return self._chains[key]

    def decide(self, category: Category | None, territory: Territory | None) -> RoutingDecision:
        key = (category.pk if category else None, self._chain(territory, self._rule_places))
        if key not in self._decisions:
            place = self.territories[territory.pk] if territory is not None else None
            self._decisions[key] = decide(
                SimpleNamespace(
                    category_id=category.pk if category else None, block_id=category.block_id if category else None,
                    territory_id=place.pk if place else None, territory=place,
                )
            )
        return self._decisions[key]

    def queue(self, territory: Territory | None, category: Category | None) -> Queue | None:
        if territory is None or category is None:
            return None
        key = (category.pk, self._chain(territory, self._queue_places))
        if key not in self._queues:
            self._queues[key] = queue_for(self.territories[territory.pk], category)
        return self._queues[key]


class Reference:
    """Directory rows and caches shared by every story of a call."""

    def __init__(self, routing: Routing | None = None) -> None:
        self.routing = routing or Routing()
        self.categories = {c.code: c for c in Category.objects.filter(is_active=True).select_related("block")}
        self.territories = self.routing.by_code
        self.organisations = {o.code: o for o in Organisation.objects.filter(is_active=True)}
        self.rules = DeadlineRules()
        self._labels: dict[int, str] = {}
        self._roles: dict[int, str | None] = {}
        self._memberships: dict[int, object] = {}
        self._points: dict[tuple[float, float], Territory | None] = {}
        self._findings: dict[str, list] = {}
        self._blank: dict | None = None

    def new_appeal(self, **values) -> Appeal:
        """An unsaved Appeal with these values, as `Appeal(**values)` makes it, copied from a blank
        one made once: Django's model constructor resolves every field's default on each call,
        which was a fifth of an import's Python time. The defaults that must differ per appeal
        (the status page's access key) are drawn anew; relations go through their descriptors."""
        if self._blank is None:
            self._blank = Appeal().__dict__
        appeal = Appeal.__new__(Appeal)
        appeal.__dict__.update(self._blank)
        appeal._state = ModelState()
        appeal.access_key = new_access_key()
        for name, value in values.items():
            setattr(appeal, name, value)
        return appeal

    def label(self, actor) -> str:
        if actor is None:
            return SYSTEM
        if actor.pk not in self._labels:
            self._labels[actor.pk] = actor_label(actor)
        return self._labels[actor.pk]

    def role(self, actor) -> str | None:
        if actor.pk not in self._roles:
            self._roles[actor.pk] = access.role_of(actor)
        return self._roles[actor.pk]

    def membership(self, user):
        if user.pk not in self._memberships:
            self._memberships[user.pk] = access.membership_of(user)
        return self._memberships[user.pk]

    def territory_at(self, lat: float, lon: float) -> Territory | None:
        if (lat, lon) not in self._points:
            found = territory_at(lat, lon)
            self._points[lat, lon] = self.routing.territories.get(found.pk) if found is not None else None
        return self._points[lat, lon]

    def findings(self, text: str) -> list:
        if text not in self._findings:
            if len(self._findings) > 5000:
                self._findings.clear()
            self._findings[text] = find_formal_reply(text)
        return self._findings[text]
