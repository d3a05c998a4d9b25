"""The shared cache on Redis: Django's backend, keeping one client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` for every cache call, and each one builds its
table of about 170 response parsers: a third of a millisecond, paid twice per intake request by the
rate limit. A client only wraps its pool (which is thread-safe and reset after a fork), so one
per pool serves every call.
"""

from __future__ import annotations

from typing import Any

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient

# INCRBY only an existing key, in one round trip and atomically: Django's `incr` asks EXISTS, then
# INCRBY. That is two round trips per count (django-ratelimit counts each intake request once per
# configured rate), and a key expiring between the two was made again by INCRBY without its
# expiry: a rate-limit window that never ended.
_INCR_EXISTING = "if redis.call('exists', KEYS[1]) == 1 then return redis.call('incrby', KEYS[1], ARGV[1]) end return false"


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}
        self._incr_scripts: dict[int, Any] = {}

    def incr(self, key: Any, delta: int) -> int:
        client = self.get_client(key, write=True)
        script = self._incr_scripts.get(id(client))
        if script is None:  # sent by its digest (EVALSHA), the text again only if Redis lost it
            script = self._incr_scripts.setdefault(id(client), client.register_script(_INCR_EXISTING))
        value = script(keys=[key], args=[delta])
        if value is None:
            raise ValueError(f"Key '{key}' not found.")
        return value

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    """settings.CACHES' backend when TSUR_CACHE_URL is set."""

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient
