"""The VK plugin's tests: the settings, the fake API's scripted answers and the poll they share."""

from __future__ import annotations

import datetime as dt

from tests.channels.fake_api import FakeApi, fixture
from tsur.channels.base import RawItem
from tsur.channels.vk.plugin import VkPlugin

# The fixtures are dated up to 2025-03-10 11:23 UTC; the tests run at noon that day.
NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
GROUP = 100001
OWNER = -GROUP


def vk_settings(api: FakeApi, **overrides) -> dict:
    return {
        "access_token": "test-vk-token",
        "api_url": f"{api.base_url}/method",
        "api_version": "5.199",
        "group_ids": [GROUP],
        "page_size": 10,
        "min_interval": 0,
        **overrides,
    }


def make_plugin(api: FakeApi, **overrides) -> VkPlugin:
    return VkPlugin(VkPlugin.validate_settings(vk_settings(api, **overrides)))


def comments_by_post(params: dict) -> dict:
    return fixture(f"vk/wall_get_comments_{params['post_id']}.json")


def search_since(params: dict) -> dict:
    """newsfeed.search as documented: only posts dated at or after start_time."""
    body = fixture("vk/newsfeed_search.json")
    start = int(params.get("start_time", 0))
    body["response"]["items"] = [p for p in body["response"]["items"] if p["date"] >= start]
    return body


def script_wall(api: FakeApi) -> None:
    api.reply("wall.get", fixture("vk/wall_get.json"))
    api.reply("wall.getComments", comments_by_post)


def polled(plugin: VkPlugin, cursor: dict | None = None) -> tuple[dict[str, RawItem], dict]:
    items, next_cursor = plugin.poll(cursor or {})
    items = list(items)
    return {i.external_id: i for i in items}, next_cursor
