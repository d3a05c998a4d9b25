"""/healthz answers without any I/O; /readyz names each check and fails with 503 when the
database lacks a migration, the cache or the broker does not answer, or the media folder takes no
file — without a host, URL or password in the answer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client, override_settings


def test_it_is_alive_without_touching_the_database():
    # No `db` fixture: any query would fail the test.
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_it_is_ready_when_everything_answers(db):
    response = Client().get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok", "broker": "not configured", "media": "ok"},
        "failed": [],
    }


def test_it_is_not_ready_with_a_migration_unapplied(db):
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'appeals' AND name = '0001_initial'")
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "1 unapplied" and response.json()["failed"] == ["migrations"]


def test_it_is_not_ready_when_the_broker_is_unreachable_and_does_not_say_where_it_is(db, settings):
    settings.CELERY_BROKER_URL = "redis://:broker-password@127.0.0.1:1/0"  # nothing listens on port 1
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"] == "failed: ConnectionError" and response.json()["failed"] == ["broker"]
    assert b"broker-password" not in response.content and b"127.0.0.1" not in response.content


def test_it_is_not_ready_when_the_cache_is_unreachable(db):
    # Restored before the suite's own fixtures clear the cache.
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"] == "failed: ConnectionError"


def test_it_is_not_ready_when_the_media_folder_takes_no_file(db, settings, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["media"].startswith("failed: ") and response.json()["failed"] == ["media"]
    assert str(tmp_path).encode() not in response.content


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_it_answers_probes_over_plain_http_when_https_is_enforced(db, settings, path):
    settings.SECURE_SSL_REDIRECT = True
    assert Client().get(path, REMOTE_ADDR="127.0.0.1").status_code == 200
    assert Client().get("/widget/").status_code == 301
