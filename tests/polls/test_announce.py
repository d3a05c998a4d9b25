"""A published poll's link posted through the channels: one row per matching target written
before sending, a VK wall post and a Telegram message against local fake servers, retries and
failures with their reasons, the sweep redoing lost work."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.channels.fake_api import FakeApi, loopback_only
from tests.channels.fake_telegram import TOKEN, FakeBotApi
from tsur.channels import polls as announcing
from tsur.channels.models import ChannelConfig
from tsur.core import clock
from tsur.polls import services
from tsur.polls.events import poll_changed
from tsur.polls.models import Announcement, AnnouncementTarget, PollEvent

from .conftest import NOW, build_poll

GROUP = 100001
CHAT = -1001234567890


@pytest.fixture(autouse=True)
def _offline(monkeypatch, settings):
    loopback_only(monkeypatch)
    settings.SITE_URL = "https://cur.example.ru"


@pytest.fixture
def vk():
    fake = FakeApi(lambda path, params: path.removeprefix("/method/"))
    fake.reply("wall.post", {"response": {"post_id": 321}})
    yield fake
    fake.close()


@pytest.fixture
def telegram():
    fake = FakeBotApi().start()
    yield fake
    fake.stop()


def vk_channel(vk: FakeApi, **extra) -> ChannelConfig:
    settings = {"access_token": "test-vk-token", "api_url": f"{vk.base_url}/method", "group_ids": [GROUP], "min_interval": 0, "max_retries": 0}
    return ChannelConfig.objects.create(code="vk-main", kind="vk", name="ВКонтакте ЦУР", enabled=True, settings=settings, **extra)


def telegram_channel(telegram: FakeBotApi) -> ChannelConfig:
    settings = {"token": TOKEN, "base_url": telegram.base_url, "request_timeout": 5}
    return ChannelConfig.objects.create(code="tg", kind="telegram", name="Телеграм ЦУР", enabled=True, settings=settings)


def publish(poll, world, at=NOW):
    with clock.at(at):
        services.publish_poll(poll, world.operator)


def test_publishing_posts_the_link_to_the_vk_community_and_the_telegram_chat(world, vk, telegram):
    vk_channel(vk)
    telegram_channel(telegram)
    AnnouncementTarget.objects.create(name="Сообщество ЦУР", channel_code="vk-main", place={"group_id": GROUP})
    AnnouncementTarget.objects.create(name="Канал ЦУР", channel_code="tg", place={"chat_id": CHAT})
    poll = build_poll(world)
    publish(poll, world)

    [post] = vk.calls("wall.post")
    assert post["owner_id"] == f"-{GROUP}" and post["from_group"] == "1" and len(post["guid"]) == 32
    assert f"Проголосовать: https://cur.example.ru/polls/{poll.token}/" in post["message"]
    assert "«Благоустройство дворов: что сделать первым?»" in post["message"]
    assert "Голосование до 24 марта 2027 г., 12:00." in post["message"]
    [message] = telegram.calls("sendMessage")
    assert message["chat_id"] == CHAT and message["text"] == post["message"]
    rows = {a.channel_code: a for a in Announcement.objects.all()}
    assert rows["vk-main"].state == "sent" and rows["vk-main"].external_id == f"wall-{GROUP}_321"
    assert rows["tg"].state == "sent" and rows["tg"].external_id.startswith(f"{CHAT}:")
    assert PollEvent.objects.filter(poll=poll, kind="announced").count() == 2
    # The sweep finds nothing left to do, and a second write adds no second row.
    assert announcing.write_announcements(poll) == []
    with clock.at(NOW + dt.timedelta(minutes=1)):
        assert announcing.sweep(clock.now()) == {"written": 0, "enqueued": 0}
    assert len(vk.calls("wall.post")) == 1


def test_targets_with_territories_take_only_polls_of_their_territories(world, vk):
    vk_channel(vk)
    city_target = AnnouncementTarget.objects.create(name="Город", channel_code="vk-main", place={"group_id": GROUP})
    city_target.territories.set([world.city])
    AnnouncementTarget.objects.create(name="Район", channel_code="vk-main", place={"group_id": GROUP + 1}).territories.set([world.district])
    publish(build_poll(world, territories=[world.village]), world)
    assert [c["owner_id"] for c in vk.calls("wall.post")] == [f"-{GROUP + 1}"]
    publish(build_poll(world, territories=[]), world)  # region-wide: every target
    assert len(vk.calls("wall.post")) == 3


def test_a_transient_error_is_retried_and_a_permanent_one_fails_with_its_reason(world, vk):
    vk_channel(vk)
    AnnouncementTarget.objects.create(name="Сообщество", channel_code="vk-main", place={"group_id": GROUP})
    vk.reply("wall.post", {"error": {"error_code": 10, "error_msg": "Internal server error"}}, {"response": {"post_id": 5}})
    poll = build_poll(world)
    publish(poll, world)
    row = Announcement.objects.get()
    assert row.state == "retrying" and "временная ошибка" in row.last_error and row.attempts == 1
    with clock.at(row.next_attempt_at + dt.timedelta(seconds=1)):
        assert announcing.sweep(clock.now())["enqueued"] == 1
    row.refresh_from_db()
    assert row.state == "sent" and row.external_id == f"wall-{GROUP}_5" and row.attempts == 2

    other = build_poll(world)
    vk.reply("wall.post", {"error": {"error_code": 15, "error_msg": "Access denied"}})
    publish(other, world)
    failed = Announcement.objects.get(poll=other)
    assert failed.state == "failed" and "доступ запрещён" in failed.last_error


def test_a_lost_subscriber_call_is_made_good_by_the_sweep(world, vk):
    vk_channel(vk)
    AnnouncementTarget.objects.create(name="Сообщество", channel_code="vk-main", place={"group_id": GROUP})
    poll_changed.unsubscribe("tsur.channels.polls")  # as if the process died right after the commit
    try:
        poll = build_poll(world)
        publish(poll, world, at=NOW)
        assert not Announcement.objects.exists() and vk.calls("wall.post") == []
        with clock.at(NOW + dt.timedelta(hours=1)):
            assert announcing.sweep(clock.now()) == {"written": 1, "enqueued": 1}
        assert Announcement.objects.get().state == "sent" and len(vk.calls("wall.post")) == 1
    finally:
        announcing.subscribe()


def test_a_disabled_channel_waits_and_an_unknown_one_fails(world, vk):
    config = vk_channel(vk)
    config.enabled = False
    config.save()
    AnnouncementTarget.objects.create(name="Сообщество", channel_code="vk-main", place={"group_id": GROUP})
    AnnouncementTarget.objects.create(name="Нет такого", channel_code="nowhere", place={})
    publish(build_poll(world), world)
    rows = {a.channel_code: a for a in Announcement.objects.all()}
    assert rows["vk-main"].state == "pending" and rows["vk-main"].last_error == "канал отключён: размещение отложено"
    assert rows["nowhere"].state == "failed" and "не настроен" in rows["nowhere"].last_error
    assert vk.calls("wall.post") == []


def test_invited_only_follow_ups_are_not_advertised(world, vk):
    vk_channel(vk)
    AnnouncementTarget.objects.create(name="Сообщество", channel_code="vk-main", place={"group_id": GROUP})
    publish(build_poll(world, audience="invited"), world)
    assert not Announcement.objects.exists()


def test_an_ok_group_gets_a_new_topic(world):
    ok = FakeApi(lambda path, params: params.get("method", "?"))
    ok.reply("mediatopic.post", "68711142121690")
    try:
        settings = {
            "application_key": "CBAFAKEKEY",
            "application_secret_key": "fake-secret",
            "access_token": "fake-ok-token",
            "api_url": f"{ok.base_url}/fb.do",
            "group_ids": ["53038939046008"],
            "min_interval": 0,
        }
        ChannelConfig.objects.create(code="ok-main", kind="ok", name="Одноклассники ЦУР", enabled=True, settings=settings)
        AnnouncementTarget.objects.create(name="Группа ЦУР", channel_code="ok-main", place={"group_id": "53038939046008"})
        poll = build_poll(world)
        publish(poll, world)
        [call] = ok.calls("mediatopic.post")
        assert call["gid"] == "53038939046008" and call["type"] == "GROUP_THEME" and call["sig"]
        media = json.loads(call["attachment"])["media"]
        assert media[0]["type"] == "text" and f"/polls/{poll.token}/" in media[0]["text"]
        row = Announcement.objects.get()
        assert row.state == "sent" and row.external_id == "topic53038939046008_68711142121690"
    finally:
        ok.close()
