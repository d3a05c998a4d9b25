"""Listening (polling enabled channels, backing off on errors), the sweeper, and the retention
purge of signals."""

from __future__ import annotations

import datetime as dt

from tsur.channels import listening, services, tasks
from tsur.channels.base import ChannelError, DeliveryError, RawItem
from tsur.channels.models import ChannelConfig, InboundMessage, SignalPurge
from tsur.core import clock

State = InboundMessage.State


def items(*ids: str, text: str = "Не вывозят мусор третью неделю") -> list[RawItem]:
    return [RawItem(i, {"text": text, "author": "Олег"}, "post") for i in ids]


def test_it_polls_an_enabled_channel_stores_the_posts_and_moves_the_cursor(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    plugin = type(config.plugin())
    plugin.polled = items("1", "2")
    assert listening.poll_channel(config.pk) == {"received": 2, "duplicates": 0, "rejected": 0}
    config.refresh_from_db()
    assert config.cursor == {"last": "2"}
    assert config.last_error == "" and config.failures == 0 and config.last_polled_at is not None
    assert config.next_poll_at > clock.now()
    assert InboundMessage.objects.filter(state=State.APPEAL).count() == 2
    assert listening.poll_channel(config.pk) == {"skipped": "не время или канал отключён"}


def test_it_backs_off_when_a_token_expired_and_says_why(world, fake_channel):
    config = fake_channel("telegram")
    type(config.plugin()).poll_error = ChannelError("токен бота недействителен: выпустите новый в @BotFather")
    assert listening.poll_channel(config.pk) == {"error": "токен бота недействителен: выпустите новый в @BotFather"}
    config.refresh_from_db()
    assert config.failures == 1
    assert config.last_error == "токен бота недействителен: выпустите новый в @BotFather"
    assert config.next_poll_at >= clock.now() + dt.timedelta(seconds=29)


def test_it_honours_a_rate_limit_answer(world, fake_channel):
    config = fake_channel("vk")
    type(config.plugin()).poll_error = DeliveryError("слишком много запросов", retryable=True, retry_after=900)
    listening.poll_channel(config.pk)
    config.refresh_from_db()
    assert config.next_poll_at >= clock.now() + dt.timedelta(seconds=899)


def test_it_survives_a_network_error_while_polling(world, fake_channel):
    config = fake_channel("ok")
    type(config.plugin()).poll_error = ConnectionResetError("peer")
    assert listening.poll_channel(config.pk) == {"error": "ошибка опроса (ConnectionResetError)"}


def test_it_polls_only_enabled_channels_that_can_be_polled(world, fake_channel, channel_config):
    enabled = fake_channel("vk")
    fake_channel("ok", enabled=False)
    channel_config("no-such-kind")
    assert listening.due_channels(clock.now()) == [enabled.pk]
    ChannelConfig.objects.filter(pk=enabled.pk).update(next_poll_at=clock.now() + dt.timedelta(minutes=1))
    assert listening.due_channels(clock.now()) == []


def test_the_sweeper_picks_up_what_a_lost_queue_left_behind(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    services.receive(config, items("1", "2", "3"), process=False)  # stored, but the task message was lost
    InboundMessage.objects.filter(external_id="3").update(claimed_until=clock.now() + dt.timedelta(minutes=1))
    result = tasks.sweep(clock.now())
    assert result["inbound_pending"] == 2
    assert set(InboundMessage.objects.values_list("external_id", "state")) == {
        ("1", State.APPEAL), ("2", State.APPEAL), ("3", State.PENDING)
    }
    with clock.at(clock.now() + dt.timedelta(minutes=2)):  # the claim of a dead worker runs out
        tasks.sweep(clock.now())
    assert InboundMessage.objects.get(external_id="3").state == State.APPEAL


def test_the_sweeper_fails_rows_that_used_up_their_attempts(world, fake_channel):
    config = fake_channel("vk")
    services.receive(config, items("1"), process=False)
    InboundMessage.objects.update(attempts=services.MAX_INBOUND_ATTEMPTS)
    assert tasks.sweep(clock.now())["inbound_failed"] == 1
    row = InboundMessage.objects.get()
    assert row.state == State.FAILED
    assert row.last_error == f"обработка не удалась {services.MAX_INBOUND_ATTEMPTS} раз: нужна проверка оператора"


def test_the_sweeper_polls_due_channels(world, fake_channel, complaint_screen):
    config = fake_channel("vk")
    type(config.plugin()).polled = items("9")
    assert tasks.sweep(clock.now())["polls"] == 1
    assert InboundMessage.objects.get().external_id == "9"


def test_it_purges_the_text_of_old_signals_and_keeps_the_counts(world, fake_channel, complaint_screen, settings):
    settings.TSUR_SIGNAL_RETENTION_DAYS = 90
    config = fake_channel("vk")
    start = clock.now()
    with clock.at(start - dt.timedelta(days=91)):
        services.receive(config, items("old", text="Продаю гараж") + items("complaint"))
    with clock.at(start - dt.timedelta(days=89)):
        services.receive(config, items("recent", text="Концерт в парке в субботу"))
    assert listening.purge_signals(start) == 1
    old = InboundMessage.objects.get(external_id="old")
    assert old.state == State.SIGNAL and old.text == "" and old.raw == {} and old.purged_at == start
    assert InboundMessage.objects.get(external_id="recent").text == "Концерт в парке в субботу"
    assert InboundMessage.objects.get(external_id="complaint").raw != {}  # appeals are not signals
    purge = SignalPurge.objects.get()
    assert purge.purged == 1 and purge.by_channel == {config.code: 1}
    assert InboundMessage.objects.filter(state=State.SIGNAL).count() == 2  # counts survive
    assert listening.purge_signals(start) == 0
    assert SignalPurge.objects.count() == 1


def test_it_backs_off_exponentially_with_jitter_and_a_cap():
    delays = [services.backoff(n, base=60, cap=3600) for n in range(1, 10)]
    assert 30 <= delays[0] <= 60
    assert 120 <= delays[2] <= 240
    assert all(d <= 3600 for d in delays)
    assert services.backoff(1, base=60, cap=3600, retry_after=7200) == 7200


def test_the_card_shows_what_screening_decided_about_the_post(world, fake_channel, complaint_screen, settings, monkeypatch):
    """Screening runs once, in the channel; the appeal's triage does not repeat it, and the card's
    triage panel shows the channel's decision instead."""
    from tests.triage.test_django_integration import DECISION, FixedEngine
    from tsur.triage import services as triage
    from tsur.triage.models import TriageResult
    from tsur.workspace.card import triage_of

    settings.TSUR_TRIAGE_ENABLED = True
    monkeypatch.setattr(triage, "engine", lambda: FixedEngine(**{**DECISION, "is_complaint": None, "complaint_probability": None}))
    config = fake_channel("vk")
    services.receive(config, items("wall-1_7", text="Яма на дороге у школы"))
    appeal = InboundMessage.objects.get().appeal
    assert TriageResult.objects.get(appeal=appeal).complaint_probability is None
    assert triage_of(appeal)["screening"] == "жалоба: вероятность жалобы 0.90 (порог 0.50)"
    from tests.factories import new_appeal

    assert triage_of(new_appeal(world))["screening"] == ""  # a form's appeal was never screened: nothing to show
