"""Parsing helpers shared by the connectors: result shape, times, field checks, HTML to
text. Plain Python; nothing here imports Django or makes a request."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any

from signals.connectors.errors import ProviderResponseInvalid

MAX_TEXT_CHARS = 5000


@dataclass
class SyncResult:
    """Archive-v1 line objects (account first, posts before interactions) and the next cursor.

    `complete` is False when something was left out on purpose: a list cut at
    `max_pages`, or per-item lookups skipped to stay inside the provider's rate limit.
    """

    records: list[dict[str, Any]]
    cursor: dict[str, Any]
    complete: bool = True


def now() -> datetime:
    """The current time; tests replace this one function to freeze the clock."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: object, what: str) -> datetime:
    """A provider timestamp (ISO 8601, `Z` or offset, any fraction) as an aware datetime."""
    if not isinstance(value, str):
        raise ProviderResponseInvalid(f"{what} is not a timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ProviderResponseInvalid(f"{what} is not an ISO 8601 timestamp") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


# --- shape checks: the messages name the field, never the value --------------------


def need_dict(value: object, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProviderResponseInvalid(f"{what} is not an object")
    return value


def need_list(value: object, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProviderResponseInvalid(f"{what} is not a list")
    return value


def need_str(obj: Mapping[str, Any], key: str, what: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value:
        raise ProviderResponseInvalid(f"{what}.{key} is missing or not a string")
    return value


def need_int(obj: Mapping[str, Any], key: str, what: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ProviderResponseInvalid(f"{what}.{key} is missing or not a count")
    return value


def tag_list(names: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for name in names:
        cleaned = name.strip().lstrip("#").lower()
        if cleaned:
            seen.setdefault(cleaned, None)
    return list(seen)


# --- HTML to text (Mastodon status content) ---------------------------------------


class _TextExtractor(HTMLParser):
    _VOID = frozenset({"br", "img", "hr", "input", "meta", "link", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._skip:
            if tag not in self._VOID:
                self._skip += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        # Mentions name other people (invariant 3): drop them from the text. Hashtag
        # links are also class "mention" but are the member's own topic words.
        if tag == "a" and "mention" in classes and "hashtag" not in classes:
            self._skip = 1
        elif tag == "span" and "invisible" in classes:
            self._skip = 1
        elif tag in ("br", "p", "li"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag not in self._VOID:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Plain text of sanitized status HTML, without mentions and hidden URL parts."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)[:MAX_TEXT_CHARS]
