"""The evaluation harness and its command, on a small population."""

from __future__ import annotations

import io

import numpy as np
from django.core.management import call_command

from benchmarks import synthetic as syn
from benchmarks.evaluation import accounts_for, auc, matrix, matrix_text, pagerank
from scoring.model.types import Kind


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
    call_command("evaluate_scoring", accounts=1_500, seed=3, stdout=out, stderr=err)
    text = out.getvalue()
    for expected in (
        "Spearman",
        "10,000 bought followers",
        "10,000 bought followers, 1 like each",
        "10,000 bought likes alone",
        "10,000 bought, liking 5 other members",
        "ring of 50 new accounts",
        "farm, 100 attack edges",
        "AUC",
        "Goals:",
        "followers only",
        "plain PageRank",
    ):
        assert expected in text
    assert "generating 1500 accounts" in err.getvalue()


def test_bought_followers_can_like_once_each_and_bought_likes_follow_nobody() -> None:
    pop = syn.generate(500, seed=3)
    target = int(pop.honest_members()[0])
    liked, fakes = syn.buy_followers(pop, target, 50, days=90, likes=1)
    new_eng = np.isin(liked.eng_src, fakes)
    assert new_eng.sum() == 50 and set(liked.eng_dst[new_eng]) == {target}
    assert (liked.eng_count[new_eng] == 1).all()
    assert np.isin(liked.follow_src, fakes).sum() == 50
    only_likes, fakes = syn.buy_likes(pop, target, 50)
    assert np.isin(only_likes.follow_src, fakes).sum() == 0
    assert np.isin(only_likes.eng_src, fakes).sum() == 50


def test_bought_accounts_can_spread_their_likes_over_other_members() -> None:
    pop = syn.generate(500, seed=3)
    target = int(pop.honest_members()[0])
    spread, fakes = syn.buy_spread(pop, target, 40, others=5)
    follows = np.isin(spread.follow_src, fakes)
    assert follows.sum() == 40 and set(spread.follow_dst[follows]) == {target}
    new_eng = np.isin(spread.eng_src, fakes)
    assert new_eng.sum() == 40 * 6
    assert (spread.eng_kind[new_eng] == Kind.LIKE).all() and (spread.eng_count[new_eng] == 1).all()
    liked = spread.eng_dst[new_eng]
    assert spread.member[liked].all()
    # Each bought account likes the target once and five distinct other members.
    for fake in fakes[:10]:
        mine = liked[spread.eng_src[new_eng] == fake]
        assert (mine == target).sum() == 1 and len(set(mine.tolist()) - {target}) == 5


def test_cold_start_leaves_nobody_verified() -> None:
    pop = syn.generate(500, seed=3)
    assert pop.verified.any()
    assert not syn.cold_start(pop).verified.any()


def test_a_small_platform_gets_enough_accounts_for_its_members() -> None:
    assert accounts_for(0.01, 10_000) == 30_000
    assert accounts_for(0.7, 10_000) == 10_000


def test_the_matrix_reports_every_seed_and_the_worst_value_of_every_goal() -> None:
    reports = matrix(rates=(0.25,), seeds=(1, 2), accounts=1_500)
    assert [(r.member_share, r.seed) for r in reports] == [(0.25, 1), (0.25, 2)]
    text = matrix_text(reports)
    assert "membership 25%" in text
    spearman_rows = [line for line in text.splitlines() if line.strip().startswith(("1 ", "2 "))]
    assert len(spearman_rows) == 2
    worst = max(r.spearman_model for r in reports), min(r.spearman_model for r in reports)
    assert f"{worst[1]:.3f}" in text.split("Spearman, honest members")[1].splitlines()[0]
    assert "farm, 100 attack edges" in text and ">= 0.9" in text
