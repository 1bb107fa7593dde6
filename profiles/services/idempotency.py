"""``Idempotency-Key`` for requests that create something (API uploads).

The member's row is locked while the key is looked up and the thing created, so two
concurrent requests with one key create one thing. The key is kept with the SHA-256 of
what was sent: the same key with the same content answers with the first result; with
different content it is refused and nothing is created.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from profiles.models import IdempotencyKey, User

MAX_KEY = 255


class IdempotencyConflict(Exception):
    """The key was already used with a different request; the message is for the caller."""


@transaction.atomic
def idempotent_create(
    *,
    user: User,
    operation: str,
    key: str,
    request_sha256: str,
    create: Callable[[User], str],
) -> tuple[str, bool]:
    """Run ``create`` once per key; returns (resource, replayed).

    ``create`` takes the locked member and returns what it made as ``kind:id``. Without a
    key, it simply runs.
    """
    member = User.objects.select_for_update().get(pk=user.pk)
    if not key:
        return create(member), False
    if len(key) > MAX_KEY:
        raise IdempotencyConflict(f"An Idempotency-Key is at most {MAX_KEY} characters.")
    seen = IdempotencyKey.objects.filter(user=member, operation=operation, key=key).first()
    if seen is not None:
        if seen.request_sha256 != request_sha256:
            raise IdempotencyConflict(
                "This Idempotency-Key was already used with a different body; "
                "use a new key for a new request."
            )
        return seen.resource, True
    resource = create(member)
    IdempotencyKey.objects.create(
        user=member, operation=operation, key=key, request_sha256=request_sha256, resource=resource
    )
    return resource, False
