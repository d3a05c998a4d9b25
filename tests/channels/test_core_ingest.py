"""The ingestion core: raw payloads stored once, claimed by one worker, screened, and turned into
incident appeals (complaints) or signals (the rest), with every failure kept and explained."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tsur.appeals.models import Appeal, Status
from tsur.channels import receiving, services
from tsur.channels.base import RawItem
from tsur.channels.models import InboundMessage
from tsur.core import clock

State = InboundMessage.State


def post(ext: str, text: str = "Огромная яма у остановки на улице Ленина", **extra) -> RawItem:
    payload = {"text": text, "author": "Анна Смирнова", "link": "https://vk.com/id777", **extra}
    return RawItem(external_id=ext, payload=payload, kind="post")


def test_it_stores_each_payload_once(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    first = services.receive(config, [post("1"), post("2"), post("2")], process=False)
    again = services.receive(config, [post("1"), post("3")], process=False)
    assert first == {"received": 2, "duplicates": 1, "rejected": 0}
    assert again == {"received": 1, "duplicates": 1, "rejected": 0}
    assert InboundMessage.objects.filter(channel=config).count() == 3
    row = InboundMessage.objects.get(channel=config, external_id="1")
    assert row.raw == post("1").payload  # untouched
    assert row.state == State.PENDING


def test_it_rejects_payloads_without_an_id_and_keeps_the_rest(world, fake_channel):
    config = fake_channel("vk")
    counts = services.receive(config, [post(""), RawItem(external_id="x" * 201, payload={}), post("ok")], process=False)
    assert counts == {"received": 1, "duplicates": 0, "rejected": 2}


def test_it_stores_the_others_when_one_payload_cannot_be_stored(world, fake_channel):
    config = fake_channel("vk")
    counts = services.receive(config, [post("1"), RawItem(external_id="2", payload={"set": {1, 2}}), post("3")], process=False)
    assert counts["received"] == 2 and counts["rejected"] == 1
    assert set(InboundMessage.objects.values_list("external_id", flat=True)) == {"1", "3"}


def test_it_turns_a_complaint_into_an_incident_appeal_with_the_author_as_channel_identity(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    counts = services.receive(config, [post("wall-1_5")])  # processed right after commit (embedded default)
    assert counts["received"] == 1
    row = InboundMessage.objects.get()
    assert row.state == State.APPEAL
    assert row.complaint_probability == pytest.approx(0.9)
    assert row.decision.startswith("жалоба: вероятность жалобы 0.90")
    appeal = row.appeal
    assert appeal.channel == "vk"
    assert appeal.regime == "incident"
    assert appeal.external_id == f"{config.code}:wall-1_5"
    assert appeal.resident.account_link == "https://vk.com/id777"
    assert appeal.resident.name == "Анна Смирнова"
    assert row.reply_to == {"post": "wall-1_5"}
    assert appeal.status == Status.MODERATION  # taken to moderation in the transaction that created it


def test_it_keeps_non_complaints_as_signals(world, fake_channel, complaint_screen):
    config = fake_channel("telegram")
    services.receive(config, [post("10", "Продам велосипед, почти новый")])
    row = InboundMessage.objects.get()
    assert row.state == State.SIGNAL
    assert row.appeal is None
    assert row.text == "Продам велосипед, почти новый"
    assert row.decision.startswith("не жалоба")
    assert not Appeal.objects.exists()


def test_it_treats_every_post_as_a_complaint_when_the_screening_model_is_missing(world, fake_channel, no_screening_model):
    config = fake_channel("ok")
    services.receive(config, [post("1", "Продам велосипед")])
    row = InboundMessage.objects.get()
    assert row.state == State.APPEAL
    assert row.decision == "модель отбора жалоб не загружена: пост считается жалобой"
    assert row.appeal.channel == "ok"
    # The card's «Отбор жалоб» says why the post was not screened, in Russian.
    assert services.screening_of(row.appeal) == "модель отбора жалоб не загружена: пост считается жалобой"


def test_it_says_in_russian_why_a_post_was_not_screened_when_the_model_fails(world, fake_channel, complaint_screen, monkeypatch):
    def broken(texts):
        raise ValueError("model state")

    monkeypatch.setattr(complaint_screen, "predict", broken)
    config = fake_channel("ok")
    services.receive(config, [post("1", "Яма на дороге")])
    row = InboundMessage.objects.get()
    assert row.state == State.APPEAL
    assert row.decision == "ошибка модели отбора жалоб: пост считается жалобой"
    assert services.screening_of(row.appeal) == "ошибка модели отбора жалоб: пост считается жалобой"


def test_the_card_leaves_out_the_exception_class_an_older_decision_carries(world, fake_channel, no_screening_model):
    config = fake_channel("ok")
    services.receive(config, [post("1", "Яма на дороге")])
    row = InboundMessage.objects.get()
    # As decisions were stored before the class name was kept out of them.
    InboundMessage.objects.filter(pk=row.pk).update(decision="ошибка модели отбора жалоб (ValueError): пост считается жалобой")
    assert services.screening_of(row.appeal) == "ошибка модели отбора жалоб: пост считается жалобой"


def test_it_creates_appeals_from_private_messages_without_screening(world, fake_channel, complaint_screen):
    config = fake_channel("telegram")
    services.receive(config, [post("c1", "Добрый день, подскажите", public=False)])
    row = InboundMessage.objects.get()
    assert row.state == State.APPEAL
    assert row.decision == "личное сообщение: обращение без отбора"


def test_it_ignores_deleted_posts(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, [post("d", deleted=True)])
    row = InboundMessage.objects.get()
    assert row.state == State.IGNORED and row.processed_at is not None
    assert not Appeal.objects.exists()


def test_it_fails_unknown_chats_with_a_visible_reason_and_logs_no_personal_data(world, fake_channel, complaint_screen, caplog):
    config = fake_channel("telegram")
    with caplog.at_level(logging.INFO):
        services.receive(config, [post("u1", chat="unknown"), post("u2", "")])
    unknown = InboundMessage.objects.get(external_id="u1")
    empty = InboundMessage.objects.get(external_id="u2")
    assert unknown.state == State.FAILED and unknown.last_error == "сообщение из неизвестного чата"
    assert empty.state == State.FAILED and empty.last_error == "в сообщении нет текста"
    assert "Анна" not in caplog.text and "яма" not in caplog.text and "vk.com/id777" not in caplog.text
    assert "неизвестного чата" in caplog.text


def test_it_retries_a_plugin_error_and_fails_it_after_the_last_attempt(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, [post("b", bad=True)])
    row = InboundMessage.objects.get()
    assert row.state == State.PENDING
    assert row.last_error == "ошибка разбора сообщения (ValueError)"
    assert row.claimed_until > clock.now()  # backing off, not claimable yet
    assert services.process_pending() == {}
    InboundMessage.objects.update(attempts=services.MAX_INBOUND_ATTEMPTS - 1, claimed_until=None)
    assert services.process_pending() == {"failed": 1}
    row.refresh_from_db()
    assert row.state == State.FAILED
    assert row.last_error == f"ошибка разбора сообщения (ValueError); попыток: {services.MAX_INBOUND_ATTEMPTS}"
    assert services.requeue_failed([row.pk]) == 1
    assert InboundMessage.objects.get().state == State.PENDING


def test_it_heals_a_crash_between_creating_the_appeal_and_marking_the_row(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, [post("1")], process=False)
    token, rows = services.claim_inbound(10)
    assert [r.external_id for r in rows] == ["1"]
    outcome = services.Outcome(row=rows[0])
    outcome.message = config.plugin().normalise(RawItem("1", rows[0].raw, "post"))
    services._create_appeals([outcome])  # the appeal is committed, then the worker dies
    assert Appeal.objects.count() == 1
    assert services.process_pending() == {}  # still claimed by the dead worker
    InboundMessage.objects.update(claimed_until=clock.now() - dt.timedelta(seconds=1))  # lease runs out
    assert services.process_pending() == {"appeal": 1}
    assert Appeal.objects.count() == 1
    assert InboundMessage.objects.get().appeal_id == outcome.appeal_id


def test_it_never_gives_one_row_to_two_workers(world, fake_channel):
    config = fake_channel("vk")
    services.receive(config, [post(str(i)) for i in range(5)], process=False)
    _t1, first = services.claim_inbound(3)
    _t2, second = services.claim_inbound(10)
    assert len(first) == 3 and len(second) == 2
    assert not {r.pk for r in first} & {r.pk for r in second}
    _t3, third = services.claim_inbound(10)
    assert third == []
    with clock.at(clock.now() + services.lease() + dt.timedelta(seconds=1)):
        _t4, reclaimed = services.claim_inbound(10)
    assert len(reclaimed) == 5 and all(r.attempts == 2 for r in reclaimed)


def test_it_keeps_the_complaint_when_a_place_outside_the_region_is_given(world, fake_channel, monkeypatch):
    from tests.channels.conftest import FakePlugin

    config = fake_channel("vk")
    plugin = type(config.plugin())
    original = FakePlugin.normalise

    def with_place(self, item):
        message = original(self, item)
        message.lat, message.lon, message.is_public = 10.0, 10.0, False
        return message

    monkeypatch.setattr(plugin, "normalise", with_place)
    services.receive(config, [post("geo")])
    row = InboundMessage.objects.get()
    assert row.state == State.APPEAL
    assert row.decision.endswith("не приняты поля: location")
    assert row.appeal.lat is None


def test_it_truncates_an_overlong_text_and_keeps_the_whole_raw(world, fake_channel, complaint_screen, settings):
    settings.TSUR_MAX_TEXT_CHARS = 50
    config = fake_channel("vk")
    long_text = "Яма " + "очень " * 30
    services.receive(config, [post("long", long_text)])
    row = InboundMessage.objects.get()
    assert len(row.appeal.text) == 50 and row.appeal.text.endswith("…")
    assert row.raw["text"] == long_text


def test_it_marks_rows_of_a_channel_without_a_plugin_failed(world, channel_config, complaint_screen):
    config = channel_config("no-such-kind")
    services.receive(config, [post("1")])
    row = InboundMessage.objects.get()
    assert row.state == State.FAILED
    assert row.last_error == "нет модуля канала вида «no-such-kind»"


def test_a_post_another_receiver_stored_meanwhile_is_skipped_and_the_rest_kept(world, fake_channel, monkeypatch):
    """Two receivers of one channel store the same post at once: the bulk write (COPY on
    PostgreSQL) hits the unique key and falls back to an insert that skips what is there."""
    config = fake_channel("vk")
    InboundMessage.objects.create(channel=config, external_id="2", raw={"text": "первый приёмник"})
    monkeypatch.setattr(receiving, "_stored", lambda config, ids: set())  # stored after the check, as in a race
    counts = services.receive(config, [post("1"), post("2"), post("3")], process=False)
    assert counts["rejected"] == 0
    assert sorted(InboundMessage.objects.values_list("external_id", flat=True)) == ["1", "2", "3"]
    assert InboundMessage.objects.get(external_id="2").raw == {"text": "первый приёмник"}  # the first one stays
