"""Request limits: per anonymous address, per member (all their credentials) and per token.

Each answers 429 with ``Retry-After`` (the problem handler sets it). Rates come from
``API_THROTTLE_*`` and are read per request, so tests can change them.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from profiles.models import PersonalAccessToken


class _Throttle(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rates: dict[str, Any] = api_settings.DEFAULT_THROTTLE_RATES
        return rates.get(str(self.scope))

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)


class AnonThrottle(_Throttle):
    scope = "anon"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if request.user and request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class MemberThrottle(_Throttle):
    scope = "member"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not (request.user and request.user.is_authenticated):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenThrottle(_Throttle):
    scope = "token"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        auth = request.auth
        if auth is None or not hasattr(auth, "pk"):
            return None
        kind = "pat" if isinstance(auth, PersonalAccessToken) else "oauth"
        return self.cache_format % {"scope": self.scope, "ident": f"{kind}{auth.pk}"}
