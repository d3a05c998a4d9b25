"""A clarification asked about an appeal that came by e-mail goes out in the resident's thread
(without the private link), and the resident's reply in that thread answers the question.
Real fixture letters, the real ingestion core."""

from __future__ import annotations

import pytest

from tests.channels.test_email_threads import ROOT, SETTINGS, reply, stored
from tsur.appeals import services as appeals
from tsur.appeals.models import Appeal, Event
from tsur.channels import services
from tsur.channels.models import Delivery
from tsur.workspace.card import timeline

QUESTION = "Уточните, пожалуйста, на какой улице не горят фонари."


@pytest.fixture
def mailbox(channel_config):
    return channel_config("email", SETTINGS)


def test_a_reply_in_the_thread_answers_the_open_question(world, mailbox):
    services.receive(mailbox, [stored("plain_letter", ROOT)])
    appeal = Appeal.objects.get()
    question = appeals.request_clarification(appeal, world.operator, question=QUESTION)

    delivery = Delivery.objects.get(appeal=appeal, kind="clarification")
    assert QUESTION in delivery.text and appeal.access_key not in delivery.text

    services.receive(mailbox, [reply("reply_letter", "letter-3.20260304@mail.example.org")])
    message = Event.objects.get(appeal=appeal, kind="resident_message")
    assert message.data["clarification"] == question.pk
    assert appeals.open_question(appeal) is None
    [row] = [r for r in timeline(appeal) if r["kind"] == "request_clarification"]
    assert row["detail"].startswith(f"«{QUESTION}» — ответ жителя") and "Фонари так и не горят" in row["detail"]
