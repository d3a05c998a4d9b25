"""Production defaults that protect the platform: a secret key of its own or no start at all,
HTTPS-only cookies and HSTS, the Content-Security-Policy, only the needed front-end files served,
Russian error pages for people and JSON for machines, real password rules."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

REPO = Path(__file__).resolve().parents[2]
GOOD_KEY = "k" * 20 + "-production-secret-from-a-vault-42"


def run_settings(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess:
    """Load the platform's own settings (not the tests') in a fresh interpreter."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TSUR_") and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")}
    clean.update({"DJANGO_SETTINGS_MODULE": "tsur.settings", "TSUR_VAR_DIR": str(tmp_path / "var"), "PYTHONPATH": str(REPO)}, **env)
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], env=clean, capture_output=True, text=True, timeout=120, cwd=REPO
    )


def test_it_refuses_to_start_in_production_without_a_secret_key(tmp_path):
    result = run_settings(tmp_path, "print('started')")
    assert result.returncode != 0 and "started" not in result.stdout
    assert "TSUR_SECRET_KEY is not set" in result.stderr


@pytest.mark.parametrize("key", ["tsur-insecure-development-key-change-me", "short"])
def test_it_refuses_a_known_or_short_key_in_production(tmp_path, key):
    result = run_settings(tmp_path, "print('started')", TSUR_SECRET_KEY=key)
    assert result.returncode != 0 and "too short or publicly known" in result.stderr


def test_it_reads_the_key_from_a_file(tmp_path):
    (tmp_path / "key").write_text(GOOD_KEY + "\n")
    result = run_settings(tmp_path, "from django.conf import settings; print(settings.SECRET_KEY)", TSUR_SECRET_KEY_FILE=str(tmp_path / "key"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == GOOD_KEY


def test_in_development_it_makes_a_random_key_once(tmp_path):
    code = "from django.conf import settings; print(settings.SECRET_KEY)"
    first = run_settings(tmp_path, code, TSUR_DEBUG="1")
    second = run_settings(tmp_path, code, TSUR_DEBUG="1")
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert len(key) >= 50 and key == second.stdout.strip() and key != "tsur-insecure-development-key-change-me"
    assert oct((tmp_path / "var" / "dev-secret-key").stat().st_mode & 0o777) == "0o600"


def test_the_production_defaults_pass_the_deployment_check(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tsur", "check", "--deploy", "--fail-level", "ERROR"],
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("TSUR_") and k not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE")},
            "DJANGO_SETTINGS_MODULE": "tsur.settings",
            "TSUR_SECRET_KEY": GOOD_KEY,
            "TSUR_ALLOWED_HOSTS": "cur.example.org",
            "TSUR_VAR_DIR": str(tmp_path / "var"),
        },
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    for warning in ("security.W002", "security.W004", "security.W008", "security.W012", "security.W016", "security.W009", "security.W018"):
        assert warning not in report, report


def test_production_cookies_are_secure_and_hsts_is_on(tmp_path):
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.AXES_ENABLED, s.RATELIMIT_ENABLE)"
    )
    result = run_settings(tmp_path, code, TSUR_SECRET_KEY=GOOD_KEY)
    assert result.stdout.split() == ["True", "True", "True", "31536000", "True", "True"], result.stderr
    plain = run_settings(tmp_path, code, TSUR_SECRET_KEY=GOOD_KEY, TSUR_HTTPS="false")
    assert plain.stdout.split()[:4] == ["False", "False", "False", "0"]


def csp(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.mark.django_db
def test_every_page_has_a_strict_csp_and_only_the_widget_may_be_framed(client, world):
    for url in ("/", "/accounts/login/", "/status/", "/api/docs"):
        response = client.get(url)
        assert response.status_code == 200, url
        policy = csp(response)
        assert policy["script-src"] == "script-src 'self'" and policy["frame-ancestors"] == "frame-ancestors 'self'", url
        assert policy["object-src"] == "object-src 'none'" and response["X-Frame-Options"] == "SAMEORIGIN"
    widget = client.get("/widget/")
    assert csp(widget)["frame-ancestors"] == "frame-ancestors *" and "X-Frame-Options" not in widget


@pytest.mark.django_db
def test_the_widget_ancestors_are_configurable(client, world, settings):
    settings.TSUR_WIDGET_FRAME_ANCESTORS = ["https://admoblkaluga.ru", "https://*.kaluga.ru"]
    assert csp(client.get("/widget/"))["frame-ancestors"] == "frame-ancestors https://admoblkaluga.ru https://*.kaluga.ru"


@pytest.mark.skipif(not (REPO / "node_modules" / "leaflet").is_dir(), reason="node_modules is absent: run scripts/setup (npm ci)")
def test_it_serves_only_the_listed_front_end_files(client):
    from django.contrib.staticfiles import finders

    assert finders.find("vendor/leaflet/dist/leaflet.js")
    assert finders.find("vendor/leaflet/dist/images/marker-icon.png")
    for path in ("vendor/leaflet/package.json", "vendor/htmx.org/package.json", "vendor/leaflet/src/Leaflet.js", "vendor/../package.json"):
        assert not finders.find(path), path
    listed = {path for finder in finders.get_finders() for path, _storage in finder.list([])}
    assert "leaflet/dist/leaflet.js" in listed and not any(p.endswith("package.json") for p in listed)


@pytest.mark.django_db
def test_it_shows_people_a_russian_404_page_with_a_way_back(client):
    response = client.get("/no-such-page/", HTTP_REFERER="http://testserver/widget/")
    page = response.content.decode()
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")
    assert "Страница не найдена" in page and 'href="http://testserver/widget/"' in page and "На главную" in page
    assert "Not Found" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/no-such-endpoint", "/api/appeals/2026-000001/fly"])
def test_it_answers_json_for_an_unknown_api_path(client, url):
    response = client.get(url)
    assert response.status_code == 404 and response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_a_csrf_failure_is_a_russian_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "operator", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403 and "Форма устарела" in page and "CSRF verification failed" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("password", ["1234567890", "password123", "qwertyuiop", "operator2026"])
def test_it_refuses_weak_passwords(world, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=world.operator)
    validate_password("Звёздный-маяк-над-Окой-7", user=world.operator)


def test_the_configuration_table_lists_every_defence_setting():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name in (
        "TSUR_SECRET_KEY_FILE", "TSUR_HTTPS", "TSUR_SSL_REDIRECT", "TSUR_HSTS_SECONDS", "TSUR_PROXY_SSL_HEADER", "TSUR_PROXY_COUNT",
        "TSUR_WIDGET_FRAME_ANCESTORS", "TSUR_LOGIN_FAILURE_LIMIT", "TSUR_LOGIN_COOLOFF_MINUTES", "TSUR_RATE_INTAKE_ANONYMOUS",
        "TSUR_RATE_INTAKE_KEY", "TSUR_CACHE_URL", "TSUR_PASSWORD_MIN_LENGTH",
    ):
        assert f"`{name}`" in readme, name
    assert settings.AUTH_PASSWORD_VALIDATORS
