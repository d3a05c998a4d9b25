"""Login throttling (django-axes): after the configured number of wrong passwords for one user
name from one address, the right password does not get in either until the cool-off is over."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from tests.factories import make_user
from tsur.accounts.models import Role

LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


def attempt(client: Client, url: str, username: str, password: str, ip: str = "203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def admin_user(db):
    return make_user("chief", Role.ADMINISTRATOR, password="Верный-пароль-2026")


@pytest.mark.parametrize("url", LOGIN_PAGES)
def test_it_locks_the_login_after_the_limit_and_refuses_the_right_password(admin_user, settings, url):
    assert settings.AXES_FAILURE_LIMIT == 5  # the production default
    client = Client()
    for _ in range(50):
        attempt(client, url, "chief", "wrong")
    response = attempt(client, url, "chief", "Верный-пароль-2026")
    assert response.status_code == 429 and not logged_in(client)
    page = response.content.decode()
    assert "Вход временно заблокирован" in page and "15 минут" in page


def test_it_counts_wrong_passwords_from_both_login_pages_together(admin_user):
    client = Client()
    for url in LOGIN_PAGES * 3:
        attempt(client, url, "chief", "wrong")
    assert attempt(client, "/accounts/login/", "chief", "Верный-пароль-2026").status_code == 429


def test_it_lets_the_right_password_in_below_the_limit_and_resets_the_count(admin_user):
    client = Client()
    for _ in range(4):
        assert attempt(client, "/accounts/login/", "chief", "wrong").status_code == 200
    assert attempt(client, "/accounts/login/", "chief", "Верный-пароль-2026").status_code == 302 and logged_in(client)
    client.logout()
    for _ in range(4):
        attempt(client, "/accounts/login/", "chief", "wrong")
    assert attempt(client, "/accounts/login/", "chief", "Верный-пароль-2026").status_code == 302


def test_it_does_not_lock_the_official_out_from_another_address(admin_user):
    stranger, official = Client(), Client()
    for _ in range(10):
        attempt(stranger, "/accounts/login/", "chief", "wrong", ip="198.51.100.9")
    assert attempt(official, "/accounts/login/", "chief", "Верный-пароль-2026", ip="203.0.113.7").status_code == 302


def test_it_lets_them_in_again_after_the_cool_off(admin_user, settings):
    from axes.models import AccessAttempt

    client = Client()
    for _ in range(5):
        attempt(client, "/accounts/login/", "chief", "wrong")
    assert attempt(client, "/accounts/login/", "chief", "Верный-пароль-2026").status_code == 429
    # The cool-off runs from the last failure: move it back past the configured wait.
    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - settings.AXES_COOLOFF_TIME - dt.timedelta(seconds=1))
    assert attempt(client, "/accounts/login/", "chief", "Верный-пароль-2026").status_code == 302


def test_it_counts_the_client_behind_a_trusted_proxy(admin_user, settings):
    settings.TSUR_PROXY_COUNT = 1
    client = Client()
    for _ in range(5):  # the same proxy, different clients: each its own count
        client.post("/accounts/login/", {"username": "chief", "password": "wrong"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9")
    response = client.post(
        "/accounts/login/", {"username": "chief", "password": "Верный-пароль-2026"}, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert response.status_code == 302
