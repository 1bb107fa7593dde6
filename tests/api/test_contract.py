"""The contract: the OpenAPI schema validates, docs are served from our own static files,
every error is a problem document, lists are cursor-paged and limits answer 429."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from profiles.models import User
from tests.api_helpers import bearer, personal_token

pytestmark = pytest.mark.django_db


def test_the_schema_validates_without_a_warning(tmp_path) -> None:
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert text.startswith("openapi: 3.1.0")
    assert "/api/v1/me/imports:" in text and "application/problem+json" in text


def test_the_schema_and_docs_are_served_without_a_cdn(client) -> None:
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200 and schema.json()["openapi"] == "3.1.0"
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "swagger-ui" in html
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_every_error_is_a_problem_with_a_stable_type(alice: User) -> None:
    api = APIClient()
    anonymous = api.get("/api/v1/me")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")
    assert anonymous["Content-Type"] == "application/problem+json"
    assert anonymous.json()["type"].endswith("/api/problems/unauthenticated")
    unknown = api.get("/api/v1/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["type"].endswith("/not-found")
    api.force_authenticate(alice)
    invalid = api.post("/api/v1/me/disputes", {"subject": "nonsense"}, format="json")
    problem = invalid.json()
    assert invalid.status_code == 400 and problem["type"].endswith("/api/problems/validation")
    assert {e["field"] for e in problem["errors"]} == {"subject", "reason"}
    kinds = APIClient().get("/api/problems/").json()["problems"]
    assert {"validation", "not-found", "throttled"} <= {k["type"].rsplit("/", 1)[1] for k in kinds}


def test_others_objects_are_404_never_403(alice: User, mallory: User) -> None:
    from scoring.models import Topic

    topic = Topic.objects.create(user=alice, label="privacy")
    api = APIClient()
    api.force_authenticate(mallory)
    for method, url in [
        ("get", f"/api/v1/me/topics/{topic.pk}"),
        ("post", f"/api/v1/me/topics/{topic.pk}/approve"),
    ]:
        response = getattr(api, method)(url)
        assert response.status_code == 404, url
    topic.refresh_from_db()
    assert topic.status == "suggested"


def test_lists_are_cursor_paged(alice: User) -> None:
    from scoring.models import Topic

    for n in range(5):
        Topic.objects.create(user=alice, label=f"topic {n}")
    api = APIClient()
    api.force_authenticate(alice)
    first = api.get("/api/v1/me/topics?page_size=2").json()
    assert len(first["results"]) == 2 and "cursor=" in first["next"]
    second = api.get(first["next"]).json()
    labels = [t["label"] for t in first["results"] + second["results"]]
    assert len(set(labels)) == 4


def test_a_token_over_its_limit_gets_429_with_retry_after(alice: User, settings) -> None:
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], token="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api = APIClient()
    headers = bearer(personal_token(alice, scope="read"))
    assert [api.get("/api/v1/me", **headers).status_code for _ in range(2)] == [200, 200]
    limited = api.get("/api/v1/me", **headers)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert limited.json()["type"].endswith("/api/problems/throttled")


def test_anonymous_callers_are_limited_per_address(settings) -> None:
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], anon="1/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    api = APIClient()
    body = {"receipt": "a.b.c"}
    assert api.post("/api/v1/receipts/verify", body, format="json").status_code == 200
    limited = api.post("/api/v1/receipts/verify", body, format="json")
    assert limited.status_code == 429 and "Retry-After" in limited


def test_the_session_needs_a_csrf_token_for_writes(alice: User) -> None:
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(alice)
    assert api.get("/api/v1/me").status_code == 200
    refused = api.patch("/api/v1/me", {"display_name": "A"}, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
