"""The shared cache on Redis (tsur.core.cache): `incr` counts an existing key in one round trip,
keeps its expiry, and refuses a missing key as Django's does. Needs a Redis on 127.0.0.1:6379
(skipped without one; required where TSUR_REQUIRE_REDIS is set, as in CI)."""

from __future__ import annotations

import os
import socket

import pytest

from tsur.core.cache import RedisCache

URL = "redis://127.0.0.1:6379/9"


@pytest.fixture
def cache():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        if os.environ.get("TSUR_REQUIRE_REDIS"):
            pytest.fail("Redis on 127.0.0.1:6379 is required (TSUR_REQUIRE_REDIS) and does not answer")
        pytest.skip("needs Redis on 127.0.0.1:6379")
    cache = RedisCache(URL, {})
    cache.clear()
    yield cache
    cache.clear()


def test_incr_counts_an_existing_key_and_keeps_its_expiry(cache):
    assert cache.add("hits", 0, 60)
    assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
    assert cache.incr("hits", 5) == 8
    client = cache._cache.get_client(write=True)
    assert 0 < client.ttl(cache.make_key("hits")) <= 60


def test_incr_refuses_a_missing_key_and_does_not_make_it(cache):
    with pytest.raises(ValueError):
        cache.incr("nothing")
    assert cache.get("nothing") is None


def test_incr_is_one_round_trip(cache, monkeypatch):
    cache.add("hits", 0, 60)
    cache.incr("hits")  # the first call on a fresh Redis also loads the script (SCRIPT LOAD)
    client = cache._cache.get_client(write=True)
    sent = []
    real = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or real(*args, **kw))
    cache.incr("hits")
    assert sent == ["EVALSHA"]


def test_the_intake_rate_limit_counts_in_it(cache, settings, still_rate_clock):
    from tsur.core.throttle import count

    settings.CACHES = {"default": {"BACKEND": "tsur.core.cache.RedisCache", "LOCATION": URL}}
    answers = [count("tsur-test", "ip:203.0.113.9", ["3/m", "100/h"]) for _ in range(4)]
    assert answers[:3] == [None, None, None] and answers[3][0] == "3/m"
