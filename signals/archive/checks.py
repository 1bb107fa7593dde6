"""Field checks for one archive line, each failing with a reason a person can act on.

Reasons name fields, never a handle's value (invariant 3); other values are echoed only
when short and plain (`quoted`, `shown`), so nothing that could be a handle gets through.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from .model import (
    INTERACTION_KINDS,
    MAX_COUNT,
    MAX_POST_ID_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    NETWORKS,
)
from .terms import normalise_tag

MAX_TIME_CHARS: Final = 64
KINDS_TEXT: Final = ", ".join(INTERACTION_KINDS[:-1]) + " or " + INTERACTION_KINDS[-1]
NETWORKS_TEXT: Final = ", ".join(sorted(NETWORKS))
KEYS: Final[dict[str, frozenset[str]]] = {
    "account": frozenset({"type", "network", "handle", "followers", "following", "created_at"}),
    "post": frozenset({"type", "id", "at", "tags", "text"}),
    "interaction": frozenset({"type", "kind", "by", "to", "post", "at"}),
    "follower": frozenset({"type", "by", "at"}),
    "following": frozenset({"type", "of", "at"}),
}
# '@' is deliberately absent: a value holding one is never echoed.
_SHOWABLE: Final = re.compile(r"[A-Za-z0-9_.:/\-]{1,64}")


class Bad(Exception):
    """One line's problem."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def required(obj: dict[str, object], field: str) -> object:
    if field not in obj:
        raise Bad(f"'{field}' is missing")
    return obj[field]


def check_keys(obj: dict[str, object], allowed: frozenset[str]) -> None:
    unknown = [key for key in obj if key not in allowed]
    if unknown:
        names = ", ".join(quoted(key) for key in unknown[:5])
        raise Bad(f"unknown {'key' if len(unknown) == 1 else 'keys'} {names}")


def count(obj: dict[str, object], field: str) -> int:
    """A non-negative integer up to 10**10; booleans and floats are refused."""
    value = required(obj, field)
    if type(value) is not int or value < 0:
        raise Bad(f"'{field}' must be a non-negative integer")
    if value > MAX_COUNT:
        raise Bad(f"'{field}' must be at most {MAX_COUNT}")
    return value


def network(obj: dict[str, object]) -> str:
    value = required(obj, "network")
    if type(value) is not str or value not in NETWORKS:
        raise Bad(f"'network' must be one of {NETWORKS_TEXT}")
    return value


def post_id(obj: dict[str, object], field: str) -> str:
    value = required(obj, field)
    if (
        type(value) is not str
        or not value
        or len(value) > MAX_POST_ID_CHARS
        or not value.isprintable()
    ):
        raise Bad(
            f"'{field}' must be a non-empty string of at most {MAX_POST_ID_CHARS} "
            "printable characters"
        )
    return value


def tags(value: object) -> list[str]:
    """Lowercased, '#' stripped, deduplicated in order."""
    if type(value) is not list or len(value) > MAX_TAGS:
        raise Bad(f"'tags' must be a list of at most {MAX_TAGS} strings")
    kept: dict[str, None] = {}
    for position, tag in enumerate(value, start=1):
        if type(tag) is not str or len(tag) > MAX_TAG_CHARS or not tag.isprintable():
            raise Bad(
                f"'tags' item {position} must be a string of at most {MAX_TAG_CHARS} "
                "printable characters"
            )
        normalised = normalise_tag(tag)
        if not normalised:
            raise Bad(f"'tags' item {position} is empty")
        kept[normalised] = None
    return list(kept)


def timestamp(value: object, field: str) -> datetime:
    """An ISO 8601 date-time string with a timezone -> an aware datetime in UTC."""
    if type(value) is not str or len(value) > MAX_TIME_CHARS:
        raise Bad(f"'{field}' must be an ISO 8601 date-time string")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Bad(f"'{field}' must be an ISO 8601 date-time, like 2026-10-01T12:00:00Z") from None
    if at.tzinfo is None:
        raise Bad(f"'{field}' must include a timezone, like 2026-10-01T12:00:00Z")
    if at.tzinfo is not UTC:
        try:
            at = at.astimezone(UTC)
        except OverflowError:
            raise Bad(f"'{field}' is out of range") from None
    return at


def json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true or false"
    if value is None:
        return "null"
    return "a number"


def quoted(value: str) -> str:
    """'value' when short and plain, else a placeholder."""
    return f"'{value}'" if _SHOWABLE.fullmatch(value) else "(value not shown)"


def shown(value: str) -> str:
    return value if _SHOWABLE.fullmatch(value) else "(value not shown)"
