"""The OK (Одноклассники) plugin against a local fake `fb.do` on 127.0.0.1 that checks every
request's signature the documented way and answers with payloads built from the documentation
(tests/channels/fixtures/ok, see the README there): normalisation, replies and their errors, and an
appeal end to end with the channel core."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.channels.fake_api import fixture
from tests.channels.ok.helpers import C2, C3, GID, TOKEN, TOPIC, expected_sig, make_plugin, ok_settings, polled, script_group, signed
from tsur.channels.base import ChannelError, DeliveryError, RawItem

# -- normalisation -----------------------------------------------------------------------------


def test_it_normalises_a_topic(api):
    script_group(api)
    plugin = make_plugin(api)
    items, _ = polled(plugin)

    message = plugin.normalise(items[f"topic{GID}_{TOPIC}"])

    assert message.kind == "post"
    assert message.text == "Во дворе дома 12 на Условной улице неделю не убирают снег, не пройти к подъезду."
    assert message.created_at == dt.datetime(2025, 3, 10, 9, 46, 40, tzinfo=dt.UTC)
    assert message.author_link == "https://ok.ru/profile/570000000001"
    assert message.author_name == "Тест Первый"
    assert message.is_public is True
    assert message.reply_to == {"group_id": GID, "topic_id": TOPIC}
    assert message.extra["url"] == f"https://ok.ru/group/{GID}/topic/{TOPIC}"


def test_it_normalises_a_comment_with_moscow_time(api):
    script_group(api)
    plugin = make_plugin(api)
    items, _ = polled(plugin)

    message = plugin.normalise(items[f"topic{GID}_{TOPIC}_c{C3}"])

    assert message.kind == "comment"
    assert message.text == "У соседнего дома то же самое, просим почистить."
    assert message.created_at == dt.datetime(2025, 3, 10, 11, 30, tzinfo=dt.UTC)  # 14:30 in Moscow
    assert message.author_link == "https://ok.ru/profile/570000000006"
    assert message.author_name == "Тест Шестой"
    assert message.reply_to == {"group_id": GID, "topic_id": TOPIC, "comment_id": C3}


def test_it_ignores_deleted_and_empty_items(api):
    script_group(api)
    plugin = make_plugin(api)
    items, _ = polled(plugin)

    assert plugin.normalise(items[f"topic{GID}_155000000000002"]) is None  # a photo without text
    assert plugin.normalise(items[f"topic{GID}_{TOPIC}_c{C2}"]) is None  # a deleted comment
    deleted = {"id": "9", "created_ms": 1741600000000, "deleted": True, "media": [{"type": "text", "text": "Удалено"}]}
    assert plugin.normalise(RawItem("t", {"type": "topic", "group_id": GID, "topic": deleted}, "post")) is None


def test_it_rejects_malformed_payloads_with_a_reason(api):
    plugin = make_plugin(api)
    with pytest.raises(ChannelError, match="неизвестный формат"):
        plugin.normalise(RawItem("x", ["not", "an", "object"]))
    with pytest.raises(ChannelError, match="нет объекта «topic»"):
        plugin.normalise(RawItem("x", {"type": "topic", "group_id": GID}))
    with pytest.raises(ChannelError, match="нет числового поля «created_ms»"):
        plugin.normalise(RawItem("x", {"type": "topic", "group_id": GID, "topic": {"id": "1", "media": [{"type": "text", "text": "Яма"}]}}))
    with pytest.raises(ChannelError, match="«media» должно быть списком"):
        plugin.normalise(RawItem("x", {"type": "topic", "group_id": GID, "topic": {"id": "1", "created_ms": 1, "media": "Яма"}}))
    with pytest.raises(ChannelError, match="нет поля «topic_id»"):
        plugin.normalise(RawItem("x", {"type": "comment", "group_id": GID, "comment": {"id": "c", "date": "2025-03-10 14:10:00", "text": "Яма"}}))


# -- replies -----------------------------------------------------------------------------------


def test_it_replies_in_the_same_discussion(api):
    api.reply("discussions.addComment", signed(fixture("ok/discussions_add_comment.json")))

    external_id = make_plugin(api).deliver({"group_id": GID, "topic_id": TOPIC, "comment_id": C3}, "Ответ ЦУР: двор почистят сегодня.")

    assert external_id == f"topic{GID}_{TOPIC}_cMTU1MDAwMDAwMDAwMDAzOjk="
    [call] = api.calls("discussions.addComment")
    assert call["discussionId"] == TOPIC
    assert call["discussionType"] == "GROUP_TOPIC"
    assert call["text"] == "Ответ ЦУР: двор почистят сегодня."
    assert call["reply_to_comment_id"] == C3
    assert call["sig"] == expected_sig(call)


def test_it_uses_the_configured_reply_method(api):
    api.reply("discussions.comment", signed("MTU1MDAwMDAwMDAwMDAzOjk="))
    external_id = make_plugin(api, reply_method="discussions.comment").deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")
    assert external_id.endswith("_cMTU1MDAwMDAwMDAwMDAzOjk=")
    [call] = api.calls("discussions.comment")
    assert "reply_to_comment_id" not in call


def test_it_makes_flood_and_service_errors_retryable(api, monkeypatch):
    monkeypatch.setattr("time.sleep", lambda _s: None)
    for name, code in (("ok/error_flood_blocked.json", 8), ("ok/error_service.json", 2)):
        api.reply("discussions.addComment", signed(fixture(name)))
        with pytest.raises(DeliveryError) as caught:
            make_plugin(api).deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")
        assert caught.value.retryable is True, code
        assert caught.value.retry_after and caught.value.retry_after > 0
        assert f"(код {code})" in caught.value.reason


@pytest.mark.parametrize(
    ("code", "reason", "retry_after"),
    [
        (1, "Одноклассники: discussions.addComment: UNKNOWN: неизвестная ошибка (код 1), повтор позже", 30.0),
        (9999, "Одноклассники: discussions.addComment: SYSTEM: системная ошибка (код 9999), повтор позже", 300.0),
        (
            104,
            "Одноклассники: PARAM_SIGNATURE: неверная подпись — проверьте секретный ключ приложения (код 104) — проверьте ключи в настройках канала",
            None,
        ),
        (
            453,
            "Одноклассники: SESSION_REQUIRED: метод требует ключ сессии (код 453) — получите новый access_token и сохраните его в настройках канала",
            None,
        ),
        (456, "Одноклассники: discussions.addComment: GROUP_RESTRICTION: группа ограничила это действие (код 456)", None),
        (3, "Одноклассники: discussions.addComment: METHOD: метод не существует (код 3: no such method)", None),
        (777, "Одноклассники: discussions.addComment: ошибка (код 777: no such method)", None),
    ],
)
def test_it_words_each_kind_of_error_answer(api, code, reason, retry_after):
    api.reply("discussions.addComment", signed({"error_code": code, "error_msg": "no such method", "error_data": None}))

    with pytest.raises(DeliveryError) as caught:
        make_plugin(api).deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")

    assert caught.value.reason == reason
    assert (caught.value.retryable, caught.value.retry_after) == (retry_after is not None, retry_after)


def test_it_makes_an_expired_session_permanent_with_a_clear_reason(api):
    api.reply("discussions.addComment", signed(fixture("ok/error_session_expired.json")))

    with pytest.raises(DeliveryError) as caught:
        make_plugin(api).deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")

    assert caught.value.retryable is False
    assert "истёк срок действия ключа сессии" in caught.value.reason
    assert "код 102" in caught.value.reason
    assert TOKEN not in caught.value.reason


def test_it_makes_parameter_and_permission_errors_permanent(api):
    plugin = make_plugin(api)
    for code, words in ((100, "PARAM"), (103, "неверный ключ сессии"), (10, "PERMISSION_DENIED"), (454, "цензором")):
        api.reply("discussions.addComment", signed({"error_code": code, "error_msg": "x", "error_data": None}))
        with pytest.raises(DeliveryError) as caught:
            plugin.deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")
        assert caught.value.retryable is False, code
        assert words in caught.value.reason, code
    with pytest.raises(DeliveryError, match="group_id и topic_id"):
        plugin.deliver({"group_id": GID}, "Ответ")
    api.reply("discussions.addComment", signed({"success": True}))
    with pytest.raises(DeliveryError, match="нет идентификатора комментария") as caught:
        plugin.deliver({"group_id": GID, "topic_id": TOPIC}, "Ответ")
    assert caught.value.retryable is False


# -- end to end with the channel core ----------------------------------------------------------


def test_it_turns_a_polled_topic_into_an_incident_appeal_and_answers_in_its_discussion(api, world, channel_config, complaint_screen):
    from tsur.answers.services import approve_answer, prepare_answer, publish_answer
    from tsur.appeals.models import Appeal
    from tsur.appeals.services import accept_appeal, route_appeal
    from tsur.channels import listening
    from tsur.channels.models import Delivery, InboundMessage

    script_group(api)
    api.reply("discussions.addComment", signed(fixture("ok/discussions_add_comment.json")))
    config = channel_config("ok", ok_settings(api), name="ОК: Синтетический район")

    counts = listening.poll_channel(config.pk)  # poll the fake server -> receive -> process

    assert counts["received"] == 5
    rows = {r.external_id: r for r in InboundMessage.objects.filter(channel=config)}
    assert rows[f"topic{GID}_155000000000002"].state == InboundMessage.State.IGNORED  # a photo without text
    assert rows[f"topic{GID}_{TOPIC}_c{C2}"].state == InboundMessage.State.IGNORED  # a deleted comment
    appeal = Appeal.objects.get(channel="ok", external_id=f"{config.code}:topic{GID}_{TOPIC}")
    assert appeal.regime == "incident"
    assert appeal.resident.account_link == "https://ok.ru/profile/570000000001"
    config.refresh_from_db()
    assert config.cursor["groups"][GID]["last_ms"] == 1741600000000

    route_appeal(appeal, world.operator, organisation_code="roads-min")
    accept_appeal(appeal, world.coordinator)
    prepare_answer(appeal, world.coordinator, text="Двор на Условной улице почистят сегодня.")
    approve_answer(appeal, world.operator)
    publish_answer(appeal, world.operator)

    delivery = Delivery.objects.get(appeal=appeal)
    assert delivery.state == Delivery.State.SENT
    assert delivery.external_id == f"topic{GID}_{TOPIC}_cMTU1MDAwMDAwMDAwMDAzOjk="
    [call] = api.calls("discussions.addComment")
    assert (call["discussionId"], call["discussionType"]) == (TOPIC, "GROUP_TOPIC")
    assert call["text"] == f"Ответ на обращение {appeal.number}:\n\nДвор на Условной улице почистят сегодня."
    assert call["sig"] == expected_sig(call)
