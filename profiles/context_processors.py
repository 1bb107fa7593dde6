"""Template context for every page: the unread notification count in the header."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``notifications_unread``: the signed-in member's unread count, counted only if a
    template uses it (public pages for visitors cost no query), and kept in the cache under
    the member's version (``profiles.member_cache``: a new or read notification shows at
    once)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"notifications_unread": 0}

    def count() -> int:
        from profiles.member_cache import member_cached
        from profiles.selectors import notifications_unread_count

        return member_cached(
            user_id=user.pk,
            name="unread",
            compute=lambda: notifications_unread_count(member=user),
        )

    return {"notifications_unread": SimpleLazyObject(count)}
