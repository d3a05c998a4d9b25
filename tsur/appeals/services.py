"""Service functions of the appeal lifecycle: one door for every state change.

Each function validates, checks access and the transition, writes the appeal and one event in a
single transaction, and schedules side effects (notifications, background work) after commit.
Views, API endpoints, tasks and commands only parse input and call these.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.dispatch import Signal
from django.utils import timezone

from tsur.appeals import access
from tsur.appeals.lifecycle import TRANSITIONS
from tsur.appeals.models import (
    CHANNEL_CODES,
    Appeal,
    Channel,
    ClassificationSource,
    Counter,
    Event,
    Notification,
    Problem,
    RejectionReason,
    Resident,
    Status,
)
from tsur.appeals.privacy import masked
from tsur.core import clock
from tsur.core.db import copy_rows
from tsur.core.errors import ConcurrentUpdate, NotFound, TransitionNotAllowed, ValidationFailed
from tsur.directory.models import Category, Organisation, Regime, Territory, Urgency
from tsur.directory.services import QueueLookup, queue_for, region_contains, territory_at
from tsur.lib.safetext import BROKEN_TEXT, clean_text, is_broken

appeal_changed = Signal()  # kwargs: appeal, event; sent inside the transition's transaction

SYSTEM = "система"
CATEGORY_DEFAULT_URGENCY = "по умолчанию для категории"

# Which regime an appeal falls under when its category does not say (configurable).
CHANNEL_REGIMES: dict[str, str] = {
    Channel.VK: Regime.INCIDENT,
    Channel.TELEGRAM: Regime.INCIDENT,
    # A resident writing to the center's bot is like the app or the widget, not a post found by
    # monitoring: the message regime (PRODUCT.md, the three regimes).
    Channel.TELEGRAM_BOT: Regime.MESSAGE,
    Channel.OK: Regime.INCIDENT,
    Channel.EMAIL: Regime.APPEAL,
    Channel.OPERATOR: Regime.APPEAL,
    Channel.WIDGET: Regime.MESSAGE,
    Channel.APP: Regime.MESSAGE,
    Channel.OPEN311: Regime.MESSAGE,
    Channel.POS_IMPORT: Regime.MESSAGE,
}
CHANNEL_REGIMES.update(getattr(settings, "TSUR_CHANNEL_REGIMES", {}))


def actor_label(actor) -> str:
    """How the event log names who acted. Residents are never named: the log is kept for good,
    while their personal data is purged by the retention policy."""
    if actor is None:
        return SYSTEM
    if access.role_of(actor) == "resident":
        return "житель"
    full = actor.get_full_name() if hasattr(actor, "get_full_name") else ""
    return full or actor.get_username()


@dataclass
class Change:
    """What a transition is writing: the locked appeal plus the event's reason and data."""

    appeal: Appeal
    from_status: str
    reason: str = ""
    data: dict = field(default_factory=dict)


@contextlib.contextmanager
def changing(
    appeal: Appeal | int,
    name: str,
    actor,
    *,
    action: str | None = None,
    expected_version: int | None = None,
    label: str | None = None,
) -> Iterator[Change]:
    """Lock the appeal, check access, version and transition; on exit save it and log the event.

    Two operators acting at once: the row lock serialises them and the version check refuses the
    one who acted on a stale view, so nothing is half-written.
    """
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    transition = TRANSITIONS[name]
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("Обращение не найдено.")
        if actor is not None:
            access.require(actor, action or name, locked)
        if expected_version is not None and locked.version != expected_version:
            raise ConcurrentUpdate(
                f"Обращение {locked.number} уже изменил другой пользователь. Обновите карточку и повторите действие."
            )
        if locked.status not in transition.sources:
            raise TransitionNotAllowed(
                f"Действие «{transition.label}» невозможно: обращение {locked.number} "
                f"в статусе «{Status(locked.status).label}».",
                code="transition_not_allowed",
            )
        change = Change(appeal=locked, from_status=locked.status)
        yield change
        if transition.target is not None:
            locked.status = transition.target
        locked.version += 1
        locked.refresh_search_text()
        locked.save()
        event = Event.objects.create(
            appeal=locked,
            kind=name,
            actor=actor if actor is not None else None,
            actor_label=label or actor_label(actor),
            from_status=change.from_status,
            to_status=locked.status,
            reason=change.reason,
            data=change.data,
        )
        # Other areas (triage corrections, later analytics) react without appeals importing them.
        appeal_changed.send(sender=Appeal, appeal=locked, event=event)
    if isinstance(appeal, Appeal):
        # Keep the caller's object in step with what was written (refresh also drops cached
        # related objects whose key changed, e.g. `appeal.organisation` after routing).
        appeal.refresh_from_db()


PD_VIEW_EVENT = "personal_data_viewed"
# One audit row per user, appeal and hour keeps the log readable while still showing who looked.
PD_VIEW_AUDIT_WINDOW = dt.timedelta(hours=1)


def record_personal_data_view(appeal: Appeal, user, where: str) -> None:
    """Audit that `user` was shown the resident's personal data (152-FZ: who saw what)."""
    since = clock.now() - PD_VIEW_AUDIT_WINDOW
    if not Event.objects.filter(appeal=appeal, kind=PD_VIEW_EVENT, actor=user, at__gte=since).exists():
        log_event(appeal, PD_VIEW_EVENT, user, reason=f"Просмотр персональных данных ({where})")


def log_event(appeal: Appeal, kind: str, actor=None, *, reason: str = "", data: dict | None = None, label: str = "") -> Event:
    """An event that changes no status (a reminder sent, a personal-data view, a notification)."""
    return Event.objects.create(
        appeal=appeal,
        kind=kind,
        actor=actor,
        actor_label=label or actor_label(actor),
        from_status=appeal.status,
        to_status=appeal.status,
        reason=reason,
        data=data or {},
    )


def next_number(now: dt.datetime | None = None) -> str:
    return next_numbers(1, now)[0]


def next_numbers(count: int, now: dt.datetime | None = None) -> list[str]:
    """`count` consecutive public numbers of the year of `now`, taken from the yearly counter row
    with one update: a batch of appeals locks the row once, not once per appeal."""
    year = timezone.localtime(now or clock.now()).year
    with transaction.atomic():
        counter, _ = Counter.objects.select_for_update().get_or_create(key=f"appeal-{year}")
        first = counter.value + 1
        counter.value += count
        counter.save(update_fields=["value"])
    return [f"{year}-{value:06d}" for value in range(first, first + count)]


# --- intake -------------------------------------------------------------------------------------


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


def _regime_for(channel: str, category: Category | None) -> str:
    if category is not None and category.default_regime:
        return category.default_regime
    return CHANNEL_REGIMES.get(channel, Regime.MESSAGE)


class _Directory:
    """Directory rows a batch of new appeals refers to, read once for the whole batch: the
    categories and territories named by code, territories found by point, and queues."""

    def __init__(self, items: list[NewAppeal], *, staff: bool) -> None:
        codes = {d.category_code for d in items if d.category_code}
        categories = Category.objects.filter(is_active=True, code__in=codes)
        if not staff:
            categories = categories.filter(is_public=True)  # hidden ones are for operators and triage
        self.categories = {c.code: c for c in categories.select_related("block")} if codes else {}
        codes = {d.territory_code for d in items if d.territory_code}
        self.territories = {t.code: t for t in Territory.objects.filter(code__in=codes)} if codes else {}
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
    if data.channel not in CHANNEL_CODES:
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


def create_appeal(data: NewAppeal, actor=None) -> Appeal:
    """Register a new appeal from any channel. Idempotent on (channel, external_id)."""
    result = create_appeals([data], actor)[0]
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


def create_appeals(items: list[NewAppeal], actor=None, *, intake=None) -> list[Appeal | ValidationFailed]:
    """Register many new appeals at once; `create_appeal` is the case of one, so both behave alike.

    Returns one result per item, in order: the appeal (created, or the one that already exists for
    the item's channel and external id, also when the same item appears twice in `items`), or the
    ValidationFailed that refused it. Directory rows are read once per batch, the numbers are
    taken from the yearly counter in one update, and the rows are written with one insert per
    table in one transaction. Each appeal gets its own "created" event, the resident's
    notification and, after commit, its intake pipeline run (`process_new_appeals`).

    `intake` (a tsur.appeals.batch.IntakeAtCreation, for a channel's batch, whose stored inbound
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
    for key, appeal in _existing([key for key in first_of]).items():
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
                found[channel, appeal.external_id] = appeal
    # Keys longer than the column were cut when stored: look them up the way they were stored.
    return {(c, e): found[c, e[:200]] for c, e in keys if (c, e[:200]) in found}


def _write(accepted: list[_Accepted], directory: _Directory, actor, intake=None) -> list[Appeal]:
    """Insert the accepted appeals with their residents, events and notifications.

    When another worker registers one of the same (channel, external id) pairs at the same
    instant, the unique constraint refuses the whole insert; the batch is then written item by
    item, and the item that lost the race returns the other worker's appeal."""
    # Outside a transaction the numbers are taken in their own short one, so the counter row is
    # locked for one statement, not for the whole creation; a failed creation leaves a gap in the
    # numbering, which is harmless.
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
    from tsur.deadlines.services import DeadlineRules, apply_deadlines

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
    copy_rows(Resident, list(residents.values()), with_ids=True)
    rules = DeadlineRules()
    appeals = []
    for item in accepted:
        d, category, territory = item.data, item.category, item.territory
        appeal = Appeal(
            number=item.number,
            channel=d.channel,
            external_id=d.external_id[:200],
            regime=_regime_for(d.channel, category),
            text=clean_text(d.text.strip()),
            text_masked=masked(clean_text(d.text.strip()), name=d.name, phone=d.phone, email=d.email, account=d.account_link),
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
    copy_rows(Appeal, appeals, with_ids=True)
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
        copy_rows(Event, events)
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
    else:
        from tsur.core import tasks

        ids = [appeal.pk for appeal in appeals]
        transaction.on_commit(lambda: tasks.enqueue_ids("process_new_appeals", ids))
    return appeals


RESIDENT_MESSAGE_EVENT = "resident_message"


def add_resident_message(appeal: Appeal | int, *, text: str, photos: list, source: str, external_id: str = "") -> Event:
    """A resident wrote again about an existing appeal (a reply in the same e-mail thread): the
    text goes to the appeal's log, the photos to its attachments; the status does not change.

    Idempotent on `external_id`: a message processed twice (a worker died before its row was
    marked) is recorded once."""
    pk = appeal.pk if isinstance(appeal, Appeal) else appeal
    text = (text or "").strip()[: settings.TSUR_MAX_TEXT_CHARS]
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().filter(pk=pk).first()
        if locked is None:
            raise NotFound("Обращение не найдено.")
        if external_id:
            known = Event.objects.filter(appeal=locked, kind=RESIDENT_MESSAGE_EVENT, data__external_id=external_id).first()
            if known is not None:
                return known
        for photo in photos:
            photo.save_to(locked)
        return log_event(
            locked,
            RESIDENT_MESSAGE_EVENT,
            label="житель",
            reason=text,
            data={"text": text, "attachments": len(photos), "channel": source, "external_id": external_id},
        )


def status_url(appeal: Appeal) -> str:
    return f"{settings.SITE_URL}/status/{appeal.number}/{appeal.access_key}/"


def notify_resident(appeal: Appeal, kind: str, subject: str, body: str) -> Notification:
    """Record a notification; it is delivered after commit and retried by the sweeper."""
    return notify_residents([(appeal, subject, body)], kind)[0]


def notify_residents(messages: list[tuple[Appeal, str, str]], kind: str) -> list[Notification]:
    """Record notifications of one kind (appeal, subject, body) with one insert; each is delivered
    after commit and retried by the sweeper."""
    notes = [Notification(appeal=appeal, kind=kind, subject=subject, body=body) for appeal, subject, body in messages]
    copy_rows(Notification, notes, with_ids=True)
    # A bulk insert sends no post_save; receivers (a channel turning an answer into a delivery in
    # the same transaction) must still see every notification, as after a save().
    for note in notes:
        post_save.send(sender=Notification, instance=note, created=True, update_fields=None, raw=False, using=note._state.db)
    # What nothing will send (the resident has no e-mail, or the channel delivers it) is settled
    # here, as the delivery task would settle it right after commit; only e-mails are scheduled.
    settled = settle_unsendable(notes)
    from tsur.core import tasks

    ids = [note.pk for note in notes if note.pk not in settled]
    if ids:
        transaction.on_commit(lambda: tasks.enqueue_ids("deliver_notifications", ids))
    return notes


def settle_unsendable(notes: list[Notification]) -> dict[int, str]:
    """Mark skipped the notifications nothing will send by e-mail: those a channel delivery
    carries (the appeal came through a channel that answers in its own thread: a social post, an
    e-mail reply with In-Reply-To; a second e-mail would duplicate it) and those of residents
    without an e-mail address (they read them on the status page). One query and at most two
    updates for the lot. Returns {notification id: why} for those it settled."""
    if not notes:
        return {}
    ids = [note.pk for note in notes]
    settled = dict.fromkeys(
        Notification.objects.filter(pk__in=ids, delivery__isnull=False).values_list("pk", flat=True), "channel delivery"
    )
    for note in notes:
        resident = note.appeal.resident
        if note.pk not in settled and (resident is None or not resident.email):
            settled[note.pk] = "no address"
    in_channel = [pk for pk, why in settled.items() if why == "channel delivery"]
    no_address = [pk for pk, why in settled.items() if why == "no address"]
    if in_channel:
        Notification.objects.filter(pk__in=in_channel).update(state=Notification.State.SKIPPED, last_error="доставляется через канал")
    if no_address:
        Notification.objects.filter(pk__in=no_address).update(state=Notification.State.SKIPPED)
    return settled


def take_to_moderation(appeal: Appeal | int, actor=None) -> Appeal:
    """The intake pipeline is done with a new appeal (or an operator takes it by hand)."""
    with changing(appeal, "take_to_moderation", actor, action="moderate") as ch:
        ch.reason = "Первичная обработка завершена" if actor is None else "Взято на модерацию оператором"
    return ch.appeal


# --- moderation, classification, routing ----------------------------------------------------


def _apply_classification(a: Appeal, category: Category, source: str, confidence: float | None = None, queues=queue_for) -> dict:
    before = {"category": a.category.code if a.category_id else None, "regime": a.regime}
    a.category = category
    a.block = category.block
    if not a.urgency_reason or a.urgency_reason == CATEGORY_DEFAULT_URGENCY:
        # Urgency set by hand (with its reason) stays; a category default follows the category.
        a.urgency = category.default_urgency
        a.urgency_reason = CATEGORY_DEFAULT_URGENCY if category.default_urgency == Urgency.HIGH else ""
    a.classification_source = source
    a.classification_confidence = confidence
    a.regime = _regime_for(a.channel, category)
    a.queue = queues(a.territory, category)
    return {"before": before, "after": {"category": category.code, "regime": a.regime}}


def reclassify(
    appeal: Appeal | int,
    actor,
    *,
    category_code: str,
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    category = Category.objects.filter(code=category_code, is_active=True).select_related("block").first()
    if category is None:
        raise ValidationFailed("Такой категории нет в классификаторе.", field_errors={"category": ["Неизвестная категория."]})
    with changing(appeal, "reclassify", actor, expected_version=expected_version) as ch:
        ch.data = _apply_classification(ch.appeal, category, ClassificationSource.OPERATOR)
        ch.reason = reason
        from tsur.deadlines.services import apply_deadlines

        apply_deadlines(ch.appeal)
        ch.data["due_at"] = ch.appeal.due_at.isoformat() if ch.appeal.due_at else None
    return ch.appeal


def change_place(
    appeal: Appeal | int,
    actor,
    *,
    territory_code: str = "",
    address: str | None = None,
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    territory = Territory.objects.filter(code=territory_code).first() if territory_code else None
    if territory_code and territory is None:
        raise ValidationFailed("Такой территории нет в справочнике.", field_errors={"territory": ["Неизвестная территория."]})
    with changing(appeal, "change_place", actor, action="reclassify", expected_version=expected_version) as ch:
        a = ch.appeal
        ch.data = {"before": {"territory": a.territory.code if a.territory_id else None, "address": a.address}}
        if territory is not None:
            a.territory = territory
        if address is not None:
            a.address = address.strip()[:300]
        a.place_source = ClassificationSource.OPERATOR
        a.queue = queue_for(a.territory, a.category)
        ch.data["after"] = {"territory": a.territory.code if a.territory_id else None, "address": a.address}
        ch.reason = reason
    return ch.appeal


def change_urgency(
    appeal: Appeal | int, actor, *, urgency: str, reason: str, expected_version: int | None = None
) -> Appeal:
    if urgency not in Urgency.values:
        raise ValidationFailed("Срочность: допустимы значения high и normal.", field_errors={"urgency": ["Неизвестное значение."]})
    if not reason.strip():
        raise ValidationFailed("Укажите причину изменения срочности.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "change_urgency", actor, expected_version=expected_version) as ch:
        ch.data = {"before": ch.appeal.urgency, "after": urgency}
        ch.appeal.urgency = urgency
        ch.appeal.urgency_reason = reason.strip()[:300]
        ch.reason = reason
        from tsur.deadlines.services import apply_deadlines

        apply_deadlines(ch.appeal)
    return ch.appeal


def route_appeal(
    appeal: Appeal | int,
    actor,
    *,
    organisation_code: str = "",
    reason: str = "",
    expected_version: int | None = None,
) -> Appeal:
    """Moderation passed: register the appeal and send it to an organisation, by rule or by hand."""
    from tsur.deadlines.services import apply_deadlines
    from tsur.routing.services import decide

    manual = None
    if organisation_code:
        manual = Organisation.objects.filter(code=organisation_code, is_active=True).first()
        if manual is None:
            raise ValidationFailed("Организация не найдена.", field_errors={"organisation": ["Неизвестная организация."]})
    with changing(appeal, "route", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if manual is not None:
            a.organisation = manual
            a.routing_reason = f"Выбрано оператором вручную: {reason.strip() or 'без комментария'}"
            ch.data = {"organisation": manual.code, "manual": True}
        else:
            decision = decide(a)
            a.organisation = decision.organisation
            a.routing_reason = decision.reason
            ch.data = {"organisation": decision.organisation.code, "rule": decision.rule_id, "manual": False}
        now = clock.now()
        a.registered_at = a.registered_at or now
        a.routed_at = now
        a.executor = None
        apply_deadlines(a)
        ch.reason = a.routing_reason
    return ch.appeal


def transfer_appeal(
    appeal: Appeal | int, actor, *, organisation_code: str, reason: str, expected_version: int | None = None
) -> Appeal:
    from tsur.deadlines.services import apply_deadlines

    if not reason.strip():
        raise ValidationFailed("Укажите причину переадресации.", field_errors={"reason": ["Обязательное поле."]})
    target = Organisation.objects.filter(code=organisation_code, is_active=True).first()
    if target is None:
        raise ValidationFailed("Организация не найдена.", field_errors={"organisation": ["Неизвестная организация."]})
    with changing(appeal, "transfer", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if a.organisation_id == target.pk:
            raise ValidationFailed("Обращение уже находится в этой организации.", field_errors={"organisation": ["Та же организация."]})
        ch.data = {"from": a.organisation.code if a.organisation_id else None, "to": target.code}
        a.organisation = target
        a.executor = None
        a.routed_at = clock.now()
        a.routing_reason = f"Переадресовано: {reason.strip()}"
        a.escalation_level = 0
        a.reminded_at = None
        apply_deadlines(a)
        ch.reason = reason.strip()
    return ch.appeal


def return_to_moderation(appeal: Appeal | int, actor, *, reason: str, expected_version: int | None = None) -> Appeal:
    """A coordinator says the appeal is not theirs: it goes back to the center's moderation."""
    if not reason.strip():
        raise ValidationFailed("Укажите, почему обращение не относится к вашей организации.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "return_to_moderation", actor, action="transfer", expected_version=expected_version) as ch:
        ch.data = {"from": ch.appeal.organisation.code if ch.appeal.organisation_id else None}
        ch.appeal.organisation = None
        ch.appeal.executor = None
        ch.reason = reason.strip()
    return ch.appeal


def assign_executor(appeal: Appeal | int, actor, *, executor_id: int, expected_version: int | None = None) -> Appeal:
    from django.contrib.auth import get_user_model

    from tsur.accounts.models import Role

    user = get_user_model().objects.filter(pk=executor_id, is_active=True).select_related("membership").first()
    with changing(appeal, "assign", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        m = access.membership_of(user) if user else None
        if m is None or m.role not in (Role.EXECUTOR, Role.COORDINATOR) or m.organisation_id != a.organisation_id:
            raise ValidationFailed(
                "Исполнитель должен быть сотрудником организации, в которой находится обращение.",
                field_errors={"executor": ["Недопустимый исполнитель."]},
            )
        ch.data = {"executor": user.pk}
        ch.reason = f"Исполнитель: {actor_label(user)}"
        a.executor = user
    return ch.appeal


def accept_appeal(appeal: Appeal | int, actor, *, expected_version: int | None = None) -> Appeal:
    with changing(appeal, "accept", actor, expected_version=expected_version) as ch:
        if ch.appeal.executor_id is None and access.role_of(actor) == "executor":
            ch.appeal.executor = actor
    return ch.appeal


def reject_appeal(
    appeal: Appeal | int, actor, *, reason_code: str, note: str = "", expected_version: int | None = None
) -> Appeal:
    if reason_code not in RejectionReason.values:
        raise ValidationFailed("Выберите причину отклонения.", field_errors={"reason": ["Неизвестная причина."]})
    if reason_code == RejectionReason.OTHER and not note.strip():
        raise ValidationFailed("Опишите причину отклонения.", field_errors={"note": ["Обязательное поле для причины «Иное»."]})
    with changing(appeal, "reject", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if hasattr(a, "led_problem") and a.led_problem.appeals.exclude(pk=a.pk).exists():
            raise TransitionNotAllowed("Нельзя отклонить ведущее обращение проблемы, к которому присоединены другие.")
        a.rejection_reason = reason_code
        a.rejection_note = note.strip()
        a.closed_at = clock.now()
        ch.reason = f"{RejectionReason(reason_code).label}. {note.strip()}".strip()
        notify_resident(
            a,
            "rejected",
            f"Обращение {a.number} отклонено",
            f"Обращение {a.number} не может быть рассмотрено. Причина: {ch.reason}",
        )
    return ch.appeal


def join_to_problem(
    appeal: Appeal | int, actor, *, lead_number: str, reason: str = "", expected_version: int | None = None
) -> Appeal:
    """Join an appeal to the problem led by another (the first appeal stays the lead)."""
    # Look the lead up within the actor's scope, so the answer never reveals appeals outside it.
    candidates = access.appeals_for(actor) if actor is not None else Appeal.objects.all()
    lead = candidates.filter(number=lead_number.strip()).first()
    if lead is None:
        raise ValidationFailed("Ведущее обращение не найдено.", field_errors={"lead": ["Нет обращения с таким номером."]})
    if lead.problem_id and lead.problem.lead_id != lead.pk:
        lead = lead.problem.lead  # joining to a member means joining its problem
    if not lead.is_open:
        raise TransitionNotAllowed(f"Проблема по обращению {lead.number} уже закрыта: присоединять к ней нельзя.")
    with changing(appeal, "join_problem", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        if a.pk == lead.pk:
            raise ValidationFailed("Обращение нельзя присоединить к самому себе.", field_errors={"lead": ["То же обращение."]})
        if hasattr(a, "led_problem") and a.led_problem.appeals.exclude(pk=a.pk).exists():
            raise TransitionNotAllowed("Это обращение само ведёт проблему с присоединёнными обращениями.")
        problem, _ = Problem.objects.get_or_create(lead=lead)
        if lead.problem_id != problem.pk:
            Appeal.objects.filter(pk=lead.pk).update(problem=problem)
        a.problem = problem
        a.organisation = lead.organisation
        a.executor = None
        ch.data = {"lead": lead.number, "problem": problem.pk}
        ch.reason = reason.strip() or f"То же, что обращение {lead.number}"
        notify_resident(
            a,
            "joined",
            f"Обращение {a.number} объединено с похожими",
            f"Ваше обращение {a.number} касается той же проблемы, что и обращение {lead.number}. "
            "Ответ по проблеме придёт и вам, и вы сможете его оценить.",
        )
    return ch.appeal


def detach_from_problem(appeal: Appeal | int, actor, *, reason: str, expected_version: int | None = None) -> Appeal:
    """Undo a join (an operator's or the automatic duplicate detector's): back to moderation."""
    if not reason.strip():
        raise ValidationFailed("Укажите, почему обращение не относится к проблеме.", field_errors={"reason": ["Обязательное поле."]})
    with changing(appeal, "detach_from_problem", actor, expected_version=expected_version) as ch:
        a = ch.appeal
        ch.data = {"lead": a.problem.lead.number if a.problem_id else None}
        a.problem = None
        a.organisation = None
        ch.reason = reason.strip()
    return ch.appeal


@dataclass
class AutoTriage:
    """What the automatic triage proposes for a newly received appeal."""

    category: Category | None = None
    block_key: str = ""
    block: object | None = None  # the Block of block_key when the caller has it (read otherwise)
    confidence: float | None = None
    territory: Territory | None = None
    address: str = ""
    urgency_reason: str = ""  # non-empty: raise the urgency to high with this reason
    summary: dict = field(default_factory=dict)


def apply_auto_triage(appeal: Appeal | int, proposal: AutoTriage) -> Appeal:
    """Apply what triage found, without overriding anything the resident or an operator set."""
    return auto_triage(appeal, proposal)[0]


def auto_triage(appeal: Appeal | int, proposal: AutoTriage, *, rules=None) -> tuple[Appeal, dict]:
    """`apply_auto_triage`, also returning what it applied (as recorded in the event's data).
    `rules`: a `DeadlineRules` shared by the appeals of a batch."""
    with changing(appeal, "auto_triage", None, label=AUTO_TRIAGE_LABEL) as ch:
        applied = apply_proposal(ch.appeal, proposal, rules=rules)
        ch.data = {"applied": applied, **proposal.summary}
        ch.reason = auto_triage_reason(applied)
    return ch.appeal, applied


AUTO_TRIAGE_LABEL = "автоматический разбор"


def auto_triage_reason(applied: dict) -> str:
    return ", ".join(f"{k}: {v}" for k, v in applied.items()) or "без изменений"


def apply_proposal(a: Appeal, proposal: AutoTriage, *, rules=None, queues=queue_for) -> dict:
    """Change the (locked) appeal in memory as triage proposes, without overriding anything the
    resident or an operator set; the queue and the deadlines follow. Returns what was applied.
    The caller saves the appeal and logs the `auto_triage` event. `rules` (a DeadlineRules) and
    `queues` (a QueueLookup) may be shared by the appeals of a batch."""
    from tsur.deadlines.services import apply_deadlines
    from tsur.directory.models import Block

    applied: dict = {}
    if a.category_id is None and proposal.category is not None:
        _apply_classification(a, proposal.category, ClassificationSource.AUTO, proposal.confidence, queues=queues)
        applied["category"] = proposal.category.code
    elif a.block_id is None and proposal.block_key:
        block = proposal.block if proposal.block is not None else Block.objects.filter(key=proposal.block_key).first()
        if block is not None:
            a.block, a.classification_source, a.classification_confidence = block, ClassificationSource.AUTO, proposal.confidence
            applied["block"] = block.key
    if a.territory_id is None and proposal.territory is not None:
        a.territory = proposal.territory
        a.place_source = ClassificationSource.AUTO
        applied["territory"] = proposal.territory.code
    if not a.address and proposal.address:
        a.address = proposal.address[:300]
        applied["address"] = a.address
    if proposal.urgency_reason and (a.urgency != Urgency.HIGH or a.urgency_reason == CATEGORY_DEFAULT_URGENCY):
        # Raise it, or replace the category's generic reason with the concrete one found.
        a.urgency, a.urgency_reason = Urgency.HIGH, proposal.urgency_reason[:300]
        applied["urgency"] = "high"
    a.queue = queues(a.territory, a.category)
    apply_deadlines(a, rules=rules)
    return applied
