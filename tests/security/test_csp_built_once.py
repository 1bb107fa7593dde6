"""The Content-Security-Policy header (issue 13): built once per process from the settings
(influence/csp.py), the same as django-csp builds it, following a settings change, and
built per response for a response that brings its own policy or a page that used a nonce.
"""

from __future__ import annotations

from typing import Any

import pytest
from csp.constants import NONCE
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory, override_settings
from django.urls import reverse

from influence.csp import CSPMiddleware

pytestmark = pytest.mark.django_db


def _directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(";") if part.strip()}


def test_a_page_gets_the_policy_django_csp_builds(client) -> None:
    for _ in range(2):
        header = client.get(reverse("privacy"))["Content-Security-Policy"]
        assert _directives(header) == _directives(build_policy())
        assert "frame-ancestors 'none'" in header


def test_a_settings_change_changes_the_header_at_once(client, settings) -> None:
    client.get(reverse("privacy"))
    policy = {"DIRECTIVES": {"default-src": ["'self'"], "img-src": ["'self'", "https:"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        header = client.get(reverse("privacy"))["Content-Security-Policy"]
    assert _directives(header) == {"default-src 'self'", "img-src 'self' https:"}
    assert "frame-ancestors" in client.get(reverse("privacy"))["Content-Security-Policy"]


def _through_middleware(view) -> Any:  # type: ignore[no-untyped-def]
    return CSPMiddleware(view)(RequestFactory().get("/"))


def test_a_response_with_its_own_policy_and_a_page_with_a_nonce_are_built_each_time() -> None:
    def updated(request):  # type: ignore[no-untyped-def]
        response = HttpResponse("x")
        response._csp_update = {"img-src": ["https://example.org"]}  # type: ignore[attr-defined]
        return response

    assert "https://example.org" in _through_middleware(updated)["Content-Security-Policy"]

    def nonced(request):  # type: ignore[no-untyped-def]
        return HttpResponse(str(request.csp_nonce))

    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"script-src": [NONCE]}}):
        first, second = _through_middleware(nonced), _through_middleware(nonced)
        assert first.content != second.content
        for response in (first, second):
            header = response["Content-Security-Policy"]
            assert f"script-src 'nonce-{response.content.decode()}'" in _directives(header)
    plain = _through_middleware(lambda request: HttpResponse("x"))["Content-Security-Policy"]
    assert "nonce-" not in plain and "https://example.org" not in plain
