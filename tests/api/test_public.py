"""The public reads: a member's profile and badge, and the directory. They answer exactly
when the site's pages do (consent and a verified address), and are the same 404 else."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from rest_framework.test import APIClient

from influence.cache import cache_clear_own_keys
from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from profiles.services.handles import handle_set
from tests.profiles.conftest import give_score

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache_clear_own_keys()


def test_a_public_profile_answers_only_under_consent_and_a_verified_address(
    alice: User,
) -> None:
    from scoring.models import Topic

    give_score(alice)
    handle_set(member=alice, handle="alice")
    Topic.objects.create(user=alice, label="python", status="approved")
    Topic.objects.create(user=alice, label="secret", status="suggested")
    api = APIClient()
    page = api.get("/api/v1/profiles/alice")
    assert page.status_code == 200
    body = page.json()
    assert body["handle"] == "alice" and body["topics"] == ["python"]
    assert body["score"]["value"] == "42.50" and body["badge"].endswith("/@alice/badge.svg")
    badge = api.get("/api/v1/profiles/alice/badge.svg", HTTP_ACCEPT="image/svg+xml")
    assert badge.status_code == 200 and badge["Content-Type"].startswith("image/svg+xml")
    assert "42.5" in badge.content.decode()

    consent_withdraw(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    for url in ["/api/v1/profiles/alice", "/api/v1/profiles/alice/badge.svg"]:
        gone = api.get(url)
        assert gone.status_code == 404, url
        assert gone["Content-Type"] == "application/problem+json"
    consent_give(user=alice, purpose=Purpose.PUBLIC_PROFILE)
    assert api.get("/api/v1/profiles/alice").status_code == 200
    EmailAddress.objects.filter(user=alice).update(verified=False)
    cache_clear_own_keys()
    assert api.get("/api/v1/profiles/alice").status_code == 404
    assert api.get("/api/v1/profiles/alice/badge.svg").status_code == 404
    assert api.get("/api/v1/profiles/nobody").status_code == 404


def test_a_disputed_score_is_hidden_from_the_public_profile(alice: User) -> None:
    from moderation.services.disputes import dispute_open

    give_score(alice)
    handle_set(member=alice, handle="alice")
    api = APIClient()
    assert api.get("/api/v1/profiles/alice").json()["score"] is not None
    dispute_open(member=alice, subject="score", reason="Too low")
    assert api.get("/api/v1/profiles/alice").json()["score"] is None
    assert "no score yet" in api.get("/api/v1/profiles/alice/badge.svg").content.decode()


def test_the_directory_lists_only_discovery_consent_and_pages_by_cursor(
    alice: User, mallory: User, bob: User
) -> None:
    from scoring.models import Topic

    for member, handle in [(alice, "alice"), (mallory, "mallory"), (bob, "bob")]:
        handle_set(member=member, handle=handle)
    consent_give(user=mallory, purpose=Purpose.DISCOVERY)  # bob never gives discovery
    Topic.objects.create(user=alice, label="python", status="approved", score=0.9)
    Topic.objects.create(user=mallory, label="python", status="approved", score=0.5)
    Topic.objects.create(user=bob, label="python", status="approved", score=1.0)
    api = APIClient()

    everyone = api.get("/api/v1/directory").json()["results"]
    assert [m["handle"] for m in everyone] == ["alice", "mallory"]
    assert everyone[0]["profile"].endswith("/api/v1/profiles/alice")
    assert everyone[1]["profile"] is None  # mallory has no public page
    first = api.get("/api/v1/directory", {"q": "#Python", "page_size": "1"}).json()
    assert [m["handle"] for m in first["results"]] == ["alice"]  # best topic score first
    second = api.get(first["next"]).json()
    assert [m["handle"] for m in second["results"]] == ["mallory"] and second["next"] is None
    assert [m["handle"] for m in api.get("/api/v1/directory?topic=python").json()["results"]] == [
        "alice",
        "mallory",
    ]
    assert [m["handle"] for m in api.get("/api/v1/directory?q=@mal").json()["results"]] == [
        "mallory"
    ]
    assert api.get("/api/v1/directory?q=@bob").json()["results"] == []
    consent_withdraw(user=alice, purpose=Purpose.DISCOVERY)
    assert [m["handle"] for m in api.get("/api/v1/directory").json()["results"]] == ["mallory"]
