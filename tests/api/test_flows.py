"""Flows through the API: idempotent upload, third-party access under consent, tokens."""

from __future__ import annotations

import gzip

import pytest
from django.test import Client
from rest_framework.test import APIClient

from profiles.models import PersonalAccessToken, User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from signals.models import ImportJob, ImportStatus
from tests.api_helpers import bearer, oauth_token_for, personal_token
from tests.samples import archive_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(api: APIClient, body: bytes, key: str, content_type: str = "application/x-ndjson"):
    return api.generic(
        "POST",
        "/api/v1/me/imports",
        body,  # type: ignore[arg-type]
        content_type=content_type,
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_the_same_key_twice_gives_one_import(alice: User) -> None:
    api = APIClient(**bearer(personal_token(alice)))
    api.credentials(**bearer(personal_token(alice)))
    body = archive_text(handle="alice@example.social").encode()
    first = upload(api, body, "key-1")
    again = upload(api, body, "key-1")
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json()["id"] == again.json()["id"]
    assert ImportJob.objects.filter(user=alice).count() == 1


def test_the_same_key_with_another_body_is_422_and_stores_nothing(alice: User) -> None:
    api = APIClient()
    api.credentials(**bearer(personal_token(alice)))
    assert upload(api, archive_text(handle="a@example.social").encode(), "key-1").status_code == 201
    other = upload(api, archive_text(handle="b@example.social").encode(), "key-1")
    assert other.status_code == 422
    assert other.json()["type"].endswith("/api/problems/idempotency-key-reused")
    assert ImportJob.objects.filter(user=alice).count() == 1


def test_a_gzipped_body_and_a_multipart_upload_are_both_accepted(alice: User) -> None:
    api = APIClient()
    api.credentials(**bearer(personal_token(alice)))
    text = archive_text(handle="alice@example.social").encode()
    zipped = upload(api, gzip.compress(text), "gz", content_type="application/gzip")
    assert zipped.status_code == 201
    from django.core.files.uploadedfile import SimpleUploadedFile

    # One pending import per member: a second upload waits until the first has finished.
    again = api.post(
        "/api/v1/me/imports", {"archive": SimpleUploadedFile("x.jsonl", text)}, format="multipart"
    )
    assert again.status_code == 422 and "already" in again.json()["detail"].lower()
    assert ImportJob.objects.filter(user=alice).count() == 1
    ImportJob.objects.filter(pk=zipped.json()["id"]).update(status=ImportStatus.DONE)

    multipart = api.post(
        "/api/v1/me/imports", {"archive": SimpleUploadedFile("x.jsonl", text)}, format="multipart"
    )
    assert multipart.status_code == 201 and multipart.json()["status"] == "queued"
    status = api.get(f"/api/v1/me/imports/{multipart.json()['id']}").json()
    assert 0 <= status["percent"] <= 100 and status["finished"] is False


def test_an_upload_without_scoring_consent_is_refused_and_stores_nothing(bob: User) -> None:
    api = APIClient()
    api.credentials(**bearer(personal_token(bob)))
    refused = upload(api, archive_text(handle="bob@example.social").encode(), "k")
    assert refused.status_code == 422 and "consent" in refused.json()["detail"]
    assert not ImportJob.objects.filter(user=bob).exists()


def test_withdrawing_api_access_makes_the_very_next_third_party_call_401(alice: User) -> None:
    _, token = oauth_token_for(alice)
    app = APIClient()
    app.credentials(**bearer(token))
    assert app.get("/api/v1/me/topics").status_code == 200
    member = APIClient()
    member.force_login(alice)
    assert member.post(f"/api/v1/me/consents/{Purpose.API_ACCESS}/withdraw").status_code == 200
    after = app.get("/api/v1/me/topics")
    assert after.status_code == 401
    assert after.json()["type"].endswith("/api/problems/unauthenticated")
    assert not has_active_consent(user_id=alice.pk, purpose=Purpose.API_ACCESS)


def test_third_party_apps_see_only_approved_topics_and_cannot_write(alice: User) -> None:
    from scoring.models import Topic

    Topic.objects.create(user=alice, label="private", status="suggested")
    Topic.objects.create(user=alice, label="python", status="approved")
    _, token = oauth_token_for(alice)
    app = APIClient()
    app.credentials(**bearer(token))
    labels = [t["label"] for t in app.get("/api/v1/me/topics").json()["results"]]
    assert labels == ["python"]
    assert app.get("/api/v1/me/consents").status_code == 403
    assert app.post("/api/v1/me/topics", {"label": "x"}, format="json").status_code == 403


def test_a_token_is_shown_once_stored_hashed_and_revoked_at_once(alice: User) -> None:
    member = APIClient()
    member.force_login(alice)
    made = member.post(
        "/api/v1/me/tokens", {"name": "cli", "scope": "read", "expires_in_days": 7}, format="json"
    ).json()
    secret = made["token"]
    stored = PersonalAccessToken.objects.get(pk=made["id"])
    assert secret not in stored.token_sha256 and stored.prefix == secret[:10]
    listed = member.get("/api/v1/me/tokens").json()["results"]
    assert "token" not in listed[0]
    cli = APIClient()
    cli.credentials(**bearer(secret))
    assert cli.get("/api/v1/me").status_code == 200
    assert member.get(f"/api/v1/me/tokens/{made['id']}").json()["last_used_at"]
    assert cli.post("/api/v1/me/tokens", {"name": "x", "scope": "write"}).status_code == 403
    assert member.delete(f"/api/v1/me/tokens/{made['id']}").status_code == 204
    assert cli.get("/api/v1/me").status_code == 401


def test_deleting_the_account_needs_the_password(alice: User) -> None:
    api = APIClient()
    api.credentials(**bearer(personal_token(alice)))
    wrong = api.delete("/api/v1/me", {"password": "nope"}, format="json")
    assert wrong.status_code == 403 and User.objects.filter(pk=alice.pk).exists()
    right = api.delete("/api/v1/me", {"password": "correct horse battery staple"}, format="json")
    assert right.status_code == 204 and not User.objects.filter(pk=alice.pk).exists()


def test_the_consent_centre_lists_authorised_apps_with_revoke(alice: User) -> None:
    app, token = oauth_token_for(alice, name="Score widget")
    page = Client()
    page.force_login(alice)
    html = page.get("/consent/").content.decode()
    assert "Score widget" in html
    assert page.post(f"/account/api-apps/{app.pk}/revoke/").status_code == 302
    third = APIClient()
    third.credentials(**bearer(token))
    assert third.get("/api/v1/me/score").status_code == 401
