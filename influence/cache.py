"""Clearing the cache without touching the Celery broker.

On Redis the cache and the broker share one database (``REDIS_URL``), and Django's
``cache.clear()`` is ``FLUSHDB``: it would drop every queued task. Clear the cache's own
keys instead, by the prefix Django gives them.
"""

from __future__ import annotations

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache


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
