from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from scoring.models import Engagement, Follow, Post, Score, ScoreSnapshot, ScoringState, Source
from scoring.services.imports import archive_import_create, archive_import_run
from scoring.services.scores import (
    MemberFeatures,
    compute_score,
    score_members,
    score_write,
    scoring_dispatch,
)
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


def imported(user: User) -> None:
    job = archive_import_create(
        user=user, upload=SimpleUploadedFile("a.jsonl", archive_text().encode()), name="a.jsonl"
    )
    archive_import_run(job_id=job.pk)


def test_components_add_up_to_the_score() -> None:
    for followers in (0, 10, 10_000, 10**9):
        result = compute_score(
            MemberFeatures(
                followers=followers,
                posts=7,
                distinct_engagers=followers // 3,
                distinct_resharers=followers // 9,
                window_start=None,
                window_end=None,
            )
        )
        assert sum(result.components.values()) == result.value
        assert Decimal(1) <= result.value <= Decimal(100)


def test_a_member_is_scored_after_an_import(alice: User) -> None:
    imported(alice)
    run = uuid.uuid4()
    assert score_members(user_ids=[alice.pk], run_id=run) == 1
    score = Score.objects.get(user=alice)
    assert sum(Decimal(v) for v in score.components.values()) == score.value
    assert score.value > 1
    assert ScoreSnapshot.objects.filter(user=alice, run_id=run).count() == 1


def test_scoring_never_happens_without_consent_even_when_asked_by_hand(
    bob: User, carol: User
) -> None:
    assert score_members(user_ids=[bob.pk, carol.pk], run_id=uuid.uuid4()) == 0
    assert not Score.objects.exists()


def test_the_write_re_checks_consent_under_the_lock(alice: User) -> None:
    result = compute_score(MemberFeatures(5, 1, 1, 0, None, None))
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert score_write(user_id=alice.pk, run_id=uuid.uuid4(), result=result) is False
    assert not Score.objects.exists()


def test_the_same_run_delivered_twice_keeps_one_score_and_one_snapshot(alice: User) -> None:
    imported(alice)
    run = uuid.uuid4()
    score_members(user_ids=[alice.pk], run_id=run)
    score_members(user_ids=[alice.pk], run_id=run)
    assert Score.objects.filter(user=alice).count() == 1
    assert ScoreSnapshot.objects.filter(user=alice).count() == 1


def test_withdrawing_scoring_deletes_scores_and_signals_at_once(alice: User) -> None:
    imported(alice)
    score_members(user_ids=[alice.pk], run_id=uuid.uuid4())
    assert Score.objects.filter(user=alice).exists()

    consent_withdraw(user=alice, purpose=Purpose.SCORING)

    for model in (Score, ScoreSnapshot, Post, Engagement, Follow, ScoringState):
        assert not model.objects.filter(user=alice).exists(), model
    assert not Source.objects.filter(user=alice).exists()


def test_the_dispatcher_claims_only_due_members_with_consent(
    alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    consent_give(user=bob, purpose=Purpose.SCORING)
    consent_withdraw(user=bob, purpose=Purpose.SCORING)
    ScoringState.objects.create(user=bob)  # stale row without consent
    imported(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert scoring_dispatch() == 1
        assert scoring_dispatch() == 0  # already claimed
    assert len(callbacks) == 1
