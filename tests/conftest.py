"""Shared fixtures: a small reference configuration and named users for every role, so access
rules are tested everywhere (an operator, a colleague in another organisation, an outsider)."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def _media_and_mail(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    # Tests of other areas must not depend on what the ML model decides; tests/triage turn it on.
    settings.TSUR_TRIAGE_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate-limit counters and other cached values start empty in every test: a test's requests
    never count against the next one's limits."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


class _StillClock:
    @staticmethod
    def time() -> float:
        return 1_800_000_000.0


@pytest.fixture
def still_rate_clock(monkeypatch):
    """Rate limits count in fixed windows: with the clock running, a test's burst could straddle
    the end of a window and see its count restart. Their clock stands still instead."""
    from django_ratelimit import core

    monkeypatch.setattr(core, "time", _StillClock)


@pytest.fixture
def world(db):
    from tests.factories import build_world

    return build_world()


@pytest.fixture(autouse=True)
def _run_on_commit(request, monkeypatch):
    """Run on-commit side effects when the service's own transaction ends, as production does;
    pytest-django's per-test transaction would otherwise hold them until the test is over."""
    if "db" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    from django.db import transaction

    conn = transaction.get_connection()
    base = len(conn.atomic_blocks)
    original_exit = transaction.Atomic.__exit__

    def exit_and_run(self, exc_type, exc_value, traceback):
        result = original_exit(self, exc_type, exc_value, traceback)
        c = transaction.get_connection(self.using)
        while exc_type is None and len(c.atomic_blocks) == base and c.run_on_commit:
            callbacks, c.run_on_commit = c.run_on_commit, []
            for _sids, func, _robust in callbacks:
                func()
        return result

    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_and_run)
    yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
