"""The OK plugin's tests: a local fake `fb.do` on 127.0.0.1 that checks signatures, and the noon they run at."""

from __future__ import annotations

import pytest

from tests.channels.fake_api import FakeApi, loopback_only
from tests.channels.ok.helpers import NOW
from tsur.core import clock


@pytest.fixture(autouse=True)
def _offline_at_noon(monkeypatch):
    loopback_only(monkeypatch)
    with clock.at(NOW):
        yield


@pytest.fixture
def api():
    fake = FakeApi(lambda path, params: params.get("method", "?"))
    yield fake
    fake.close()
