"""Parts of member pages rendered once and kept in the cache, under a key made of what
they show (so a changed history is a new key, shown at once, and nothing is invalidated).
"""

from __future__ import annotations

import hashlib
from functools import cache as memoised
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from scoring.selectors import Dashboard

HISTORY_TEMPLATE = "scoring/_score_history.html"
# Long enough to serve a member's many views between two scoring runs; the key changes
# with the history, so the timeout only bounds how long an unused copy is kept.
HISTORY_SECONDS = 24 * 3600


@memoised
def _template_digest(name: str) -> str:
    """The template's source, hashed: a deploy that changes it uses new keys."""
    source = get_template(name).template.source  # type: ignore[attr-defined]
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def score_history_html(d: Dashboard) -> SafeString:
    """The dashboard's score history section (plot, marks and table), or nothing without
    a history. Keyed on every value the section shows: the history rows and the marks
    (the plot is laid out from them alone), the template, the language and time zone."""
    if not d.history:
        return mark_safe("")
    what = repr(
        (
            _template_digest(HISTORY_TEMPLATE),
            translation.get_language(),
            timezone.get_current_timezone_name(),
            [(h.at.isoformat(), str(h.value), h.model_version) for h in d.history],
            d.marks,
        )
    )
    key = "score-history:" + hashlib.sha256(what.encode()).hexdigest()
    html = cache.get(key)
    if html is None:
        html = render_to_string(
            HISTORY_TEMPLATE, {"plot": d.plot, "history": d.history, "marks": d.marks}
        )
        cache.set(key, html, HISTORY_SECONDS)
    return mark_safe(html)
