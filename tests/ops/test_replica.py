"""A read replica for the situation center (tsur/core/db_router.py) and the checks that keep several
processes honest (tsur/core/checks.py).

The replica is simulated faithfully enough to tell the two databases apart: a copy of the committed
test database taken at one moment (SQLite: the online backup API; PostgreSQL: CREATE DATABASE …
TEMPLATE), after which the primary moves on — a replica that lags. Reads inside `replica_reads()`
then see the copy, everything else sees the primary, and writes always land on the primary.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from tests.factories import build_world, new_appeal
from tsur.appeals.models import Appeal
from tsur.core.checks import check_several_processes
from tsur.core.db_router import REPLICA, read_alias, replica_reads
from tsur.directory.models import Territory


def _copy_database(tmp_path: Path) -> dict:
    """A replica as of now: a copy of the committed test database, under a settings entry of its own."""
    entry = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        entry["NAME"] = str(tmp_path / "replica.sqlite3")
        source, target = sqlite3.connect(connection.settings_dict["NAME"]), sqlite3.connect(entry["NAME"])
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return entry
    entry["NAME"] = f"{connection.settings_dict['NAME']}_replica"[:63]
    connection.close()  # a template database must have no other session
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{entry["NAME"]}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{entry["NAME"]}" TEMPLATE "{connection.settings_dict["NAME"]}"')
    return entry


@pytest.fixture
def replica(transactional_db, tmp_path):
    """Builds the world, copies it to a `replica` alias, and removes the alias afterwards."""
    w = build_world()
    new_appeal(w)
    new_appeal(w)
    entry = _copy_database(tmp_path)
    connections.settings[REPLICA] = entry
    # Connected here, outside pytest-django's guard of the aliases it knew at the test's start.
    connections[REPLICA].connect()
    yield w
    connections[REPLICA].close()
    del connections[REPLICA]
    del connections.settings[REPLICA]
    if connection.vendor == "postgresql":
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{entry["NAME"]}" WITH (FORCE)')


def _on_replica(sql: str):
    with connections[REPLICA].cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_it_reads_from_the_replica_only_inside_replica_reads(replica):
    new_appeal(replica)  # after the copy: the replica lags by this one
    assert Appeal.objects.count() == 3
    with replica_reads():
        assert read_alias() == REPLICA
        assert Appeal.objects.count() == 2
        assert Appeal.objects.first()._state.db == REPLICA
    assert read_alias() == DEFAULT_DB_ALIAS and Appeal.objects.count() == 3


def test_it_writes_to_the_primary_also_inside_replica_reads(replica):
    with replica_reads():
        place = Territory.objects.get(code="village")
        assert place._state.db == REPLICA
        place.name = "Переименованное село"
        place.save()
        new_appeal(replica)
    assert Territory.objects.get(code="village").name == "Переименованное село"
    assert _on_replica("SELECT name FROM directory_territory WHERE code = 'village'") != "Переименованное село"
    assert Appeal.objects.count() == 3 and _on_replica("SELECT count(*) FROM appeals_appeal") == 2


def test_it_reads_from_the_primary_inside_a_transaction(replica):
    with replica_reads(), transaction.atomic():
        new_appeal(replica)
        assert read_alias() == DEFAULT_DB_ALIAS
        assert Appeal.objects.count() == 3  # its own write is seen


def test_it_serves_the_center_pages_from_the_replica(replica, client):
    client.force_login(replica.analyst)
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, CaptureQueriesContext(connection) as on_primary:
        for name in ("workspace:center_dashboard", "workspace:center_appeals", "workspace:center"):
            assert client.get(reverse(name)).status_code == 200, name
    assert any('"appeals_appeal"' in q["sql"] for q in on_replica.captured_queries)
    assert not any('"appeals_appeal"' in q["sql"] for q in on_primary.captured_queries)
    # The session and the user are read on the primary, before the page asks for the replica.
    assert any('"django_session"' in q["sql"] for q in on_primary.captured_queries)


def test_it_falls_back_to_the_primary_without_a_replica(transactional_db):
    w = build_world()
    new_appeal(w)
    assert REPLICA not in connections.settings
    with replica_reads():
        assert read_alias() == DEFAULT_DB_ALIAS
        assert Appeal.objects.first()._state.db == DEFAULT_DB_ALIAS


LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
REDIS = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:6379/8"}}
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "tsur"}}


def _ids() -> set[str]:
    return {w.id for w in check_several_processes()}


@override_settings(DEBUG=False, CACHES=LOCAL, CELERY_BROKER_URL="redis://127.0.0.1:6379/8", TSUR_WEB_WORKERS=0, DATABASES=POSTGRES)
def test_it_warns_of_a_local_cache_with_celery_workers():
    assert _ids() == {"tsur.W101"}
    assert "tsur.W101" in {w.id for w in checks.run_checks()}  # registered by tsur.core's AppConfig


@override_settings(DEBUG=False, CACHES=LOCAL, CELERY_BROKER_URL="", TSUR_WEB_WORKERS=3, DATABASES=POSTGRES)
def test_it_warns_of_a_local_cache_with_several_web_workers():
    assert _ids() == {"tsur.W101"}


@override_settings(DEBUG=False, CACHES=REDIS, CELERY_BROKER_URL="redis://127.0.0.1:6379/8", TSUR_WEB_WORKERS=3, DATABASES=POSTGRES)
def test_it_is_quiet_with_a_shared_cache_and_postgresql():
    assert _ids() == set()


@override_settings(DEBUG=False, CACHES=LOCAL, CELERY_BROKER_URL="", TSUR_WEB_WORKERS=0, TSUR_INPROCESS_TICK_SECONDS=60)
def test_it_is_quiet_for_the_embedded_default_of_one_process():
    assert _ids() == set()


@override_settings(
    DEBUG=False, CACHES=LOCAL, CELERY_BROKER_URL="redis://127.0.0.1:6379/8", TSUR_INPROCESS_TICK_SECONDS=60,
    SESSION_ENGINE="django.contrib.sessions.backends.cache", DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3"}},
)  # fmt: skip
def test_it_names_every_process_local_setting():
    assert _ids() == {"tsur.W101", "tsur.W102", "tsur.W103", "tsur.W104"}


@override_settings(DEBUG=True, CACHES=LOCAL, CELERY_BROKER_URL="redis://127.0.0.1:6379/8")
def test_it_leaves_development_alone():
    assert _ids() == set()
