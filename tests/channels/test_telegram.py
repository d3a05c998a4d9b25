"""The Telegram plugin against a local fake Bot API (127.0.0.1): the private bot conversation,
discussion groups, normalisation, replies and the errors the API documents."""

from __future__ import annotations

import datetime as dt
import io
import logging
import socket

import pytest

from tests.channels.fake_api import loopback_only
from tests.channels.fake_telegram import TOKEN, FakeBotApi, fixture
from tsur.channels import registry
from tsur.channels.base import ChannelError, DeliveryError, RawItem
from tsur.channels.telegram.client import BotApi, TelegramApiError
from tsur.channels.telegram.plugin import TelegramPlugin, TelegramSettings, split_message
from tsur.core import clock

GROUP_ID = -1001000000001
RESIDENT_CHAT = 700000001
# The fixtures are dated 2026-03-02 09:00 UTC onwards; tests run a little later on that day.
FIXTURE_TIME = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)


def jpeg(color: str = "red", size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def _fixture_time():
    with clock.at(FIXTURE_TIME):
        yield


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch):
    loopback_only(monkeypatch)


@pytest.fixture
def api():
    fake = FakeBotApi().start()
    yield fake
    fake.stop()


@pytest.fixture
def make_plugin(api):
    def make(**settings) -> TelegramPlugin:
        raw = {"token": TOKEN, "base_url": api.base_url, "discussion_chat_ids": [GROUP_ID], "request_timeout": 5, **settings}
        return TelegramPlugin(TelegramPlugin.validate_settings(raw))

    return make


def test_it_is_registered_as_telegram():
    assert registry.get("telegram") is TelegramPlugin
    assert ("telegram", "Telegram") in registry.kinds()


def test_it_validates_settings():
    with pytest.raises(ValueError):
        TelegramSettings.model_validate({"token": "not a token"})
    with pytest.raises(ValueError):
        TelegramSettings.model_validate({"token": TOKEN, "base_url": "ftp://example"})
    settings = TelegramSettings.model_validate({"token": TOKEN})
    assert settings.base_url == "https://api.telegram.org"
    assert TOKEN not in repr(settings)


# -- the private bot conversation ---------------------------------------------------------------
def test_it_collects_a_conversation_into_one_item(api, make_plugin):
    plugin = make_plugin()
    cursor: dict = {}
    steps = [
        ("private_start", "Здравствуйте! Опишите, пожалуйста, проблему: что случилось?"),
        ("private_text", "Где это? Отправьте геопозицию кнопкой ниже или напишите адрес."),
        ("private_location", "Приложите фотографию или нажмите «Пропустить»."),
    ]
    for name, prompt in steps:
        api.push(fixture(name))
        items, cursor = plugin.poll(cursor)
        assert list(items) == []
        assert api.calls("sendMessage")[-1]["text"] == prompt
        assert api.calls("sendMessage")[-1]["chat_id"] == RESIDENT_CHAT

    place_prompt = api.calls("sendMessage")[1]
    assert place_prompt["reply_markup"]["keyboard"] == [[{"text": "📍 Отправить геопозицию", "request_location": True}]]
    photo_prompt = api.calls("sendMessage")[2]
    assert photo_prompt["reply_markup"]["keyboard"] == [[{"text": "Пропустить"}]]

    api.push(fixture("private_photo"))
    items, cursor = plugin.poll(cursor)
    items = list(items)
    assert len(items) == 1
    item = items[0]
    assert item.external_id == f"private:{RESIDENT_CHAT}:101"
    assert item.kind == "message"
    # The raw updates of the whole conversation, untouched and in order.
    assert item.payload["updates"] == [fixture(n) for n in ("private_start", "private_text", "private_location", "private_photo")]
    done = api.calls("sendMessage")[-1]
    assert done["text"].startswith("Спасибо! Обращение принято")
    assert done["reply_markup"] == {"remove_keyboard": True}
    assert cursor["conversations"] == {}
    assert cursor["offset"] == 900000005


def test_it_asks_each_update_once_thanks_to_the_offset(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("private_text"))
    _, cursor = plugin.poll({})
    assert "offset" not in api.calls("getUpdates")[0]
    items, cursor = plugin.poll(cursor)
    assert list(items) == []
    assert api.calls("getUpdates")[-1]["offset"] == 900000003
    assert api.calls("getUpdates")[-1]["allowed_updates"] == ["message"]
    # The second poll saw no update, so no second prompt was sent.
    assert len(api.calls("sendMessage")) == 1


def test_it_keeps_the_conversation_across_a_restart(api, make_plugin, channel_config):
    config = channel_config("telegram", {"token": TOKEN, "base_url": api.base_url, "discussion_chat_ids": [GROUP_ID]})
    api.push(fixture("private_text"), fixture("private_location"))
    items, cursor = config.plugin().poll(config.cursor)
    assert list(items) == []
    config.cursor = cursor
    config.save()

    # A new process: the plugin is built again from what the database holds.
    from tsur.channels.models import ChannelConfig

    config = ChannelConfig.objects.get(pk=config.pk)
    api.push(fixture("private_skip"))
    items, cursor = config.plugin().poll(config.cursor)
    items = list(items)
    assert len(items) == 1
    message = config.plugin().normalise(items[0])
    assert message.text.startswith("Во дворе дома на Тестовой улице яма")
    assert (message.lat, message.lon) == (54.513845, 36.261215)
    assert message.photos == []
    assert message.extra["photo_skipped"] is True


def test_it_normalises_the_conversation(api, make_plugin):
    plugin = make_plugin()
    big = jpeg("green", (128, 96))
    api.add_file("AgACAgIAAxkBAAIBtest-photo-s", jpeg("red", (16, 12)))
    api.add_file("AgACAgIAAxkBAAIBtest-photo-x", big)
    api.push(*(fixture(n) for n in ("private_start", "private_text", "private_location", "private_photo")))
    (item,) = plugin.poll({})[0]

    message = plugin.normalise(item)
    assert message.external_id == item.external_id
    assert message.kind == "message"
    assert message.is_public is False
    assert message.text == "Во дворе дома на Тестовой улице яма на дороге, машины объезжают её по тротуару."
    assert (message.lat, message.lon) == (54.513845, 36.261215)
    assert message.address == ""
    assert message.author_name == "Тест Жителев"
    assert message.author_link == "https://t.me/test_resident"
    assert message.created_at == dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    assert message.reply_to == {"chat_id": RESIDENT_CHAT, "message_id": 102}
    # The largest size of the photo, fetched with getFile and downloaded.
    assert message.photos == [big]
    assert api.calls("getFile")[-1] == {"file_id": "AgACAgIAAxkBAAIBtest-photo-x"}


def test_it_takes_a_typed_address(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("private_text"), fixture("private_address"), fixture("private_skip"))
    (item,) = plugin.poll({})[0]
    message = plugin.normalise(item)
    assert message.address == "ул. Тестовая, д. 1"
    assert message.lat is None and message.lon is None
    # One batch, one finished conversation: only the thanks is sent, not every intermediate prompt.
    assert [m["text"][:8] for m in api.calls("sendMessage")] == ["Спасибо!"]


def test_it_takes_a_photo_with_a_caption_first(api, make_plugin):
    plugin = make_plugin()
    api.add_file("AgACAgIAAxkBAAIBtest-photo-x", jpeg())
    photo = fixture("private_photo", **{"message.caption": "Сломана скамейка у подъезда"})
    photo["message"]["message_id"] = 101
    api.push(photo)
    items, cursor = plugin.poll({})
    assert list(items) == []
    assert api.calls("sendMessage")[-1]["text"].startswith("Где это?")

    api.push(fixture("private_location", update_id=900000005))
    (item,) = plugin.poll(cursor)[0]
    message = plugin.normalise(item)
    assert message.text == "Сломана скамейка у подъезда"
    assert len(message.photos) == 1
    assert message.reply_to["message_id"] == 101


def test_it_keeps_an_album_in_one_conversation(api, make_plugin):
    plugin = make_plugin()
    first = fixture("private_photo", **{"message.media_group_id": "13900000000000001"})
    second = fixture("private_photo", update_id=900000005, **{"message.media_group_id": "13900000000000001"})
    second["message"]["message_id"] = 105
    second["message"]["photo"] = [{"file_id": "AgAC-second", "file_unique_id": "AQAD-second", "file_size": 2000, "width": 320, "height": 240}]
    api.add_file("AgACAgIAAxkBAAIBtest-photo-x", jpeg("red"))
    api.add_file("AgAC-second", jpeg("blue"))
    api.push(fixture("private_text"), fixture("private_location"), first, second)

    items = list(plugin.poll({})[0])
    assert len(items) == 1
    assert len(plugin.normalise(items[0]).photos) == 2


def test_it_repeats_the_question_for_what_it_cannot_use(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("private_text"))
    _, cursor = plugin.poll({})
    api.push(fixture("private_sticker"))
    items, cursor = plugin.poll(cursor)
    assert list(items) == []
    assert [m["text"][:8] for m in api.calls("sendMessage")] == ["Где это?", "Где это?"]
    # "Skip" cannot stand for the place.
    api.push(fixture("private_skip", update_id=900000006))
    items, cursor = plugin.poll(cursor)
    assert list(items) == []
    assert len(cursor["conversations"][str(RESIDENT_CHAT)]["updates"]) == 3


def test_it_cancels_a_conversation(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("private_text"), fixture("private_cancel"))
    items, cursor = plugin.poll({})
    assert list(items) == []
    assert cursor["conversations"] == {}
    assert api.calls("sendMessage")[-1]["text"].startswith("Обращение отменено")


def test_it_forgets_an_abandoned_conversation(api, make_plugin):
    plugin = make_plugin(conversation_ttl_hours=2)
    api.push(fixture("private_text"))
    _, cursor = plugin.poll({})
    assert str(RESIDENT_CHAT) in cursor["conversations"]
    with clock.at(FIXTURE_TIME + dt.timedelta(hours=3)):
        _, cursor = plugin.poll(cursor)
    assert cursor["conversations"] == {}


def test_it_ignores_private_messages_when_the_bot_is_only_listening(api, make_plugin, caplog):
    plugin = make_plugin(private_conversations=False)
    api.push(fixture("private_text"))
    with caplog.at_level(logging.INFO, logger="tsur.channels.telegram"):
        items, cursor = plugin.poll({})
    assert list(items) == [] and cursor["conversations"] == {}
    assert api.calls("sendMessage") == []
    assert "private conversations are off" in caplog.text


# -- discussion groups ---------------------------------------------------------------------
def test_it_listens_to_a_discussion_group(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("group_automatic_forward"), fixture("group_comment"), fixture("group_service_join"))
    items = list(plugin.poll({})[0])
    assert [i.external_id for i in items] == [f"chat:{GROUP_ID}:2000", f"chat:{GROUP_ID}:2001", f"chat:{GROUP_ID}:2002"]
    assert items[1].payload == fixture("group_comment")
    assert all(i.kind == "comment" for i in items)
    assert api.calls("sendMessage") == []  # the bot says nothing in groups

    forward, comment, join = (plugin.normalise(i) for i in items)
    assert forward is None  # the channel's own post
    assert join is None  # a service message
    assert comment.is_public is True
    assert comment.kind == "comment"
    assert comment.text == "На Тестовой улице третий день не вывозят мусор, контейнеры переполнены."
    assert comment.author_name == "Тестовый Комментатор"
    assert comment.author_link == "https://t.me/test_commenter"
    assert comment.reply_to == {"chat_id": GROUP_ID, "message_id": 2001}
    assert comment.extra["link"] == "https://t.me/test_news_chat/2001"
    assert comment.created_at == dt.datetime(2026, 3, 2, 9, 7, tzinfo=dt.UTC)


def test_it_ignores_a_chat_that_is_not_configured(api, make_plugin, caplog):
    plugin = make_plugin()
    api.push(fixture("unknown_group_message"))
    with caplog.at_level(logging.INFO, logger="tsur.channels.telegram"):
        items, cursor = plugin.poll({})
    assert list(items) == []
    assert cursor["offset"] == 900000104
    assert "-1009999999999 that is not configured, ignored" in caplog.text
    # No personal data in the log: neither the author's name nor the text.
    assert "Посторонний" not in caplog.text and "Сообщение из группы" not in caplog.text


def test_it_keeps_a_malformed_update_for_review(api, make_plugin):
    plugin = make_plugin()
    api.push(fixture("malformed_update"))
    (item,) = plugin.poll({})[0]
    assert item.external_id == "update:900000104"
    assert item.payload == fixture("malformed_update")
    with pytest.raises(ChannelError, match="chat"):
        plugin.normalise(item)
    with pytest.raises(ChannelError):
        plugin.normalise(RawItem(external_id="x", payload=["not", "an", "update"]))
    with pytest.raises(ChannelError):
        plugin.normalise(RawItem(external_id="y", payload={"mode": "private", "chat_id": 1, "updates": []}))


def test_it_reports_a_revoked_token_when_polling(api, make_plugin):
    plugin = make_plugin()
    api.fail("getUpdates", fixture("error_401"))
    with pytest.raises(TelegramApiError) as caught:
        plugin.poll({})
    assert isinstance(caught.value, ChannelError)
    assert caught.value.error_code == 401 and caught.value.retryable is False


def test_it_never_logs_the_token(api, make_plugin, caplog):
    plugin = make_plugin()
    api.push(fixture("private_text"))
    with caplog.at_level(logging.DEBUG):
        plugin.poll({})
    assert "getUpdates" in caplog.text  # httpx did log the requests...
    assert TOKEN not in caplog.text  # ...without the token


# -- replies -------------------------------------------------------------------------------
def test_it_replies_to_the_original_message(api, make_plugin):
    plugin = make_plugin()
    external_id = plugin.deliver({"chat_id": GROUP_ID, "message_id": 2001}, "Здравствуйте! Контейнеры вывезены.")
    (sent,) = api.calls("sendMessage")
    assert sent["chat_id"] == GROUP_ID
    assert sent["text"] == "Здравствуйте! Контейнеры вывезены."
    assert sent["reply_parameters"] == {"message_id": 2001, "allow_sending_without_reply": True}
    assert "message_thread_id" not in sent
    assert external_id == f"{GROUP_ID}:5001"


def test_it_replies_inside_a_forum_topic(api, make_plugin):
    plugin = make_plugin()
    plugin.deliver({"chat_id": GROUP_ID, "message_id": 2001, "message_thread_id": 1990}, "Ответ")
    assert api.calls("sendMessage")[0]["message_thread_id"] == 1990


def test_it_splits_a_long_answer(api, make_plugin):
    plugin = make_plugin()
    paragraph = "Работы выполнены. " * 100
    plugin.deliver({"chat_id": RESIDENT_CHAT, "message_id": 102}, "\n".join([paragraph] * 4))
    sent = api.calls("sendMessage")
    assert len(sent) == 2
    assert all(len(m["text"]) <= 4096 for m in sent)
    assert "reply_parameters" in sent[0] and "reply_parameters" not in sent[1]
    assert split_message("😀" * 3000) == ["😀" * 2048, "😀" * 952]


def test_it_retries_after_flood_control(api, make_plugin):
    plugin = make_plugin()
    api.fail("sendMessage", fixture("error_429"))
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"chat_id": RESIDENT_CHAT, "message_id": 102}, "Ответ")
    assert caught.value.retryable is True
    assert caught.value.retry_after == 17


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("error_401", "401"),
        ("error_403_blocked", "bot was blocked by the user"),
        ("error_400_chat_not_found", "чат не найден"),
    ],
)
def test_it_gives_up_on_permanent_errors(api, make_plugin, error, reason):
    plugin = make_plugin()
    api.fail("sendMessage", fixture(error))
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"chat_id": RESIDENT_CHAT, "message_id": 102}, "Ответ")
    assert caught.value.retryable is False
    assert reason in caught.value.reason


def test_it_retries_server_errors_and_lost_connections(api, make_plugin):
    plugin = make_plugin()
    api.fail("sendMessage", fixture("error_502"))
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"chat_id": RESIDENT_CHAT}, "Ответ")
    assert caught.value.retryable is True

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    offline = make_plugin(base_url=f"http://127.0.0.1:{port}")
    with pytest.raises(DeliveryError) as caught:
        offline.deliver({"chat_id": RESIDENT_CHAT}, "Ответ")
    assert caught.value.retryable is True
    assert TOKEN not in caught.value.reason


def test_it_follows_a_group_that_became_a_supergroup(api, make_plugin):
    plugin = make_plugin()
    api.fail("sendMessage", fixture("error_400_migrated"))
    external_id = plugin.deliver({"chat_id": -100200, "message_id": 7}, "Ответ")
    assert [m["chat_id"] for m in api.calls("sendMessage")] == [-100200, -1001000000003]
    assert external_id.startswith("-1001000000003:")


def test_it_needs_a_chat_to_reply_to(make_plugin):
    with pytest.raises(DeliveryError) as caught:
        make_plugin().deliver({}, "Ответ")
    assert caught.value.retryable is False


def test_the_client_downloads_files_within_the_limit(api):
    client = BotApi(TOKEN, base_url=api.base_url, timeout=5)
    api.add_file("big", b"x" * 5000)
    assert client.download_file("big") == b"x" * 5000
    with pytest.raises(TelegramApiError) as caught:
        client.download_file("big", max_bytes=100)
    assert caught.value.retryable is False
    with pytest.raises(TelegramApiError) as caught:
        client.get_file("missing")
    assert caught.value.error_code == 400


# -- end to end through the channel core ------------------------------------------------------
def test_it_turns_a_bot_conversation_into_an_appeal_and_sends_the_answer_back(world, api, channel_config):
    from tsur.answers.services import approve_answer, prepare_answer, publish_answer
    from tsur.appeals.services import accept_appeal, route_appeal
    from tsur.channels import listening
    from tsur.channels.models import Delivery, InboundMessage

    config = channel_config("telegram", {"token": TOKEN, "base_url": api.base_url, "discussion_chat_ids": [GROUP_ID]})
    api.add_file("AgACAgIAAxkBAAIBtest-photo-x", jpeg("green", (120, 90)))
    api.push(*(fixture(n) for n in ("private_start", "private_text", "private_location", "private_photo")))

    assert listening.poll_channel(config.pk)["received"] == 1
    row = InboundMessage.objects.get(channel=config)
    assert row.state == InboundMessage.State.APPEAL, row.last_error
    appeal = row.appeal
    assert appeal.channel == "telegram_bot"
    assert appeal.regime == "message"  # a resident writing to the bot, like the app: not a monitored post
    assert appeal.text.startswith("Во дворе дома на Тестовой улице яма")
    assert appeal.attachments.count() == 1

    route_appeal(appeal, world.operator, organisation_code="roads-min")
    accept_appeal(appeal, world.coordinator)
    prepare_answer(appeal, world.coordinator, text="Яму на Тестовой улице заделали 3 марта, спасибо за сообщение.")
    approve_answer(appeal, world.operator)
    publish_answer(appeal, world.operator)

    delivery = Delivery.objects.get(appeal=appeal)
    assert delivery.state == Delivery.State.SENT, delivery.last_error
    sent = api.calls("sendMessage")[-1]
    assert sent["chat_id"] == RESIDENT_CHAT
    assert sent["reply_parameters"]["message_id"] == 102
    assert sent["text"].endswith("Яму на Тестовой улице заделали 3 марта, спасибо за сообщение.")
    assert delivery.external_id == f"{RESIDENT_CHAT}:{5000 + len(api.calls('sendMessage'))}"
