"""The embedded default no longer runs the intake's follow-up inside the resident's request: the
response is sent first, the in-process background runner does the rest. Deterministic: a gate holds
the follow-up until the test has the response in hand, so the order is forced, not raced."""

from __future__ import annotations

import threading

import pytest

from tsur.appeals.models import Appeal, Event, Status
from tsur.appeals.services.creation import FOLLOW_UP
from tsur.core import tasks


class Recorder:
    """A stand-in task: records its calls; the first waits for `gate` when one is given."""

    def __init__(self, real=None, gate: threading.Event | None = None) -> None:
        self.real, self.gate, self.calls = real, gate, []
        self.started = threading.Event()

    def run(self, *args):
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        self.calls.append(args)
        return self.real.run(*args) if self.real is not None else None

    def delay(self, *args):
        self.calls.append(args)


@pytest.fixture
def background(settings):
    """The embedded default as production runs it: no broker, tasks on the background runner."""
    settings.TSUR_TASKS_INLINE = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    assert tasks.runner().wait_idle(60)


@pytest.mark.django_db(transaction=True)
def test_the_response_is_sent_before_the_follow_up_runs(client, background, monkeypatch):
    from tests.factories import build_world

    build_world()
    gate = threading.Event()
    follow_up = Recorder(real=tasks.task(FOLLOW_UP), gate=gate)
    monkeypatch.setitem(tasks._TASKS, FOLLOW_UP, follow_up)

    response = client.post("/api/appeals", {"text": "Яма на дороге у дома 5"}, content_type="application/json")

    assert response.status_code == 201 and response.json()["status"] == "received"
    appeal = Appeal.objects.get(number=response.json()["number"])
    assert follow_up.calls == [] and appeal.status == Status.RECEIVED  # held at the gate: not run yet
    gate.set()
    assert tasks.runner().wait_idle(60)
    created = Event.objects.get(appeal=appeal, kind="created")
    assert follow_up.calls == [([created.pk],)]
    appeal.refresh_from_db()
    assert appeal.status == Status.MODERATION  # the follow-up (triage's intake) moved it on


def test_batches_waiting_together_are_merged(background, monkeypatch):
    gate = threading.Event()
    blocker, batch = Recorder(gate=gate), Recorder()
    monkeypatch.setitem(tasks._TASKS, "test_blocker", blocker)
    monkeypatch.setitem(tasks._TASKS, "test_batch", batch)

    tasks.enqueue("test_blocker")
    assert blocker.started.wait(30)  # the runner is busy: what follows waits in its queue
    tasks.enqueue_ids("test_batch", [1, 2])
    tasks.enqueue_ids("test_batch", [2, 3])
    tasks.enqueue_ids("test_batch", [4])
    gate.set()
    assert tasks.runner().wait_idle(60)

    assert blocker.calls == [()]
    assert batch.calls == [([1, 2, 3, 4],)]


def test_with_a_broker_the_runner_sends_the_messages(background, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = Recorder()
    monkeypatch.setitem(tasks._TASKS, "test_batch", sent)

    tasks.enqueue_ids("test_batch", list(range(60)))
    assert tasks.runner().wait_idle(60)

    assert [len(args[0]) for args in sent.calls] == [25, 25, 10]  # IDS_PER_MESSAGE per message


def test_the_test_suite_runs_tasks_inline(settings):
    """Every other test sees the follow-ups done when its call returns (tests/settings.py)."""
    assert settings.TSUR_TASKS_INLINE is True


def test_with_a_broker_the_work_of_a_moment_is_one_message(background, settings, monkeypatch):
    """Requests answered within TSUR_TASKS_GATHER_MS of each other send one message per task (a
    wide window here, so the two calls below always fall in it)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.TSUR_TASKS_GATHER_MS = 1000
    sent = Recorder()
    monkeypatch.setitem(tasks._TASKS, "test_batch", sent)

    tasks.enqueue_ids("test_batch", [1])
    tasks.enqueue_ids("test_batch", [2])
    assert tasks.runner().wait_idle(60)

    assert sent.calls == [([1, 2],)]
