"""The pure layout of bars and the history plot."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from scoring.explain import Mark, component_bars, history_plot, model_version_marks


def test_bars_share_one_zero_line_and_a_penalty_points_left() -> None:
    bars = component_bars(
        [("reach", "Reach", Decimal("30")), ("penalties", "Penalties", Decimal("-10"))]
    )
    reach, penalties = bars
    assert reach.x == 25.0 and reach.width == 75.0 and not reach.negative
    assert penalties.negative and penalties.x + penalties.width == reach.x
    assert component_bars([]) == []


def test_the_plot_puts_old_left_high_up_and_marks_in_time() -> None:
    now = timezone.now()
    points = [(now - timedelta(days=10), Decimal("10")), (now, Decimal("90"))]
    plot = history_plot(points, [Mark(at=now - timedelta(days=5), kind="dispute", text="x")])
    assert plot is not None
    (x0, y0), (x1, y1) = plot.dots
    assert x0 < plot.marks[0].x < x1
    assert y1 < y0  # a higher score is drawn higher up
    assert plot.points == f"{x0},{y0} {x1},{y1}"
    assert history_plot([], []) is None
    single = history_plot([(now, Decimal("50"))], [])
    assert single is not None and len(single.dots) == 1


def test_a_model_change_is_marked_where_the_version_differs() -> None:
    now = timezone.now()
    runs = [(now - timedelta(days=2), "a"), (now - timedelta(days=1), "a"), (now, "b")]
    marks = model_version_marks(runs)
    assert [(m.at, m.text) for m in marks] == [(now, "Model changed to b")]
