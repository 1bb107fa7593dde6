from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import DatabaseError

from moderation.models import DeniedTopic
from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from scoring.model import MODEL_VERSION
from scoring.models import (
    GamingFlag,
    RunStatus,
    Score,
    ScoreSnapshot,
    ScoringRun,
    ScoringState,
    SeedBasis,
    Topic,
    TopicStatus,
)
from scoring.services.runs import (
    run_prepare,
    score_members,
    score_members_now,
    scoring_dispatch,
)
from signals.models import Engagement, Follow, Post, Source
from tests.builders import imported

pytestmark = pytest.mark.django_db


def test_a_member_is_scored_after_an_import_with_components_that_add_up(alice: User) -> None:
    job = imported(alice)
    assert score_members_now(user_ids=[alice.pk]) == 1

    score = Score.objects.get(user=alice)
    assert set(score.components) == {"reach", "engagement", "amplification", "network", "penalties"}
    assert sum(Decimal(v) for v in score.components.values()) == score.value
    assert Decimal(1) <= score.value <= Decimal(100)
    assert score.model_version == MODEL_VERSION
    assert score.window_start is not None and score.window_end is not None
    assert ScoreSnapshot.objects.filter(user=alice, run_id=score.run_id).count() == 1
    job.refresh_from_db()
    assert job.status == "done"


def test_a_run_says_what_seeded_trust_and_cleans_up_after_itself(alice: User) -> None:
    imported(alice)
    score_members_now(user_ids=[alice.pk])
    run = ScoringRun.objects.get()
    assert run.status == RunStatus.DONE
    assert run.seed_basis == SeedBasis.MEMBERS  # an archive alone is never verified
    assert run.artefacts.count() == 0
    assert ScoringState.objects.get(user=alice).claimed_run is None


def test_scoring_never_happens_without_consent_even_when_asked_by_hand(
    bob: User, carol: User
) -> None:
    assert score_members_now(user_ids=[bob.pk, carol.pk]) == 0
    assert not Score.objects.exists()


def test_a_batch_skips_a_member_who_withdrew_after_the_run_was_prepared(
    alice: User, mallory: User
) -> None:
    imported(alice)
    imported(mallory)
    for user in (alice, mallory):
        ScoringState.objects.update_or_create(user=user, defaults={"next_score_due": None})
    from scoring.services.runs import scoring_schedule_now

    scoring_schedule_now(user_id=alice.pk)
    scoring_schedule_now(user_id=mallory.pk)
    assert scoring_dispatch() == 2
    run = ScoringRun.objects.get()
    batches = run_prepare(run_id=run.pk, enqueue=False)
    consent_withdraw(user=mallory, purpose=Purpose.SCORING)
    assert score_members(user_ids=batches[0], run_id=run.pk) == 1
    assert Score.objects.filter(user=alice).exists()
    assert not Score.objects.filter(user=mallory).exists()


def test_the_same_batch_delivered_twice_keeps_one_score_and_one_snapshot(alice: User) -> None:
    imported(alice)
    from scoring.services.runs import scoring_schedule_now

    scoring_schedule_now(user_id=alice.pk)
    scoring_dispatch()
    run = ScoringRun.objects.get()
    (batch,) = run_prepare(run_id=run.pk, enqueue=False)
    assert score_members(user_ids=batch, run_id=run.pk) == 1
    assert score_members(user_ids=batch, run_id=run.pk) == 0  # the run is done
    assert Score.objects.filter(user=alice).count() == 1
    assert ScoreSnapshot.objects.filter(user=alice).count() == 1


def test_withdrawing_scoring_deletes_scores_topics_flags_and_signals_at_once(
    alice: User,
) -> None:
    imported(alice)
    score_members_now(user_ids=[alice.pk])
    GamingFlag.objects.create(
        user=alice, kind="follower_burst", evidence={"x": 1.0}, discount=0.5, run_id=uuid.uuid4()
    )
    assert Score.objects.filter(user=alice).exists()
    assert Topic.objects.filter(user=alice).exists()

    consent_withdraw(user=alice, purpose=Purpose.SCORING)

    for model in (Score, ScoreSnapshot, Topic, GamingFlag, Post, Engagement, Follow, ScoringState):
        assert not model.objects.filter(user=alice).exists(), model
    assert not Source.objects.filter(user=alice).exists()


def test_topics_come_from_the_members_own_posts_and_wait_for_approval(alice: User) -> None:
    imported(alice)
    score_members_now(user_ids=[alice.pk])
    topics = {t.label: t for t in Topic.objects.filter(user=alice)}
    assert {"privacy", "python"} <= set(topics)
    assert all(t.status == TopicStatus.SUGGESTED for t in topics.values())


def test_a_sensitive_or_denied_topic_is_never_suggested(alice: User) -> None:
    DeniedTopic.objects.create(label="python", reason="test")
    imported(alice, tags=["privacy", "python", "religion"])
    score_members_now(user_ids=[alice.pk])
    labels = set(Topic.objects.filter(user=alice).values_list("label", flat=True))
    assert "privacy" in labels
    assert "python" not in labels
    assert "religion" not in labels


def test_a_members_topic_choice_survives_rescoring(alice: User) -> None:
    imported(alice)
    score_members_now(user_ids=[alice.pk])
    Topic.objects.filter(user=alice, label="python").update(status=TopicStatus.BLOCKED)
    Topic.objects.filter(user=alice, label="privacy").update(status=TopicStatus.APPROVED)
    score_members_now(user_ids=[alice.pk])
    assert Topic.objects.get(user=alice, label="python").status == TopicStatus.BLOCKED
    assert Topic.objects.get(user=alice, label="privacy").status == TopicStatus.APPROVED


def test_the_dispatcher_claims_only_due_members_with_consent_once(
    alice: User, bob: User, django_capture_on_commit_callbacks
) -> None:
    consent_give(user=bob, purpose=Purpose.SCORING)
    consent_withdraw(user=bob, purpose=Purpose.SCORING)
    ScoringState.objects.create(user=bob)
    imported(alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert scoring_dispatch() == 1
        assert scoring_dispatch() == 0  # already claimed
    assert len(callbacks) == 1


def test_a_new_model_version_makes_every_scored_member_due(alice: User) -> None:
    from datetime import timedelta

    from django.utils import timezone

    imported(alice)
    score_members_now(user_ids=[alice.pk])
    state = ScoringState.objects.get(user=alice)
    assert state.next_score_due is not None
    assert state.next_score_due > timezone.now() + timedelta(hours=1)
    Score.objects.filter(user=alice).update(model_version="an-older-model")
    assert scoring_dispatch() == 1


def test_withdrawing_scoring_deletes_connector_tokens(alice: User) -> None:
    from allauth.socialaccount.models import SocialAccount, SocialToken

    account = SocialAccount.objects.create(user=alice, provider="github", uid="7")
    SocialToken.objects.create(account=account, token="gho_x")
    Source.objects.create(
        user=alice, kind="github", network="github", handle="alice", handle_hash=7,
        verified=True, social_account=account,
    )  # fmt: skip
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert not SocialToken.objects.exists()
    assert not Source.objects.exists()


def test_a_failed_preparation_gives_its_members_back_for_the_next_run(alice: User) -> None:
    from django.db import connection

    from scoring.services.runs import scoring_schedule_now

    imported(alice)
    scoring_schedule_now(user_id=alice.pk)
    assert scoring_dispatch() == 1
    run = ScoringRun.objects.get()
    # A real failure: the database refuses to store the run's artefacts (as a full disk
    # would), so preparation fails after computing trust.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'could not extend file'; END $$"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON scoring_runartefact "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON scoring_runartefact "
                "BEGIN SELECT RAISE(ABORT, 'could not extend file'); END"
            )

    with pytest.raises(DatabaseError, match="could not extend file"):
        run_prepare(run_id=run.pk, enqueue=False)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert not run.artefacts.exists()
    assert ScoringState.objects.get(user=alice).claimed_run is None
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse ON scoring_runartefact" if connection.vendor ==
                       "postgresql" else "DROP TRIGGER refuse")  # fmt: skip
    assert scoring_dispatch() == 1  # taken again at once
