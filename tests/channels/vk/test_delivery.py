"""The VK plugin against a local fake VK API on 127.0.0.1 that answers with documented payloads
(tests/channels/fixtures/vk, see the README there): normalisation, replies and their errors, and an
appeal end to end with the channel core."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.channels.fake_api import Raw, fixture
from tests.channels.vk.helpers import GROUP, OWNER, make_plugin, polled, script_wall, search_since, vk_settings
from tsur.channels.base import ChannelError, DeliveryError, RawItem

# -- normalisation -----------------------------------------------------------------------------


def test_it_normalises_a_post_with_photo_caption_and_place(api):
    script_wall(api)
    plugin = make_plugin(api)
    items, _ = polled(plugin)

    message = plugin.normalise(items["wall-100001_57"])

    assert message.kind == "post"
    assert message.text == "На Синтетической улице у дома 7 огромная яма, машины бьют колёса.\nЯма у дома 7, вид с тротуара"
    assert message.created_at == dt.datetime(2025, 3, 10, 9, 46, 40, tzinfo=dt.UTC)
    assert message.author_link == "https://vk.com/id500001"
    assert message.author_name == "Тест Первый"
    assert message.is_public is True
    assert message.reply_to == {"owner_id": OWNER, "post_id": 57}
    assert (message.lat, message.lon) == (54.513845, 36.261215)
    assert message.address == "Синтетическая улица, 7"
    assert message.extra["url"] == "https://vk.com/wall-100001_57"
    assert message.extra["photo_urls"] == ["https://example.invalid/photo-x.jpg"]


def test_it_names_the_signer_of_a_community_post_and_the_author_of_a_comment(api):
    script_wall(api)
    plugin = make_plugin(api)
    items, _ = polled(plugin)

    signed = plugin.normalise(items["wall-100001_56"])
    assert signed.author_link == "https://vk.com/id500002"
    assert signed.author_name == "Тест Второй"

    reply = plugin.normalise(items["wall-100001_57_c64"])
    assert reply.kind == "comment"
    assert reply.text == "Вчера там пробил колесо, прошу заделать яму."
    assert reply.reply_to == {"owner_id": OWNER, "post_id": 57, "comment_id": 64}
    assert reply.author_link == "https://vk.com/id500006"
    assert reply.author_name == "Тест Шестой"
    assert reply.created_at == dt.datetime.fromtimestamp(1741606000, tz=dt.UTC)
    assert reply.extra["url"] == "https://vk.com/wall-100001_57?reply=64"


def test_it_links_a_community_author_to_its_club_page(api):
    plugin = make_plugin(api)
    post = {"id": 9, "owner_id": OWNER, "from_id": OWNER, "date": 1741600000, "text": "Сообщение от имени сообщества о ремонте."}
    message = plugin.normalise(RawItem("wall-100001_9", {"type": "post", "source": "wall", "post": post}, "post"))
    assert message.author_link == "https://vk.com/club100001"


def test_it_ignores_deleted_and_empty_items(api):
    script_wall(api)
    api.reply("newsfeed.search", search_since)
    plugin = make_plugin(api, searches=[{"q": "фонари"}])
    items, _ = polled(plugin)

    assert plugin.normalise(items["wall-100001_55"]) is None  # a photo without text or caption
    assert plugin.normalise(items["wall-100001_57_c61"]) is None  # a deleted comment
    assert plugin.normalise(items["wall-300003_12"]) is None  # a deleted post found by search
    scheduled = {"id": 70, "owner_id": OWNER, "from_id": OWNER, "date": 1741600000, "text": "Скоро", "post_type": "postpone"}
    assert plugin.normalise(RawItem("wall-100001_70", {"type": "post", "post": scheduled}, "post")) is None


def test_it_rejects_malformed_payloads_with_a_reason(api):
    plugin = make_plugin(api)
    with pytest.raises(ChannelError, match="неизвестный формат"):
        plugin.normalise(RawItem("x", "not an object"))
    with pytest.raises(ChannelError, match="нет объекта записи «post»"):
        plugin.normalise(RawItem("x", {"type": "post"}))
    with pytest.raises(ChannelError, match="нет числового поля «date»"):
        plugin.normalise(RawItem("x", {"type": "post", "post": {"id": 1, "owner_id": OWNER, "text": "Текст"}}))
    with pytest.raises(ChannelError, match="нет числового поля «post_id»"):
        plugin.normalise(RawItem("x", {"type": "comment", "owner_id": OWNER, "comment": {"id": 1, "date": 1, "text": "Текст"}}))


# -- replies -----------------------------------------------------------------------------------


def test_it_replies_in_the_same_thread(api):
    api.reply("wall.createComment", fixture("vk/wall_create_comment.json"))
    plugin = make_plugin(api, reply_as_group_id=GROUP)

    external_id = plugin.deliver({"owner_id": OWNER, "post_id": 57, "comment_id": 64}, "Ответ ЦУР: яму заделают до пятницы.")

    assert external_id == "wall-100001_57_c70"
    [call] = api.calls("wall.createComment")
    assert call["owner_id"] == str(OWNER)
    assert call["post_id"] == "57"
    assert call["reply_to_comment"] == "64"
    assert call["message"] == "Ответ ЦУР: яму заделают до пятницы."
    assert call["from_group"] == str(GROUP)
    assert call["access_token"] == "test-vk-token"
    assert call["v"] == "5.199"
    assert len(call["guid"]) == 32

    plugin.deliver({"owner_id": OWNER, "post_id": 57, "comment_id": 64}, "Ответ ЦУР: яму заделают до пятницы.")
    first, second = api.calls("wall.createComment")
    assert first["guid"] == second["guid"]  # a repeated delivery is published once by VK


def test_it_replies_to_a_post_without_a_comment_id(api):
    api.reply("wall.createComment", fixture("vk/wall_create_comment.json"))
    make_plugin(api).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")
    [call] = api.calls("wall.createComment")
    assert "reply_to_comment" not in call
    assert "from_group" not in call


def test_it_makes_rate_limits_retryable(api, monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)
    api.reply("wall.createComment", fixture("vk/error_too_many_requests.json"))

    with pytest.raises(DeliveryError) as caught:
        make_plugin(api, max_retries=2).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")

    assert caught.value.retryable is True
    assert caught.value.retry_after == 1.0
    assert "слишком много запросов в секунду (код 6)" in caught.value.reason
    assert len(api.calls("wall.createComment")) == 3
    assert pauses == [1.0, 2.0]

    for code, wait in ((9, 60.0), (29, 3600.0), (10, 30.0)):
        api.reply("wall.createComment", {"error": {"error_code": code, "error_msg": "limit", "request_params": []}})
        with pytest.raises(DeliveryError) as caught:
            make_plugin(api).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")
        assert (caught.value.retryable, caught.value.retry_after) == (True, wait)


def test_it_makes_an_expired_token_permanent_with_a_clear_reason(api):
    api.reply("wall.createComment", fixture("vk/error_auth_failed.json"))

    with pytest.raises(DeliveryError) as caught:
        make_plugin(api).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")

    assert caught.value.retryable is False
    assert "ключ доступа недействителен или истёк (код 5" in caught.value.reason
    assert "настройках канала" in caught.value.reason
    assert "test-vk-token" not in caught.value.reason


def test_it_makes_closed_comments_and_bad_addresses_permanent(api):
    api.reply("wall.createComment", {"error": {"error_code": 212, "error_msg": "Access to post comments denied", "request_params": []}})
    plugin = make_plugin(api)
    with pytest.raises(DeliveryError) as caught:
        plugin.deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")
    assert (caught.value.retryable, "комментарии к записи закрыты" in caught.value.reason) == (False, True)

    with pytest.raises(DeliveryError, match="owner_id и post_id") as caught:
        plugin.deliver({"post_id": 57}, "Ответ")
    assert caught.value.retryable is False
    with pytest.raises(DeliveryError, match="пустой текст"):
        plugin.deliver({"owner_id": OWNER, "post_id": 57}, "  ")


def test_it_retries_server_errors_but_not_unexpected_answers(api):
    api.reply("wall.createComment", Raw(502, b"Bad Gateway"))
    with pytest.raises(DeliveryError) as caught:
        make_plugin(api).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")
    assert caught.value.retryable is True

    api.reply("wall.createComment", {"response": 1})
    with pytest.raises(DeliveryError, match="нет comment_id") as caught:
        make_plugin(api).deliver({"owner_id": OWNER, "post_id": 57}, "Ответ")
    assert caught.value.retryable is False


# -- end to end with the channel core ----------------------------------------------------------


def test_it_turns_a_polled_post_into_an_incident_appeal_and_answers_in_its_thread(api, world, channel_config, complaint_screen):
    from tsur.answers.services import approve_answer, prepare_answer, publish_answer
    from tsur.appeals.models import Appeal
    from tsur.appeals.services import accept_appeal, route_appeal
    from tsur.channels import listening
    from tsur.channels.models import Delivery, InboundMessage

    script_wall(api)
    api.reply("wall.createComment", fixture("vk/wall_create_comment.json"))
    config = channel_config("vk", vk_settings(api), name="ВК: Синтетический район")

    counts = listening.poll_channel(config.pk)  # poll the fake server -> receive -> process

    assert counts["received"] == 7
    rows = {r.external_id: r for r in InboundMessage.objects.filter(channel=config)}
    assert rows["wall-100001_55"].state == InboundMessage.State.IGNORED  # a photo without text
    assert rows["wall-100001_57_c61"].state == InboundMessage.State.IGNORED  # a deleted comment
    assert rows["wall-100001_57_c63"].state == InboundMessage.State.SIGNAL  # not a complaint
    appeal = Appeal.objects.get(channel="vk", external_id=f"{config.code}:wall-100001_57")
    assert appeal.regime == "incident"
    assert appeal.text.startswith("На Синтетической улице у дома 7 огромная яма")
    assert appeal.resident.account_link == "https://vk.com/id500001"
    assert rows["wall-100001_57"].appeal_id == appeal.pk
    config.refresh_from_db()
    assert config.cursor["walls"] == {str(OWNER): {"last_post_id": 57}}

    route_appeal(appeal, world.operator, organisation_code="roads-min")
    accept_appeal(appeal, world.coordinator)
    prepare_answer(appeal, world.coordinator, text="Яму на Синтетической улице заделают до пятницы.")
    approve_answer(appeal, world.operator)
    publish_answer(appeal, world.operator)

    delivery = Delivery.objects.get(appeal=appeal)
    assert delivery.state == Delivery.State.SENT
    assert delivery.external_id == "wall-100001_57_c70"
    [call] = api.calls("wall.createComment")
    assert (call["owner_id"], call["post_id"]) == (str(OWNER), "57")
    assert call["message"] == f"Ответ на обращение {appeal.number}:\n\nЯму на Синтетической улице заделают до пятницы."
