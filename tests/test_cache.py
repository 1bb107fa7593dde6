"""The cache shares Redis with the broker: clearing it must never drop a queued task."""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import cache

from influence.cache import cache_clear_own_keys


@pytest.mark.redis
def test_clearing_the_cache_keeps_the_brokers_queues() -> None:
    from influence.celery import app

    queue = f"cache-test-{uuid.uuid4().hex[:8]}"
    with app.connection_for_write() as conn:
        client = conn.default_channel.client  # type: ignore[attr-defined]
        client.lpush(queue, b"a queued task")
        cache.set("rate-limit", 3)
        try:
            assert cache_clear_own_keys() >= 1
            assert cache.get("rate-limit") is None
            assert client.llen(queue) == 1, "clearing the cache dropped a queued message"
        finally:
            client.delete(queue)


def test_on_any_backend_the_cache_is_empty_afterwards() -> None:
    cache.set("k", 1)
    cache_clear_own_keys()
    assert cache.get("k") is None


@pytest.mark.redis
def test_the_redis_cache_keeps_one_client_per_pool() -> None:
    """Django's backend builds a redis.Redis for every operation (costly in CPU); ours
    builds one per connection pool and reuses it, and still reads and writes."""
    client = cache._cache  # type: ignore[attr-defined]
    assert client.get_client(write=True) is client.get_client(write=True)
    assert client.get_client() is client.get_client()
    cache.set("one-client", {"a": 1}, 30)
    assert cache.get("one-client") == {"a": 1}
    assert cache.get_many(["one-client", "none"]) == {"one-client": {"a": 1}}
