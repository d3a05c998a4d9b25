"""The intake follow-up under load: a message takes, besides its own appeals, the others waiting
received (up to CLAIM_AT_MOST), so a burst of single-appeal messages is triaged in a few batches;
the messages after them stop after one statement. Every appeal is still processed exactly once,
with the same events, results and joins as one by one."""

from __future__ import annotations

import math
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import new_appeal
from tests.triage.test_django_integration import DECISION, FixedEngine
from tsur.appeals.events import appeal_changed
from tsur.appeals.models import Appeal, Event, Status
from tsur.triage import services as triage
from tsur.triage import tasks
from tsur.triage.models import TriageResult

# Seven appeals; the fourth repeats the first (a near-duplicate the search joins to it).
TEXTS = [
    "Снег не убран у дома на Ленина 1, машины буксуют во дворе",
    "Не горит фонарь у подъезда, вечером темно",
    "Мусор не вывозят третью неделю с площадки",
    "Снег не убран у дома на Ленина 1, машины буксуют во дворе!!",
    "Течёт крыша над последним этажом после дождя",
    "Яма на дороге у остановки, бьют колёса",
    "Во дворе сломали скамейку и урну",
]


class CountingEngine(FixedEngine):
    def __init__(self, **out):
        super().__init__(**out)
        self.calls = 0

    def process(self, records):
        self.calls += 1
        yield from super().process(records)


@pytest.fixture
def engine(settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True
    counting = CountingEngine(**DECISION)
    monkeypatch.setattr(triage, "engine", lambda: counting)
    return counting


@pytest.fixture
def published():
    """Every change published to appeal_changed during the test, as (appeal id, kind)."""
    seen: list[tuple[int, str]] = []
    appeal_changed.subscribe(lambda changes: seen.extend((c.appeal_id, c.kind) for c in changes), uid="tests.triage.batching")
    yield seen
    appeal_changed.unsubscribe("tests.triage.batching")


def _waiting(world, monkeypatch) -> tuple[list[int], list[list[int]]]:
    """The appeals created one per request with their intake messages held back (as a broker
    holds them under load): the ids, and the messages as they were sent."""
    messages: list[list[int]] = []
    with monkeypatch.context() as m:
        m.setattr(tasks.process_new_appeals, "run", lambda ids: messages.append(list(ids)))
        ids = [new_appeal(world, text=text, category_code="", territory_code="").pk for text in TEXTS]
    assert sorted(i for message in messages for i in message) == ids
    assert set(Appeal.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.RECEIVED}
    return ids, messages


def _outcome(ids: list[int], published: list[tuple[int, str]]) -> list[tuple]:
    """What processing left for each appeal, by its place in the burst: status, problem lead,
    events (with what they say), stored triage results and the changes published."""
    place = {pk: k for k, pk in enumerate(ids)}
    out = []
    for pk in ids:
        appeal = Appeal.objects.select_related("problem").get(pk=pk)
        # The data of auto_triage without the result's id; the other kinds' data name rows by id.
        events = [
            (
                e.kind,
                e.from_status,
                e.to_status,
                e.reason,
                {k: v for k, v in e.data.items() if k != "triage_result"} if e.kind == "auto_triage" else {},
            )
            for e in Event.objects.filter(appeal_id=pk).order_by("pk")
        ]
        results = [
            (r.category_code, r.territory_code, r.address, r.applied, place.get(r.duplicate_of_id))
            for r in TriageResult.objects.filter(appeal_id=pk).order_by("pk")
        ]
        lead = place.get(appeal.problem.lead_id) if appeal.problem_id else None
        kinds = sorted(Counter(kind for a, kind in published if a == pk).items())
        out.append((appeal.status, appeal.category_id, lead, events, results, kinds))
    return out


def test_a_burst_is_triaged_in_a_few_batches_each_appeal_once_with_the_events_of_one_by_one(world, engine, published, monkeypatch):
    ids, messages = _waiting(world, monkeypatch)
    assert len(messages) == len(ids)  # one message per request

    # One by one (no taking along), as before; then rolled back to the burst still waiting.
    created = list(published)  # the "created" changes, published when the appeals were
    point = transaction.savepoint()
    monkeypatch.setattr(tasks, "CLAIM_AT_MOST", 1)
    for message in messages:
        tasks.process_new_appeals.run(message)
    one_by_one, calls_one_by_one = _outcome(ids, published), engine.calls
    transaction.savepoint_rollback(point)
    published[:] = created
    engine.calls = 0
    assert set(Appeal.objects.filter(pk__in=ids).values_list("status", flat=True)) == {Status.RECEIVED}

    limit = 3
    monkeypatch.setattr(tasks, "CLAIM_AT_MOST", limit)
    answers = [tasks.process_new_appeals.run(message) for message in messages]
    batches = [a for a in answers if a.get("moderation", 0) + a.get("taken along", 0)]
    assert len(batches) <= math.ceil(len(ids) / limit)
    assert sum(a.get("moderation", 0) + a.get("taken along", 0) for a in answers) == len(ids)  # each appeal once
    assert engine.calls == len(batches) < calls_one_by_one  # the engine once per batch
    assert _outcome(ids, published) == one_by_one
    # The near-duplicate is joined in the batched run too, and each appeal was triaged once.
    assert one_by_one[3][0] == Status.JOINED and one_by_one[3][2] == 0
    assert all(len(results) == 1 for *_, results, _ in one_by_one)
    assert all(Counter(k for _, k in published)[kind] == len(ids) for kind in ("auto_triage", "take_to_moderation"))


def test_a_message_whose_appeals_are_done_does_nothing_in_one_statement(world, engine, published, monkeypatch):
    ids, messages = _waiting(world, monkeypatch)
    assert tasks.process_new_appeals.run(messages[0]) == {"moderation": 1, "taken along": len(ids) - 1}
    before = (Event.objects.count(), TriageResult.objects.count(), len(published), engine.calls)
    for message in messages[1:]:
        with CaptureQueriesContext(connection) as queries:
            assert tasks.process_new_appeals.run(message) == {"already processed": 1}
        assert len(queries.captured_queries) == 1
    assert (Event.objects.count(), TriageResult.objects.count(), len(published), engine.calls) == before


def test_appeals_another_worker_holds_are_left_to_it(world, engine, monkeypatch):
    """The claim skips what is locked: here the appeals a transaction holds are simulated by
    taking the claim's own rows out of the query (SQLite has no row locks)."""
    from tsur.triage import intake

    ids, messages = _waiting(world, monkeypatch)
    held = set(ids[:4])
    real = intake.claim_received
    monkeypatch.setattr(intake, "claim_received", lambda mine, at_most: [a for a in real(mine, at_most) if a.pk not in held])
    assert tasks.process_new_appeals.run(messages[0]) == {"already processed": 1, "taken along": 3}
    assert set(Appeal.objects.filter(pk__in=held).values_list("status", flat=True)) == {Status.RECEIVED}
    assert TriageResult.objects.filter(appeal_id__in=held).count() == 0


def test_with_a_broker_a_fresh_appeal_waits_a_moment_for_the_next_ones(world, engine, settings, monkeypatch):
    """A steady stream that the worker keeps up with is batched too: the message of an appeal
    younger than TSUR_INTAKE_GATHER_SECONDS sleeps until it is that old, then takes what came."""
    import datetime as dt

    from tsur.core import clock
    from tsur.core import tasks as core_tasks

    ids, messages = _waiting(world, monkeypatch)
    slept: list[float] = []
    monkeypatch.setattr(core_tasks.time, "sleep", slept.append)
    settings.TSUR_INTAKE_GATHER_SECONDS = 1.0
    settings.TSUR_TASKS_GATHER_MS = 0  # the web process's own window (time.sleep too) is not the subject
    settings.CELERY_TASK_ALWAYS_EAGER, settings.TSUR_TASKS_INLINE = False, False  # a broker: on a worker
    newest = Appeal.objects.get(pk=ids[-1]).created_at
    with clock.at(newest + dt.timedelta(seconds=0.25)):
        assert tasks.process_new_appeals.run(messages[-1]) == {"moderation": 1, "taken along": len(ids) - 1}
    assert slept == [pytest.approx(0.75)]

    settings.CELERY_TASK_ALWAYS_EAGER, settings.TSUR_TASKS_INLINE = True, True
    more, later = _waiting(world, monkeypatch)
    settings.CELERY_TASK_ALWAYS_EAGER, settings.TSUR_TASKS_INLINE = False, False
    slept.clear()
    with clock.at(Appeal.objects.get(pk=more[-1]).created_at + dt.timedelta(seconds=2)):  # old enough already
        tasks.process_new_appeals.run(later[0])
    assert slept == []
    assert Appeal.objects.filter(pk__in=more, status=Status.RECEIVED).count() == 0  # all taken (joined to the first burst)


class SlowEngine(FixedEngine):
    """Holds its batch's claim a moment, so two workers' claims overlap."""

    def process(self, records):
        import time

        time.sleep(0.3)
        yield from super().process(records)


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_share_a_burst_and_take_no_appeal_twice(settings, monkeypatch):
    import os
    import threading

    from django.db import connections

    from tests.factories import build_world

    if connection.vendor != "postgresql":
        if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
            pytest.fail("TSUR_REQUIRE_POSTGRES=1 but the tests run on " + connection.vendor)
        pytest.skip("needs PostgreSQL (row locks between two connections): set TSUR_DATABASE_URL")
    settings.TSUR_TRIAGE_ENABLED = True
    monkeypatch.setattr(triage, "engine", lambda: SlowEngine(**DECISION))
    world = build_world()
    ids, messages = _waiting(world, monkeypatch)
    monkeypatch.setattr(tasks, "CLAIM_AT_MOST", 4)
    barrier = threading.Barrier(2)
    answers: list = []

    def worker(mine: list[list[int]]) -> None:
        try:
            barrier.wait(timeout=10)
            answers.extend(tasks.process_new_appeals.run(message) for message in mine)
        except Exception as exc:
            answers.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(messages[k::2],)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(a, dict) for a in answers) and len(answers) == len(messages), answers
    assert sum(a.get("moderation", 0) + a.get("taken along", 0) for a in answers) == len(ids)
    assert not Appeal.objects.filter(pk__in=ids, status=Status.RECEIVED).exists()
    for pk in ids:
        assert TriageResult.objects.filter(appeal_id=pk).count() == 1
        assert Event.objects.filter(appeal_id=pk, kind="take_to_moderation").count() == 1
