"""What an intake request itself does, now that its follow-up is someone else's work: with the
reference rows kept in the process and the acknowledgement written settled, `POST /api/appeals`
makes the appeal's number, its row, its "created" event and its notification, and nothing more;
with a broker, the follow-up leaves the web process as a queue message."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.load.test_background_runner import Recorder
from tsur.appeals.models import Appeal, Event, Notification, Status
from tsur.appeals.services import creation
from tsur.appeals.services.creation import FOLLOW_UP, requeue_follow_ups
from tsur.core import clock, tasks


def _post(client, n: int):
    body = {"text": f"Яма на дороге у дома {n}, машины объезжают", "category": "pothole"}
    return client.post("/api/appeals", body, content_type="application/json", REMOTE_ADDR="10.9.0.1")


def _writes(queries) -> list[str]:
    return [q["sql"].split("(")[0].strip() for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT"))]


@pytest.mark.django_db(transaction=True)
def test_the_request_writes_four_rows_and_reads_no_reference_data(client, settings, monkeypatch):
    """Committed reference rows: a transaction that changed them is never kept (its rows could
    yet be rolled back), and pytest's per-test transaction would be one."""
    from tests.factories import build_world

    build_world()
    settings.TSUR_REFERENCE_CACHE_SECONDS = 60
    settings.TSUR_TASKS_INLINE = False  # as in production: the follow-up on the runner, not re-read
    sent = Recorder()
    monkeypatch.setitem(tasks._TASKS, FOLLOW_UP, sent)
    assert _post(client, 1).status_code == 201  # loads the process's reference rows
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, 2)

    assert tasks.runner().wait_idle(60)
    assert response.status_code == 201
    statements = _writes(queries.captured_queries)
    assert len(statements) == 4, statements
    # The number: PostgreSQL's yearly sequence (a statement of its own, no commit to wait for),
    # elsewhere the counter row.
    assert statements[0].startswith("SELECT nextval" if connection.vendor == "postgresql" else 'UPDATE "appeals_counter"')
    assert [s for s in statements[1:]] == [
        'INSERT INTO "appeals_appeal"',
        'INSERT INTO "appeals_event"',
        'INSERT INTO "appeals_notification"',
    ]
    appeal = Appeal.objects.get(number=response.json()["number"])
    note = Notification.objects.get(appeal=appeal)
    assert note.kind == "created" and note.state == Notification.State.SKIPPED  # no e-mail: read on the status page
    assert appeal.category.code == "pothole" and appeal.due_at is not None


def test_an_acknowledgement_with_an_address_stays_pending_for_the_mail(world, client, settings):
    body = {"text": "Не горит фонарь у дома 3", "email": "someone@example.org"}
    response = client.post("/api/appeals", body, content_type="application/json", REMOTE_ADDR="10.9.0.1")
    assert response.status_code == 201
    note = Notification.objects.get(appeal__number=response.json()["number"])
    assert note.state == Notification.State.SENT  # delivered by the follow-up's mail task (inline here)


def test_with_a_broker_the_follow_up_is_a_message_not_work_in_the_web_process(world, client, settings, monkeypatch):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    sent = Recorder()
    monkeypatch.setitem(tasks._TASKS, FOLLOW_UP, sent)
    for task in tasks._TASKS.values():
        if task is not sent:
            monkeypatch.setattr(task, "delay", lambda *args: None)

    response = _post(client, 3)

    appeal = Appeal.objects.get(number=response.json()["number"])
    created = Event.objects.get(appeal=appeal, kind="created")
    assert sent.calls == [([created.pk],)]  # sent (delay), not run here
    appeal.refresh_from_db()
    assert appeal.status == Status.RECEIVED


@pytest.mark.django_db(transaction=True)
def test_a_lost_follow_up_is_sent_again_and_moves_the_appeal_on(client, settings, monkeypatch):
    from tests.factories import build_world

    build_world()
    lost = Recorder()
    monkeypatch.setitem(tasks._TASKS, FOLLOW_UP, lost)
    response = _post(client, 4)
    appeal = Appeal.objects.get(number=response.json()["number"])
    monkeypatch.setitem(tasks._TASKS, FOLLOW_UP, creation.follow_up_created)

    assert requeue_follow_ups(clock.now()) == 0  # too recent: its message may still be on its way
    assert requeue_follow_ups(clock.now() + dt.timedelta(minutes=2)) == 1

    appeal.refresh_from_db()
    assert appeal.status == Status.MODERATION
    assert requeue_follow_ups(clock.now() + dt.timedelta(minutes=2)) == 0


@pytest.mark.parametrize("seconds", [0, 60])
def test_a_category_switched_off_is_refused_at_once_in_this_process(world, client, settings, seconds):
    """The process's copy is forgotten when a category is saved here (other processes: within
    TSUR_REFERENCE_CACHE_SECONDS)."""
    from tsur.directory.models import Category

    settings.TSUR_REFERENCE_CACHE_SECONDS = seconds
    assert _post(client, 5).status_code == 201
    category = Category.objects.get(code="pothole")
    category.is_active = False
    category.save()

    response = _post(client, 6)
    assert response.status_code == 422
    assert "category" in response.json()["fields"]
