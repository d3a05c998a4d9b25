"""The residents' poll pages: list, poll with verification by code or account, errors in Russian,
the thank-you page with results, the embedded variant."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from tsur.core import clock
from tsur.polls import services
from tsur.polls.models import Audience, Ballot, Verification
from tsur.polls.senders import read_outbox

from .conftest import NOW, build_poll

T = NOW + dt.timedelta(hours=3)


@pytest.fixture
def at_t():
    with clock.at(T):
        yield


def form_fields(html: str) -> dict:
    return dict(re.findall(r'name="(form_token|proof)" value="([^"]*)"', html))


def answers_form(poll, world, **extra) -> dict:
    q = list(poll.questions.order_by("order"))
    return {
        f"q{q[0].pk}": str(q[0].options.first().pk),
        f"q{q[1].pk}": [str(o.pk) for o in q[1].options.all()[:2]],
        f"q{q[2].pk}": "5",
        f"q{q[3].pk}": "Больше скамеек",
        "territory": str(world.village.pk),
        **extra,
    }


def get_code(client, poll, contact="+7 900 123-45-67", path="intake:poll_code"):
    page = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    resp = client.post(reverse(path, args=[poll.token]), {"contact": contact, **form_fields(page)})
    return resp


def test_the_list_shows_open_polls_for_a_territory_and_its_parents(client, poll, world, at_t):
    other = build_poll(world, territories=[world.city])
    other.title = "Опрос для города"
    other.save()
    with clock.at(NOW):
        services.publish_poll(other, world.operator)
    html = client.get(reverse("intake:poll_list"), {"territory": "village"}).content.decode()
    assert "Благоустройство дворов" in html and "Опрос для города" not in html
    html = client.get(reverse("intake:poll_list")).content.decode()
    assert "Благоустройство дворов" in html and "Опрос для города" in html
    html = client.get(reverse("intake:poll_list"), {"territory": "nowhere"}).content.decode()
    assert "Такая территория не найдена" in html


def test_a_resident_votes_with_a_code_and_a_second_vote_is_refused(client, poll, world, at_t):
    resp = get_code(client, poll)
    html = resp.content.decode()
    assert resp.status_code == 200 and "Код отправлен на +7 900 ***-**-67" in html
    assert "+7 900 123-45-67" not in html and "79001234567" not in html
    code = read_outbox()[-1]["code"]
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world, code=code), **form_fields(html)})
    assert resp.status_code == 302 and resp["Location"] == reverse("intake:poll_thanks", args=[poll.token])
    thanks = client.get(resp["Location"]).content.decode()
    assert "Спасибо, ваш голос учтён" in thanks and "Проголосовали: 1" in thanks and "100&nbsp;%" in thanks
    assert Ballot.objects.get().territory == world.village
    with clock.at(T + dt.timedelta(minutes=5)):
        again = get_code(client, poll, contact="8 900 123 45 67")
    assert again.status_code == 409 and "Вы уже проголосовали в этом опросе." in again.content.decode()


def test_a_wrong_code_keeps_the_answers_and_says_how_many_attempts_are_left(client, poll, world, at_t):
    html = get_code(client, poll).content.decode()
    code = read_outbox()[-1]["code"]
    wrong = "000000" if code != "000000" else "111111"
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world, code=wrong), **form_fields(html)})
    body = resp.content.decode()
    assert resp.status_code == 422 and "Код неверный. Осталось 4 попытки." in body
    assert "Больше скамеек" in body and 'value="5" checked' in body
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world, code=code), **form_fields(html)})
    assert resp.status_code == 302


def test_missing_answers_and_a_territory_outside_the_poll_are_explained(client, poll, world, at_t):
    html = get_code(client, poll).content.decode()
    code = read_outbox()[-1]["code"]
    q = list(poll.questions.order_by("order"))
    data = answers_form(poll, world, code=code)
    del data[f"q{q[0].pk}"]
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**data, **form_fields(html)})
    assert resp.status_code == 422 and "Ответьте на этот вопрос." in resp.content.decode()
    data = answers_form(poll, world, code=code, territory=str(world.city.pk))
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**data, **form_fields(html)})
    assert resp.status_code == 422 and "Опрос проводится на другой территории" in resp.content.decode()
    assert not Ballot.objects.exists()


def test_a_bad_contact_is_refused_in_russian(client, poll, at_t):
    resp = get_code(client, poll, contact="12345")
    assert resp.status_code == 422
    assert "Номер телефона указан неверно" in resp.content.decode() and read_outbox() == []


def test_a_forged_or_stale_proof_is_refused(client, poll, world, at_t):
    page = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    data = {**answers_form(poll, world, code="123456"), "form_token": form_fields(page)["form_token"], "proof": "forged"}
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), data)
    assert resp.status_code == 400 and "Страница опроса устарела" in resp.content.decode()


def test_a_logged_in_resident_votes_with_the_account(client, poll, world, at_t):
    client.force_login(world.resident)
    html = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    assert "Проголосовать" in html and "Получить код" not in html
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world), **form_fields(html)})
    assert resp.status_code == 302
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world), **form_fields(html)})
    assert resp.status_code == 409 and "Вы уже проголосовали в этом опросе." in resp.content.decode()
    assert Ballot.objects.count() == 1


def test_an_account_only_poll_asks_to_log_in(client, world, at_t):
    poll = build_poll(world, verification=Verification.ACCOUNT)
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
    html = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    assert "войдите в учётную запись жителя" in html and "Получить код" not in html


def test_an_invitation_link_opens_the_questions(client, world, at_t):
    from tests.factories import new_appeal

    poll = build_poll(world, audience=Audience.INVITED)
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
    assert "получившие приглашение" in client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    _, token = services.create_invitation(poll, new_appeal(world))
    html = client.get(reverse("intake:poll", args=[poll.token]), {"i": token}).content.decode()
    resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world), **form_fields(html)})
    assert resp.status_code == 302 and Ballot.objects.get().channel == "followup"
    html = client.get(reverse("intake:poll", args=[poll.token]), {"i": token}).content.decode()
    assert "По этому приглашению уже проголосовали." in html


def test_closed_and_draft_polls(client, poll, world):
    draft = build_poll(world)
    assert client.get(reverse("intake:poll", args=[draft.token])).status_code == 404
    with clock.at(T):
        services.close_poll(poll, world.operator)
        html = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    assert "Опрос завершён: голоса больше не принимаются." in html and "Итоги на" in html
    with clock.at(NOW - dt.timedelta(days=1)):
        fresh = build_poll(world)
        fresh.starts_at = NOW
        fresh.save()
        services.publish_poll(fresh, world.operator)
        html = client.get(reverse("intake:poll", args=[fresh.token])).content.decode()
    assert "Опрос ещё не начался: голосование откроется 10 марта 2027 г. 12:00." in html


def test_the_embedded_poll_may_be_framed_and_keeps_to_the_widget_paths(client, poll, at_t):
    resp = client.get(reverse("intake:widget_poll", args=[poll.token]))
    html = resp.content.decode()
    assert "X-Frame-Options" not in resp.headers and "is-embed" in html
    assert f'action="/widget/polls/{poll.token}/code/"' in html
    assert client.get(reverse("intake:poll", args=[poll.token]))["X-Frame-Options"] == "SAMEORIGIN"
    # The login opens in a new tab and comes back to the poll on our own site (no session in a frame).
    assert f'href="/accounts/login/?next=%2Fpolls%2F{poll.token}%2F" target="_blank"' in html
    js = client.get(reverse("intake:polls_js"))
    assert js["Content-Type"].startswith("application/javascript") and "/widget/polls/" in js.content.decode()


def test_many_ballots_from_one_device_are_throttled(client, poll, world, settings, still_rate_clock, at_t):
    settings.TSUR_RATE_POLL_VOTE_DEVICE = ["1/h"]
    client.get(reverse("intake:poll", args=[poll.token]))  # sets the device cookie
    for n, contact in enumerate(["+79001111111", "+79002222222"]):
        html = get_code(client, poll, contact=contact).content.decode()
        code = read_outbox()[-1]["code"]
        resp = client.post(reverse("intake:poll_vote", args=[poll.token]), {**answers_form(poll, world, code=code), **form_fields(html)})
        if n == 0:
            assert resp.status_code == 302
    assert resp.status_code == 429 and "слишком много голосов подряд" in resp.content.decode()
    assert Ballot.objects.count() == 1


def test_a_code_asked_for_a_poll_closed_meanwhile_says_so(client, poll, world, at_t):
    page = client.get(reverse("intake:poll", args=[poll.token])).content.decode()
    services.close_poll(poll, world.operator)
    resp = client.post(reverse("intake:poll_code", args=[poll.token]), {"contact": "+79001234567", **form_fields(page)})
    body = resp.content.decode()
    assert resp.status_code == 409 and "data-poll-closed" in body and "Опрос завершён" in body
    assert "Получить код" not in body and read_outbox() == []


def test_the_login_link_brings_a_resident_back_to_vote(client, poll, world, at_t):
    resp = client.post(f"/accounts/login/?next=/polls/{poll.token}/", {"username": "resident", "password": "pass-12345"})
    assert resp.status_code == 302 and resp["Location"] == f"/polls/{poll.token}/"
    html = client.get(resp["Location"]).content.decode()
    assert "Проголосовать" in html and "Получить код" not in html
