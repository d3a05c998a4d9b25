"""The e-mail plugin: reading a real IMAP server (Dovecot on 127.0.0.1, started by the fixture),
normalising letters, and replying through a real SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest

from tests.channels.fake_api import loopback_only
from tests.channels.mail_servers import Dovecot, RecordingSmtp, free_port, letter, require_dovecot
from tsur.channels import registry
from tsur.channels.base import ChannelError, DeliveryError, RawItem
from tsur.channels.email.imap import MailboxError
from tsur.channels.email.letters import payload_to_raw, raw_to_payload
from tsur.channels.email.plugin import EmailPlugin, EmailSettings
from tsur.channels.email.smtp import reply_subject

FROM = "cur@example.net"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    loopback_only(monkeypatch)


@pytest.fixture(scope="module")
def dovecot():
    server = Dovecot(require_dovecot()).start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(dovecot):
    return dovecot.new_mailbox()


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    handler = RecordingSmtp()
    port = free_port()
    # Named hosts on both sides, so neither server nor client looks up its own name (getfqdn).
    controller = Controller(handler, hostname="127.0.0.1", port=port, server_hostname="localhost")
    controller.start()
    handler.port = port
    yield handler
    controller.stop()


def settings(**overrides) -> dict:
    """IMAP and SMTP on loopback ports; the tests that need a live server override them."""
    return {
        "imap_host": "127.0.0.1",
        "imap_port": free_port(),
        "imap_security": "none",
        "imap_user": "nobody",
        "imap_password": "none",
        "smtp_host": "127.0.0.1",
        "smtp_port": free_port(),
        "smtp_security": "none",
        "from_address": FROM,
        "from_name": "ЦУР (тест)",
        "helo_name": "localhost",
        "timeout": 5,
        **overrides,
    }


def plugin_for(**overrides) -> EmailPlugin:
    return EmailPlugin(EmailPlugin.validate_settings(settings(**overrides)))


def item_of(name: str, **replace: str) -> RawItem:
    return RawItem(external_id=f"test:{name}", payload=raw_to_payload(letter(name, **replace)), kind="email")


def test_it_is_registered_as_email():
    assert registry.get("email") is EmailPlugin


def test_it_validates_settings():
    with pytest.raises(ValueError):
        EmailSettings.model_validate(settings(from_address="не адрес"))
    with pytest.raises(ValueError):
        EmailSettings.model_validate(settings(imap_security="tls"))
    parsed = EmailSettings.model_validate(settings(imap_password="secret-1", smtp_password="secret-2"))
    assert "secret-1" not in repr(parsed) and "secret-2" not in repr(parsed)


# -- reading the inbox ---------------------------------------------------------------------
def test_it_reads_each_new_letter_once(mailbox):
    plugin = plugin_for(**mailbox.settings())
    mailbox.deliver(letter("plain_letter"), letter("koi8_letter"))

    items, cursor = plugin.poll({})
    items = list(items)
    assert [i.external_id for i in items] == ["mid:letter-1.20260302@mail.example.org", "mid:koi8-6.20260303@mail.example.org"]
    assert all(i.kind == "email" for i in items)
    assert cursor["last_uid"] == 2 and isinstance(cursor["uidvalidity"], int)
    # Stored byte for byte: UTF-8 as text, the KOI8-R letter (not UTF-8) as base64.
    assert payload_to_raw(items[0].payload) == letter("plain_letter")
    assert "rfc822_base64" in items[1].payload
    assert payload_to_raw(items[1].payload) == letter("koi8_letter")
    assert mailbox.seen_uids() == [1, 2]

    again, cursor = plugin.poll(cursor)
    assert list(again) == []
    assert cursor["last_uid"] == 2

    mailbox.deliver(letter("reply_letter"))
    newer, cursor = plugin.poll(cursor)
    assert [i.payload["uid"] for i in newer] == [3]
    assert cursor["last_uid"] == 3


def test_it_reads_in_batches(mailbox):
    plugin = plugin_for(**mailbox.settings(batch_size=2))
    mailbox.deliver(*(letter("plain_letter", **{"Message-ID": f"<batch-{n}@example.org>"}) for n in range(3)))
    first, cursor = plugin.poll({})
    second, cursor = plugin.poll(cursor)
    assert [i.external_id for i in [*first, *second]] == ["mid:batch-0@example.org", "mid:batch-1@example.org", "mid:batch-2@example.org"]


def test_it_rereads_a_folder_whose_uidvalidity_changed(mailbox):
    plugin = plugin_for(**mailbox.settings())
    mailbox.deliver(letter("plain_letter"))
    items, cursor = plugin.poll({"uidvalidity": 1, "last_uid": 40})
    assert len(list(items)) == 1
    assert cursor["last_uid"] == 1


def test_it_normalises_a_letter_read_over_imap(mailbox):
    plugin = plugin_for(**mailbox.settings())
    mailbox.deliver(letter("photo_letter"))
    (item,) = plugin.poll({})[0]
    message = plugin.normalise(item)
    assert message.author_contact == "resident2@example.org"
    assert len(message.photos) == 1


def test_it_reports_a_wrong_password(mailbox):
    plugin = plugin_for(**mailbox.settings(imap_password="wrong"))
    with pytest.raises(MailboxError) as caught:
        plugin.poll({})
    assert caught.value.retryable is False
    assert isinstance(caught.value, ChannelError)


def test_it_reports_a_missing_folder(mailbox):
    plugin = plugin_for(**mailbox.settings(folder="Обращения"))
    with pytest.raises(MailboxError, match="нет папки «Обращения»") as caught:
        plugin.poll({})
    assert caught.value.retryable is False


def test_it_reports_an_unreachable_imap_server():
    with pytest.raises(MailboxError) as caught:
        plugin_for().poll({})
    assert caught.value.retryable is True


# -- normalising ---------------------------------------------------------------------------
def test_it_normalises_a_plain_letter():
    message = plugin_for().normalise(item_of("plain_letter"))
    assert message.kind == "email"
    assert message.is_public is False
    assert message.text.startswith("Не горят фонари на Тестовой улице\n\nЗдравствуйте!")
    assert "вечером темно" in message.text
    assert message.author_name == "Тест Жителев"
    assert message.author_contact == "resident@example.org"
    assert message.created_at == dt.datetime(2026, 3, 2, 9, 15, tzinfo=dt.UTC)
    assert message.reply_to == {
        "to": "resident@example.org",
        "subject": "Не горят фонари на Тестовой улице",
        "message_id": "letter-1.20260302@mail.example.org",
        "references": [],
        "thread_root": "letter-1.20260302@mail.example.org",
    }
    assert message.extra["is_reply"] is False
    assert message.extra["thread_root"] == "letter-1.20260302@mail.example.org"


def test_it_strips_html():
    message = plugin_for().normalise(item_of("html_letter"))
    assert message.text == "Яма во дворе\n\nВо дворе дома 5 по Тестовому проезду глубокая яма.\n\nПросим заделать."
    assert "alert" not in message.text and "color" not in message.text


def test_it_recognises_a_reply_in_a_thread():
    message = plugin_for().normalise(item_of("reply_letter"))
    assert message.extra["is_reply"] is True
    assert message.extra["thread_root"] == "letter-1.20260302@mail.example.org"
    assert message.reply_to["thread_root"] == "letter-1.20260302@mail.example.org"
    assert message.reply_to["message_id"] == "letter-3.20260304@mail.example.org"
    assert message.reply_to["references"] == ["letter-1.20260302@mail.example.org", "answer-1@cur.example.net"]
    # The quoted answer is not part of what the resident wrote now.
    assert message.extra["body"] == "Фонари так и не горят, проверьте, пожалуйста, ещё раз."


def test_it_follows_in_reply_to_without_references():
    item = item_of("reply_letter", References="")
    message = plugin_for().normalise(item)
    assert message.extra["thread_root"] == "answer-1@cur.example.net"


def test_it_takes_photos_and_notes_other_attachments():
    message = plugin_for().normalise(item_of("photo_letter"))
    assert len(message.photos) == 1
    assert message.photos[0][:3] == b"\xff\xd8\xff"  # the JPEG itself
    assert message.text == "Свалка мусора у гаражей\n\nВозле гаражей на Тестовой улице свалка мусора, фото прилагаю."
    assert message.extra["ignored_attachments"] == [{"filename": "zayavlenie.pdf", "content_type": "application/pdf", "reason": "не изображение"}]

    none_allowed = plugin_for(max_photos=0).normalise(item_of("photo_letter"))
    assert none_allowed.photos == []
    assert [a["filename"] for a in none_allowed.extra["ignored_attachments"]] == ["svalka.jpg", "zayavlenie.pdf"]


def test_it_reads_a_koi8_letter():
    message = plugin_for().normalise(item_of("koi8_letter"))
    assert message.author_name == "Петрова"
    assert message.text == "Потоп\n\nЗатопило подвал дома 3 на Тестовой улице."


def test_it_ignores_automatic_replies():
    assert plugin_for().normalise(item_of("auto_reply")) is None


def test_it_rejects_what_is_not_a_stored_letter():
    with pytest.raises(ChannelError):
        plugin_for().normalise(RawItem(external_id="x", payload={"uid": 1}))
    with pytest.raises(ChannelError):
        plugin_for().normalise(RawItem(external_id="y", payload="plain text"))
    with pytest.raises(ChannelError):
        plugin_for().normalise(RawItem(external_id="z", payload=raw_to_payload(b"Subject: no sender\r\n\r\nhello\r\n")))


# -- replying ------------------------------------------------------------------------------
def test_it_replies_in_the_thread(smtp):
    plugin = plugin_for(smtp_port=smtp.port)
    reply_to = plugin.normalise(item_of("reply_letter")).reply_to
    external_id = plugin.deliver(reply_to, "Здравствуйте! Фонари отремонтированы.")

    ((mail_from, recipients, raw),) = smtp.received
    assert mail_from == FROM
    assert recipients == ["resident@example.org"]
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert sent["In-Reply-To"] == "<letter-3.20260304@mail.example.org>"
    assert sent["References"] == "<letter-1.20260302@mail.example.org> <answer-1@cur.example.net> <letter-3.20260304@mail.example.org>"
    assert sent["Subject"] == "Re: Не горят фонари на Тестовой улице"
    (sender,) = sent["From"].addresses
    assert (sender.display_name, sender.addr_spec) == ("ЦУР (тест)", FROM)
    assert sent["Message-ID"] == f"<{external_id}>"
    assert external_id.endswith("@example.net")
    assert sent.get_content().strip() == "Здравствуйте! Фонари отремонтированы."


def test_it_starts_the_reply_subject_once():
    assert reply_subject("Яма") == "Re: Яма"
    assert reply_subject("RE: Яма") == "RE: Яма"
    assert reply_subject("") == "Re: ваше обращение"


def test_it_replies_to_the_reply_to_address(smtp):
    plugin = plugin_for(smtp_port=smtp.port)
    raw = letter("plain_letter").replace(b"MIME-Version: 1.0\r\n", b"Reply-To: family@example.org\r\nMIME-Version: 1.0\r\n", 1)
    message = plugin.normalise(RawItem(external_id="r", payload=raw_to_payload(raw)))
    assert message.author_contact == "resident@example.org"
    plugin.deliver(message.reply_to, "Ответ")
    assert smtp.received[0][1] == ["family@example.org"]


def test_it_gives_up_on_a_mailbox_that_does_not_exist(smtp):
    smtp.refuse["resident@example.org"] = "550 5.1.1 <resident@example.org>: mailbox unavailable"
    plugin = plugin_for(smtp_port=smtp.port)
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"to": "resident@example.org", "message_id": "letter-1.20260302@mail.example.org", "subject": "Яма"}, "Ответ")
    assert caught.value.retryable is False
    assert "550" in caught.value.reason and "mailbox unavailable" in caught.value.reason
    assert "resident@example.org" not in caught.value.reason  # the reason is stored and may be logged
    assert smtp.received == []


def test_it_retries_a_temporary_refusal(smtp):
    smtp.refuse["resident@example.org"] = "451 4.3.0 Try again later"
    plugin = plugin_for(smtp_port=smtp.port)
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"to": "resident@example.org"}, "Ответ")
    assert caught.value.retryable is True


def test_it_retries_when_the_smtp_server_is_unreachable():
    with pytest.raises(DeliveryError) as caught:
        plugin_for().deliver({"to": "resident@example.org"}, "Ответ")
    assert caught.value.retryable is True
    assert "ConnectionRefusedError" in caught.value.reason


def test_it_needs_an_address_to_reply_to():
    with pytest.raises(DeliveryError) as caught:
        plugin_for().deliver({}, "Ответ")
    assert caught.value.retryable is False


# -- end to end through the channel core ------------------------------------------------------
def test_it_turns_a_letter_into_an_appeal_and_sends_the_answer_back(world, mailbox, smtp, channel_config):
    from tsur.answers.services import approve_answer, prepare_answer, publish_answer
    from tsur.appeals.services import accept_appeal, route_appeal
    from tsur.channels import listening
    from tsur.channels.models import Delivery, InboundMessage

    config = channel_config("email", settings(**mailbox.settings(), smtp_port=smtp.port))
    mailbox.deliver(letter("photo_letter"))

    assert listening.poll_channel(config.pk)["received"] == 1
    row = InboundMessage.objects.get(channel=config)
    assert row.state == InboundMessage.State.APPEAL, row.last_error
    appeal = row.appeal
    assert appeal.channel == "email"
    assert appeal.regime == "appeal"  # a letter is a written appeal under 59-FZ
    assert appeal.resident.email == "resident2@example.org"
    assert appeal.attachments.count() == 1

    route_appeal(appeal, world.operator, organisation_code="city-admin")
    accept_appeal(appeal, world.city_coordinator)
    prepare_answer(appeal, world.city_coordinator, text="Мусор у гаражей на Тестовой улице вывезен 4 марта, площадка убрана.")
    approve_answer(appeal, world.operator)
    publish_answer(appeal, world.operator)

    delivery = Delivery.objects.get(appeal=appeal)
    assert delivery.state == Delivery.State.SENT, delivery.last_error
    ((_sender, recipients, raw),) = smtp.received
    assert recipients == ["resident2@example.org"]
    sent = email.message_from_bytes(raw, policy=policy.default)
    assert sent["In-Reply-To"] == "<photo-4.20260303@mail.example.org>"
    assert sent["Subject"] == "Re: Свалка мусора у гаражей"
    assert "вывезен 4 марта" in sent.get_content()
    assert delivery.external_id == sent["Message-ID"].strip("<>")
