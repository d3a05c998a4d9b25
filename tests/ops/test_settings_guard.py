"""With TSUR_DEBUG off the platform refuses insecure settings at start, with a message that says
what to change; the same settings pass in development (TSUR_DEBUG=1)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

KEY = "a-long-random-production-key-0123456789abcdef"


def start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TSUR_", "DJANGO_"))}
    clean.update({"TSUR_SECRET_KEY": KEY, "TSUR_VAR_DIR": str(REPO / "var")}, **env)
    return subprocess.run([sys.executable, "-c", "import tsur.settings"], env=clean, cwd=REPO, capture_output=True, text=True, timeout=120)


def test_it_starts_with_production_defaults():
    done = start()
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TSUR_ALLOWED_HOSTS": "tsur.example.ru,*"}, "TSUR_ALLOWED_HOSTS contains '*'"),
        ({"TSUR_WEB_WORKERS": "4"}, "TSUR_WEB_WORKERS=4 with the local-memory cache"),
        ({"TSUR_METRICS_TOKEN": "short"}, "TSUR_METRICS_TOKEN is too short"),
        ({"TSUR_METRICS_ALLOW": "0.0.0.0/0"}, "TSUR_METRICS_ALLOW must list networks"),
        ({"TSUR_LOG_FORMAT": "xml"}, "TSUR_LOG_FORMAT must be plain or json"),
        ({"TSUR_SECRET_KEY": "tsur-insecure-development-key-change-me"}, "too short or publicly known"),
    ],
)
def test_it_refuses_insecure_production_settings(env, message):
    done = start(**env)
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and message in done.stderr


def test_it_accepts_several_workers_with_a_shared_cache_and_the_same_settings_in_development():
    assert start(TSUR_WEB_WORKERS="4", TSUR_CACHE_URL="redis://127.0.0.1:6379/2").returncode == 0
    assert start(TSUR_DEBUG="1", TSUR_ALLOWED_HOSTS="*", TSUR_WEB_WORKERS="4").returncode == 0
