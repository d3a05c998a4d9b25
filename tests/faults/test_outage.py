"""A lost database answers 503 with a precise reason (API, Open311) or a Russian page (people),
never a 500 page with a traceback; a real error of one statement (a deadlock) stays a 500. The
real PostgreSQL going down is in tests/faults/test_intake_faults.py."""

from __future__ import annotations

import pytest
from django.db import InterfaceError, OperationalError

from tsur.core import outage

pytestmark = pytest.mark.django_db


class DriverError(Exception):
    def __init__(self, message: str, sqlstate: str | None):
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(message: str, sqlstate: str | None) -> OperationalError:
    try:
        try:
            raise DriverError(message, sqlstate)
        except DriverError as cause:
            raise OperationalError(message) from cause
    except OperationalError as exc:
        return exc


@pytest.mark.parametrize(
    ("exc", "lost"),
    [
        (wrapped("connection failed: Connection refused", None), True),
        (wrapped("terminating connection due to administrator command", "57P01"), True),
        (wrapped("the database system is starting up", "57P03"), True),
        (wrapped("server closed the connection unexpectedly", "08006"), True),
        (InterfaceError("connection already closed"), True),
        (wrapped("deadlock detected", "40P01"), False),
        (wrapped("canceling statement due to statement timeout", "57014"), False),
        (wrapped("database is locked", None), False),
        (ValueError("not a database error"), False),
    ],
)
def test_it_tells_a_lost_database_from_an_error_of_one_statement(exc, lost):
    assert outage.database_lost(exc) is lost


@pytest.fixture
def database_down(monkeypatch, settings):
    """Every appeal intake finds the database gone, as psycopg reports a refused connection."""
    from tsur.intake import api_appeals, views

    def down(*args, **kwargs):
        raise wrapped('connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused', None)

    monkeypatch.setattr(api_appeals, "check_intake", down)
    monkeypatch.setattr(views, "check_intake", down)
    settings.DEBUG = False


def test_it_answers_the_api_with_503_and_the_code(client, world, database_down):
    client.raise_request_exception = False
    response = client.post("/api/appeals", {"text": "Яма у дома 3"}, content_type="application/json")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_unavailable" and "external_id" in body["message"]
    assert response["Retry-After"] == str(outage.RETRY_AFTER_SECONDS)


def test_it_shows_residents_a_russian_page_without_a_traceback(client, world, database_down):
    from tests.intake.helpers import form_token

    token = form_token(client)
    client.raise_request_exception = False
    response = client.post("/widget/", {"form_token": token, "text": "Не горят фонари у дома 5"})
    page = response.content.decode()
    assert response.status_code == 503
    assert "Сервис временно недоступен" in page and "ничего не сохранено" in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_it_keeps_a_deadlock_a_500(client, world, monkeypatch, settings):
    from tsur.intake import api_appeals

    def deadlock(*args, **kwargs):
        raise wrapped("deadlock detected", "40P01")

    monkeypatch.setattr(api_appeals, "check_intake", deadlock)
    settings.DEBUG = False
    client.raise_request_exception = False
    response = client.post("/api/appeals", {"text": "Яма у дома 3"}, content_type="application/json")
    assert response.status_code == 500 and response.json()["code"] == "server_error"
