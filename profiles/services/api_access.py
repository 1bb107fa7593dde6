"""Third-party access (purpose ``api_access``): the revocation hook run on withdrawal.

There is no third-party token model yet: no app can be authorised today, so there is
nothing to revoke. The hook exists so that the model which issues such tokens registers
its revoker here, and withdrawal then revokes them in the withdrawing transaction.
"""

from __future__ import annotations

from collections.abc import Callable

Revoker = Callable[..., int]

# Each revoker takes ``user_id`` (keyword) and returns how many grants it revoked.
REVOKERS: list[Revoker] = []


def api_access_revoker(revoker: Revoker) -> Revoker:
    """Register a revoker (decorator), for the model that will hold third-party tokens."""
    REVOKERS.append(revoker)
    return revoker


def api_access_revoke(*, user_id: int) -> int:
    """Revoke every third-party grant of a member; runs inside the withdrawal transaction."""
    return sum(revoker(user_id=user_id) for revoker in REVOKERS)
