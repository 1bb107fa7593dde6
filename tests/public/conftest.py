"""Builders for the public-profile tests: alice with a handle, a profile and a score."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from allauth.socialaccount.models import SocialAccount

from profiles.models import User
from profiles.services.handles import handle_set, profile_update
from scoring.models import Score, ScoreSnapshot, Topic, TopicStatus
from signals.models import Source, SourceKind


def score_for(user: User, value: str = "42.50") -> Score:
    run_id = uuid.uuid4()
    components = {"base": "1.00", "reach": "20.00", "engagement": str(Decimal(value) - 21)}
    ScoreSnapshot.objects.create(
        user=user, run_id=run_id, value=Decimal(value), components=components,
        model_version="test",
    )  # fmt: skip
    return Score.objects.create(
        user=user, value=Decimal(value), components=components, confidence=0.5,
        model_version="test", run_id=run_id,
    )  # fmt: skip


def verified_source(user: User, n: int = 1) -> Source:
    return Source.objects.create(
        user=user, kind=SourceKind.GITHUB, network="github", handle=f"{user.pk}-gh{n}",
        handle_hash=user.pk * 1000 + n, verified=True,
    )  # fmt: skip


@pytest.fixture
def public_alice(alice: User) -> User:
    """alice with handle @alice_q, a display name, a bio, one linked and one unlinked
    verified account, a score from a verified source, and topics in every status."""
    handle_set(member=alice, handle="alice_q")
    shown = SocialAccount.objects.create(
        user=alice, provider="github", uid="1001",
        extra_data={"login": "alicegh", "html_url": "https://github.com/alicegh"},
    )  # fmt: skip
    SocialAccount.objects.create(
        user=alice, provider="mastodon", uid="2002",
        extra_data={"url": "https://example.social/@hiddenalice", "handle": "hiddenalice"},
    )  # fmt: skip
    profile_update(
        member=alice,
        display_name="Alice Quuxley",
        bio="Writes about privacy engineering.",
        shown_account_ids=[shown.pk],
    )
    score_for(alice)
    verified_source(alice)
    Topic.objects.create(user=alice, label="privacy", status=TopicStatus.APPROVED, score=30)
    Topic.objects.create(user=alice, label="health", status=TopicStatus.SUGGESTED)
    Topic.objects.create(user=alice, label="gossipqux", status=TopicStatus.REJECTED)
    Topic.objects.create(user=alice, label="blockedqux", status=TopicStatus.BLOCKED)
    alice.refresh_from_db()
    return alice
