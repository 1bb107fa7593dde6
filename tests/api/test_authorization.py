"""The authorization matrix, generated from the URLconf: every /api/v1/ endpoint and
method, against every kind of caller. An endpoint without an entry below fails the test,
so a new endpoint cannot ship without a decision about who may call it."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

# (route, method) -> kind.
#   mine:   the caller's own data; every signed-in member may call it for themself.
#   object: one of alice's objects in the URL; anyone else gets 404, never 403.
#   public: anyone, signed in or not.
# Third-party apps may read only THIRD_PARTY; read-only tokens may only read.
MATRIX: dict[tuple[str, str], str] = {
    ("me", "GET"): "mine",
    ("me", "PATCH"): "mine",
    ("me", "DELETE"): "mine",
    ("me/consents", "GET"): "mine",
    ("me/consents/history", "GET"): "mine",
    ("me/consents/receipts/<uuid:receipt_id>", "GET"): "object",
    ("me/consents/<slug:purpose>/grant", "POST"): "mine",
    ("me/consents/<slug:purpose>/withdraw", "POST"): "mine",
    ("receipts/verify", "POST"): "public",
    ("me/tokens", "GET"): "mine",
    ("me/tokens", "POST"): "mine",
    ("me/tokens/<int:token_id>", "GET"): "object",
    ("me/tokens/<int:token_id>", "DELETE"): "object",
    ("me/apps", "GET"): "mine",
    ("me/apps/<int:app_id>", "DELETE"): "object",
    ("me/export", "GET"): "mine",
    ("me/export", "POST"): "mine",
    ("me/export/<uuid:export_id>", "GET"): "object",
    ("me/export/<uuid:export_id>/download", "GET"): "object",
    ("me/sources", "GET"): "mine",
    ("me/sources/<int:source_id>", "GET"): "object",
    ("me/sources/<int:source_id>", "DELETE"): "object",
    ("me/sources/<int:source_id>/sync", "POST"): "object",
    ("me/imports", "GET"): "mine",
    ("me/imports", "POST"): "mine",
    ("me/imports/<uuid:job_id>", "GET"): "object",
    ("me/score", "GET"): "mine",
    ("me/score/history", "GET"): "mine",
    ("me/score/flags", "GET"): "mine",
    ("me/topics", "GET"): "mine",
    ("me/topics", "POST"): "mine",
    ("me/topics/<int:topic_id>", "GET"): "object",
    ("me/topics/<int:topic_id>/approve", "POST"): "object",
    ("me/topics/<int:topic_id>/reject", "POST"): "object",
    ("me/topics/<int:topic_id>/block", "POST"): "object",
    ("me/disputes", "GET"): "mine",
    ("me/disputes", "POST"): "mine",
    ("me/disputes/<int:dispute_id>", "GET"): "object",
    ("me/score", "DELETE"): "mine",
    ("me/score/components", "GET"): "mine",
    ("me/score/statement", "GET"): "mine",
    ("me/topics/<int:topic_id>", "DELETE"): "object",
    ("me/topics/blocks", "GET"): "mine",
    ("me/topics/blocks/<int:block_id>", "DELETE"): "object",
    ("me/profile", "GET"): "mine",
    ("me/profile", "PATCH"): "mine",
    ("me/notifications", "GET"): "mine",
    ("me/notifications/read", "POST"): "mine",
    ("me/notifications/<int:notification_id>/read", "POST"): "object",
    ("me/notifications/email", "GET"): "mine",
    ("me/notifications/email", "PUT"): "mine",
    ("profiles/<str:handle>", "GET"): "public",
    ("profiles/<str:handle>/badge.svg", "GET"): "public",
    ("directory", "GET"): "public",
}
THIRD_PARTY = {("me/score", "GET"), ("me/score/components", "GET"), ("me/topics", "GET")}
# Deleting the account needs the password even for alice; the matrix sends none.
NEEDS_PASSWORD = {("me", "DELETE")}
# The score is 404 while there is none: mallory and mod have not been scored.
EMPTY_IS_404 = {("me/score", "GET"), ("me/score/components", "GET"), ("me/score/statement", "GET")}
# Callers in this order: alice last, since her calls change or delete her objects.
CALLERS = ["anonymous", "expired token", "revoked app", "read token", "app", "mallory", "mod"]


def api_endpoints() -> list[tuple[str, str]]:
    """Every (route, method) under /api/v1/, read from the URLconf."""
    found = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("api/v1/"):
                cls = getattr(pattern.callback, "cls", None)
                assert cls is not None, f"{route} is not an API view"
                for method in cls.http_method_names:
                    if method not in ("options", "head") and hasattr(cls, method):
                        found.append((route.removeprefix("api/v1/"), method.upper()))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_api_endpoint_has_an_entry_in_the_matrix() -> None:
    endpoints = set(api_endpoints())
    assert endpoints - set(MATRIX) == set(), "add these endpoints to MATRIX"
    assert set(MATRIX) - endpoints == set(), "these MATRIX entries have no endpoint"


def expected(caller: str, key: tuple[str, str]) -> str:
    kind = MATRIX[key]
    write = key[1] not in ("GET", "HEAD", "OPTIONS")
    if kind == "public":
        return "ok"
    if caller in ("anonymous", "expired token", "revoked app"):
        return "401"
    if caller == "app":
        return "ok" if key in THIRD_PARTY else "403"
    if caller == "read token" and write:
        return "403"
    if (kind == "object" or key in EMPTY_IS_404) and caller in ("mallory", "mod"):
        return "404"
    if key in NEEDS_PASSWORD:
        return "403"
    return "ok"


def outcome(status: int) -> str:
    if status in (401, 403, 404):
        return str(status)
    assert status < 500, status
    return "ok"


@pytest.mark.parametrize("key", sorted(MATRIX), ids=lambda k: f"{k[1]} {k[0]}")
def test_each_caller_gets_what_the_matrix_says(key: tuple[str, str], alice_data, callers) -> None:
    route, method = key
    url = "/api/v1/" + re.sub(r"<\w+:(\w+)>", lambda m: str(alice_data.ids[m.group(1)]), route)
    seen, wanted = {}, {}
    for name in [*CALLERS, "alice"]:
        caller = callers[name]
        api = APIClient()
        if caller["login"] is not None:
            api.force_login(caller["login"])
        response = api.generic(method, url, **caller["headers"])
        seen[name] = outcome(response.status_code)
        wanted[name] = expected(name, key)
        if seen[name] != "ok":
            assert response["Content-Type"] == "application/problem+json", (name, url)
    assert seen == wanted
