"""What every signed-in page reads about its member (the unread notification count, the
consent states), kept in the cache under a per-member version that every writer changes.

A writer calls ``member_version_bump`` where it writes; the new version is set once its
transaction commits (at once outside one), so the next read misses and goes to the
database. A value is stored with the version read *before* the database was read, so a
write that commits in between leaves a value under a version that is already stale: a
change shows at once, never an older state. Inside a transaction (a writer's, or a test's)
nothing is read from or written to the cache: uncommitted rows must not be cached.

One cache round trip reads both the version and the value (``get_many``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connection, transaction

T = TypeVar("T")

VALUE_SECONDS = 24 * 3600


def _version_key(user_id: int) -> str:
    # The database's name too: a test database and a development one can share a cache,
    # and their member ids overlap.
    return f"member-version:{connection.settings_dict['NAME']}:{user_id}"


def member_version_bump(*, user_id: int) -> None:
    """The member's cached values are stale from the end of the current transaction."""
    key = _version_key(user_id)
    transaction.on_commit(lambda: cache.set(key, uuid.uuid4().hex, None))


def member_cached(*, user_id: int, name: str, compute: Callable[[], T]) -> T:
    """``compute()``, kept in the cache under the member's current version."""
    if connection.in_atomic_block:
        return compute()
    vkey = _version_key(user_id)
    key = f"member-{name}:{connection.settings_dict['NAME']}:{user_id}"
    got: dict[str, Any] = cache.get_many([vkey, key])
    version = got.get(vkey)
    if version is None:
        version = uuid.uuid4().hex
        if not cache.add(vkey, version, None):
            version = cache.get(vkey)
    held = got.get(key)
    if version is not None and held is not None and held[0] == version:
        return held[1]  # type: ignore[no-any-return]
    value = compute()
    if version is not None:
        cache.set(key, (version, value), VALUE_SECONDS)
    return value


def _saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    member_version_bump(user_id=instance.user_id)


def _member_created(sender: Any, instance: Any, created: bool = False, **kwargs: Any) -> None:
    # A database made again from scratch gives old ids to new members: never their values.
    if created:
        member_version_bump(user_id=instance.pk)


def member_cache_connect() -> None:
    """Any saved notification or consent row (the services, the admin, a fixture) makes
    its member's cached values stale; bulk inserts and updates bump in their service."""
    from django.db.models.signals import post_save

    from profiles.models import ConsentRecord, Notification, User

    for model in (ConsentRecord, Notification):
        post_save.connect(_saved, sender=model, dispatch_uid=f"member-cache-{model.__name__}")
    post_save.connect(_member_created, sender=User, dispatch_uid="member-cache-User")
