"""Third-party access (purpose ``api_access``): the revocation hook run on withdrawal.

Third-party apps hold django-oauth-toolkit tokens; ``profiles.services.api_tokens``
registers the revoker that deletes them all, and withdrawal runs it in the withdrawing
transaction, so the very next call with such a token is a 401.
"""

from __future__ import annotations

from collections.abc import Callable

Revoker = Callable[..., int]

# Each revoker takes ``user_id`` (keyword) and returns how many grants it revoked.
REVOKERS: list[Revoker] = []


def api_access_revoker(revoker: Revoker) -> Revoker:
    """Register a revoker (decorator), for each model that holds third-party tokens."""
    REVOKERS.append(revoker)
    return revoker


def api_access_revoke(*, user_id: int) -> int:
    """Revoke every third-party grant of a member; runs inside the withdrawal transaction."""
    return sum(revoker(user_id=user_id) for revoker in REVOKERS)
