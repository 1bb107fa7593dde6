"""The member endpoints that call the pages' services: deleting the score history, the
activity statement and components, topic deletes and blocks with the sensitive-topic
confirmation, the dispute limit and freezes, notifications, and the public-profile
settings. Each refusal is a problem of its own kind and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from profiles.models import AuditAction, AuditEntry, Notification, User
from tests.profiles.conftest import give_score

pytestmark = pytest.mark.django_db


def api_for(member: User) -> APIClient:
    api = APIClient()
    api.force_authenticate(member)
    return api


def problem_kind(response: Any) -> str:
    assert response["Content-Type"] == "application/problem+json", response.content
    return str(response.json()["type"]).rsplit("/", 1)[1]


def test_deleting_the_score_history_deletes_it_all_and_is_audited(alice: User) -> None:
    from scoring.models import GamingFlag, Score, ScoreSnapshot

    score = give_score(alice)
    GamingFlag.objects.create(
        user=alice, kind="follower_burst", evidence={}, discount=0.1, run_id=score.run_id
    )
    api = api_for(alice)
    deleted = api.delete("/api/v1/me/score")
    assert deleted.status_code == 200
    assert deleted.json() | {"next_due": None} == {"snapshots": 1, "flags": 1, "next_due": None}
    assert not Score.objects.filter(user=alice).exists()
    assert not ScoreSnapshot.objects.filter(user=alice).exists()
    assert not GamingFlag.objects.filter(user=alice).exists()
    assert AuditEntry.objects.filter(action=AuditAction.SCORE_DELETED).count() == 1
    assert api.get("/api/v1/me/score").status_code == 404
    assert api.get("/api/v1/me/score/statement").status_code == 404


def test_the_statement_and_components_explain_the_score(alice: User) -> None:
    give_score(alice)
    api = api_for(alice)
    components = api.get("/api/v1/me/score/components").json()
    points = sum(float(c["points"]) for c in components["components"])
    assert points == pytest.approx(float(components["value"]))
    assert all(c["explanation"] for c in components["components"] if c["key"] != "base")
    statement = api.get("/api/v1/me/score/statement")
    assert statement.status_code == 200
    body = statement.json()
    assert [p["key"] for p in body["parts"]] == [c["key"] for c in components["components"]]
    reach = next(p for p in body["parts"] if p["key"] == "reach")
    assert reach["lines"] and reach["lines"][0]["what"] == "followers"
    # Counterparts are counts, never names or handles (invariant 3).
    assert "@other.social" not in statement.content.decode()
    assert "@x.social" not in statement.content.decode()


def test_a_sensitive_topic_needs_the_explicit_confirmation_field(alice: User) -> None:
    from scoring.models import Topic

    api = api_for(alice)
    refused = api.post("/api/v1/me/topics", {"label": "diabetes"}, format="json")
    assert refused.status_code == 422
    assert problem_kind(refused) == "sensitive-topic-unconfirmed"
    problem = refused.json()
    assert problem["label"] == "diabetes" and problem["category"] == "health"
    assert problem["confirm_field"] == "confirm_sensitive" and "GDPR" in problem["detail"]
    assert not Topic.objects.filter(user=alice).exists()
    added = api.post(
        "/api/v1/me/topics", {"label": "diabetes", "confirm_sensitive": True}, format="json"
    )
    assert added.status_code == 201 and added.json()["sensitive_category"] == "health"

    suggested = Topic.objects.create(user=alice, label="religion")
    url = f"/api/v1/me/topics/{suggested.pk}/approve"
    assert problem_kind(api.post(url)) == "sensitive-topic-unconfirmed"
    suggested.refresh_from_db()
    assert suggested.status == "suggested"
    approved = api.post(url, {"confirm_sensitive": True}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    # Other refusals keep their own kind.
    again = api.post("/api/v1/me/topics", {"label": "python"}, format="json")
    assert again.status_code == 201
    duplicate = api.post("/api/v1/me/topics", {"label": "python"}, format="json")
    assert problem_kind(duplicate) == "topic-refused"


def test_topics_are_deleted_blocked_and_unblocked_by_their_member_only(
    alice: User, mallory: User
) -> None:
    from scoring.models import Topic, TopicBlock

    doomed = Topic.objects.create(user=alice, label="privacy")
    unwanted = Topic.objects.create(user=alice, label="crypto")
    api = api_for(alice)
    assert api_for(mallory).delete(f"/api/v1/me/topics/{doomed.pk}").status_code == 404
    deleted = api.delete(f"/api/v1/me/topics/{doomed.pk}")
    assert deleted.status_code == 200 and deleted.json() == {"label": "privacy"}
    assert not Topic.objects.filter(pk=doomed.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.TOPIC_DELETED).count() == 1

    assert api.post(f"/api/v1/me/topics/{unwanted.pk}/block").json()["status"] == "blocked"
    blocks = api.get("/api/v1/me/topics/blocks").json()["results"]
    assert [b["label"] for b in blocks] == ["crypto"]
    block_url = f"/api/v1/me/topics/blocks/{blocks[0]['id']}"
    assert api_for(mallory).delete(block_url).status_code == 404
    assert TopicBlock.objects.filter(user=alice).count() == 1
    lifted = api.delete(block_url)
    assert lifted.status_code == 200 and lifted.json() == {"label": "crypto"}
    assert not TopicBlock.objects.filter(user=alice).exists()
    assert not Topic.objects.filter(user=alice, label="crypto").exists()
    assert api.delete(block_url).status_code == 404


def test_the_fourth_open_dispute_is_a_dispute_limit_problem(alice: User) -> None:
    from moderation.models import Dispute
    from scoring.models import GamingFlag, Topic

    score = give_score(alice)
    Topic.objects.create(user=alice, label="privacy", status="approved")
    Topic.objects.create(user=alice, label="python", status="approved")
    GamingFlag.objects.create(
        user=alice, kind="follower_burst", evidence={}, discount=0.1, run_id=score.run_id
    )
    api = api_for(alice)
    for body in [
        {"subject": "score", "reason": "Too low"},
        {"subject": "topic", "detail": "privacy", "reason": "Not me"},
        {"subject": "flag", "detail": "follower_burst", "reason": "Real followers"},
    ]:
        assert api.post("/api/v1/me/disputes", body, format="json").status_code == 201
    fourth = api.post(
        "/api/v1/me/disputes",
        {"subject": "topic", "detail": "python", "reason": "Not me either"},
        format="json",
    )
    assert fourth.status_code == 422 and problem_kind(fourth) == "dispute-limit"
    assert fourth.json()["open_disputes"] == 3 and fourth.json()["max_open_disputes"] == 3
    assert Dispute.objects.filter(user=alice).count() == 3
    # The freezes are shown where the member reads the score, topics and disputes.
    assert api.get("/api/v1/me/score").json()["frozen_since"] is not None
    topics = {t["label"]: t for t in api.get("/api/v1/me/topics").json()["results"]}
    assert topics["privacy"]["disputed_since"] is not None
    assert topics["python"]["disputed_since"] is None
    restrictions = {
        d["subject"]: d["restriction"] for d in api.get("/api/v1/me/disputes").json()["results"]
    }
    assert "frozen" in restrictions["score"] and "hidden" in restrictions["topic"]
    assert restrictions["flag"] is None


def test_notifications_are_listed_by_cursor_and_marked_read(alice: User, mallory: User) -> None:
    from profiles.services.notifications import notification_send

    Notification.objects.filter(user=alice).delete()  # the sign-up receipts' notice
    notes = [
        notification_send(user_id=alice.pk, kind="score_first", title=f"Note {n}") for n in range(3)
    ]
    theirs = notification_send(user_id=mallory.pk, kind="score_first", title="Mallory's")
    api = api_for(alice)
    first = api.get("/api/v1/me/notifications?page_size=2").json()
    assert [n["title"] for n in first["results"]] == ["Note 2", "Note 1"]
    second = api.get(first["next"]).json()
    assert [n["title"] for n in second["results"]] == ["Note 0"]

    assert api.post(f"/api/v1/me/notifications/{theirs.pk}/read").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    one = api.post(f"/api/v1/me/notifications/{notes[0].pk}/read")
    assert one.json() == {"marked": 1, "unread": 2}
    unread = api.get("/api/v1/me/notifications?unread=true").json()["results"]
    assert {n["title"] for n in unread} == {"Note 1", "Note 2"}
    for bad in ("unread=null", "unread=true&unread=true", "unread=1"):
        refused = api.get(f"/api/v1/me/notifications?{bad}")
        assert refused.status_code == 400 and "unread" in str(refused.json()), bad
    assert api.post("/api/v1/me/notifications/read").json() == {"marked": 2, "unread": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_email_choices_are_read_and_replaced_and_unknown_kinds_refused(alice: User) -> None:
    api = api_for(alice)
    before = api.get("/api/v1/me/notifications/email").json()
    assert before["kinds"] == [] and all(not c["email"] for c in before["choices"])
    chosen = api.put(
        "/api/v1/me/notifications/email",
        {"kinds": ["dispute_answered", "export_ready"]},
        format="json",
    )
    assert chosen.status_code == 200
    assert chosen.json()["kinds"] == ["dispute_answered", "export_ready"]
    refused = api.put(
        "/api/v1/me/notifications/email", {"kinds": ["export_ready", "spam"]}, format="json"
    )
    assert refused.status_code == 400 and problem_kind(refused) == "validation"
    assert refused.json()["errors"][0]["field"].startswith("kinds")
    after = api.get("/api/v1/me/notifications/email").json()
    assert after["kinds"] == ["dispute_answered", "export_ready"]


def test_the_profile_follows_the_handle_rules_and_refuses_as_a_whole(
    alice: User, mallory: User
) -> None:
    from allauth.socialaccount.models import SocialAccount

    own = SocialAccount.objects.create(user=alice, provider="github", uid="1")
    foreign = SocialAccount.objects.create(user=mallory, provider="github", uid="2")
    api = api_for(alice)
    assert api.get("/api/v1/me/profile").json()["handle"] is None
    saved = api.patch(
        "/api/v1/me/profile",
        {"handle": "@Alice_1", "bio": "Privacy engineer", "shown_accounts": [own.pk]},
        format="json",
    )
    assert saved.status_code == 200, saved.content
    body = saved.json()
    assert body["handle"] == "alice_1" and body["bio"] == "Privacy engineer"
    assert body["shown_accounts"] == [own.pk] and body["accounts"][0]["shown"] is True

    reserved = api.patch("/api/v1/me/profile", {"handle": "admin"}, format="json")
    assert reserved.status_code == 422 and problem_kind(reserved) == "profile-refused"
    assert "reserved" in reserved.json()["detail"]
    # A valid handle with an account that is not hers: nothing at all is changed.
    mixed = api.patch(
        "/api/v1/me/profile",
        {"handle": "alice_2", "display_name": "Alice", "shown_accounts": [foreign.pk]},
        format="json",
    )
    assert mixed.status_code == 422 and problem_kind(mixed) == "profile-refused"
    alice.refresh_from_db()
    assert (alice.handle, alice.display_name) == ("alice_1", "")
    taken = APIClient()
    taken.force_authenticate(mallory)
    clash = taken.patch("/api/v1/me/profile", {"handle": "alice_1"}, format="json")
    assert clash.status_code == 422 and "taken" in clash.json()["detail"]
    too_long = api.patch("/api/v1/me/profile", {"bio": "x" * 161}, format="json")
    assert too_long.status_code == 400 and problem_kind(too_long) == "validation"


def test_a_form_or_multipart_body_is_refused_as_unsupported_and_changes_nothing(
    alice: User,
) -> None:
    """Found by the fuzzer: `confirm_sensitive=0` as a multipart field was coerced to a
    boolean and the block stored. The API takes JSON only, so such a body is a 415."""
    from scoring.models import Topic, TopicBlock, TopicStatus

    topic = Topic.objects.create(user=alice, label="privacy")
    api = api_for(alice)
    url = f"/api/v1/me/topics/{topic.pk}/block"
    for body_format in ("multipart",):
        response = api.post(url, {"confirm_sensitive": "0"}, format=body_format)
        assert response.status_code == 415, response.content
        assert problem_kind(response)
    response = api.post(
        url, "confirm_sensitive=0", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415, response.content
    assert not TopicBlock.objects.filter(user=alice).exists()
    assert Topic.objects.get(pk=topic.pk).status != TopicStatus.BLOCKED

    # The same request as JSON, with a real boolean, is what the schema describes.
    assert api.post(url, {"confirm_sensitive": False}).json()["status"] == "blocked"


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/me/tokens", {"name": 5, "scope": "read"}, "name"),
        (
            "/api/v1/me/tokens",
            {"name": "cli", "scope": "read", "expires_in_days": "7"},
            "expires_in_days",
        ),
        (
            "/api/v1/me/tokens",
            {"name": "cli", "scope": "read", "expires_in_days": True},
            "expires_in_days",
        ),
        ("/api/v1/me/topics", {"label": "privacy", "confirm_sensitive": "0"}, "confirm_sensitive"),
        ("/api/v1/me/topics", {"label": 12}, "label"),
        ("/api/v1/me/disputes", {"subject": "score", "reason": 404}, "reason"),
    ],
)
def test_a_value_of_another_json_type_is_a_validation_error_naming_the_field(
    alice: User, url: str, body: dict[str, Any], field: str
) -> None:
    """Found by the fuzzer: a number where the schema says string was stored as its text.
    Now each such body is a 400 that names the field, and nothing is stored."""
    from moderation.models import Dispute
    from profiles.models import PersonalAccessToken
    from scoring.models import Topic

    response = api_for(alice).post(url, body)
    assert response.status_code == 400, response.content
    assert problem_kind(response) == "validation"
    assert [e["field"] for e in response.json()["errors"]] == [field]
    assert not PersonalAccessToken.objects.filter(user=alice).exists()
    assert not Topic.objects.filter(user=alice).exists()
    assert not Dispute.objects.filter(user=alice).exists()
