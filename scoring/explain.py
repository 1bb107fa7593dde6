"""Plain words and pictures for scores: gaming flags as sentences, components as bars and
the history as a plot, all computed here and rendered as SVG by the templates (no JS).

Pure functions over plain values, shared by the member's dashboard, the moderation console
and the API, so a flag reads the same wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format

# --- Gaming flags in plain words --------------------------------------------------------


@dataclass(frozen=True)
class FlagExplanation:
    kind: str
    title: str
    sentence: str  # what was seen, with counts and dates; never raw evidence
    effect: str  # what it did to the score


def _n(value: Any) -> str:
    """A count as people read it: 1,200 rather than 1200.0."""
    try:
        return f"{round(float(value)):,}"
    except (TypeError, ValueError):
        return "some"


def _pct(value: Any) -> str:
    try:
        return f"{round(float(value) * 100):,}%"
    except (TypeError, ValueError):
        return "a share"


def _day(value: Any) -> str:
    try:
        when = datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return "recently"
    return date_format(when, "j F Y")


def _plural(value: Any, one: str, many: str) -> str:
    try:
        return one if round(float(value)) == 1 else many
    except (TypeError, ValueError):
        return many


def flag_explain(*, kind: str, evidence: dict[str, Any], discount: float) -> FlagExplanation:
    """A gaming flag as a sentence with its counts and dates, for members and moderators.

    Unknown kinds and missing evidence still give a sentence, never the raw evidence.
    """
    e = evidence or {}
    effect = f"The signals involved count {_pct(discount)} less; nothing else is affected."
    if kind == "engagement_ring":
        size = e.get("ring_size")
        return FlagExplanation(
            kind=kind,
            title="Engagement ring",
            sentence=(
                f"{_pct(e.get('ring_share_of_engagement'))} of the engagement on your posts "
                f"came from {_n(size)} {_plural(size, 'account', 'accounts')} that engage "
                f"mostly with each other and with you (each of them engaged about "
                f"{_n(e.get('events_per_ring_engager'))} times)."
            ),
            effect=effect,
        )
    if kind == "follower_burst":
        burst = e.get("burst_followers")
        return FlagExplanation(
            kind=kind,
            title="Follower burst without engagement",
            sentence=(
                f"{_n(burst)} new {_plural(burst, 'follower', 'followers')} arrived within "
                f"{_n(e.get('burst_days'))} days from {_day(e.get('burst_start'))}, where "
                f"about {_n(e.get('usual_followers_per_window'))} is usual, and they brought "
                f"{_n(e.get('new_engagers_after'))} new engagers where "
                f"{_n(e.get('expected_new_engagers'))} were expected."
            ),
            effect=effect,
        )
    if kind == "low_trust_engagement":
        engagers = e.get("engagers")
        return FlagExplanation(
            kind=kind,
            title="Engagement from low-trust accounts",
            sentence=(
                f"{_n(e.get('low_trust_engagers'))} of the {_n(engagers)} "
                f"{_plural(engagers, 'account', 'accounts')} that engaged with you "
                f"({_pct(e.get('low_trust_share'))}) have no trust path to established members."
            ),
            effect=effect,
        )
    return FlagExplanation(
        kind=kind,
        title="A pattern that looked like gaming",
        sentence="Some of your signals looked like gaming and were discounted.",
        effect=effect,
    )


# --- Components as bars -----------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    points: Decimal
    x: float  # where the bar starts, in the chart's units (0-100)
    width: float
    negative: bool


def component_bars(components: list[tuple[str, str, Decimal]]) -> list[Bar]:
    """Bars for (key, label, points) on a 0-100 axis; a negative part (penalties) is drawn
    leftwards from the zero line, which sits where the largest negative part needs it."""
    if not components:
        return []
    most_negative = min((float(p) for _, _, p in components), default=0.0)
    most_negative = min(most_negative, 0.0)
    most_positive = max(max((float(p) for _, _, p in components), default=0.0), 0.0)
    span = (most_positive - most_negative) or 1.0
    zero = -most_negative / span * 100
    bars = []
    for key, label, points in components:
        width = abs(float(points)) / span * 100
        negative = points < 0
        bars.append(
            Bar(
                key=key,
                label=label,
                points=points,
                x=round(zero - width if negative else zero, 2),
                width=round(max(width, 0.5 if points else 0.0), 2),
                negative=bool(negative),
            )
        )
    return bars


# --- The history plot -------------------------------------------------------------------

PLOT_W, PLOT_H = 480, 200
PAD_L, PAD_R, PAD_T, PAD_B = 36, 8, 10, 22


@dataclass(frozen=True)
class Mark:
    """Something that happened to the score, placed on the plot at its time."""

    at: datetime
    kind: str  # "model", "dispute", "correction", "resolution"
    text: str


@dataclass(frozen=True)
class PlacedMark:
    x: float
    kind: str
    text: str
    at: datetime


@dataclass(frozen=True)
class HistoryPlot:
    width: int
    height: int
    points: str  # the SVG polyline's points
    dots: list[tuple[float, float]]
    marks: list[PlacedMark]
    y_ticks: list[tuple[float, int]]  # (y, label)
    x_labels: list[tuple[float, str]]
    top: int
    bottom: int
    left: int
    right: int


def history_plot(points: list[tuple[datetime, Decimal]], marks: list[Mark]) -> HistoryPlot | None:
    """Lay out the score over time (oldest first) on a fixed 0-100 axis, with the marks as
    vertical lines. None without any point."""
    if not points:
        return None
    t0 = points[0][0].timestamp()
    t1 = points[-1][0].timestamp()
    for m in marks:
        t0, t1 = min(t0, m.at.timestamp()), max(t1, m.at.timestamp())
    span = (t1 - t0) or 1.0
    inner_w = PLOT_W - PAD_L - PAD_R
    inner_h = PLOT_H - PAD_T - PAD_B

    def x_of(when: datetime) -> float:
        if t1 == t0:
            return PAD_L + inner_w / 2
        return round(PAD_L + (when.timestamp() - t0) / span * inner_w, 1)

    def y_of(value: Decimal) -> float:
        return round(PAD_T + (1 - float(value) / 100) * inner_h, 1)

    xy = [(x_of(at), y_of(value)) for at, value in points]
    first = datetime.fromtimestamp(t0, tz=UTC)
    last = datetime.fromtimestamp(t1, tz=UTC)
    x_labels = [(float(PAD_L), date_format(first, "j M Y"))]
    if t1 != t0:
        x_labels.append((float(PLOT_W - PAD_R), date_format(last, "j M Y")))
    return HistoryPlot(
        width=PLOT_W,
        height=PLOT_H,
        points=" ".join(f"{x},{y}" for x, y in xy),
        dots=xy if len(xy) <= 60 else [xy[-1]],
        marks=[PlacedMark(x=x_of(m.at), kind=m.kind, text=m.text, at=m.at) for m in marks],
        y_ticks=[(y_of(Decimal(v)), v) for v in (0, 50, 100)],
        x_labels=x_labels,
        top=PAD_T,
        bottom=PLOT_H - PAD_B,
        left=PAD_L,
        right=PLOT_W - PAD_R,
    )


def model_version_marks(snapshots: list[tuple[datetime, str]]) -> list[Mark]:
    """A mark wherever the model version differs from the run before (oldest first)."""
    marks = []
    for (_, before), (at, version) in zip(snapshots, snapshots[1:], strict=False):
        if version != before:
            marks.append(Mark(at=at, kind="model", text=f"Model changed to {version}"))
    return marks
