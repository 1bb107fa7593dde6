"""django-csp's middleware, with the policy built once per process for the usual response.

django-csp builds both policies (enforced and report-only) from the settings on every
response: a deep copy of the response's policy parts, a copy and sort of every directive,
twice. That was about a fifth of a cached visitor page's time (issue 13). A response that
brings no policy of its own (``@csp_update`` and friends) and whose page used no nonce gets
the same policy every time: it is built once, and again only when the settings change.
Anything else is built as django-csp builds it.
"""

from __future__ import annotations

import http.client as http_client
from functools import cache
from typing import Any

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.exceptions import CSPNonceError
from csp.middleware import CheckableLazyObject, PolicyParts
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponseBase


@cache
def _settings_policy(report_only: bool) -> str:
    return build_policy(report_only=report_only)


@receiver(setting_changed)
def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policy.cache_clear()


def _policy(parts: PolicyParts, *, report_only: bool) -> str:
    if parts.config is None and parts.update is None and parts.replace is None:
        if parts.nonce is None:
            return _settings_policy(report_only)
    return build_policy(
        config=parts.config,
        update=parts.update,
        replace=parts.replace,
        nonce=parts.nonce,
        report_only=report_only,
    )


def _nonce_post_response() -> None:
    raise CSPNonceError(
        "The 'csp_nonce' attribute is not available after the CSP header has been "
        "written. Consider adjusting your MIDDLEWARE order."
    )


class CSPMiddleware(BaseCSPMiddleware):
    """``csp.middleware.CSPMiddleware`` (django-csp 4.0's ``process_response``, the same
    headers), with the settings' policy built once per process."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        exempted_debug_codes = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)
        if response.status_code in exempted_debug_codes and settings.DEBUG:
            return response
        for report_only, header, exempt, setting in (
            (False, HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (True, HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
        ):
            parts = self.get_policy_parts(
                request=request, response=response, report_only=report_only
            )
            csp = _policy(parts, report_only=report_only)
            if not csp or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if not request.path_info.startswith(tuple(prefixes or ())):
                response[header] = csp
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(_nonce_post_response)  # type: ignore[attr-defined]
        return response
