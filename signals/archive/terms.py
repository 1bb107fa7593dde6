"""Keywords from a post's text, taken so the text itself can be dropped."""

from __future__ import annotations

import html
import re
from typing import Final

from .model import MAX_TERM_CHARS, MAX_TERMS

# Anchors are dropped whole: on Mastodon they wrap mentions ("@<span>bob</span>"),
# which would otherwise leave a counterpart's name behind as a keyword.
_ANCHOR = re.compile(r"<a\b[^>]*>.*?</a\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
# URLs, and any token holding an '@' (mentions, e-mail addresses): never keywords.
_NOT_WORDS = re.compile(r"(?:https?://|www\.)\S*|\S*@\S*", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]{4,}")

STOP_WORDS: Final[frozenset[str]] = frozenset(
    """
    about above after again against also because been before being below between both
    could does doing down during each from further have having here hers herself himself
    into itself just like more most much myself once only other ours over same should
    some such than that their theirs them then there these they this those through under
    until very were what when where which while whom will with would your yours yourself
    really today thing things make made many well even want know think going need still
    back good great every always never something anything
    """.split()
)


def extract_terms(text: str) -> list[str]:
    """Return up to 20 distinct lowercased words of 4 to 100 letters, in order, minus stop
    words (a longer run of letters is no word, and is skipped).

    Links, HTML and anything containing '@' are removed first, so no handle, address or
    URL fragment becomes a term.
    """
    text = _TAG.sub(" ", _ANCHOR.sub(" ", text))
    text = _NOT_WORDS.sub(" ", html.unescape(text)).lower()
    terms: dict[str, None] = {}
    for match in _WORD.finditer(text):
        word = match.group()
        if len(word) <= MAX_TERM_CHARS and word not in STOP_WORDS:
            terms[word] = None
            if len(terms) == MAX_TERMS:
                break
    return list(terms)


def normalise_tag(tag: str) -> str:
    """Lowercase a tag and strip surrounding whitespace and leading '#'; may return ''."""
    return tag.strip().lstrip("#").strip().lower()
