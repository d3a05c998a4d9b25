"""The VK plugin against a local fake VK API on 127.0.0.1 that answers with documented payloads
(tests/channels/fixtures/vk, see the README there): registration, settings, listening and its errors."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from tests.channels.fake_api import Raw, fixture
from tests.channels.vk.helpers import GROUP, NOW, OWNER, comments_by_post, make_plugin, polled, script_wall, search_since
from tsur.channels import registry
from tsur.channels.base import ChannelError
from tsur.channels.vk.client import VkError
from tsur.channels.vk.plugin import VkPlugin, VkSettings

# -- registration and settings ----------------------------------------------------------------


def test_it_is_registered_as_vk():
    assert registry.get("vk") is VkPlugin
    assert ("vk", "ВКонтакте") in registry.kinds()


def test_it_validates_settings_with_precise_messages():
    good = VkSettings.model_validate({"access_token": "t", "group_ids": ["123"], "searches": [{"q": "яма"}]})
    assert good.api_url == "https://api.vk.com/method"
    assert good.api_version == "5.199"
    assert good.group_ids == [123]

    cases = [
        ({"access_token": "t", "group_ids": [-123]}, "group_ids", "без минуса"),
        ({"access_token": "t", "group_ids": ["club1"]}, "group_ids", "должен быть числом"),
        ({"access_token": "t"}, "", "хотя бы одно сообщество"),
        ({"access_token": "", "group_ids": [1]}, "access_token", "at least 1 character"),
        ({"access_token": "t", "group_ids": [1], "api_url": "ftp://vk"}, "api_url", "http(s)"),
        ({"access_token": "t", "group_ids": [1], "api_version": "latest"}, "api_version", "5.199"),
        ({"access_token": "t", "searches": [{"q": "яма", "latitude": 54.5}]}, "searches.0", "и latitude, и longitude"),
        ({"access_token": "t", "searches": [{"q": "яма", "latitude": 95, "longitude": 36}]}, "searches.0.latitude", "less than or equal to 90"),
        ({"access_token": "t", "group_ids": [1], "page_size": 500}, "page_size", "less than or equal to 100"),
        ({"access_token": "t", "group_ids": [1], "token": "typo"}, "token", "Extra inputs"),
    ]
    for raw, location, message in cases:
        with pytest.raises(ValidationError) as caught:
            VkSettings.model_validate(raw)
        text = str(caught.value)
        assert message in text, (raw, text)
        if location:
            assert location in text, (raw, text)


def test_it_keeps_the_token_out_of_repr():
    settings = VkSettings.model_validate({"access_token": "secret-vk-token", "group_ids": [1]})
    assert "secret-vk-token" not in repr(settings)
    assert settings.model_dump()["access_token"] == "secret-vk-token"  # stored for the plugin


# -- listening ---------------------------------------------------------------------------------


def test_it_polls_walls_and_comments_then_returns_nothing_new(api):
    script_wall(api)
    plugin = make_plugin(api)

    items, cursor = polled(plugin)

    assert list(items) == [
        "wall-100001_55",
        "wall-100001_56",
        "wall-100001_57",
        "wall-100001_57_c61",
        "wall-100001_57_c63",
        "wall-100001_57_c64",
        "wall-100001_56_c62",
    ]  # the pinned post and the post older than the look-back window are not taken
    assert {i.kind for i in items.values()} == {"post", "comment"}
    assert cursor["walls"] == {str(OWNER): {"last_post_id": 57}}
    assert cursor["comments"] == {f"{OWNER}_57": {"last_comment_id": 64}, f"{OWNER}_56": {"last_comment_id": 62}}

    wall_call = api.calls("wall.get")[0]
    assert wall_call["owner_id"] == str(OWNER)
    assert wall_call["access_token"] == "test-vk-token"
    assert wall_call["v"] == "5.199"
    assert wall_call["extended"] == "1"
    comment_calls = api.calls("wall.getComments")
    assert sorted(c["post_id"] for c in comment_calls) == ["56", "57"]  # posts without comments are not asked
    assert comment_calls[0]["sort"] == "desc"
    assert all(r.path.startswith("/method/") for r in api.requests)

    again, same_cursor = polled(plugin, cursor)
    assert again == {}
    assert same_cursor == cursor


def test_it_returns_only_what_is_new_since_the_cursor(api):
    script_wall(api)
    plugin = make_plugin(api)
    _items, cursor = polled(plugin)

    wall = fixture("vk/wall_get.json")
    newer = copy.deepcopy(wall["response"]["items"][1])
    newer.update(id=58, date=1741607500, text="Не работает светофор на перекрёстке Тестовой и Примерной.", comments={"count": 0})
    newer.pop("attachments"), newer.pop("geo")
    wall["response"]["items"].insert(1, newer)
    comments = fixture("vk/wall_get_comments_57.json")
    reply = {"id": 65, "from_id": 500009, "post_id": 57, "owner_id": OWNER, "parents_stack": [], "date": 1741607800, "text": "Яма всё ещё там."}
    comments["response"]["items"].insert(0, reply)
    api.reply("wall.get", wall)
    api.reply("wall.getComments", lambda p: comments if p["post_id"] == "57" else comments_by_post(p))

    items, cursor = polled(plugin, cursor)

    assert list(items) == ["wall-100001_58", "wall-100001_57_c65"]
    assert cursor["walls"][str(OWNER)] == {"last_post_id": 58}
    assert cursor["comments"][f"{OWNER}_57"] == {"last_comment_id": 65}


def test_it_searches_by_keywords_and_area(api):
    api.reply("newsfeed.search", search_since)
    plugin = make_plugin(api, group_ids=[], searches=[{"q": "Калуга фонари", "latitude": 54.51, "longitude": 36.26}])

    items, cursor = polled(plugin)

    assert list(items) == ["wall-300003_12", "wall200002_11"]  # oldest first
    call = api.calls("newsfeed.search")[0]
    assert call["q"] == "Калуга фонари"
    assert (call["latitude"], call["longitude"]) == ("54.510000", "36.260000")
    assert int(call["start_time"]) == int(NOW.timestamp()) - 24 * 3600
    state = cursor["searches"]["Калуга фонари@54.51000,36.26000"]
    assert state == {"last_date": 1741607000, "seen": ["wall200002_11"]}

    again, _ = polled(plugin, cursor)
    assert again == {}
    assert api.calls("newsfeed.search")[-1]["start_time"] == "1741607000"


def test_it_skips_a_closed_community_and_keeps_listening(api, caplog):
    api.reply("wall.get", lambda p: fixture("vk/error_access_denied.json") if p["owner_id"] == "-100002" else fixture("vk/wall_get.json"))
    api.reply("wall.getComments", comments_by_post)
    plugin = make_plugin(api, group_ids=[100002, GROUP])

    items, cursor = polled(plugin)

    assert "wall-100001_57" in items
    assert str(-100002) not in cursor["walls"]
    assert "код 15" in caplog.text


def test_it_fails_the_poll_when_no_source_can_be_read(api):
    api.reply("wall.get", fixture("vk/error_access_denied.json"))
    with pytest.raises(ChannelError, match="доступ запрещён \\(код 15") as caught:
        make_plugin(api).poll({})
    assert caught.value.retryable is False


def test_it_skips_a_post_with_closed_comments_and_reads_the_rest(api, caplog):
    closed = {"error": {"error_code": 212, "error_msg": "Access to post comments denied", "request_params": []}}
    api.reply("wall.get", fixture("vk/wall_get.json"))
    api.reply("wall.getComments", lambda p: closed if p["post_id"] == "57" else comments_by_post(p))

    items, cursor = polled(make_plugin(api))

    assert list(items) == ["wall-100001_55", "wall-100001_56", "wall-100001_57", "wall-100001_56_c62"]
    assert cursor["comments"] == {f"{OWNER}_56": {"last_comment_id": 62}}  # the closed post keeps no state
    assert "код 212" in caplog.text


def test_it_keeps_comment_state_only_for_the_recent_posts_of_each_wall(api):
    script_wall(api)
    stale = {"comments": {f"{OWNER}_10": {"last_comment_id": 5}, "-999_1": {"last_comment_id": 7}}}

    _items, cursor = polled(make_plugin(api), stale)

    assert set(cursor["comments"]) == {f"{OWNER}_57", f"{OWNER}_56", "-999_1"}  # another wall's state is not touched


def test_it_fails_the_poll_only_when_neither_walls_nor_searches_can_be_read(api):
    api.reply("wall.get", fixture("vk/error_access_denied.json"))
    api.reply("newsfeed.search", search_since)
    plugin = make_plugin(api, searches=[{"q": "фонари"}])

    items, cursor = polled(plugin)

    assert list(items) == ["wall-300003_12", "wall200002_11"]
    assert cursor["walls"] == {}
    api.reply("newsfeed.search", fixture("vk/error_access_denied.json"))
    with pytest.raises(ChannelError, match="newsfeed.search: доступ запрещён \\(код 15"):
        plugin.poll({})


@pytest.mark.parametrize(
    ("code", "message", "reason", "retry_after"),
    [
        (6, "Too many requests per second", "ВКонтакте: слишком много запросов в секунду (код 6), повтор позже", 1.0),
        (14, "Captcha needed", "ВКонтакте: wall.get: временная ошибка (код 14: Captcha needed)", 600.0),
        (
            27,
            "Group authorization failed",
            "ВКонтакте: ключ доступа сообщества недействителен (код 27: Group authorization failed)"
            " — выпустите новый ключ доступа и сохраните его в настройках канала",
            None,
        ),
        (30, "This profile is private", "ВКонтакте: wall.get: профиль или сообщество закрыто (код 30: This profile is private)", None),
        (
            100,
            "One of the parameters specified was missing",
            "ВКонтакте: wall.get: неверный или отсутствующий параметр (код 100: One of the parameters specified was missing)",
            None,
        ),
        (777, "Something new", "ВКонтакте: wall.get: ошибка (код 777: Something new)", None),
        (None, "Broken", "ВКонтакте: wall.get: ошибка без кода (Broken)", None),
    ],
)
def test_it_words_each_kind_of_error_answer(api, code, message, reason, retry_after):
    api.reply("wall.get", {"error": {"error_code": code, "error_msg": message, "request_params": []}})

    with pytest.raises(VkError) as caught:
        make_plugin(api, max_retries=0).poll({})

    assert caught.value.reason == reason
    assert (caught.value.retryable, caught.value.retry_after, caught.value.code) == (retry_after is not None, retry_after, code)


def test_it_retries_too_many_requests_per_second_in_place(api, monkeypatch):
    pauses: list[float] = []
    monkeypatch.setattr("time.sleep", pauses.append)
    api.reply("wall.get", fixture("vk/error_too_many_requests.json"), fixture("vk/wall_get.json"))
    api.reply("wall.getComments", comments_by_post)

    items, _ = polled(make_plugin(api))

    assert "wall-100001_57" in items
    assert pauses == [1.0]


def test_it_stops_polling_on_an_expired_token(api):
    api.reply("wall.get", fixture("vk/error_auth_failed.json"))
    with pytest.raises(ChannelError) as caught:
        make_plugin(api).poll({})
    assert caught.value.retryable is False
    assert "код 5" in str(caught.value)


def test_it_rejects_malformed_answers_with_a_reason(api):
    plugin = make_plugin(api)
    api.reply("wall.get", {"response": {"count": 1, "items": "not a list"}})
    with pytest.raises(ChannelError, match="нет списка «items»"):
        plugin.poll({})
    api.reply("wall.get", {"response": {"count": 1, "items": [{"id": 5, "owner_id": OWNER}]}})
    with pytest.raises(ChannelError, match="нет числового поля «date»"):
        plugin.poll({})
    api.reply("wall.get", {"result": []})
    with pytest.raises(ChannelError, match="ни «response», ни «error»"):
        plugin.poll({})
    api.reply("wall.get", Raw(200, b"<html>maintenance</html>"))
    with pytest.raises(VkError) as caught:
        plugin.poll({})
    assert caught.value.retryable is True
    assert "не в формате JSON" in caught.value.reason
