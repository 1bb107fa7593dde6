"""The evaluation harness and its command, on a small population."""

from __future__ import annotations

import io

import numpy as np

from benchmarks import synthetic as syn
from benchmarks.evaluation import auc, pagerank
from scoring.management.commands.evaluate_scoring import Command


def test_auc_ranks_and_ties() -> None:
    assert auc(np.array([2.0, 3.0]), np.array([0.0, 1.0])) == 1.0
    assert auc(np.array([0.0]), np.array([1.0])) == 0.0
    assert auc(np.array([1.0]), np.array([1.0])) == 0.5


def test_pagerank_is_scaled_to_mean_one() -> None:
    pop = syn.generate(500, seed=3)
    pr = pagerank(pop)
    assert abs(pr.mean() - 1.0) < 1e-6


def test_the_command_prints_every_figure() -> None:
    out, err = io.StringIO(), io.StringIO()
    Command(stdout=out, stderr=err).handle(accounts=1_500, seed=3)
    text = out.getvalue()
    for expected in (
        "Spearman",
        "10,000 bought followers",
        "ring of 50 new accounts",
        "farm, 100 attack edges",
        "AUC",
        "Goals:",
        "followers only",
        "plain PageRank",
    ):
        assert expected in text
    assert "generating 1500 accounts" in err.getvalue()
