"""One-time codes: validated contacts, the file sender, pauses and limits, wrong, expired and reused codes."""

from __future__ import annotations

import datetime as dt

import pytest

from tsur.core import clock
from tsur.core.throttle import Throttled
from tsur.polls import services
from tsur.polls.errors import AlreadyVoted, BadContact, CodeRefused, ContactKindUnsupported, VerificationRequired
from tsur.polls.models import Ballot, PollEvent, Verification, VerificationCode
from tsur.polls.senders import read_outbox

from .conftest import NOW, build_poll, good_answers

T = NOW + dt.timedelta(hours=1)


def at(seconds: float):
    return clock.at(T + dt.timedelta(seconds=seconds))


def last_code() -> str:
    return read_outbox()[-1]["code"]


@pytest.mark.parametrize(
    ("typed", "kind", "sent_to"),
    [
        ("+7 (900) 123-45-67", "phone", "+79001234567"),
        ("8 900 123 45 67", "phone", "+79001234567"),
        ("9001234567", "phone", "+79001234567"),
        (" Ivan@Example.ORG ", "email", "ivan@example.org"),
    ],
)
def test_it_sends_a_code_to_a_normalised_contact_and_keeps_only_hashes(poll, typed, kind, sent_to):
    with at(0):
        row = services.request_code(poll, typed, ip="10.0.0.1")
    line = read_outbox()[-1]
    assert line["to"] == sent_to and line["kind"] == kind and len(line["code"]) == 6
    assert "Благоустройство дворов" in line["text"]
    assert row.contact_kind == kind
    stored = VerificationCode.objects.values().get(pk=row.pk)
    assert sent_to not in str(stored) and line["code"] not in str(stored)
    assert PollEvent.objects.filter(poll=poll, kind="code_sent").get().details == {"contact_kind": kind}


@pytest.mark.parametrize("typed", ["", "12345", "+1 202 555 0100", "ivan@", "ivan@example"])
def test_it_refuses_a_contact_that_is_no_russian_phone_or_email(poll, typed):
    with at(0), pytest.raises(BadContact) as err:
        services.request_code(poll, typed, ip="10.0.0.1")
    assert "contact" in err.value.field_errors
    assert not VerificationCode.objects.exists() and read_outbox() == []


def test_a_correct_code_lets_the_resident_vote_once(poll, world):
    with at(0):
        services.request_code(poll, "+7 900 123-45-67", ip="10.0.0.1")
    with at(30):
        identity = services.verify_code(poll, "8 900 123 45 67", last_code())
        services.cast_vote(poll, identity, world.village, good_answers(poll), channel="widget")
    assert VerificationCode.objects.get().used_at is not None
    with at(31), pytest.raises(CodeRefused, match="уже использован") as err:
        services.verify_code(poll, "+79001234567", last_code())
    assert err.value.code == "code_used"
    # A new code for the same contact is refused before anything is sent.
    with at(120), pytest.raises(AlreadyVoted, match="Вы уже проголосовали в этом опросе"):
        services.request_code(poll, "+79001234567", ip="10.0.0.2")
    assert len(read_outbox()) == 1 and Ballot.objects.count() == 1


def test_a_code_used_by_one_vote_cannot_carry_another(poll, world):
    with at(0):
        services.request_code(poll, "ivan@example.org", ip="10.0.0.1")
        identity = services.verify_code(poll, "ivan@example.org", last_code())
        services.cast_vote(poll, identity, world.village, good_answers(poll), channel="widget")
    with at(1), pytest.raises(AlreadyVoted):
        services.cast_vote(poll, identity, world.village, good_answers(poll), channel="widget")


def test_a_wrong_code_counts_attempts_until_the_code_is_void(poll, settings):
    settings.TSUR_POLL_CODE_ATTEMPTS = 3
    with at(0):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
    right = last_code()
    wrong = "000000" if right != "000000" else "111111"
    with at(10), pytest.raises(CodeRefused, match="Осталось 2 попытки") as err:
        services.verify_code(poll, "+79001234567", wrong)
    assert err.value.code == "code_wrong"
    with at(11), pytest.raises(CodeRefused, match="Осталась 1 попытка|Осталось 1 попытка"):
        services.verify_code(poll, "+79001234567", wrong)
    with at(12), pytest.raises(CodeRefused, match="Попытки исчерпаны"):
        services.verify_code(poll, "+79001234567", wrong)
    with at(13), pytest.raises(CodeRefused) as err:
        services.verify_code(poll, "+79001234567", right)
    assert err.value.code == "code_attempts"
    assert VerificationCode.objects.get().attempts == 3
    assert PollEvent.objects.filter(poll=poll, kind="code_refused").count() == 4


def test_an_expired_or_never_requested_code_is_refused(poll):
    with pytest.raises(CodeRefused) as err, at(0):
        services.verify_code(poll, "+79001234567", "123456")
    assert err.value.code == "code_missing"
    with at(0):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
    with at(10 * 60), pytest.raises(CodeRefused, match="Срок действия кода истёк") as err:
        services.verify_code(poll, "+79001234567", last_code())
    assert err.value.code == "code_expired"


def test_codes_to_one_contact_wait_a_pause_and_are_counted_per_hour(poll, settings):
    settings.TSUR_POLL_CODES_PER_CONTACT_HOUR = 2
    with at(0):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
    with at(20), pytest.raises(Throttled, match="Новый можно запросить через 41 секунду") as err:
        services.request_code(poll, "+79001234567", ip="10.0.0.2")
    assert err.value.retry_after == 41
    with at(61):
        services.request_code(poll, "+79001234567", ip="10.0.0.2")
    with at(200), pytest.raises(Throttled, match="уже отправлено 2 кода за час"):
        services.request_code(poll, "+79001234567", ip="10.0.0.3")
    with at(3700):
        services.request_code(poll, "+79001234567", ip="10.0.0.3")
    assert len(read_outbox()) == 3
    # Only the latest code counts.
    with at(3710):
        services.verify_code(poll, "+79001234567", last_code())


def test_code_requests_from_one_address_are_limited(poll, settings, still_rate_clock):
    settings.TSUR_RATE_POLL_CODE_ADDRESS = ["3/m"]
    with at(0):
        for n in range(3):
            services.request_code(poll, f"+7900000000{n}", ip="10.0.0.9")
        with pytest.raises(Throttled, match="с вашего адреса: не более 3 за минуту"):
            services.request_code(poll, "+79000000009", ip="10.0.0.9")
        services.request_code(poll, "+79000000009", ip="10.0.0.10")
    assert len(read_outbox()) == 4


def test_code_requests_per_poll_are_limited(poll, settings):
    settings.TSUR_POLL_CODES_PER_POLL_MINUTE = 2
    with at(0):
        services.request_code(poll, "+79000000001", ip="10.0.0.1")
        services.request_code(poll, "+79000000002", ip="10.0.0.2")
        with pytest.raises(Throttled, match="в этом опросе"):
            services.request_code(poll, "+79000000003", ip="10.0.0.3")


def test_account_only_and_invited_only_polls_send_no_codes(world):
    poll = build_poll(world, verification=Verification.ACCOUNT)
    invited = build_poll(world, audience="invited")
    with clock.at(NOW):
        services.publish_poll(poll, world.operator)
        services.publish_poll(invited, world.operator)
    with at(0), pytest.raises(VerificationRequired, match="учётную запись"):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
    with at(0), pytest.raises(VerificationRequired, match="приглашение"):
        services.request_code(invited, "+79001234567", ip="10.0.0.1")
    assert read_outbox() == []


def test_a_sender_that_cannot_reach_phones_says_so_and_stores_nothing(poll, settings):
    settings.TSUR_POLL_CODE_SENDER = "tsur.polls.senders.EmailSender"
    with at(0), pytest.raises(ContactKindUnsupported, match="на телефон не настроена: укажите адрес электронной почты"):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
    assert not VerificationCode.objects.exists()


def test_the_email_sender_mails_the_code(poll, settings, mailoutbox):
    settings.TSUR_POLL_CODE_SENDER = "tsur.polls.senders.EmailSender"
    with at(0):
        services.request_code(poll, "ivan@example.org", ip="10.0.0.1")
    assert mailoutbox[0].to == ["ivan@example.org"]
    assert "Код для голосования в опросе" in mailoutbox[0].body


def test_codes_are_not_sent_for_a_closed_poll(poll, world):
    with at(0):
        services.close_poll(poll, world.operator)
    poll.refresh_from_db()
    with at(1), pytest.raises(Exception, match="завершён"):
        services.request_code(poll, "+79001234567", ip="10.0.0.1")
