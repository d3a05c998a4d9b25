"""The VK plugin's tests: a local fake VK API on 127.0.0.1, and the noon of 2025-03-10 they run at."""

from __future__ import annotations

import pytest

from tests.channels.fake_api import FakeApi, loopback_only
from tests.channels.vk.helpers import NOW
from tsur.core import clock


@pytest.fixture(autouse=True)
def _offline_at_noon(monkeypatch):
    loopback_only(monkeypatch)
    with clock.at(NOW):
        yield


@pytest.fixture
def api():
    fake = FakeApi(lambda path, params: path.removeprefix("/method/"))
    yield fake
    fake.close()
