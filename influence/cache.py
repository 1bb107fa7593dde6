"""The Redis cache backend, and clearing the cache without touching the Celery broker.

On Redis the cache and the broker share one database (``REDIS_URL``), and Django's
``cache.clear()`` is ``FLUSHDB``: it would drop every queued task. Clear the cache's own
keys instead, by the prefix Django gives them.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache, RedisCacheClient


def cache_clear_own_keys(alias: str = "default") -> int:
    """Delete the cache's keys and nothing else; returns how many (0 when not on Redis,
    where the whole cache is cleared: it holds nothing else)."""
    cache = caches[alias]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return 0
    client = cache._cache.get_client(write=True)
    pattern = cache.make_key("*")
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            deleted += client.delete(*batch)
            batch.clear()
    if batch:
        deleted += client.delete(*batch)
    return deleted


class _OneClientPerPool(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django makes a new ``redis.Redis`` for every cache operation, and building one (its
    response callbacks, a few hundred dict entries) costs more CPU than the round trip:
    about half a millisecond, several times on every request that reads a session or a
    cached page. A ``redis.Redis`` is only a handle on its pool, safe to share between
    threads, so one per pool is enough."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class RedisCacheOneClient(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with ``_OneClientPerPool``."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = _OneClientPerPool
