"""The server-side cache of public pages and badges: its keys, and clearing them.

Public pages and badges are rendered once and kept under keys named after the handle and
the current policy versions of the purposes they depend on (a new policy pauses pages until
members answer, so it must miss the cache): ``page`` holds the body, for any viewer;
``anonymous`` the whole HTML page as every signed-out visitor gets it; ``badge`` the SVG.
Whatever changes what a page shows (score,
topics, profile, handle, consent, erasure) calls ``public_page_cache_clear``: at once, and
again after the transaction commits, so a request that read the old rows meanwhile cannot
leave them cached. The entries also expire after ``PUBLIC_CACHE_SECONDS``.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from profiles.purposes import PURPOSES, Purpose

KINDS = ("page", "anonymous", "badge")


def public_cache_key(kind: str, handle: str) -> str:
    versions = f"{PURPOSES[Purpose.PUBLIC_PROFILE].version}:{PURPOSES[Purpose.SCORING].version}"
    return f"public:{kind}:{handle}:{versions}"


def public_cache_get(kind: str, handle: str) -> object | None:
    return cache.get(public_cache_key(kind, handle))


def public_cache_set(kind: str, handle: str, value: object) -> None:
    cache.set(public_cache_key(kind, handle), value, settings.PUBLIC_CACHE_SECONDS)


def public_cache_clear_handles(handles: Iterable[str | None]) -> None:
    keys = [public_cache_key(kind, h) for h in handles if h for kind in KINDS]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


def public_page_cache_clear(*, user_ids: Iterable[int]) -> None:
    """Forget the cached public page and badge of these members (one query for handles)."""
    from profiles.models import User

    ids = list(user_ids)
    if not ids:
        return
    handles = User.objects.filter(pk__in=ids, handle__isnull=False).values_list("handle", flat=True)
    public_cache_clear_handles(handles)
