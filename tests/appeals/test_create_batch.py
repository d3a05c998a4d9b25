"""Creating many appeals at once (`create_appeals`): one result per item, the same appeal
`create_appeal` would make, numbers taken together, one event and one notification each."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import Channel, new_appeal
from tsur.appeals import services
from tsur.appeals.models import Appeal, Event, Notification, Resident, Status
from tsur.appeals.services import NewAppeal, create_appeal, create_appeals, creation
from tsur.core.errors import ValidationFailed


def item(n: int, **overrides) -> NewAppeal:
    data = {
        "channel": Channel.VK,
        "text": f"Яма на дороге у дома {n}, машины бьют колёса",
        "category_code": "pothole",
        "territory_code": "district",
        "external_id": f"batch:{n}",
        "name": f"Житель {n}",
        "account_link": f"https://vk.com/id{n}",
    }
    data.update(overrides)
    return NewAppeal(**data)


def sequence(number: str) -> tuple[int, int]:
    year, value = number.split("-")
    return int(year), int(value)


def test_it_creates_valid_items_and_refuses_invalid_ones_in_order(world):
    existing = new_appeal(world, channel=Channel.VK, external_id="batch:known", text="Уже зарегистрированная жалоба")
    items = [
        item(1),
        item(2, category_code="no-such-category"),
        item(3, text="   "),
        item(4, external_id="batch:known"),
        item(5, lat=10.0, lon=10.0),  # far outside the region
        item(6),
    ]
    results = create_appeals(items)
    assert len(results) == len(items)
    assert isinstance(results[0], Appeal) and isinstance(results[5], Appeal)
    assert isinstance(results[1], ValidationFailed) and list(results[1].field_errors) == ["category"]
    assert isinstance(results[2], ValidationFailed) and list(results[2].field_errors) == ["text"]
    assert results[3].pk == existing.pk
    assert isinstance(results[4], ValidationFailed) and list(results[4].field_errors) == ["location"]
    created = [results[0], results[5]]
    assert Appeal.objects.filter(external_id__startswith="batch:").count() == 3  # two new + the known one
    for appeal in created:
        appeal.refresh_from_db()
        assert appeal.status == Status.MODERATION  # the pipeline ran after commit for each
        assert appeal.resident.account_link.startswith("https://vk.com/id")


def test_it_takes_unique_consecutive_numbers_in_item_order(world):
    before = new_appeal(world)
    results = create_appeals([item(n) for n in range(1, 8)])
    numbers = [sequence(a.number) for a in results]
    assert len(set(numbers)) == 7
    year = numbers[0][0]
    assert numbers == [(year, numbers[0][1] + i) for i in range(7)]
    assert numbers[0][1] == sequence(before.number)[1] + 1
    after = new_appeal(world)
    assert sequence(after.number)[1] == numbers[-1][1] + 1


def test_it_numbers_each_year_from_its_own_counter(world):
    old = dt.datetime(2025, 12, 31, 12, 0, tzinfo=dt.UTC)
    results = create_appeals([item(1, received_at=old), item(2), item(3, received_at=old)])
    assert results[0].number.startswith("2025-") and results[2].number.startswith("2025-")
    assert sequence(results[2].number)[1] == sequence(results[0].number)[1] + 1
    assert not results[1].number.startswith("2025-")


def test_it_writes_one_created_event_and_one_notification_per_appeal(world):
    results = create_appeals([item(n) for n in range(1, 5)])
    for appeal in results:
        created = Event.objects.filter(appeal=appeal, kind="created")
        assert created.count() == 1
        event = created.get()
        assert event.to_status == Status.RECEIVED and event.actor_label == "житель"
        assert event.data == {"channel": "vk", "regime": appeal.regime, "photos": 0}
        notes = Notification.objects.filter(appeal=appeal, kind="created")
        assert notes.count() == 1
        assert appeal.number in notes.get().body and appeal.access_key in notes.get().body
    assert Resident.objects.filter(appeals__in=results).count() == 4


def test_it_returns_the_same_appeal_for_an_item_repeated_in_the_batch(world):
    results = create_appeals([item(1), item(1, text="Та же жалоба, доставленная повторно")])
    assert results[0].pk == results[1].pk
    assert Appeal.objects.filter(external_id="batch:1").count() == 1


def test_it_is_idempotent_across_batches(world):
    first = create_appeals([item(1), item(2)])
    second = create_appeals([item(2), item(3), item(1)])
    assert [a.pk for a in second] == [first[1].pk, second[1].pk, first[0].pk]
    assert Event.objects.filter(appeal__external_id__startswith="batch:", kind="created").count() == 3


def test_it_makes_the_same_appeal_as_create_appeal(world, monkeypatch):
    from tsur.core import tasks

    # Compare what creation writes; the follow-ups (triage may join the second as a duplicate of
    # the first) are tested elsewhere.
    monkeypatch.setattr(tasks, "enqueue_ids", lambda name, ids: None)
    fields = [
        "channel", "regime", "text", "territory_id", "address", "lat", "lon", "place_source", "category_id", "block_id",
        "classification_source", "urgency", "urgency_reason", "queue_id", "received_at", "due_at", "due_explain",
        "registration_due_at", "transfer_due_at", "search_text",
    ]
    received = dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
    variants = [
        {"channel": Channel.EMAIL, "category_code": "heating", "territory_code": "city", "email": "a@example.org"},
        {"channel": Channel.VK, "category_code": "", "territory_code": "", "address": "ул. Тестовая, 5"},
        {"channel": Channel.WIDGET, "category_code": "snow", "territory_code": "village"},
    ]
    for i, variant in enumerate(variants):
        text = f"Вариант {i}: яма на дороге, машины бьют колёса"
        single = create_appeal(item(100 + i, text=text, received_at=received, **variant))
        batch = create_appeals([item(200 + i, text=text, received_at=received, **variant)])[0]
        single = Appeal.objects.get(pk=single.pk)
        batch = Appeal.objects.get(pk=batch.pk)
        for name in fields:
            expected, got = getattr(single, name), getattr(batch, name)
            if name == "search_text":
                expected, got = expected.replace(single.number, ""), got.replace(batch.number, "")
            assert got == expected, name
        assert batch.status == single.status == Status.RECEIVED
        assert [(e.kind, e.data) for e in batch.events.all()] == [(e.kind, e.data) for e in single.events.all()]
        assert (batch.resident.email, batch.resident.phone) == (single.resident.email, single.resident.phone)


def test_it_costs_the_same_statements_for_two_appeals_as_for_twenty(world, monkeypatch, settings):
    from tsur.core import tasks

    # Count the creation and what its subscribers record, not the background work they hand on
    # (the intake follow-up, recounts of figures and points of tension): every task is sent nowhere.
    settings.CELERY_TASK_ALWAYS_EAGER = False
    for task in tasks._TASKS.values():
        monkeypatch.setattr(task, "delay", lambda *args: None)
    create_appeals([item(1)])  # warm what lives for the process (region boundaries)
    with CaptureQueriesContext(connection) as small:
        create_appeals([item(n) for n in range(10, 12)])
    with CaptureQueriesContext(connection) as large:
        create_appeals([item(n) for n in range(20, 40)])
    assert len(large.captured_queries) == len(small.captured_queries)
    inserts = [q["sql"] for q in large.captured_queries if q["sql"].startswith(("INSERT", "COPY"))]  # COPY on PostgreSQL
    assert len([sql for sql in inserts if "appeals_appeal" in sql]) == 1
    assert len([sql for sql in inserts if "appeals_event" in sql]) == 1


def test_create_appeal_refuses_what_create_appeals_refuses(world):
    try:
        create_appeal(item(1, text=""))
    except ValidationFailed as exc:
        assert list(exc.field_errors) == ["text"]
    else:
        raise AssertionError("an empty text was accepted")
    assert services.validate_new_appeal(item(1), staff=False)[0].code == "pothole"


def test_it_returns_the_other_workers_appeal_when_it_loses_the_race(world, monkeypatch):
    """Another worker registers one of the batch's items between the existence check and the
    insert: the unique constraint refuses the batch insert, the batch is written item by item,
    and the item that lost returns the appeal the other worker made."""
    winner = create_appeal(item(2, text="Записано другим обработчиком"))
    real = creation._existing
    calls = []

    def blind_first_time(keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(keys)

    monkeypatch.setattr(creation, "_existing", blind_first_time)
    results = create_appeals([item(1), item(2), item(3)])
    assert results[1].pk == winner.pk
    assert isinstance(results[0], Appeal) and isinstance(results[2], Appeal)
    assert Appeal.objects.filter(external_id__startswith="batch:").count() == 3
    assert Event.objects.filter(appeal__external_id="batch:2", kind="created").count() == 1


def test_numbers_continue_the_years_counter_and_ascend(db):
    """The year's first number follows the counter row older versions kept (PostgreSQL's yearly
    sequence starts there; elsewhere the row itself counts on); a batch's numbers ascend. A year
    no other test numbers in, as a sequence made by a committed test outlives it."""
    from tsur.appeals.models import Counter

    Counter.objects.create(key="appeal-2031", value=41)
    at = dt.datetime(2031, 3, 1, 12, tzinfo=dt.UTC)
    assert services.next_numbers(1, at) == ["2031-000042"]
    assert services.next_numbers(3, at) == ["2031-000043", "2031-000044", "2031-000045"]
    assert services.next_number(dt.datetime(2032, 6, 1, tzinfo=dt.UTC)) == "2032-000001"
