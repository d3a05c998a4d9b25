"""The OK (Одноклассники) plugin against a local fake `fb.do` on 127.0.0.1 that checks every
request's signature the documented way and answers with payloads built from the documentation
(tests/channels/fixtures/ok, see the README there): the signature, registration, settings,
listening and its errors."""

from __future__ import annotations

import copy
import hashlib

import pytest
from pydantic import ValidationError

from tests.channels.fake_api import Raw, fixture
from tests.channels.ok.helpers import APP_KEY, APP_SECRET, C1, C2, C3, GID, TOKEN, TOPIC, expected_sig, make_plugin, polled, script_group, signed
from tsur.channels import registry
from tsur.channels.base import ChannelError
from tsur.channels.ok.client import OkClient, OkError, signature
from tsur.channels.ok.plugin import OkPlugin, OkSettings

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
