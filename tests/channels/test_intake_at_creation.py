"""A channel's batch is triaged and taken to moderation before its appeals are first written
(tsur.triage.intake.IntakeAtCreation): the same decisions, events and duplicate joins as the
background path, each appeal row inserted once, and nothing left for a follow-up task."""

from __future__ import annotations

import pytest

from tests.triage.test_django_integration import DECISION, FixedEngine
from tsur.appeals.models import Appeal, Event, Notification, Status
from tsur.channels import services
from tsur.channels.base import RawItem
from tsur.channels.models import InboundMessage
from tsur.core import clock, tasks
from tsur.triage import services as triage
from tsur.triage.models import TriageResult

State = InboundMessage.State


def post(ext: str, text: str = "Снег не убран у дома на Ленина 1, машины буксуют") -> RawItem:
    return RawItem(external_id=ext, payload={"text": text, "author": "Анна", "link": f"https://vk.com/id{ext}"}, kind="post")


@pytest.fixture
def engine(settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True
    fake = FixedEngine(**DECISION)
    monkeypatch.setattr(triage, "engine", lambda: fake)
    return fake


@pytest.fixture
def scheduled(monkeypatch):
    """The names of the follow-up tasks scheduled after commit (still run, as the embedded default does)."""
    names: list[str] = []
    real = tasks.enqueue_ids

    def record(name, ids):
        names.append(name)
        real(name, ids)

    monkeypatch.setattr(tasks, "enqueue_ids", record)
    return names


def kinds(appeal: Appeal) -> list[str]:
    return list(Event.objects.filter(appeal=appeal).values_list("kind", flat=True))


def test_a_channel_batch_is_triaged_and_moderated_as_it_is_created(world, fake_channel, complaint_screen, engine, scheduled):
    config = fake_channel("vk")
    services.receive(config, [post("wall-1_1"), post("wall-1_2", "Яма на Гагарина 7, колёса пробиты")])
    first, second = (row.appeal for row in InboundMessage.objects.order_by("external_id"))
    assert first.status == Status.MODERATION and first.category == world.snow and first.classification_source == "auto"
    assert first.territory == world.city and first.address == "ул. Ленина, д. 1"
    assert first.urgency == "high" and first.urgency_reason == "снег мешает проезду зимой" and first.version == 3
    assert kinds(first) == ["created", "auto_triage", "take_to_moderation"]
    created, auto, moved = Event.objects.filter(appeal=first).order_by("pk")
    assert created.to_status == Status.RECEIVED and created.data["regime"] == "incident"  # as received
    result = TriageResult.objects.get(appeal=first)
    assert auto.data["triage_result"] == result.pk and auto.data["applied"]["category"] == "snow"
    assert result.applied == auto.data["applied"]
    assert (moved.from_status, moved.to_status) == (Status.RECEIVED, Status.MODERATION)
    assert "process_new_appeals" not in scheduled  # nothing left for the follow-up task
    assert Notification.objects.filter(appeal=first, kind="created").count() == 1


def test_near_duplicates_in_a_channel_batch_join_the_first(world, fake_channel, complaint_screen, engine):
    config = fake_channel("vk")
    services.receive(config, [post("wall-1_1"), post("wall-1_2", "Снег не убран у дома на Ленина 1, машины буксуют!!")])
    first, same = (row.appeal for row in InboundMessage.objects.order_by("external_id"))
    assert first.status == Status.MODERATION and first.problem.lead == first  # the lead of its problem
    assert same.status == Status.JOINED and same.problem.lead == first
    assert TriageResult.objects.get(appeal=same).duplicate_of == first
    assert kinds(same) == ["created", "auto_triage", "take_to_moderation", "join_problem"]
    notes = list(Notification.objects.filter(appeal=same).order_by("pk").values_list("kind", flat=True))
    assert notes == ["created", "joined"]


def test_when_triage_cannot_run_the_batch_goes_to_moderation_untriaged(world, fake_channel, complaint_screen, settings, monkeypatch):
    settings.TSUR_TRIAGE_ENABLED = True

    def broken():
        raise OSError("model file unreadable")

    monkeypatch.setattr(triage, "engine", broken)
    config = fake_channel("vk")
    services.receive(config, [post("wall-1_1"), post("wall-1_2", "Яма на Гагарина 7")])
    appeals = [row.appeal for row in InboundMessage.objects.all()]
    assert len(appeals) == 2 and {a.status for a in appeals} == {Status.MODERATION}
    assert not TriageResult.objects.exists() and {a.category for a in appeals} == {None}
    assert {tuple(kinds(a)) for a in appeals} == {("created", "take_to_moderation")}


def test_a_batch_processed_again_after_a_worker_died_is_recorded_once(world, fake_channel, complaint_screen, engine):
    config = fake_channel("vk")
    services.receive(config, [post("wall-1_1"), post("wall-1_2", "Яма на Гагарина 7")], process=False)
    rows = list(InboundMessage.objects.order_by("external_id"))
    services.process_rows(services.claim_rows([r.pk for r in rows]))
    # The worker died after the appeals were committed but before its rows were marked.
    InboundMessage.objects.update(state=State.PENDING, appeal=None, processed_at=None, claim_token="", claimed_until=None)
    with clock.at(clock.now()):
        services.process_rows(services.claim_rows([r.pk for r in rows]))
    assert Appeal.objects.count() == 2 and TriageResult.objects.count() == 2
    for appeal in Appeal.objects.all():
        assert kinds(appeal) == ["created", "auto_triage", "take_to_moderation"]
    assert set(InboundMessage.objects.values_list("state", flat=True)) == {State.APPEAL}
