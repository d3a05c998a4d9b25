"""A resident's «Мои данные»: see and download what is held, request deletion from the cabinet or
by the private link; administrators see the queue and the access log."""

from __future__ import annotations

import datetime as dt
import json

from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.privacy.helpers import NEEDLES, PLANTED, T0, appeal_at, closed_appeal
from tsur.appeals.models import DataRequest, Event, Resident
from tsur.appeals.services import record_personal_data_view
from tsur.appeals.services.retention import PURGED_EVENT, request_due
from tsur.core import clock


def test_a_link_holder_sees_downloads_and_deletes_their_data_at_once_when_all_closed(client, world):
    a = closed_appeal(world, T0)
    base = reverse("intake:status_data", args=[a.number, a.access_key])
    page = client.get(base).content.decode()
    assert PLANTED["email"] in page and "Удалить мои данные" in page
    data = json.loads(client.get(base + "json/").content)
    assert data["контакты"][0]["email"] == PLANTED["email"] and data["обращения"][0]["номер"] == a.number
    assert data["обращения"][0]["оценки"][0]["оценка"] == 5
    assert client.get(reverse("intake:status_data", args=[a.number, "wrong-key"])).status_code == 404
    refused = client.post(base + "delete/")  # without the confirmation nothing happens
    assert refused.status_code == 400 and "без возможности восстановления" in refused.content.decode()
    assert not DataRequest.objects.exists()
    # A Wednesday morning: 10 working days later is the Wednesday two weeks on (with the real
    # clock the span depended on the day and hour the test ran).
    asked = dt.datetime(2020, 3, 11, 10, 0, tzinfo=T0.tzinfo)
    with clock.at(asked):
        response = client.post(base + "delete/", {"confirm": "1"})
    assert response.status_code == 302
    req = DataRequest.objects.get()
    assert req.state == DataRequest.State.DONE and req.source == DataRequest.Source.STATUS_PAGE
    assert req.created_at == asked and req.due_at == request_due(asked)
    assert timezone.localtime(req.due_at).date() == dt.date(2020, 3, 25)  # 10 working days
    r = Resident.objects.get(pk=a.resident_id)
    assert r.email == "" and r.pseudonymised_at
    assert Event.objects.filter(appeal=a, kind=PURGED_EVENT).count() == 1
    assert [m.to for m in mail.outbox if "удалены" in m.subject] == [[PLANTED["email"]]]
    page = client.get(base).content.decode()
    assert not any(n in page for n in NEEDLES) and "данные удалены" in page
    assert client.post(base + "delete/", {"confirm": "1"}).status_code == 409


def test_an_open_appeal_waits_for_an_administrator_who_executes_or_refuses(client, world):
    a = appeal_at(world, T0, user=world.resident)
    account = world.resident
    account.first_name, account.last_name, account.email = "Аристарх", "Зеленопупкин", PLANTED["email"]
    account.save()
    login, usable = account.username, account.has_usable_password()
    client.force_login(world.resident)
    assert "Мои данные" in client.get(reverse("intake:cabinet")).content.decode()
    assert PLANTED["phone"] in client.get(reverse("intake:cabinet_data")).content.decode()
    assert client.post(reverse("intake:cabinet_data_delete")).status_code == 400  # not confirmed
    assert not DataRequest.objects.exists()
    client.post(reverse("intake:cabinet_data_delete"), {"confirm": "1"})
    client.post(reverse("intake:cabinet_data_delete"), {"confirm": "1"})  # a second click: the same request
    req = DataRequest.objects.get()
    assert req.state == DataRequest.State.PENDING and req.user == world.resident
    # Only administrators see the queue.
    client.force_login(world.operator)
    assert client.get(reverse("workspace:privacy_requests")).status_code == 403
    client.force_login(world.admin)
    page = client.get(reverse("workspace:privacy_requests")).content.decode()
    assert a.number in page and a.resident.pseudonym in page and PLANTED["name"] not in page
    url = reverse("workspace:privacy_decide", args=[req.pk])
    client.post(url, {"decision": "refuse", "note": ""})
    assert DataRequest.objects.get().state == DataRequest.State.PENDING  # a refusal needs its reason
    client.post(url, {"decision": "execute"})
    req.refresh_from_db()
    assert req.state == DataRequest.State.DONE and req.decided_by == world.admin and req.run.residents == 1
    assert Resident.objects.get(pk=a.resident_id).name == ""
    # The account's own name and e-mail go with the rest; its login and password stay.
    account.refresh_from_db()
    assert (account.first_name, account.last_name, account.email) == ("", "", "")
    assert (account.username, account.is_active, account.has_usable_password()) == (login, True, usable)
    # The resident still sees the request (the account keeps it) though the appeal is unlinked.
    client.force_login(world.resident)
    assert "исполнен" in client.get(reverse("intake:cabinet_data")).content.decode()


def test_the_access_log_lists_views_by_pseudonym_with_filters(client, world):
    a = appeal_at(world, T0)
    b = appeal_at(world, T0, email="b@example.net")
    record_personal_data_view(a, world.operator, "рабочее место")
    record_personal_data_view(b, world.coordinator, "API")
    client.force_login(world.analyst)
    assert client.get(reverse("workspace:privacy_log")).status_code == 403
    client.force_login(world.admin)
    page = client.get(reverse("workspace:privacy_log")).content.decode()
    assert a.number in page and b.number in page and a.resident.pseudonym in page
    assert not any(n in page for n in NEEDLES)
    only = client.get(reverse("workspace:privacy_log"), {"user": world.coordinator.username}).content.decode()
    assert b.number in only and a.number not in only
    only = client.get(reverse("workspace:privacy_log"), {"appeal": a.number, "from": "2020-03-01", "to": "2031-01-01"}).content.decode()
    assert a.number in only and b.number not in only
    none = client.get(reverse("workspace:privacy_log"), {"to": "2019-01-01"}).content.decode()
    assert "Записей нет" in none


def test_only_administrators_find_the_personal_data_pages_in_the_navigation(client, world):
    link = f'href="{reverse("workspace:privacy_log")}"'
    client.force_login(world.operator)
    assert link not in client.get(reverse("workspace:queue")).content.decode()
    client.force_login(world.admin)
    assert link in client.get(reverse("workspace:queue")).content.decode()
