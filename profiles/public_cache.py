"""The server-side cache of public pages and badges: its keys, and clearing them.

Public pages and badges are rendered once and kept under keys named after the handle and
the current policy versions of the purposes they depend on (``PAGE_PURPOSES``: a new
policy pauses pages and directory listings until members answer, so it must miss the
cache): ``page`` holds the body, for any viewer;
``anonymous`` the whole HTML page as every signed-out visitor gets it; ``badge`` the SVG;
``directory`` a whole signed-out directory or search results page, under a key that also
holds the directory version, which every clear bumps (a change to any member may change
any directory page).
Whatever changes what a page shows (score, topics, profile, handle, consent, erasure)
calls ``public_page_cache_clear``: at once, and again after the transaction commits, so a
request that read the old rows meanwhile cannot leave them cached. Entries also expire
after ``PUBLIC_CACHE_SECONDS``.

In front of the shared cache each process keeps what it read for
``PUBLIC_LOCAL_CACHE_SECONDS`` (1 s; 0 turns it off), so a page in demand costs no round
trip to Redis; clearing empties it in the process that clears, and other processes follow
within that second.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from profiles.purposes import PURPOSES, Purpose

KINDS = ("page", "anonymous", "badge")
DIRECTORY_VERSION_KEY = "public:directory-version"
LOCAL_MAX_ENTRIES = 1000

# key -> (monotonic time it expires, value); this process only.
_local: dict[str, tuple[float, object]] = {}


# The purposes whose consent the public pages and the directory depend on.
PAGE_PURPOSES = (Purpose.PUBLIC_PROFILE, Purpose.SCORING, Purpose.DISCOVERY)


def public_cache_key(kind: str, handle: str) -> str:
    versions = ":".join(PURPOSES[purpose].version for purpose in PAGE_PURPOSES)
    return f"public:{kind}:{handle}:{versions}"


def _remember(key: str, value: object) -> None:
    seconds = settings.PUBLIC_LOCAL_CACHE_SECONDS
    if seconds <= 0:
        return
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()
    _local[key] = (time.monotonic() + seconds, value)


def public_cache_get(kind: str, handle: str) -> object | None:
    key = public_cache_key(kind, handle)
    held = _local.get(key)
    if held is not None and held[0] > time.monotonic():
        return held[1]
    value = cache.get(key)
    if value is not None:
        _remember(key, value)
    return value


def public_cache_set(kind: str, handle: str, value: object) -> None:
    key = public_cache_key(kind, handle)
    cache.set(key, value, settings.PUBLIC_CACHE_SECONDS)
    _remember(key, value)


def _forget(keys: list[str]) -> None:
    for key in keys:
        _local.pop(key, None)
    cache.delete_many(keys)


def directory_cache_version() -> str:
    """The current version of the cached directory pages: part of their keys, so bumping it
    (``directory_cache_bump``) makes every cached directory and search page miss at once."""
    held = _local.get(DIRECTORY_VERSION_KEY)
    if held is not None and held[0] > time.monotonic():
        return str(held[1])
    version = cache.get(DIRECTORY_VERSION_KEY)
    if version is None:
        cache.add(DIRECTORY_VERSION_KEY, str(time.time_ns()), None)
        version = cache.get(DIRECTORY_VERSION_KEY)
    _remember(DIRECTORY_VERSION_KEY, str(version))
    return str(version)


def directory_cache_bump() -> None:
    # A new unique value (not a counter): a version lost from the cache cannot come back
    # and revive entries cached under it.
    _local.pop(DIRECTORY_VERSION_KEY, None)
    cache.set(DIRECTORY_VERSION_KEY, str(time.time_ns()), None)


def public_cache_clear_handles(handles: Iterable[str | None]) -> None:
    keys = [public_cache_key(kind, h) for h in handles if h for kind in KINDS]
    if not keys:
        return
    _forget(keys)
    directory_cache_bump()  # any listed member may be among them

    def after_commit() -> None:
        _forget(keys)
        directory_cache_bump()

    transaction.on_commit(after_commit)


def public_page_cache_clear(*, user_ids: Iterable[int]) -> None:
    """Forget the cached public page and badge of these members (one query for handles)."""
    from profiles.models import User

    ids = list(user_ids)
    if not ids:
        return
    handles = User.objects.filter(pk__in=ids, handle__isnull=False).values_list("handle", flat=True)
    public_cache_clear_handles(handles)
