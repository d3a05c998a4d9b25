"""The OK (Одноклассники) plugin against a local fake `fb.do` on 127.0.0.1 that checks every
request's signature the documented way and answers with payloads built from the documentation
(tests/channels/fixtures/ok, see the README there)."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib

import pytest
from pydantic import ValidationError

from tests.channels.fake_api import FakeApi, Raw, fixture, loopback_only
from tsur.channels import registry
from tsur.channels.base import ChannelError, DeliveryError, RawItem
from tsur.channels.ok.client import OkClient, OkError, signature
from tsur.channels.ok.plugin import OkPlugin, OkSettings
from tsur.core import clock

# The fixtures are dated up to 2025-03-10 14:30 Moscow time (11:30 UTC); the tests run at noon UTC.
NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
GID = "70000000000001"
TOPIC = "155000000000003"
APP_KEY = "CTESTAPPKEYABCDEF"
APP_SECRET = "0123456789ABCDEF01234567"
TOKEN = "test-ok-session-token"
C1, C2, C3, C0 = (f"MTU1MDAwMDAwMDAwMDAzOj{s}" for s in ("E=", "I=", "M=", "A="))


@pytest.fixture(autouse=True)
def _offline_at_noon(monkeypatch):
    loopback_only(monkeypatch)
    with clock.at(NOW):
        yield


def expected_sig(params: dict[str, str]) -> str:
    """The documented scheme, written out independently of the client."""
    secret = hashlib.md5(f"{TOKEN}{APP_SECRET}".encode()).hexdigest()
    pairs = sorted((k, v) for k, v in params.items() if k not in ("sig", "access_token"))
    return hashlib.md5(("".join(f"{k}={v}" for k, v in pairs) + secret).encode()).hexdigest()


@pytest.fixture
def api():
    fake = FakeApi(lambda path, params: params.get("method", "?"))
    yield fake
    fake.close()


def signed(answer):
    """Wrap an answer so the fake refuses requests whose signature or keys are wrong (code 104/101)."""

    def check(params: dict) -> object:
        if params.get("application_key") != APP_KEY:
            return {"error_code": 101, "error_msg": "PARAM_API_KEY : Application key is wrong", "error_data": None}
        if params.get("sig") != expected_sig(params) or params.get("access_token") != TOKEN:
            return fixture("ok/error_signature.json")
        return answer(params) if callable(answer) else answer

    return check


def ok_settings(api: FakeApi, **overrides) -> dict:
    return {
        "application_key": APP_KEY,
        "application_secret_key": APP_SECRET,
        "access_token": TOKEN,
        "api_url": f"{api.base_url}/fb.do",
        "group_ids": [GID],
        "min_interval": 0,
        **overrides,
    }


def make_plugin(api: FakeApi, **overrides) -> OkPlugin:
    return OkPlugin(OkPlugin.validate_settings(ok_settings(api, **overrides)))


def script_group(api: FakeApi) -> None:
    api.reply("mediatopic.getTopics", signed(fixture("ok/mediatopic_get_topics.json")))
    api.reply("discussions.getComments", signed(fixture("ok/discussions_get_comments.json")))


def polled(plugin: OkPlugin, cursor: dict | None = None) -> tuple[dict[str, RawItem], dict]:
    items, next_cursor = plugin.poll(cursor or {})
    return {i.external_id: i for i in items}, next_cursor


# -- the signature -----------------------------------------------------------------------------


def test_it_signs_like_the_documented_worked_example():
    # The worked example of the session-secret scheme published with the aiookru documentation
    # (secret = md5(access_token + application_secret_key) = b1a2b897...).
    params = {"application_key": "ABCDEFGHIGKLMNOPK", "format": "json", "method": "events.get"}
    sig = signature(params, access_token="-s-84W-s3egarWUsbkq-IWTucuedzTKT8VUXIA.s4Xx8IW7", application_secret_key="ABC123DEF456GHI789JKL123")
    assert sig == "232c8eb921951c4dba9b72606f9ddb4c"


def test_it_signs_sorted_parameters_without_sig_and_token():
    params = {"method": "discussions.getComments", "discussionId": "155", "application_key": APP_KEY, "format": "json", "count": 100}
    secret = hashlib.md5((TOKEN + APP_SECRET).encode()).hexdigest()
    plain = f"application_key={APP_KEY}count=100discussionId=155format=jsonmethod=discussions.getComments{secret}"
    expected = hashlib.md5(plain.encode()).hexdigest()
    assert signature(params, access_token=TOKEN, application_secret_key=APP_SECRET) == expected
    with_extras = {**params, "sig": "old", "access_token": TOKEN}
    assert signature(with_extras, access_token=TOKEN, application_secret_key=APP_SECRET) == expected
    assert signature({**params, "count": 99}, access_token=TOKEN, application_secret_key=APP_SECRET) != expected


def test_it_signs_cyrillic_text_as_utf8_and_sends_what_it_signed():
    client = OkClient(application_key=APP_KEY, application_secret_key=APP_SECRET, access_token=TOKEN)
    try:
        data = client.signed_params("discussions.addComment", {"text": "Ответ ЦУР: снег уберут", "flag": True})
    finally:
        client.close()
    assert data["flag"] == "true"
    assert data["format"] == "json"
    assert data["access_token"] == TOKEN
    assert data["sig"] == expected_sig(data)
    assert data["sig"] == data["sig"].lower()


# -- registration and settings ----------------------------------------------------------------


def test_it_is_registered_as_ok():
    assert registry.get("ok") is OkPlugin
    assert ("ok", "Одноклассники") in registry.kinds()


def test_it_validates_settings_with_precise_messages():
    base = {"application_key": "K", "application_secret_key": "S", "access_token": "T", "group_ids": [GID]}
    good = OkSettings.model_validate({**base, "group_ids": [int(GID)]})
    assert good.group_ids == [GID]
    assert good.api_url == "https://api.ok.ru/fb.do"
    assert "access_token" not in repr(good) and "application_secret_key" not in repr(good)

    cases = [
        ({**base, "group_ids": ["group-one"]}, "group_ids", "положительное число"),
        ({**base, "group_ids": []}, "group_ids", "at least 1 item"),
        ({**base, "group_ids": [GID, GID]}, "", "группы повторяются"),
        ({**base, "application_secret_key": ""}, "application_secret_key", "at least 1 character"),
        ({k: v for k, v in base.items() if k != "access_token"}, "access_token", "Field required"),
        ({**base, "api_url": "api.ok.ru/fb.do"}, "api_url", "http(s)"),
        ({**base, "timezone": "Mars/Olympus"}, "timezone", "неизвестный часовой пояс"),
        ({**base, "reply_method": "add comment"}, "reply_method", "discussions.addComment"),
        ({**base, "comment_topics": -1}, "comment_topics", "greater than or equal to 0"),
    ]
    for raw, location, message in cases:
        with pytest.raises(ValidationError) as caught:
            OkSettings.model_validate(raw)
        text = str(caught.value)
        assert message in text, (raw, text)
        if location:
            assert location in text, (raw, text)


# -- listening ---------------------------------------------------------------------------------


def test_it_polls_topics_and_comments_then_returns_nothing_new(api):
    script_group(api)
    plugin = make_plugin(api)

    items, cursor = polled(plugin)

    assert list(items) == [
        f"topic{GID}_155000000000002",
        f"topic{GID}_{TOPIC}",
        f"topic{GID}_{TOPIC}_c{C1}",
        f"topic{GID}_{TOPIC}_c{C2}",
        f"topic{GID}_{TOPIC}_c{C3}",
    ]  # the topic and the comment older than the look-back window are not taken
    assert cursor["groups"][GID] == {"last_ms": 1741600000000, "seen": [TOPIC]}
    assert cursor["topics"] == {f"{GID}_{TOPIC}": {"last_ms": 1741606200000, "seen": [C3]}}

    [feed] = api.calls("mediatopic.getTopics")
    assert (feed["gid"], feed["format"], feed["application_key"]) == (GID, "json", APP_KEY)
    [comments] = api.calls("discussions.getComments")
    assert (comments["discussionId"], comments["discussionType"]) == (TOPIC, "GROUP_TOPIC")
    assert all(r.path == "/fb.do" for r in api.requests)

    again, same_cursor = polled(plugin, cursor)
    assert again == {}
    assert same_cursor == cursor


def test_it_returns_only_what_is_new_since_the_cursor(api):
    script_group(api)
    plugin = make_plugin(api)
    _items, cursor = polled(plugin)

    feed = fixture("ok/mediatopic_get_topics.json")
    newer = copy.deepcopy(feed["media_topics"][0])
    newer.update(id="155000000000004", created_ms=1741607000000, media=[{"type": "text", "text": "Не горит фонарь у остановки."}])
    newer["discussion_summary"] = {"comments_count": 0}
    feed["media_topics"].insert(0, newer)
    comments = fixture("ok/discussions_get_comments.json")
    later = {"id": "MTU1MDAwMDAwMDAwMDAzOjQ=", "author_id": "570000000007", "date": "2025-03-10 14:40:00", "text": "Ещё не убрали."}
    comments["comments"].append(later)
    api.reply("mediatopic.getTopics", signed(feed))
    api.reply("discussions.getComments", signed(comments))

    items, cursor = polled(plugin, cursor)

    assert list(items) == [f"topic{GID}_155000000000004", f"topic{GID}_{TOPIC}_cMTU1MDAwMDAwMDAwMDAzOjQ="]
    assert cursor["groups"][GID]["last_ms"] == 1741607000000


def test_it_follows_the_anchor_to_the_next_page(api):
    first = fixture("ok/mediatopic_get_topics.json")
    first["media_topics"] = first["media_topics"][:1]
    first["has_more"] = True
    second = fixture("ok/mediatopic_get_topics.json")
    second["media_topics"] = second["media_topics"][1:]
    api.reply("mediatopic.getTopics", signed(lambda p: second if p.get("anchor") == first["anchor"] else first))
    api.reply("discussions.getComments", signed(fixture("ok/discussions_get_comments.json")))

    items, _ = polled(make_plugin(api, listen_comments=False))

    assert list(items) == [f"topic{GID}_155000000000002", f"topic{GID}_{TOPIC}"]
    assert [c.get("anchor") for c in api.calls("mediatopic.getTopics")] == [None, first["anchor"]]


def test_it_skips_a_group_it_may_not_read_and_keeps_listening(api, caplog):
    other = "70000000000002"
    feed = fixture("ok/mediatopic_get_topics.json")
    api.reply("mediatopic.getTopics", signed(lambda p: fixture("ok/error_permission_denied.json") if p["gid"] == other else feed))
    api.reply("discussions.getComments", signed(fixture("ok/discussions_get_comments.json")))

    items, cursor = polled(make_plugin(api, group_ids=[other, GID]))

    assert f"topic{GID}_{TOPIC}" in items
    assert other not in cursor["groups"]
    assert "код 10" in caplog.text


def test_it_skips_a_topic_whose_comments_it_may_not_read(api, caplog):
    api.reply("mediatopic.getTopics", signed(fixture("ok/mediatopic_get_topics.json")))
    api.reply("discussions.getComments", signed(fixture("ok/error_permission_denied.json")))

    items, cursor = polled(make_plugin(api))

    assert list(items) == [f"topic{GID}_155000000000002", f"topic{GID}_{TOPIC}"]
    assert cursor["topics"] == {}
    assert cursor["groups"][GID] == {"last_ms": 1741600000000, "seen": [TOPIC]}
    assert "код 10" in caplog.text


def test_it_stops_paging_when_a_page_reaches_what_is_too_old_or_seen(api):
    feed = fixture("ok/mediatopic_get_topics.json")
    feed["has_more"] = True  # the last topic on the page is older than the look-back window
    api.reply("mediatopic.getTopics", signed(feed))
    plugin = make_plugin(api, listen_comments=False)

    items, cursor = polled(plugin)
    again, _ = polled(plugin, cursor)

    assert list(items) == [f"topic{GID}_155000000000002", f"topic{GID}_{TOPIC}"]
    assert again == {}
    assert [c.get("anchor") for c in api.calls("mediatopic.getTopics")] == [None, None]  # one page per poll


def test_it_fails_the_poll_when_no_group_can_be_read(api):
    api.reply("mediatopic.getTopics", signed(fixture("ok/error_permission_denied.json")))
    with pytest.raises(ChannelError, match="PERMISSION_DENIED") as caught:
        make_plugin(api).poll({})
    assert caught.value.retryable is False


def test_it_stops_polling_on_an_expired_session(api):
    api.reply("mediatopic.getTopics", signed(fixture("ok/error_session_expired.json")))
    with pytest.raises(ChannelError) as caught:
        make_plugin(api).poll({})
    assert caught.value.retryable is False
    assert "PARAM_SESSION_EXPIRED" in str(caught.value)


def test_it_is_refused_by_the_server_when_the_secret_is_wrong(api):
    script_group(api)
    with pytest.raises(ChannelError) as caught:
        make_plugin(api, application_secret_key="WRONG-SECRET").poll({})
    assert "PARAM_SIGNATURE" in str(caught.value)
    assert caught.value.retryable is False


def test_it_rejects_malformed_answers_with_a_reason(api):
    plugin = make_plugin(api)
    api.reply("mediatopic.getTopics", signed({"media_topics": {"id": "1"}}))
    with pytest.raises(ChannelError, match="«media_topics» должно быть списком"):
        plugin.poll({})
    api.reply("mediatopic.getTopics", signed({"media_topics": [{"id": "1", "media": []}]}))
    with pytest.raises(ChannelError, match="нет числового поля «created_ms»"):
        plugin.poll({})
    api.reply("mediatopic.getTopics", signed([1, 2]))
    with pytest.raises(ChannelError, match="не является JSON-объектом"):
        plugin.poll({})
    comments = fixture("ok/discussions_get_comments.json")
    comments["comments"][1]["date"] = "10.03.2025 14:10"
    api.reply("mediatopic.getTopics", signed(fixture("ok/mediatopic_get_topics.json")))
    api.reply("discussions.getComments", signed(comments))
    with pytest.raises(ChannelError, match="не в формате yyyy-MM-dd HH:mm:ss"):
        plugin.poll({})
    api.reply("mediatopic.getTopics", Raw(200, b"<html>maintenance</html>"))
    with pytest.raises(OkError) as caught:
        plugin.poll({})
    assert caught.value.retryable is True


def test_it_retries_service_unavailable_in_place(api, monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)
    api.reply("mediatopic.getTopics", signed(fixture("ok/error_service.json")), signed(fixture("ok/mediatopic_get_topics.json")))
    api.reply("discussions.getComments", signed(fixture("ok/discussions_get_comments.json")))

    items, _ = polled(make_plugin(api))

    assert f"topic{GID}_{TOPIC}" in items
    assert pauses == [1.0]


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
