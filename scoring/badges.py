"""The public score badge: an SVG in the manner of shields.io (and healthchecks' badges),
with text widths measured from a table of Verdana 11px advances."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string

# Advance widths (px) of Verdana at 11px for the characters a badge can hold.
WIDTHS = {
    **dict.fromkeys("abdghknopquvy", 7), **dict.fromkeys("ceszx", 6), "f": 4, "i": 3,
    "j": 3, "l": 3, "m": 10, "r": 4, "t": 5, "w": 9, **dict.fromkeys("023456789", 7),
    "1": 6, " ": 4, ".": 4, "/": 5, "-": 4, "_": 6, "@": 11,
}  # fmt: skip
LABEL = "influence"
NO_SCORE = "no score yet"


def text_width(text: str) -> int:
    return sum(WIDTHS.get(c, 7) for c in text)


def badge_colour(value: Decimal | None) -> str:
    if value is None:
        return "#6b7280"
    if value >= 70:
        return "#1a7f37"
    if value >= 40:
        return "#0969da"
    return "#6e40c9"


def badge_value(value: Decimal | None) -> str:
    return NO_SCORE if value is None else f"{float(value):g}"


def badge_svg(*, value: Decimal | None) -> str:
    """The badge for a score (or for none): only what the public page shows."""
    label, status = LABEL, badge_value(value)
    w1, w2 = text_width(label) + 12, text_width(status) + 12
    return render_to_string(
        "scoring/badge.svg",
        {
            "width": w1 + w2,
            "label_width": w1,
            "status_width": w2,
            "label_x": w1 / 2,
            "status_x": w1 + w2 / 2,
            "label": label,
            "status": status,
            "colour": badge_colour(value),
            "title": f"Influence score: {status}",
        },
    )
