"""The OK plugin's tests: the application's keys, the expected signature, the settings and the poll they share."""

from __future__ import annotations

import datetime as dt
import hashlib

from tests.channels.fake_api import FakeApi, fixture
from tsur.channels.base import RawItem
from tsur.channels.ok.plugin import OkPlugin

# The fixtures are dated up to 2025-03-10 14:30 Moscow time (11:30 UTC); the tests run at noon UTC.
NOW = dt.datetime(2025, 3, 10, 12, 0, tzinfo=dt.UTC)
GID = "70000000000001"
TOPIC = "155000000000003"
APP_KEY = "CTESTAPPKEYABCDEF"
APP_SECRET = "0123456789ABCDEF01234567"
TOKEN = "test-ok-session-token"
C1, C2, C3, C0 = (f"MTU1MDAwMDAwMDAwMDAzOj{s}" for s in ("E=", "I=", "M=", "A="))


def expected_sig(params: dict[str, str]) -> str:
    """The documented scheme, written out independently of the client."""
    secret = hashlib.md5(f"{TOKEN}{APP_SECRET}".encode()).hexdigest()
    pairs = sorted((k, v) for k, v in params.items() if k not in ("sig", "access_token"))
    return hashlib.md5(("".join(f"{k}={v}" for k, v in pairs) + secret).encode()).hexdigest()


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
