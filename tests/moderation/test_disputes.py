"""Disputes: members object, moderators answer in the admin, and every answer is audited
and rescores the member."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from moderation.models import Dispute, DisputeStatus
from moderation.services.disputes import DisputeRefused, dispute_open, dispute_resolve
from profiles.models import AuditEntry, User
from scoring.models import GamingFlag, ScoringRun, ScoringState, Topic
from scoring.services.runs import score_members_now, scoring_dispatch
from tests.builders import imported

pytestmark = pytest.mark.django_db


def scored(member: User) -> User:
    imported(member, tags=["python"])
    score_members_now(user_ids=[member.pk])
    return member


def test_a_member_disputes_their_score_and_sees_it_waiting(client: Client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    page = client.get(reverse("dashboard"))
    assert reverse("disputes") in page.content.decode()

    response = client.post(
        reverse("disputes"), {"what": "score:", "reason": "My followers are real."}
    )

    assert response.status_code == 302
    dispute = Dispute.objects.get(user=alice)
    assert (dispute.subject, dispute.detail, dispute.status) == ("score", "", "open")
    listing = client.get(reverse("disputes")).content.decode()
    assert "My followers are real." in listing and "Waiting for a moderator" in listing


@pytest.mark.parametrize(
    ("what", "reason", "message"),
    [
        ("score:", "   ", "Say why you dispute it"),
        ("score:", "x" * 2001, "under 2,000 characters"),
        ("topic:knitting", "Never posted about it", "not one of yours"),
        ("flag:engagement_ring", "No ring here", "not on your account"),
        ("karma:", "Why not", "Choose what you dispute"),
    ],
)
def test_bad_disputes_are_refused_with_a_reason_and_store_nothing(
    client: Client, alice: User, what: str, reason: str, message: str
) -> None:
    client.force_login(alice)
    response = client.post(reverse("disputes"), {"what": what, "reason": reason})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Dispute.objects.exists()


def test_one_open_dispute_per_subject(alice: User) -> None:
    Topic.objects.create(user=alice, label="privacy")
    dispute_open(member=alice, subject="topic", detail="privacy", reason="Not me")
    with pytest.raises(DisputeRefused, match="already have an open dispute"):
        dispute_open(member=alice, subject="topic", detail="privacy", reason="Really not")
    dispute_open(member=alice, subject="score", reason="Too low")  # another subject is fine
    assert Dispute.objects.filter(user=alice).count() == 2


def test_a_moderator_answers_in_the_admin_audited_and_the_member_is_rescored(
    client: Client, alice: User, mod: User
) -> None:
    scored(alice)
    flag = GamingFlag.objects.create(
        user=alice,
        kind="engagement_ring",
        evidence={},
        discount=0.2,
        run_id=ScoringRun.objects.get().pk,
    )
    dispute = dispute_open(member=alice, subject="flag", detail=flag.kind, reason="Friends")
    ScoringState.objects.filter(user=alice).update(next_score_due=None)
    before = timezone.now()
    mod.is_superuser = True  # as `grant_staff --superuser` makes a moderator
    mod.save(update_fields=["is_superuser"])
    client.force_login(mod)
    url = reverse("admin:moderation_dispute_change", args=[dispute.pk])
    assert client.get(url).status_code == 200

    response = client.post(url, {"outcome": "upheld", "resolution": "A real group of friends."})

    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.UPHELD and dispute.resolved_by == mod
    entry = AuditEntry.objects.get(action="dispute.upheld")
    assert entry.subject == alice and entry.actor == mod
    assert entry.detail == {
        "dispute": dispute.pk,
        "subject": "flag",
        "detail": "engagement_ring",
        "reason": "A real group of friends.",
    }
    resolved_page = client.get(url)  # read-only from now on
    assert (
        resolved_page.status_code == 200
        and 'name="resolution"' not in resolved_page.content.decode()
    )
    assert client.get(reverse("admin:moderation_dispute_changelist")).status_code == 200
    # Rescoring: due now, and the dispatcher takes the member into a new run.
    state = ScoringState.objects.get(user=alice)
    assert state.next_score_due is not None and state.next_score_due >= before
    assert scoring_dispatch() == 1
    # The member reads the answer.
    client.force_login(alice)
    page = client.get(reverse("disputes")).content.decode()
    assert "A real group of friends." in page and "Upheld" in page


def test_an_answer_needs_words_and_comes_once(alice: User, mod: User, bob: User) -> None:
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    with pytest.raises(DisputeRefused, match="Write the resolution"):
        dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution=" ")
    with pytest.raises(DisputeRefused, match="Only moderators"):
        dispute_resolve(moderator=bob, dispute_id=dispute.pk, upheld=True, resolution="Yes")
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="It is right.")
    with pytest.raises(DisputeRefused, match="already resolved"):
        dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=True, resolution="Changed")
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.REJECTED
    assert AuditEntry.objects.filter(action__startswith="dispute.").count() == 1


def test_members_cannot_reach_the_moderation_queue(client: Client, alice: User) -> None:
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    client.force_login(alice)
    url = reverse("admin:moderation_dispute_change", args=[dispute.pk])
    response = client.post(url, {"outcome": "upheld", "resolution": "Self-service"})
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    dispute.refresh_from_db()
    assert dispute.status == DisputeStatus.OPEN


def test_an_answered_dispute_cannot_be_changed_in_the_admin(
    client: Client, alice: User, mod: User
) -> None:
    dispute = dispute_open(member=alice, subject="score", reason="Too low")
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="Right.")
    mod.is_superuser = True
    mod.save(update_fields=["is_superuser"])
    client.force_login(mod)
    url = reverse("admin:moderation_dispute_change", args=[dispute.pk])
    response = client.post(url, {"outcome": "upheld", "resolution": "Changed my mind"})
    assert response.status_code == 403
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution) == (DisputeStatus.REJECTED, "Right.")
    assert AuditEntry.objects.filter(action__startswith="dispute.").count() == 1
