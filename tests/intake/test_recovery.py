"""«Не помню ссылку»: the private link goes to the contact given with the appeal, never to the page;
the page says the same whether anything matched; requests are throttled and audited."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from tests.factories import Channel, new_appeal
from tsur.appeals.models import Event
from tsur.intake.recovery import NEUTRAL_REPLY, OutboxSmsSender

URL = "/status/recover/"


def outbox() -> list[dict]:
    path = OutboxSmsSender.path()
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


@pytest.fixture(autouse=True)
def _own_outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"


def reply_text(response) -> str:
    return response.content.decode()


def test_it_sends_the_link_by_e_mail_for_the_number_and_the_e_mail(world, client):
    appeal = new_appeal(world)
    mail.outbox.clear()
    response = client.post(URL, {"number": appeal.number, "contact": "IVAN@example.org "})
    assert response.status_code == 200 and NEUTRAL_REPLY in reply_text(response)
    [letter] = mail.outbox
    assert letter.to == ["ivan@example.org"]
    assert f"/status/{appeal.number}/{appeal.access_key}/" in letter.body
    assert appeal.access_key not in reply_text(response)  # never shown on the page
    event = Event.objects.get(appeal=appeal, kind="status_link_sent")
    assert event.data == {"via": "email"} and "ivan" not in event.reason.lower()


def test_it_texts_all_the_links_of_a_phone_without_a_number(world, client):
    first = new_appeal(world)
    second = new_appeal(world, text="Не вывозят мусор во дворе уже неделю", category_code="garbage")
    other = new_appeal(world, phone="+7 911 111-11-11", email="")
    response = client.post(URL, {"contact": "8 (900) 000-00-00"})
    assert response.status_code == 200 and NEUTRAL_REPLY in reply_text(response)
    [sms] = outbox()
    assert sms["to"] == "+7 900 000-00-00"
    for a in (first, second):
        assert f"/status/{a.number}/{a.access_key}/" in sms["text"]
    assert other.access_key not in sms["text"]
    assert Event.objects.filter(kind="status_link_sent", data__via="phone").count() == 2


def test_it_answers_the_same_and_sends_nothing_when_nothing_matches(world, client):
    appeal = new_appeal(world)
    mail.outbox.clear()
    matched = client.post(URL, {"number": appeal.number, "contact": "ivan@example.org"})
    mail.outbox.clear()
    wrong_contact = client.post(URL, {"number": appeal.number, "contact": "someone@example.org"})
    wrong_number = client.post(URL, {"number": "2026-999999", "contact": "ivan@example.org"})
    unknown_phone = client.post(URL, {"contact": "+7 999 123-45-67"})
    for response in (wrong_contact, wrong_number, unknown_phone):
        assert response.status_code == matched.status_code == 200
        assert NEUTRAL_REPLY in reply_text(response)
    assert mail.outbox == [] and outbox() == []
    assert Event.objects.filter(kind="status_link_sent").count() == 1  # the matched request only


def test_it_sends_nothing_for_a_social_network_author_without_contact(world, client):
    post = new_appeal(world, channel=Channel.OPERATOR, name="", email="", phone="", account_link="https://vk.com/id1")
    mail.outbox.clear()
    for contact in ("https://vk.com/id1", "id1@vk.com", "+7 900 000-00-01"):
        response = client.post(URL, {"number": post.number, "contact": contact})
        assert response.status_code in (200, 400)
    assert mail.outbox == [] and outbox() == []
    assert not Event.objects.filter(appeal=post, kind="status_link_sent").exists()


def test_it_asks_for_a_valid_contact(world, client):
    response = client.post(URL, {"number": "", "contact": "not a contact"})
    assert response.status_code == 400 and "адрес электронной почты или номер телефона" in reply_text(response)
    assert client.post(URL, {"contact": ""}).status_code == 400


@pytest.mark.usefixtures("still_rate_clock")
def test_it_throttles_per_contact_and_per_address(world, client, settings):
    settings.TSUR_RATE_LINK_RECOVERY_CONTACT = ["2/h"]
    settings.TSUR_RATE_LINK_RECOVERY_ADDRESS = ["4/m"]
    new_appeal(world)
    mail.outbox.clear()
    codes = [client.post(URL, {"contact": "ivan@example.org"}).status_code for _ in range(3)]
    assert codes == [200, 200, 429] and len(mail.outbox) == 2
    # Another contact from the same address: the address's limit still holds.
    codes = [client.post(URL, {"contact": f"x{i}@example.org"}).status_code for i in range(2)]
    assert codes == [200, 429]
    throttled = client.post(URL, {"contact": "y@example.org"})
    assert throttled.status_code == 429 and "Слишком много запросов" in reply_text(throttled) and throttled["Retry-After"]


def test_the_lookup_page_offers_the_recovery(world, client):
    page = client.get("/status/").content.decode()
    assert 'href="/status/recover/"' in page and "Не помню ссылку" in page
    missing = client.get("/status/", {"number": "2026-000777", "key": "nope"}).content.decode()
    assert "/status/recover/?number=2026-000777" in missing
    form = client.get(URL, {"number": "2026-000777"}).content.decode()
    assert 'value="2026-000777"' in form
