"""The batch door for joins (`join_to_problems`): the same end state, events, notifications and
published changes as one `join_to_problem` per appeal; nothing the second time; and two batches
joining into the same problems at once, on PostgreSQL, neither deadlock nor double a problem."""

from __future__ import annotations

import os
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from tests.factories import build_world, new_appeal
from tsur.appeals import services
from tsur.appeals.events import appeal_changed
from tsur.appeals.models import Appeal, Event, Notification, Problem, Status
from tsur.appeals.services.problems import join_to_problems
from tsur.core.errors import DomainError

REASON = "автоматически: та же проблема, то же место"


def in_moderation(appeal: Appeal) -> Appeal:
    appeal.refresh_from_db()
    if appeal.status == Status.RECEIVED:  # the intake follow-up has not moved it yet
        services.take_to_moderation(appeal, None)
    appeal.refresh_from_db()
    return appeal


def scene(world) -> tuple[dict[str, Appeal], list[tuple[str, str]]]:
    """A mixed batch: two appeals to a lead that heads no problem yet, one to a member of an
    existing problem (joins its problem), one to that problem's lead, one already joined, one to
    a closed (rejected) lead. Returns the appeals by role and the (appeal, lead) pairs."""
    a = {}
    a["lead1"] = new_appeal(world)
    services.route_appeal(a["lead1"], world.operator)
    a["lead2"] = new_appeal(world, text="Не горит фонарь у остановки")
    services.route_appeal(a["lead2"], world.operator)
    a["member2"] = new_appeal(world, text="Фонарь у остановки не горит")
    services.join_to_problem(a["member2"], world.operator, lead_number=a["lead2"].number)
    a["closed"] = new_appeal(world, text="Реклама")
    services.reject_appeal(a["closed"], world.operator, reason_code="spam")
    for role in ("x1", "x2", "x3", "x4", "done", "late"):
        a[role] = in_moderation(new_appeal(world, text=f"Та же яма у остановки ({role})"))
    services.join_to_problem(a["done"], world.operator, lead_number=a["lead2"].number)
    pairs = [("x1", "lead1"), ("x2", "lead1"), ("x3", "member2"), ("x4", "lead2"), ("done", "lead1"), ("late", "closed")]
    for appeal in a.values():
        appeal.refresh_from_db()
    return a, pairs


def snapshot(a: dict[str, Appeal], since_event: int, since_note: int, published: list) -> dict:
    """What the joins left, with numbers and ids replaced by the roles, so two scenes compare."""
    names = {appeal.number: role for role, appeal in a.items()}
    by_pk = {appeal.pk: role for role, appeal in a.items()}
    problems = {p.pk: by_pk[p.lead_id] for p in Problem.objects.filter(lead__in=a.values())}

    def words(text: str) -> str:
        for number, role in names.items():
            text = text.replace(number, role)
        return text

    appeals = {}
    for role, appeal in a.items():
        appeal.refresh_from_db()
        appeals[role] = (
            appeal.status, problems.get(appeal.problem_id), appeal.organisation_id, appeal.executor_id, appeal.version,
            words(appeal.search_text),
        )
    events = [
        (by_pk[e.appeal_id], e.kind, e.actor_label, e.from_status, e.to_status, words(e.reason),
         {k: (problems[v] if k == "problem" else names.get(v, v)) for k, v in e.data.items()})
        for e in Event.objects.filter(pk__gt=since_event, appeal__in=a.values()).order_by("pk")
    ]
    notes = sorted(
        (by_pk[n.appeal_id], n.kind, words(n.subject), words(n.body), n.state)
        for n in Notification.objects.filter(pk__gt=since_note, appeal__in=a.values())
    )
    changes = sorted((by_pk[c.appeal_id], c.kind, c.from_status, c.to_status) for c in published)
    return {"appeals": appeals, "events": sorted(events, key=lambda e: (e[0], e[1])), "notes": notes, "changes": changes,
            "problems": sorted(problems.values())}


@pytest.fixture
def published():
    seen: list = []
    appeal_changed.subscribe(seen.extend, uid="test-problems-batch")
    yield seen
    appeal_changed.unsubscribe("test-problems-batch")


def marks() -> tuple[int, int]:
    return (Event.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
            Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0)


def test_a_batch_join_leaves_what_one_join_at_a_time_leaves(db, published):
    one_world = build_world()
    one, pairs = scene(one_world)
    since = marks()
    published.clear()
    for role, lead in pairs:
        try:
            services.join_to_problem(one[role].pk, None, lead_number=one[lead].number, reason=REASON)
        except DomainError:
            pass  # already joined, or a closed lead: refused, as the batch skips them
    by_one = snapshot(one, *since, published)

    batch, pairs = scene(one_world)
    since = marks()
    published.clear()
    joined = join_to_problems([(batch[role].pk, batch[lead].pk) for role, lead in pairs], reason=REASON)
    by_batch = snapshot(batch, *since, published)

    assert {batch_role for batch_role, appeal in batch.items() if appeal.pk in joined} == {"x1", "x2", "x3", "x4"}
    assert by_batch == by_one
    # What the comparison covers, so it cannot pass on two empty scenes.
    assert by_batch["appeals"]["x3"][:2] == (Status.JOINED, "lead2")  # joining to a member joins its problem
    assert [e[:2] for e in by_batch["events"]].count(("lead1", "problem_led")) == 1
    assert len(by_batch["notes"]) == 4 and len(by_batch["changes"]) == 4
    assert by_batch["appeals"]["done"][0] == Status.JOINED and by_batch["appeals"]["late"][0] == Status.MODERATION


def test_a_batch_joined_twice_joins_nothing_the_second_time(world, published):
    a, pairs = scene(world)
    batch = [(a[role].pk, a[lead].pk) for role, lead in pairs]
    assert len(join_to_problems(batch, reason=REASON)) == 4
    since = marks()
    published.clear()
    versions = dict(Appeal.objects.values_list("pk", "version"))
    assert join_to_problems(batch, reason=REASON) == {}
    assert marks() == since and published == []
    assert dict(Appeal.objects.values_list("pk", "version")) == versions


def test_a_batch_join_writes_a_constant_number_of_statements(world):
    def batch(size: int) -> list[tuple[int, int]]:
        lead = new_appeal(world, email="")
        return [(in_moderation(new_appeal(world, text=f"Яма у остановки, пишу {i}-й раз", email="")).pk, lead.pk) for i in range(size)]

    two, thirty = batch(2), batch(30)
    with CaptureQueriesContext(connection) as few:
        assert len(join_to_problems(two, reason=REASON)) == 2
    with CaptureQueriesContext(connection) as many:
        assert len(join_to_problems(thirty, reason=REASON)) == 30
    # The subscribers that run after the commit (tension, corrections) included.
    assert len(many) <= len(few), [q["sql"][:80] for q in many.captured_queries]


def _postgres_or_skip() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("TSUR_REQUIRE_POSTGRES") == "1":
            pytest.fail("TSUR_REQUIRE_POSTGRES=1 but the tests run on " + connection.vendor)
        pytest.skip("needs PostgreSQL (row locks between two connections): set TSUR_DATABASE_URL")


@pytest.mark.django_db(transaction=True)
def test_two_batches_joining_into_the_same_problems_at_once_neither_deadlock_nor_double_them():
    _postgres_or_skip()
    w = build_world()
    leads = [new_appeal(w, text=f"Яма на дороге {k}") for k in range(2)]
    appeals = []
    for i in range(40):
        appeals.append(in_moderation(new_appeal(w, text=f"Та же яма, сообщение {i}")))
    versions = {lead.pk: Appeal.objects.get(pk=lead.pk).version for lead in leads}
    # The two batches cross: each joins into both leads, in opposite orders.
    first = [(a.pk, leads[i % 2].pk) for i, a in enumerate(appeals[:20])]
    second = [(a.pk, leads[(i + 1) % 2].pk) for i, a in enumerate(appeals[20:])][::-1]
    # And both claim two of the same appeals (a re-delivered batch): each is joined once.
    second += first[:2]
    barrier = threading.Barrier(2)
    results: list = []

    def run(batch):
        try:
            barrier.wait(timeout=10)
            results.append(join_to_problems(batch, reason=REASON))
        except Exception as exc:  # a deadlock or a unique violation would land here
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(batch,)) for batch in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert all(isinstance(r, dict) for r in results) and len(results) == 2, results
    assert sum(len(r) for r in results) == 40  # the shared two were joined by one batch only
    assert Problem.objects.filter(lead__in=leads).count() == 2
    assert Appeal.objects.filter(pk__in=[a.pk for a in appeals], status=Status.JOINED).count() == 40
    assert Event.objects.filter(appeal__in=appeals, kind="join_problem").count() == 40
    for lead in leads:
        lead.refresh_from_db()
        assert Event.objects.filter(appeal=lead, kind="problem_led").count() == 1
        assert lead.problem.lead_id == lead.pk and lead.version == versions[lead.pk] + 1  # moved once, when it began to lead
        assert Appeal.objects.filter(problem=lead.problem).exclude(pk=lead.pk).count() == 20
