"""Signals by e-mail: off by default, turned on by the user on «Настройки уведомлений»; recorded
before sending, retried by the sweeper; the letter carries no resident's personal data."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import Channel, new_appeal
from tsur.accounts.models import Membership
from tsur.appeals import services
from tsur.appeals.services.notes import add_note
from tsur.core import clock
from tsur.deadlines.models import SignalEmail
from tsur.escalation import mail as signal_mail
from tsur.escalation import tasks
from tsur.escalation.watch import watch_deadlines

MSK = ZoneInfo("Europe/Moscow")


def wants_email(user, address: str) -> None:
    user.email = address
    user.save(update_fields=["email"])
    Membership.objects.filter(user=user).update(signals_by_email=True)


def test_it_sends_nothing_unless_the_user_asked(world):
    world.coordinator.email = "coordinator@example.org"
    world.coordinator.save(update_fields=["email"])
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    assert not SignalEmail.objects.exists()
    assert not [m for m in mail.outbox if "coordinator@example.org" in m.to]


def test_it_mails_a_signal_with_the_appeal_but_nothing_of_the_resident(world, settings):
    settings.SITE_URL = "https://cur.example.ru"
    wants_email(world.coordinator, "coordinator@example.org")
    a = new_appeal(world, address="ул. Ленина, 5")
    services.route_appeal(a, world.operator)
    [letter] = [m for m in mail.outbox if m.to == ["coordinator@example.org"]]
    assert letter.subject == f"ЦУР: Передано в организацию — обращение {a.number}"
    assert a.number in letter.body and "Ямы на дороге" in letter.body and "Район" in letter.body
    assert f"https://cur.example.ru/workspace/appeals/{a.number}/" in letter.body
    for private in ("Иван", "Петров", "ivan@example.org", "+7 900", "Большая яма", "Ленина"):
        assert private not in letter.subject + letter.body
    assert SignalEmail.objects.get().state == SignalEmail.State.SENT


def test_it_mails_only_those_who_may_see_the_signal(world):
    wants_email(world.coordinator, "coordinator@example.org")
    wants_email(world.waste_coordinator, "waste@example.org")
    wants_email(world.operator, "operator@example.org")
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    add_note(a, world.operator, "@coordinator нужна ваша помощь")
    to = sorted(address for m in mail.outbox for address in m.to if address.endswith("@example.org") and address != "ivan@example.org")
    assert to == ["coordinator@example.org", "coordinator@example.org"]  # routed + the mention


def test_it_retries_a_failed_letter_from_the_sweeper(world, monkeypatch):
    wants_email(world.coordinator, "coordinator@example.org")

    def broken(*args, **kwargs):
        raise ConnectionError("SMTP недоступен")

    monkeypatch.setattr(signal_mail, "send_mail", broken)
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    row = SignalEmail.objects.get()
    assert row.state == SignalEmail.State.PENDING and row.attempts == 1 and "ConnectionError" in row.last_error
    monkeypatch.undo()
    assert tasks.sweep_signals(row.created_at)["emails"] == 0  # not lost yet
    assert tasks.sweep_signals(row.created_at + dt.timedelta(minutes=5))["emails"] == 1
    row.refresh_from_db()
    assert row.state == SignalEmail.State.SENT and row.attempts == 2
    assert [m.to for m in mail.outbox if m.to == ["coordinator@example.org"]] == [["coordinator@example.org"]]


def test_it_sends_a_letter_once_however_often_it_is_enqueued(world):
    wants_email(world.coordinator, "coordinator@example.org")
    a = new_appeal(world)
    services.route_appeal(a, world.operator)
    row = SignalEmail.objects.get()
    signal_mail.send_signal_emails([row.pk])
    assert len([m for m in mail.outbox if m.to == ["coordinator@example.org"]]) == 1


@pytest.mark.parametrize("checked", [True, False])
def test_it_keeps_the_users_choice_on_the_settings_page(client, world, checked):
    client.force_login(world.coordinator)
    page = client.get(reverse("workspace:signal_settings")).content.decode()
    assert "Присылать сигналы на e-mail" in page
    assert 'value="on" data-testid="signals-by-email"' in page  # off by default: not checked
    response = client.post(reverse("workspace:signal_settings"), {"signals_by_email": "on"} if checked else {})
    assert response.status_code == 302
    assert Membership.objects.get(user=world.coordinator).signals_by_email is checked
    page = client.get(reverse("workspace:signal_settings")).content.decode()
    assert ('value="on" checked data-testid="signals-by-email"' in page) is checked


def test_it_mails_deadline_reminders_too(world):
    wants_email(world.coordinator, "coordinator@example.org")
    with clock.at(dt.datetime(2025, 3, 3, 10, 0, tzinfo=MSK)):
        a = new_appeal(world, channel=Channel.VK, external_id="vk-77")
        services.route_appeal(a, world.operator)
    mail.outbox.clear()
    assert watch_deadlines(a.due_at - dt.timedelta(hours=1))["reminded"] == 1
    [letter] = [m for m in mail.outbox if m.to == ["coordinator@example.org"]]
    assert letter.subject == f"ЦУР: Напоминание о сроке — обращение {a.number}"
