"""Registering new appeals from any channel: one or a batch, idempotent on (channel, external id),
with their residents' personal data kept apart; and a resident's later message to an appeal."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tsur.appeals import access, channels
from tsur.appeals.events import AppealChange, appeal_changed, appeals_received
from tsur.appeals.models import (
    Appeal,
    ClassificationSource,
    Counter,
    Event,
    Resident,
    Status,
)
from tsur.appeals.privacy import masked
from tsur.appeals.services.notifications import notify_residents
from tsur.appeals.services.transitions import actor_label
from tsur.core import clock, tasks
from tsur.core.db import insert_rows
from tsur.core.errors import ValidationFailed
from tsur.core.events import gathering_active
from tsur.deadlines.services import DeadlineRules, apply_deadlines
from tsur.directory.models import Category, Territory, Urgency
from tsur.directory.services import QueueLookup, active_categories, region_contains, territories_by_code, territory_at
from tsur.lib.safetext import BROKEN_TEXT, clean_text, is_broken

CATEGORY_DEFAULT_URGENCY = "по умолчанию для категории"




def next_number(now: dt.datetime | None = None) -> str:
    return next_numbers(1, now)[0]


def next_numbers(count: int, now: dt.datetime | None = None) -> list[str]:
    """`count` public numbers of the year of `now`, ascending.

    PostgreSQL: from the year's sequence (`tsur_appeal_number_<year>`). nextval takes no lock and,
    in a statement of its own, no commit that waits for the disk: an appeal pays one WAL flush
    (its creation's commit), not two. Measured on the bench database: with both flushes skipped
    (synchronous_commit off, as an experiment only) intake went from ~150 to ~240 req/s, so the
    flushes, not the processor, held a web worker half the time. A batch's numbers ascend in
    its order but may interleave with another writer's; a rolled-back creation leaves a gap.

    Other databases (SQLite: one writer at a time): the yearly counter row, with one update."""
    year = timezone.localtime(now or clock.now()).year
    if connection.vendor == "postgresql":
        values = _from_sequence(year, count)
    else:
        values = _from_counter(year, count)
    return [f"{year}-{value:06d}" for value in values]


# The yearly sequences this process knows exist (created and committed).
_SEQUENCES: set[str] = set()


def _from_sequence(year: int, count: int) -> list[int]:
    name = f"tsur_appeal_number_{year}"
    if name not in _SEQUENCES:
        _create_sequence(name, f"appeal-{year}")
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [name, count])
        return sorted(value for (value,) in cursor.fetchall())


def _create_sequence(name: str, counter_key: str) -> None:
    """Make the year's sequence if it is missing, continuing the year's counter row (what older
    versions counted with). Two processes making it at once: one wins, the other finds it made."""
    qn = connection.ops.quote_name
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT {qn('value')} FROM {qn(Counter._meta.db_table)} WHERE {qn('key')} = %s", [counter_key])
            row = cursor.fetchone()
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {qn(name)} START WITH {int(row[0] if row else 0) + 1}")
    except IntegrityError:  # the catalogue's unique index: another process made it meanwhile
        pass
    if not connection.in_atomic_block:  # committed: it stays (made in a transaction, it could roll back)
        _SEQUENCES.add(name)


def _from_counter(year: int, count: int) -> list[int]:
    key = f"appeal-{year}"
    # One statement (UPDATE … RETURNING): the row is locked for that statement only, and a request
    # pays one round trip instead of four (BEGIN, SELECT … FOR UPDATE, UPDATE, COMMIT).
    qn = connection.ops.quote_name
    table, value, name = qn(Counter._meta.db_table), qn("value"), qn("key")
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {value} = {value} + %s WHERE {name} = %s RETURNING {value}", [count, key])
        row = cursor.fetchone()
    if row is None:  # the year's first appeal: make the row, then count as above
        with transaction.atomic():
            counter, _ = Counter.objects.select_for_update().get_or_create(key=key)
            first = counter.value + 1
            counter.value += count
            counter.save(update_fields=["value"])
        return list(range(first, first + count))
    last = row[0]
    return list(range(last - count + 1, last + 1))


@dataclass
class NewAppeal:
    channel: str
    text: str
    category_code: str = ""
    territory_code: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    external_id: str = ""
    received_at: dt.datetime | None = None
    name: str = ""
    phone: str = ""
    email: str = ""
    account_link: str = ""
    user: object | None = None
    photos: list = field(default_factory=list)  # validated PhotoUpload objects


def regime_for(channel: str, category: Category | None) -> str:
    if category is not None and category.default_regime:
        return category.default_regime
    return channels.regime(channel)


class _Directory:
    """Directory rows a batch of new appeals refers to, read once for the whole batch: the
    categories and territories named by code, territories found by point, and queues."""

    def __init__(self, items: list[NewAppeal], *, staff: bool) -> None:
        categories = active_categories({d.category_code for d in items if d.category_code})
        # Hidden categories are for operators and triage.
        self.categories = {code: c for code, c in categories.items() if staff or c.is_public}
        self.territories = territories_by_code({d.territory_code for d in items if d.territory_code})
        self._at: dict[tuple[float, float], Territory | None] = {}
        self.queue_for = QueueLookup()

    def territory_at(self, lat: float, lon: float) -> Territory | None:
        if (lat, lon) not in self._at:
            self._at[lat, lon] = territory_at(lat, lon)
        return self._at[lat, lon]


def _validate(data: NewAppeal, directory: _Directory) -> tuple[Category | None, Territory | None]:
    errors: dict[str, list[str]] = {}
    text = (data.text or "").strip()
    if not text:
        errors.setdefault("text", []).append("Опишите проблему: текст обращения не может быть пустым.")
    elif len(text) > settings.TSUR_MAX_TEXT_CHARS:
        errors.setdefault("text", []).append(
            f"Текст слишком длинный: {len(text)} знаков, допускается не более {settings.TSUR_MAX_TEXT_CHARS}."
        )
    for name, value in (("text", text), ("address", data.address), ("name", data.name), ("phone", data.phone), ("email", data.email)):
        if value and is_broken(value):
            errors.setdefault(name, []).append(BROKEN_TEXT)
    if data.channel not in channels.known():
        errors.setdefault("channel", []).append(f"Неизвестный канал: {data.channel!r}.")
    category = None
    if data.category_code:
        category = directory.categories.get(data.category_code)
        if category is None:
            errors.setdefault("category", []).append("Такой категории нет в классификаторе.")
    territory = None
    if data.territory_code:
        territory = directory.territories.get(data.territory_code)
        if territory is None:
            errors.setdefault("territory", []).append("Такой территории нет в справочнике.")
    if (data.lat is None) != (data.lon is None):
        errors.setdefault("location", []).append("Укажите обе координаты точки: широту и долготу.")
    elif data.lat is not None:
        if not (-90 <= data.lat <= 90 and -180 <= data.lon <= 180):
            errors.setdefault("location", []).append("Координаты вне допустимого диапазона.")
        elif region_contains(data.lat, data.lon) is False:
            errors.setdefault("location", []).append("Точка на карте находится за пределами региона.")
    if len(data.address) > 300:
        errors.setdefault("address", []).append("Адрес слишком длинный (не более 300 знаков).")
    if data.email and ("@" not in data.email or len(data.email) > 254):
        errors.setdefault("email", []).append("Проверьте адрес электронной почты.")
    if len(data.photos) > settings.TSUR_MAX_PHOTOS:
        errors.setdefault("photos", []).append(f"Можно приложить не более {settings.TSUR_MAX_PHOTOS} фотографий.")
    if errors:
        raise ValidationFailed("Обращение не принято: исправьте отмеченные поля.", field_errors=errors)
    return category, territory


def validate_new_appeal(data: NewAppeal, *, staff: bool = False) -> tuple[Category | None, Territory | None]:
    """Check a new appeal as create_appeal would (raises ValidationFailed); writes nothing."""
    return _validate(data, _Directory([data], staff=staff))


def create_appeal(data: NewAppeal, actor=None, *, looked_up: bool = False) -> Appeal:
    """Register a new appeal from any channel. Idempotent on (channel, external_id): a twin comes
    back with `already_registered` set.

    `looked_up`: no lookup before the insert, because the caller has just looked, or because a
    replay is rare and its lookup would cost every request a query: a twin is then caught by the
    unique constraint and returned (its number taken for nothing: a harmless gap)."""
    result = create_appeals([data], actor, looked_up=looked_up)[0]
    if isinstance(result, ValidationFailed):
        raise result
    return result


@dataclass
class _Accepted:
    """A valid new appeal of a batch, with what validation found for it."""

    index: int
    data: NewAppeal
    category: Category | None
    territory: Territory | None
    received: dt.datetime | None = None
    number: str | None = None


def create_appeals(items: list[NewAppeal], actor=None, *, intake=None, looked_up: bool = False) -> list[Appeal | ValidationFailed]:
    """Register many new appeals at once; `create_appeal` is the case of one, so both behave alike.

    Returns one result per item, in order: the appeal (created, or the one that already exists for
    the item's channel and external id, also when the same item appears twice in `items`), or the
    ValidationFailed that refused it. Directory rows are read once per batch, the numbers are
    taken from the yearly counter in one update, and the rows are written with one insert per
    table in one transaction. Each appeal gets its own "created" event, the resident's
    notification and, after commit, its intake pipeline run (`process_new_appeals`).

    `intake` (a tsur.triage.intake.IntakeAtCreation, for a channel's batch, whose stored inbound
    rows are the record of the work): the pipeline runs before the appeals are first inserted, in
    the same transaction; after commit only the duplicate joins and the e-mails remain.
    """
    if actor is not None:
        access.require(actor, "create")
    results: list[Appeal | ValidationFailed | None] = [None] * len(items)
    first_of: dict[tuple[str, str], int] = {}  # (channel, external id) -> the first item carrying it
    repeats: dict[int, int] = {}
    for i, data in enumerate(items):
        if data.external_id:
            key = (data.channel, data.external_id)
            if key in first_of:
                repeats[i] = first_of[key]
            else:
                first_of[key] = i
    for key, appeal in ({} if looked_up else _existing([key for key in first_of])).items():
        results[first_of[key]] = appeal
    directory = _Directory([d for i, d in enumerate(items) if results[i] is None and i not in repeats], staff=_staff(actor))
    accepted: list[_Accepted] = []
    for i, data in enumerate(items):
        if results[i] is not None or i in repeats:
            continue
        try:
            category, territory = _validate(data, directory)
        except ValidationFailed as exc:
            results[i] = exc
            continue
        if territory is None and data.lat is not None:
            territory = directory.territory_at(data.lat, data.lon)
        accepted.append(_Accepted(i, data, category, territory))
    if accepted:
        for item, appeal in zip(accepted, _write(accepted, directory, actor, intake), strict=True):
            results[item.index] = appeal
    for i, first in repeats.items():
        results[i] = results[first]
    return results  # type: ignore[return-value]


def _staff(actor) -> bool:
    return actor is not None and access.is_staff_role(actor)


def _existing(keys: list[tuple[str, str]]) -> dict[tuple[str, str], Appeal]:
    """The appeals already registered under these (channel, external id) pairs."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id[:200])
    found: dict[tuple[str, str], Appeal] = {}
    for channel, external_ids in by_channel.items():
        for start in range(0, len(external_ids), 500):
            for appeal in Appeal.objects.filter(channel=channel, external_id__in=external_ids[start : start + 500]):
                appeal.already_registered = True
                found[channel, appeal.external_id] = appeal
    # Keys longer than the column were cut when stored: look them up the way they were stored.
    return {(c, e): found[c, e[:200]] for c, e in keys if (c, e[:200]) in found}


def _write(accepted: list[_Accepted], directory: _Directory, actor, intake=None) -> list[Appeal]:
    """Insert the accepted appeals with their residents, events and notifications.

    When another worker registers one of the same (channel, external id) pairs at the same
    instant, the unique constraint refuses the whole insert; the batch is then written item by
    item, and the item that lost the race returns the other worker's appeal."""
    # Outside a transaction the numbers are taken in a statement of their own (PostgreSQL's yearly
    # sequence; elsewhere the counter row, then locked for one statement, not for the whole
    # creation); a failed creation leaves a gap in the numbering, which is harmless.
    outside = not transaction.get_connection().in_atomic_block
    if outside:
        _number(accepted)
    try:
        with transaction.atomic():
            if not outside:
                _number(accepted)
            return _insert(accepted, directory, actor, intake)
    except IntegrityError:
        if len(accepted) > 1:
            return [_write([item], directory, actor, intake)[0] for item in accepted]
        data = accepted[0].data
        if data.external_id:
            existing = _existing([(data.channel, data.external_id)]).get((data.channel, data.external_id))
            if existing is not None:
                return [existing]
        raise


def _number(accepted: list[_Accepted]) -> None:
    """Consecutive numbers in the order of the items, per year of receipt."""
    by_year: dict[int, list[_Accepted]] = {}
    for item in accepted:
        item.received = item.data.received_at or clock.now()
        by_year.setdefault(timezone.localtime(item.received).year, []).append(item)
    for group in by_year.values():
        for item, number in zip(group, next_numbers(len(group), group[0].received), strict=True):
            item.number = number


def _insert(accepted: list[_Accepted], directory: _Directory, actor, intake=None) -> list[Appeal]:

    residents: dict[int, Resident] = {}
    for item in accepted:
        d = item.data
        if d.name or d.phone or d.email or d.account_link or d.user is not None:
            residents[item.index] = Resident(
                name=d.name.strip()[:200],
                phone=d.phone.strip()[:32],
                email=d.email.strip(),
                account_link=d.account_link.strip()[:300],
                user=d.user if getattr(d.user, "is_authenticated", False) else None,
            )
    insert_rows(Resident, list(residents.values()))
    rules = DeadlineRules()
    appeals = []
    for item in accepted:
        d, category, territory = item.data, item.category, item.territory
        text = clean_text(d.text.strip())
        appeal = Appeal(
            number=item.number,
            channel=d.channel,
            external_id=d.external_id[:200],
            regime=regime_for(d.channel, category),
            text=text,
            text_masked=masked(text, name=d.name, phone=d.phone, email=d.email, account=d.account_link),
            resident=residents.get(item.index),
            territory=territory,
            address=clean_text(d.address.strip()),
            lat=d.lat,
            lon=d.lon,
            place_source=ClassificationSource.RESIDENT if (territory or d.address or d.lat is not None) else "",
            category=category,
            block=category.block if category else None,
            classification_source=ClassificationSource.RESIDENT if category else "",
            urgency=category.default_urgency if category else Urgency.NORMAL,
            urgency_reason=CATEGORY_DEFAULT_URGENCY if category and category.default_urgency == Urgency.HIGH else "",
            queue=directory.queue_for(territory, category),
            received_at=item.received,
            status=Status.RECEIVED,
        )
        appeal.refresh_search_text()
        if intake is None:
            apply_deadlines(appeal, rules=rules)  # with an intake, once its triage is applied
        appeals.append(appeal)
    regimes = [appeal.regime for appeal in appeals]  # as received, for the "created" events
    if intake is not None:
        intake.prepare(appeals)  # triaged, given deadlines and taken to moderation before the first insert
    insert_rows(Appeal, appeals)
    label = actor_label(actor) if actor else "житель"
    events = []
    for item, appeal, regime in zip(accepted, appeals, regimes, strict=True):
        for photo in item.data.photos:
            photo.save_to(appeal)
        events.append(
            Event(
                appeal=appeal,
                kind="created",
                actor=actor,
                actor_label=label,
                to_status=Status.RECEIVED,
                data={"channel": appeal.channel, "regime": regime, "photos": len(item.data.photos)},
            )
        )
    if intake is None:
        insert_rows(Event, events)
        # The subscribers (the intake follow-up, tension, analytics, monitoring) hear of the new
        # appeals after the resident's request has answered: on the background runner without a
        # broker, else from a Celery worker, so the web process spends nothing more on them. Until
        # triage has moved an appeal on it stays "received": that and its "created" event are the
        # record, and `requeue_follow_ups` sends the follow-up again should its message be lost.
        if gathering_active():
            # A bulk writer (the history replay) gathers what one transaction publishes into one
            # batch per topic: the "created" events join it, as the rest of its changes do.
            appeal_changed.publish([AppealChange.of(event) for event in events])
            appeals_received.publish([event.appeal_id for event in events])
        else:
            created_ids = [event.pk for event in events]
            transaction.on_commit(lambda: tasks.enqueue_ids(FOLLOW_UP, created_ids))
    notify_residents(
        [
            (
                appeal,
                f"Обращение {appeal.number} зарегистрировано",
                f"Ваше обращение зарегистрировано под номером {appeal.number}. "
                f"Следить за ним можно по ссылке: {status_url(appeal)}",
            )
            for appeal in appeals
        ],
        "created",
    )
    if intake is not None:
        intake.finish(events)  # the "created" events with its own and its triage results; joins after commit
    return appeals


FOLLOW_UP = "appeals_created_follow_up"


@tasks.background(FOLLOW_UP)
def follow_up_created(event_ids: list[int]) -> int:
    """Publish the "created" events of new appeals (`appeal_changed`) and their ids
    (`appeals_received`: the intake follow-up, triage and the move to moderation, is whoever
    subscribes: tsur.triage). Run outside a transaction, the subscribers are called at once."""
    events = list(Event.objects.filter(pk__in=event_ids, kind="created").order_by("pk"))
    appeal_changed.publish([AppealChange.of(event) for event in events])
    appeals_received.publish([event.appeal_id for event in events])
    return len(events)


@tasks.periodic("created_follow_up_requeued")
def requeue_follow_ups(now: dt.datetime) -> int:
    """Appeals still "received" a while after their creation: the follow-up's message was lost
    (a broker restart) or its run failed. Their "created" events are published again; every
    subscriber is idempotent on them (marks, recounts, triage's claim of received appeals)."""
    stuck = Appeal.objects.filter(status=Status.RECEIVED, created_at__lt=now - tasks.LOST_AFTER).values("pk")[: tasks.REQUEUE_AT_MOST]
    events = list(Event.objects.filter(appeal_id__in=stuck, kind="created").values_list("pk", flat=True))
    tasks.enqueue_ids(FOLLOW_UP, events)
    return len(events)


def status_url(appeal: Appeal) -> str:
    return f"{settings.SITE_URL}/status/{appeal.number}/{appeal.access_key}/"
