"""Shared fixtures for channel tests.

- `channel_config(kind, settings=None, *, code=None, enabled=True, name=None)` creates a
  ChannelConfig whose settings were validated by the plugin of that kind (as the admin does).
- `fake_channel(kind="vk", ...)` replaces the plugin of a kind with an in-memory fake for the
  test's duration: normalise understands a tiny payload format, poll returns queued items,
  deliver records what it sent or raises the errors the test queued. It mocks only the network
  edge; everything behind the contract (storage, screening, appeals, deliveries) is real.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from pydantic import BaseModel

from tsur.channels.base import ChannelError, ChannelPlugin, DeliveryError, NormalisedMessage, RawItem

_codes = itertools.count(1)


@pytest.fixture
def channel_config(db) -> Callable:
    from tsur.channels import registry
    from tsur.channels.models import ChannelConfig

    def make(kind: str, settings: dict | None = None, *, code: str | None = None, enabled: bool = True, name: str = ""):
        raw = dict(settings or {})
        try:
            plugin = registry.get(kind)
        except KeyError:
            plugin = None
        if plugin is not None:
            raw = plugin.validate_settings(raw).model_dump(mode="json")
        code = code or f"{kind.replace('_', '-')}-{next(_codes)}"
        return ChannelConfig.objects.create(code=code, kind=kind, name=name or f"Канал {code}", enabled=enabled, settings=raw)

    return make


class FakeSettings(BaseModel):
    token: str = "test-token"
    group: str = "test-group"


class FakePlugin(ChannelPlugin):
    """Payload format: {"text": str, "author": str, "link": str, "public": bool, "deleted": bool,
    "chat": str ("unknown" raises ChannelError), "bad": bool (raises ValueError)}."""

    kind = "fake"
    label = "Тестовый канал"
    settings_model = FakeSettings

    # Filled per test by the fixture; class-level so every instance the core builds shares it.
    polled: list[RawItem] = []
    poll_error: Exception | None = None
    sent: list[tuple[dict, str]] = []
    deliver_errors: list[DeliveryError] = []

    def poll(self, cursor: dict):
        if self.poll_error is not None:
            raise self.poll_error
        items, type(self).polled = list(self.polled), []
        last = items[-1].external_id if items else cursor.get("last")
        return items, {"last": last} if last else dict(cursor)

    def normalise(self, item: RawItem) -> NormalisedMessage | None:
        p = item.payload
        if not isinstance(p, dict):
            raise ChannelError("данные сообщения не в ожидаемом формате")
        if p.get("bad"):
            raise ValueError("plugin bug")
        if p.get("deleted"):
            return None
        if p.get("chat") == "unknown":
            raise ChannelError("сообщение из неизвестного чата")
        return NormalisedMessage(
            external_id=item.external_id,
            text=p.get("text", ""),
            kind=item.kind,
            author_name=p.get("author", ""),
            author_link=p.get("link", ""),
            reply_to={"post": item.external_id} if p.get("reply", True) else {},
            is_public=p.get("public", True),
        )

    def deliver(self, reply_to: dict, text: str) -> str:
        if self.deliver_errors:
            raise self.deliver_errors.pop(0)
        self.sent.append((reply_to, text))
        return f"reply-{len(self.sent)}"


@pytest.fixture
def fake_channel(monkeypatch, channel_config) -> Callable:
    """Register FakePlugin under `kind` (default "vk": an appeal channel of the incident regime)
    and return a ChannelConfig using it; the class is reachable as `config.plugin().__class__`."""
    from tsur.channels import registry

    def make(kind: str = "vk", **kwargs):
        plugin = type(f"Fake_{kind}", (FakePlugin,), {"kind": kind, "polled": [], "poll_error": None, "sent": [], "deliver_errors": []})
        monkeypatch.setitem(registry._PLUGINS, kind, plugin)
        return channel_config(kind, kwargs.pop("settings", None), **kwargs)

    return make


class KeywordScreen:
    """A stand-in for the complaint-screening model: a post is a complaint when it names a
    problem word. Deterministic, so tests can say which posts become appeals."""

    threshold = 0.5
    WORDS = ("яма", "ямы", "мусор", "не вывозят", "отопления", "жалоба", "снег")

    def predict(self, texts):
        out = []
        for text in texts:
            p = 0.9 if any(w in (text or "").lower() for w in self.WORDS) else 0.1
            out.append((p >= self.threshold, p))
        return out


@pytest.fixture
def complaint_screen(monkeypatch) -> KeywordScreen:
    """Install KeywordScreen as the loaded screening model for the test."""
    from tsur.channels.screening import SCREEN

    screen = KeywordScreen()
    monkeypatch.setattr(SCREEN, "screen", screen)
    monkeypatch.setattr(SCREEN, "reason", "")
    return screen


@pytest.fixture
def no_screening_model(monkeypatch, settings, tmp_path):
    """The screening model is missing (an empty model directory)."""
    from tsur.channels.screening import SCREEN

    settings.TSUR_SCREENING_MODEL_DIR = str(tmp_path / "no-model")
    SCREEN.reset()
    yield
    SCREEN.reset()
