"""A realistic year of the demo region's history, generated and written through
`tsur.answers.history.record_history` (docs/demo-history.md describes the shape and the planted
episodes).

Volumes follow the configured territories' population, the seasons (snow and ice in winter, heating
at the start of the heating season and in cold snaps, potholes in the spring thaw, grass, yards,
dumps and mosquitoes in summer, waste all year with peaks after the New Year and May holidays) and
the week (fewer on weekends). Each appeal is routed by the configured routing rules and gets a
plausible story: moderation, routing, an executor, sometimes an interim answer, an answer after a
working-time delay with a tail (some overdue), formal replies returned, ratings mostly 4-5 with
some 1-2 that reopen, auto-closing, rejections, duplicates joined to a lead. Planted episodes add
the surges the points-of-tension detector should find.

Deterministic for a seed (the same seed, window and reference data give the same appeals) and
streamed day by day in batches, so a million appeals take constant memory. Texts are synthetic
(tsur/demo/history_texts.py): no resident, no name, no phone, no e-mail.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from tsur.accounts.models import Membership, Role
from tsur.answers.history import PastAppeal, PastStep, Routing, record_history
from tsur.appeals import channels
from tsur.appeals.models import RejectionReason
from tsur.core import clock
from tsur.demo import history_texts as words
from tsur.directory.models import Category, Organisation, Regime, Street, Territory
from tsur.lib import geo

DEFAULT_PER_DAY = 42  # the demo region's usual day: ~15,000 appeals a year
# Population the configuration lacks (districts' rural parts, villages): a weight, not a census.
RURAL_DISTRICT_WEIGHT = 9000
VILLAGE_WEIGHT = 1500
SMALL_VILLAGE_WEIGHT = 300
CITY_FACTOR = 1.3  # townspeople write more often than villagers
WEEKDAY = (1.15, 1.1, 1.05, 1.05, 1.0, 0.7, 0.6)  # Monday first
HOURS = (0.2, 0.1, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.6, 3.0, 3.0, 2.8, 2.5, 2.5, 2.4, 2.3, 2.3, 2.4, 2.6, 2.8, 2.6, 2.0, 1.2, 0.5)
CHANNELS = (("widget", 30), ("app", 15), ("vk", 20), ("telegram", 12), ("ok", 8), ("email", 5), ("operator", 10))
STREET_TYPES = {"улица": "ул.", "переулок": "пер.", "проезд": "пр-д", "площадь": "пл.", "проспект": "пр-т", "шоссе": "ш.", "бульвар": "б-р"}
MSK = ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Episode:
    """A planted surge: a topic in one place over a few days, `profile` extra appeals a day at the
    demo's volume (scaled up with the volume). `month`/`day`: it starts on the latest such date whose
    whole episode fits in the window; `recent`: it ends at the live end instead."""

    key: str
    title: str
    category: str
    territory: str
    profile: tuple[int, ...]
    month: int = 0
    day: int = 0
    recent: bool = False
    point: tuple[float, float] | None = None  # the centre of the trouble (None: the territory's)
    spread: float = 0.004  # degrees of latitude around the point
    same_address: str = ""  # everyone writes about the same place
    joined_share: float = 0.1
    slow: float = 1.0  # the organisation answers slower than usual while it lasts


EPISODES: tuple[Episode, ...] = (
    Episode("heating", "Авария на теплотрассе: нет отопления в Октябрьском округе Калуги", "housing-heating-mkd",
            "kaluga-oktyabrskiy-okrug", (6, 14, 18, 15, 10, 6, 3), month=1, day=12, point=(54.5305, 36.2050), slow=2.0),
    Episode("potholes", "Ямы на дорогах Обнинска после весенней оттепели", "roads-potholes-local", "obninsk",
            (2, 3, 4, 5, 6, 7, 8, 8, 7, 6, 5, 4, 3, 2), month=4, day=6, spread=0.01),
    Episode("dump", "Несанкционированная свалка у Товарково (Дзержинский район)", "waste-illegal-dumps", "tovarkovo",
            (1, 2, 3, 4, 4, 3, 2), month=7, day=13, spread=0.002, same_address="Товарково, выезд на Калугу, у леса",
            joined_share=0.5),
    Episode("water", "Нет воды в Людиново: авария на водоводе", "housing-water-supply-private", "lyudinovo",
            (8, 14, 12, 6, 2), month=8, day=17, spread=0.008, slow=1.5),
    Episode("waste", "Не вывозят мусор в Малоярославце", "waste-collection-mkd", "maloyaroslavets",
            (1, 1, 2, 2, 3, 4, 5, 6, 7, 8), recent=True, spread=0.008),
)


@dataclass
class _Place:
    territory: str
    weight: float
    lat: float | None
    lon: float | None
    spread: float
    boundary: dict | None
    town: str  # the name used in addresses ("" for rural areas)
    capital: bool = False


def generate(
    *,
    count: int | None = None,
    days: int = 365,
    end: dt.datetime | None = None,
    live_end: dt.datetime | None = None,
    seed: int = 2026,
    per_day: float | None = None,
    batch: int = 5000,
    episodes: bool = True,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write `days` days of history ending at `end` (default: now) and return how many appeals.

    `count` background appeals (default `per_day` × `days`, `per_day` defaulting to the demo's 42),
    plus the planted episodes' (scaled with the volume). The live episode ends at `live_end`
    (default `end`). Stories stop at the present: what would happen later is not written.
    Publishes nothing to subscribers: run `tsur analytics rebuild` and `tsur tension recompute`
    afterwards (`tsur load_demo` does)."""
    world, items = _plan(count, days, end, live_end, seed, per_day, batch, episodes)
    return record_history(items, batch=batch, progress=progress, routing=world.routing)


def stories(
    *,
    count: int | None = None,
    days: int = 365,
    end: dt.datetime | None = None,
    live_end: dt.datetime | None = None,
    seed: int = 2026,
    per_day: float | None = None,
    batch: int = 5000,
    episodes: bool = True,
) -> Iterator[PastAppeal]:
    """The appeals `generate` would write, in order of receipt, without writing them."""
    return _plan(count, days, end, live_end, seed, per_day, batch, episodes)[1]


def _plan(count, days, end, live_end, seed, per_day, batch, episodes) -> tuple[_World, Iterator[PastAppeal]]:
    end = end or clock.now()
    if timezone.is_naive(end) or (live_end is not None and timezone.is_naive(live_end)):
        raise ValueError("end and live_end must be aware moments")
    if days < 1:
        raise ValueError("days must be at least 1")
    count = round((per_day or DEFAULT_PER_DAY) * days) if count is None else count
    if count < 0:
        raise ValueError("count must not be negative")
    world = _World(seed, horizon=clock.now(), scale=max(1.0, count / days / DEFAULT_PER_DAY), batch=batch, count=count, days=days)
    return world, world.items(end, days, count, (live_end or end) if episodes else None, episodes)


class _World:
    """The reference data the stories use, read once, and the running state of the generation."""

    def __init__(self, seed: int, *, horizon: dt.datetime, scale: float, batch: int, count: int, days: int) -> None:
        self.seed, self.horizon, self.scale = seed, horizon, scale
        self.rng = random.Random(seed)
        self.categories = {c.code: c for c in Category.objects.filter(code__in=[t.category for t in words.TOPICS] + [e.category for e in EPISODES])}
        self.topics = [t for t in words.TOPICS if t.category in self.categories]
        if not self.topics:
            raise ValueError("the demo's categories are not configured: run `tsur load_demo` (or load_reference) first")
        self.routing = Routing()
        self.territories = self.routing.by_code
        self.places = _places(self.territories)
        self.place_cum = list(itertools.accumulate(p.weight for p in self.places))
        self.streets = [
            f"{STREET_TYPES.get(s.type, s.type)} {s.name}" for s in Street.objects.filter(territory__code="kaluga").order_by("name", "type")
        ]
        self.center = Organisation.objects.filter(kind=Organisation.Kind.CENTER).order_by("pk").first()
        self.staff = _staff()
        self.operator = next(iter(self.staff.get("operator", [])), None)
        self.slowness = {o.pk: 0.6 + random.Random(f"{seed}:{o.code}").random() for o in Organisation.objects.all()}
        self.leads: dict[tuple[str, str], tuple[str, dt.datetime, dt.datetime | None, int]] = {}
        per_day = max(count / days, 1)
        # A duplicate's lead must be in the same batch of record_history or the one before.
        self.lead_window = dt.timedelta(hours=max(6.0, min(48.0, 0.8 * batch / per_day * 24)))
        self.serial = 0
        self.batch = batch

    # -- the volume of each day -------------------------------------------------------------------

    def items(self, end: dt.datetime, days: int, count: int, live_end: dt.datetime | None, episodes: bool) -> Iterator[PastAppeal]:
        end_day = timezone.localtime(end).date()
        first = end_day - dt.timedelta(days=days)
        dates = [first + dt.timedelta(days=i) for i in range(days)]
        weights = [self._day_weight(d) * math.exp(self.rng.gauss(0, 0.12)) for d in dates]
        total = sum(weights)
        planted = _schedule(first, end_day, live_end, self.scale) if episodes else {}
        done_expected, done = 0.0, 0
        for d, w in zip(dates, weights, strict=True):
            done_expected += count * w / total
            n = round(done_expected) - done
            done += n
            yield from self._day(d, n, planted.get(d, []), end)
        if live_end is not None:
            live_first = timezone.localtime(live_end).date()
            for d in sorted(x for x in planted if x >= end_day and x <= live_first):
                yield from self._day(d, 0, planted[d], live_end)

    def _day_weight(self, d: dt.date) -> float:
        return WEEKDAY[d.weekday()] * _holiday_total(d) * sum(t.share * _season(t, d) for t in self.topics)

    def _day(self, d: dt.date, n: int, planted: list[tuple[Episode, int]], end: dt.datetime) -> Iterator[PastAppeal]:
        cum = list(itertools.accumulate(t.share * _season(t, d) for t in self.topics))
        drafts = []
        for _ in range(n):
            topic = self.topics[bisect.bisect_right(cum, self.rng.random() * cum[-1])]
            place = self.places[bisect.bisect_right(self.place_cum, self.rng.random() * self.place_cum[-1])]
            drafts.append((self._moment(d), topic, place, None))
        for episode, extra in planted:
            topic = next((t for t in self.topics if t.category == episode.category), None)
            if topic is None or episode.territory not in self.territories:
                continue  # a configuration without the episode's category or place
            place = self._episode_place(episode)
            for _ in range(extra):
                drafts.append((self._moment(d), topic, place, episode))
        drafts.sort(key=lambda x: x[0])
        for received, topic, place, episode in drafts:
            if received >= end or received > self.horizon:
                continue
            yield self._appeal(received, topic, place, episode)

    def _moment(self, d: dt.date) -> dt.datetime:
        hour = self.rng.choices(range(24), weights=HOURS)[0]
        return dt.datetime(d.year, d.month, d.day, hour, self.rng.randrange(60), self.rng.randrange(60), tzinfo=MSK)

    def _episode_place(self, e: Episode) -> _Place:
        t = self.territories[e.territory]
        lat, lon = e.point or (t.lat, t.lon)
        if lat is None:  # an okrug or village with no centre: its parent's
            lat, lon = t.parent.lat, t.parent.lon
        town = t.name if t.level == "settlement" else (t.parent.name if t.parent and t.level == "okrug" else t.name)
        return _Place(e.territory, 0, lat, lon, e.spread, None, town, capital=t.level == "okrug")

    # -- one appeal -------------------------------------------------------------------------------

    def _appeal(self, received: dt.datetime, topic, place: _Place, episode: Episode | None) -> PastAppeal:
        rng = self.rng
        self.serial += 1
        key = f"hist-{self.seed}-{self.serial}"
        lat, lon = self._point(place)
        address = episode.same_address if episode and episode.same_address else self._address(place)
        pool = words.EPISODE_TEXTS[episode.key] if episode else topic.texts
        text = rng.choice(words.OPENERS) + rng.choice(pool) + rng.choice(words.CLOSERS)
        channel = rng.choices([c for c, _ in CHANNELS], weights=[w for _, w in CHANNELS])[0]
        item = PastAppeal(
            key=key, channel=channel, text=text.strip(), received_at=received, category_code=topic.category,
            territory_code=place.territory, address=address, lat=lat, lon=lon,
        )
        item.steps = self._story(item, topic, episode)
        return item

    def _point(self, place: _Place) -> tuple[float | None, float | None]:
        if place.lat is None:
            return None, None
        for _ in range(6):
            lat = place.lat + self.rng.gauss(0, place.spread)
            lon = place.lon + self.rng.gauss(0, place.spread * 1.7)  # a degree of longitude is shorter here
            if place.boundary is None or geo.contains(place.boundary, lat, lon):
                return round(lat, 5), round(lon, 5)
        return place.lat, place.lon

    def _address(self, place: _Place) -> str:
        house = self.rng.randrange(1, 120)
        if place.capital and self.streets:
            return f"{self.rng.choice(self.streets)}, д. {house}"
        if place.town:
            return f"{place.town}, ул. {self.rng.choice(words.COMMON_STREETS)}, д. {house}"
        return ""

    def _route(self, category: str, territory: str) -> Organisation:
        return self.routing.decide(self.categories[category], self.territories[territory]).organisation

    def _story(self, item: PastAppeal, topic, episode: Episode | None) -> list[PastStep]:
        rng, op = self.rng, self.operator
        story = _Story(item.received_at, self.horizon)
        story.add("take_to_moderation", minutes=rng.uniform(1, 15))
        if episode is None and rng.random() < 0.03:
            story.add("reject", hours=rng.uniform(0.5, 6), actor=op, work=True,
                      rejection=rng.choice([RejectionReason.SPAM, RejectionReason.NO_CONTENT, RejectionReason.NOT_COMPETENCE]))
            return story.steps
        place_key = (topic.category, item.territory_code)
        if self._joined(story, place_key, item, episode):
            return story.steps
        org = self._route(topic.category, item.territory_code)
        story.add("route", hours=rng.lognormvariate(math.log(2), 0.8), actor=op, work=True)
        staff = self.staff.get(org.pk, {}) if org is not None else {}
        if org is None or org.kind == Organisation.Kind.CENTER or not staff.get("executor"):
            story.add("accept", hours=rng.uniform(0.2, 3), actor=op if org is None or org.kind == Organisation.Kind.CENTER else None, work=True)
            answerer = op
        else:
            answerer = staff["executor"]
            story.add("assign", hours=rng.lognormvariate(math.log(3), 0.9), actor=staff.get("coordinator"), executor=answerer, work=True)
        urgent = self.categories[topic.category].default_urgency == "high"
        # The incident regime (social networks, urgent matters) wants a first answer within working
        # hours; most organisations give an interim one in time, the rest are late.
        quick = urgent or channels.regime(item.channel) == Regime.INCIDENT
        if rng.random() < (0.85 if quick else 0.15):
            story.add("interim_answer", hours=rng.uniform(0.3, 4) if quick else rng.uniform(1, 20), actor=answerer, work=True,
                      text=rng.choice(words.INTERIM))
        slow = self.slowness.get(org.pk if org else 0, 1.0) * (episode.slow if episode else 1.0)
        median_days = (1.2 if urgent else 3.5) * slow
        publish = self._answer(story, topic, answerer, median_days, first=True)
        if place_key not in self.leads or self.leads[place_key][1] < item.received_at - self.lead_window:
            self.leads[place_key] = (item.key, item.received_at, publish, self.serial)
        if publish is None:
            return story.steps
        self._rating(story, topic, answerer, median_days)
        return story.steps

    def _joined(self, story: _Story, place_key, item: PastAppeal, episode: Episode | None) -> bool:
        """A duplicate of a recent appeal about the same topic and place: joined to it, answered
        with it, closed a week later."""
        share = episode.joined_share if episode else 0.03
        lead = self.leads.get(place_key)
        if lead is None or self.rng.random() >= share:
            return False
        lead_key, lead_received, lead_published, lead_serial = lead
        # record_history finds a lead in the member's batch or the one before: count positions,
        # since a busy day (an episode, a winter Monday) packs more appeals into a batch.
        if (lead_serial - 1) // self.batch < (self.serial - 1) // self.batch - 1:
            return False
        join_at = story.peek(hours=self.rng.uniform(0.5, 4), work=True)
        if item.received_at - lead_received > self.lead_window or (lead_published is not None and join_at >= lead_published):
            return False
        story.add("join_problem", hours=0, at=join_at, actor=self.operator, lead=lead_key, reason="Та же проблема, то же место")
        if lead_published is not None:
            story.add("deliver_problem_answer", at=lead_published)
            story.add("auto_close", days=settings.TSUR_AUTO_CLOSE_DAYS, minutes=5)
        return True

    def _answer(self, story: _Story, topic, answerer, median_days: float, *, first: bool) -> dt.datetime | None:
        """Prepare (a formal reply returned most times), approve, publish: the publication's moment."""
        rng, op = self.rng, self.operator
        delay = rng.lognormvariate(math.log(median_days), 0.75 if first else 0.5)
        formal = rng.random() < 0.1
        story.add("prepare_answer", days=delay, actor=answerer, work=True, text=self._final(topic, story, formal))
        if formal and rng.random() < 0.75:
            story.add("return_answer", hours=rng.uniform(1, 12), actor=op, work=True, reason="Ответ формальный: укажите, что и когда сделано")
            story.add("prepare_answer", days=rng.uniform(0.5, 3), actor=answerer, work=True, text=self._final(topic, story, False))
        story.add("approve_answer", hours=rng.uniform(0.5, 8), actor=op, work=True)
        story.add("publish_answer", hours=rng.uniform(0.1, 2), actor=op, work=True)
        return story.last if story.open else None

    def _final(self, topic, story: _Story, formal: bool) -> str:
        if formal:
            return self.rng.choice(words.FORMAL)
        return self.rng.choice(topic.answers).replace("{date}", f"{timezone.localtime(story.last):%d.%m.%Y}")

    def _rating(self, story: _Story, topic, answerer, median_days: float) -> None:
        rng = self.rng
        for round_ in range(2):
            if rng.random() >= (0.6 if round_ == 0 else 0.5):
                story.add("auto_close", days=settings.TSUR_AUTO_CLOSE_DAYS, minutes=5)
                return
            score = rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 7, 8, 10) if round_ == 0 else (55, 30, 5, 5, 5))[0]
            if score > settings.TSUR_REOPEN_MAX_SCORE:
                story.add("rate_satisfied", hours=rng.lognormvariate(math.log(20), 0.8), score=score, reason=rng.choice(words.COMMENTS_GOOD))
                return
            story.add("reopen", hours=rng.lognormvariate(math.log(20), 0.8), score=score, reason=rng.choice(words.COMMENTS_BAD))
            if round_ == 1 or self._answer(story, topic, answerer, median_days * 0.6, first=False) is None:
                return


class _Story:
    """The steps of one appeal, each after the previous one, stopping at the present."""

    def __init__(self, start: dt.datetime, horizon: dt.datetime) -> None:
        self.last, self.horizon, self.steps, self.open = start, horizon, [], True

    def peek(self, *, days: float = 0, hours: float = 0, minutes: float = 0, work: bool = False) -> dt.datetime:
        moment = self.last + dt.timedelta(days=days, hours=hours, minutes=minutes)
        return _working(moment) if work else moment

    def add(
        self, name: str, *, days: float = 0, hours: float = 0, minutes: float = 0, work: bool = False, at: dt.datetime | None = None, **kw
    ) -> None:
        if not self.open:
            return
        moment = at or self.peek(days=days, hours=hours, minutes=minutes, work=work)
        if moment > self.horizon:
            self.open = False
            return
        self.steps.append(PastStep(name, moment, **kw))
        self.last = moment


def _working(moment: dt.datetime) -> dt.datetime:
    """The same moment if the office is open (8:00-19:00 on weekdays), else the next opening
    plus a short start-of-day delay that depends on the moment (deterministic)."""
    local = timezone.localtime(moment)
    if local.weekday() < 5 and 8 <= local.hour < 19:
        return moment
    day = local.date() + (dt.timedelta(days=1) if local.hour >= 19 else dt.timedelta())
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    start = dt.datetime(day.year, day.month, day.day, 8, tzinfo=MSK)
    return max(start + dt.timedelta(minutes=(local.minute * 7 + local.second) % 150), moment)


def _season(topic, d: dt.date) -> float:
    """The topic's month factor interpolated between mid-months, times its holiday peaks."""
    pos = (d.timetuple().tm_yday - 15.5) / 30.44
    i = math.floor(pos)
    frac = pos - i
    a, b = topic.months[i % 12], topic.months[(i + 1) % 12]
    value = a + (b - a) * frac
    if topic.category.startswith("waste-collection"):
        if d.month == 1 and d.day <= 12:
            value *= 2.5  # the New Year's packaging after the long holidays
        elif d.month == 5 and d.day <= 12:
            value *= 2.0
    if topic.category == "housing-heating-mkd" and _cold_snap(d):
        value *= 2.0
    return value


def _cold_snap(d: dt.date) -> bool:
    return (d.month == 12 and 18 <= d.day <= 24) or (d.month == 2 and 3 <= d.day <= 9)


def _holiday_total(d: dt.date) -> float:
    """Fewer appeals on the long New Year holidays and on May 1 and 9."""
    if d.month == 1 and d.day <= 8:
        return 0.6
    if (d.month, d.day) in ((5, 1), (5, 9), (6, 12), (11, 4), (2, 23), (3, 8)):
        return 0.7
    return 1.0


def _schedule(first: dt.date, end: dt.date, live_end: dt.datetime | None, scale: float) -> dict[dt.date, list[tuple[Episode, int]]]:
    """Which episode adds how many appeals on which day: each at its latest start that fits."""
    planted: dict[dt.date, list[tuple[Episode, int]]] = {}
    for e in EPISODES:
        if e.recent:
            if live_end is None:
                continue
            last = timezone.localtime(live_end).date()
            start = last - dt.timedelta(days=len(e.profile) - 1)
        else:
            start = None
            for year in range(end.year, first.year - 1, -1):
                candidate = dt.date(year, e.month, e.day)
                if candidate >= first and candidate + dt.timedelta(days=len(e.profile)) <= end:
                    start = candidate
                    break
            if start is None:
                continue
        for i, extra in enumerate(e.profile):
            planted.setdefault(start + dt.timedelta(days=i), []).append((e, max(1, round(extra * scale))))
    return planted


def episode_days(end: dt.datetime, days: int, live_end: dt.datetime | None = None) -> dict[str, tuple[dt.date, dt.date]]:
    """Each planted episode's first and last day in a window (what `generate` plants there)."""
    end_day = timezone.localtime(end).date()
    planted = _schedule(end_day - dt.timedelta(days=days), end_day, live_end or end, 1.0)
    found: dict[str, tuple[dt.date, dt.date]] = {}
    for d in sorted(planted):
        for e, _ in planted[d]:
            found[e.key] = (found.get(e.key, (d, d))[0], d)
    return found


def _places(territories: dict[str, Territory]) -> list[_Place]:
    """Where appeals come from, weighted by population (the configured one where there is one)."""
    places = []
    for t in sorted(territories.values(), key=lambda x: x.code):
        if t.level == "city_district":
            places.append(_Place(t.code, (t.population or 50000) * CITY_FACTOR, t.lat, t.lon, 0.02, t.boundary, t.name, capital=t.code == "kaluga"))
        elif t.level == "settlement" and t.population:
            places.append(_Place(t.code, t.population * CITY_FACTOR, t.lat, t.lon, 0.008, None, t.name))
        elif t.level == "settlement":
            weight = VILLAGE_WEIGHT if t.lat is not None else SMALL_VILLAGE_WEIGHT
            places.append(_Place(t.code, weight, t.lat, t.lon, 0.004, None, t.name))
        elif t.level == "municipal_district":
            places.append(_Place(t.code, RURAL_DISTRICT_WEIGHT, t.lat, t.lon, 0.1, t.boundary, ""))
    return places


def _staff() -> dict:
    """Per organisation its coordinator and executor (the first of each), and the center's operator."""
    staff: dict = {}
    for m in Membership.objects.select_related("user").filter(user__is_active=True).order_by("pk"):
        if m.role == Role.REGIONAL_OPERATOR:
            staff.setdefault("operator", []).append(m.user)
        elif m.role in (Role.COORDINATOR, Role.EXECUTOR) and m.organisation_id:
            staff.setdefault(m.organisation_id, {}).setdefault(m.role, m.user)
    return staff
