"""A resident's reply in an e-mail thread continues the appeal the thread belongs to: no new
appeal, the text in the appeal's log, the photos among its attachments; a thread whose first
letter is unknown here becomes an appeal as usual. Real fixture letters, the real ingestion core."""

from __future__ import annotations

import pytest

from tests.channels.mail_servers import letter
from tsur.appeals.models import Appeal, Attachment, Event, Status
from tsur.appeals.services import add_resident_message
from tsur.channels import services
from tsur.channels.base import RawItem
from tsur.channels.email.letters import raw_to_payload
from tsur.channels.email.plugin import external_id_for
from tsur.channels.models import InboundMessage
from tsur.workspace.card import event_label, timeline

State = InboundMessage.State
ROOT = "letter-1.20260302@mail.example.org"
SETTINGS = {
    "imap_host": "127.0.0.1", "imap_user": "cur", "imap_password": "x", "smtp_host": "127.0.0.1", "from_address": "cur@example.net",
}


@pytest.fixture
def mailbox(channel_config):
    return channel_config("email", SETTINGS)


def stored(name: str, message_id: str, **headers: str) -> RawItem:
    """A fixture letter as polling stores it (its external id is made from its Message-ID), with
    `headers` set: replaced where the letter has them, added where it does not."""
    raw = letter(name, **{"Message-ID": f"<{message_id}>", **headers})
    head, _, body = raw.partition(b"\r\n\r\n")
    present = {line.split(b":", 1)[0].lower() for line in head.split(b"\r\n") if b":" in line}
    added = [f"{h}: {v}".encode() for h, v in headers.items() if h.encode().lower() not in present]
    raw = b"\r\n".join([head, *added]) + b"\r\n\r\n" + body
    return RawItem(external_id=external_id_for(message_id), payload=raw_to_payload(raw), kind="email")


def reply(name: str, message_id: str, root: str = ROOT) -> RawItem:
    return stored(name, message_id, **{"In-Reply-To": "<answer-1@cur.example.net>", "References": f"<{root}> <answer-1@cur.example.net>"})


def test_it_adds_a_reply_to_the_appeal_of_its_thread(world, mailbox):
    services.receive(mailbox, [stored("plain_letter", ROOT)])
    appeal = Appeal.objects.get()
    status_before = Appeal.objects.get(pk=appeal.pk).status

    services.receive(mailbox, [reply("reply_letter", "letter-3.20260304@mail.example.org")])

    assert Appeal.objects.count() == 1  # no new appeal
    row = InboundMessage.objects.get(external_id=external_id_for("letter-3.20260304@mail.example.org"))
    assert row.state == State.APPEAL and row.appeal_id == appeal.pk
    assert row.decision == f"продолжение переписки по обращению №{appeal.number}"
    event = Event.objects.get(appeal=appeal, kind="resident_message")
    assert "Фонари так и не горят" in event.reason and event.data["text"] == event.reason
    assert event.data["attachments"] == 0 and event.actor_label == "житель"
    assert Appeal.objects.get(pk=appeal.pk).status == status_before  # a message, not a transition
    assert event_label("resident_message") == "Дополнение от жителя"
    assert [r["label"] for r in timeline(appeal) if r["kind"] == "resident_message"] == ["Дополнение от жителя"]


def test_it_saves_the_photos_of_a_reply_to_the_appeal(world, mailbox):
    services.receive(mailbox, [stored("plain_letter", ROOT)])
    appeal = Appeal.objects.get()
    services.receive(mailbox, [reply("photo_letter", "photo-9.20260305@mail.example.org")])
    assert Appeal.objects.count() == 1
    assert Attachment.objects.filter(appeal=appeal).count() == 1
    event = Event.objects.get(appeal=appeal, kind="resident_message")
    assert event.data["attachments"] == 1
    assert [r["detail"] for r in timeline(appeal) if r["kind"] == "resident_message"] == ["вложений: 1"]


def test_it_makes_a_new_appeal_when_the_thread_is_unknown(world, mailbox):
    services.receive(mailbox, [reply("reply_letter", "letter-3.20260304@mail.example.org", root="never-seen@mail.example.org")])
    appeal = Appeal.objects.get()
    assert appeal.status == Status.MODERATION  # a channel's appeals are taken to moderation as they are created
    assert not Event.objects.filter(kind="resident_message").exists()
    row = InboundMessage.objects.get()
    assert row.appeal_id == appeal.pk and "продолжение" not in row.decision


def test_it_looks_for_the_thread_in_the_same_mailbox_only(world, mailbox, channel_config):
    other = channel_config("email", SETTINGS)
    services.receive(other, [stored("plain_letter", ROOT)])
    services.receive(mailbox, [reply("reply_letter", "letter-3.20260304@mail.example.org")])
    assert Appeal.objects.count() == 2
    assert not Event.objects.filter(kind="resident_message").exists()


def test_it_handles_the_first_letter_and_its_reply_in_one_batch(world, mailbox):
    """Both arrive in the same poll: the first becomes the appeal, then the reply joins it."""
    first, second = stored("plain_letter", ROOT), reply("reply_letter", "letter-3.20260304@mail.example.org")
    services.receive(mailbox, [second, first], process=False)  # the reply even has the lower row id
    assert services.process_pending() == {State.APPEAL: 2}
    appeal = Appeal.objects.get()
    assert InboundMessage.objects.filter(state=State.APPEAL, appeal=appeal).count() == 2
    assert Event.objects.filter(appeal=appeal, kind="resident_message").count() == 1


def test_it_records_a_message_processed_twice_once(world, mailbox):
    services.receive(mailbox, [stored("plain_letter", ROOT)])
    appeal = Appeal.objects.get()
    for _ in range(2):  # a worker died after adding the message, before marking its row
        add_resident_message(appeal, text="Ещё раз о фонарях", photos=[], source="email", external_id="m:1")
    assert Event.objects.filter(appeal=appeal, kind="resident_message").count() == 1


def test_a_reply_to_our_answer_without_references_joins_the_answered_appeal(world, mailbox):
    from tsur.channels.models import Delivery

    services.receive(mailbox, [stored("plain_letter", ROOT)])
    appeal = Appeal.objects.get()
    Delivery.objects.create(
        appeal=appeal, channel=mailbox, kind="answer_published", reply_to={"to": "resident@example.org"}, text="Ответ",
        state=Delivery.State.SENT, external_id="answer-7@cur.example.net",
    )
    # Some mail clients keep only In-Reply-To (our answer's Message-ID) and drop References.
    services.receive(mailbox, [stored("plain_letter", "letter-8.20260306@mail.example.org", **{"In-Reply-To": "<answer-7@cur.example.net>"})])
    assert Appeal.objects.count() == 1
    row = InboundMessage.objects.get(external_id=external_id_for("letter-8.20260306@mail.example.org"))
    assert row.state == State.APPEAL and row.appeal_id == appeal.pk
    assert row.decision == f"продолжение переписки по обращению №{appeal.number}"
    assert Event.objects.filter(appeal=appeal, kind="resident_message").count() == 1
    # A reply to a letter we never sent becomes an appeal of its own.
    services.receive(mailbox, [stored("plain_letter", "letter-9.20260306@mail.example.org", **{"In-Reply-To": "<unknown@cur.example.net>"})])
    assert Appeal.objects.count() == 2
