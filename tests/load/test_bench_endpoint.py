"""The bare Django Ninja endpoint `tsur bench load` compares the intake with exists only where
TSUR_BENCH_ENDPOINTS turns it on: never in a default (production) configuration."""

from __future__ import annotations

import importlib

import pytest
from django.urls import clear_url_caches


@pytest.fixture
def urls_with(settings):
    """Rebuild the project's URLs under a value of TSUR_BENCH_ENDPOINTS; put them back after."""
    import tsur.urls

    def build(enabled: bool) -> None:
        settings.TSUR_BENCH_ENDPOINTS = enabled
        importlib.reload(tsur.urls)
        clear_url_caches()

    yield build
    settings.TSUR_BENCH_ENDPOINTS = False
    importlib.reload(tsur.urls)
    clear_url_caches()


def test_it_is_off_by_default():
    from django.conf import settings

    assert settings.TSUR_BENCH_ENDPOINTS is False


@pytest.mark.django_db
def test_it_is_absent_when_not_enabled(client, urls_with):
    urls_with(False)
    assert client.get("/bench/ping").status_code == 404
    assert client.post("/bench/appeals", {"text": "x"}, content_type="application/json").status_code == 404


@pytest.mark.django_db
def test_it_answers_without_database_or_auth_when_enabled(client, urls_with, django_assert_num_queries):
    urls_with(True)
    with django_assert_num_queries(0):
        ping = client.get("/bench/ping")
        echo = client.post("/bench/appeals", {"text": "Яма"}, content_type="application/json")
    assert ping.status_code == 200 and ping.json() == {"ok": True}
    assert echo.status_code == 201 and echo.json() == {"number": "0000-000000", "length": 3}
    assert client.post("/bench/appeals", {}, content_type="application/json").status_code == 422
