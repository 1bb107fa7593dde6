"""One error format for the whole API: problem details (RFC 9457).

Every refusal is ``application/problem+json`` with a ``type`` URI that is stable per kind of
error (``<SITE_URL>/api/problems/<kind>``, listed at that address), a ``title`` for the kind,
the ``status``, a ``detail`` for this occurrence and, for validation errors, ``errors``: one
``{"field", "message"}`` per problem. Services raise their own exceptions; each app's API
module registers the ones it lets through with ``service_error``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response

log = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class Kind:
    slug: str
    status: int
    title: str


KINDS: dict[str, Kind] = {}


def kind(slug: str, status_code: int, title: str) -> Kind:
    KINDS[slug] = Kind(slug, status_code, title)
    return KINDS[slug]


VALIDATION = kind("validation", 400, "Your request has invalid fields")
MALFORMED = kind("malformed-request", 400, "The request body could not be read")
UNAUTHENTICATED = kind("unauthenticated", 401, "Sign in or send a valid token")
FORBIDDEN = kind("forbidden", 403, "Your credentials do not allow this")
NOT_FOUND = kind("not-found", 404, "No such resource")
METHOD = kind("method-not-allowed", 405, "This method is not allowed here")
NOT_ACCEPTABLE = kind("not-acceptable", 406, "This format cannot be produced")
TOO_LARGE = kind("too-large", 413, "The request body is too large")
MEDIA_TYPE = kind("unsupported-media-type", 415, "This content type is not accepted")
IDEMPOTENCY = kind(
    "idempotency-key-reused", 422, "This Idempotency-Key was used with another request"
)
THROTTLED = kind("throttled", 429, "Too many requests")
SERVER = kind("server-error", 500, "Something went wrong on our side")

# Service exceptions the API turns into problems: class -> kind.
SERVICE_ERRORS: dict[type[Exception], Kind] = {}


def service_error(
    exc_class: type[Exception], slug: str, title: str, status_code: int = 422
) -> None:
    """Let a service's refusal through as a problem of its own kind (message for people)."""
    SERVICE_ERRORS[exc_class] = kind(slug, status_code, title)


class Problem(exceptions.APIException):
    """Raise from a view for a refusal of a named kind."""

    def __init__(
        self, kind_: Kind, detail: str, *, extensions: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail=detail)
        self.kind = kind_
        self.status_code = kind_.status
        self.extensions = extensions or {}


def problem_type(slug: str) -> str:
    return f"{settings.SITE_URL}/api/problems/{slug}"


def problem_body(
    kind_: Kind, detail: str, *, instance: str = "", errors: list[dict[str, str]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(kind_.slug),
        "title": kind_.title,
        "status": kind_.status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors is not None:
        body["errors"] = errors
    return body


def _field_errors(data: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's nested error structure as a flat list of fields (dotted paths) and messages."""
    if isinstance(data, dict):
        out = []
        for key, value in data.items():
            name = "" if key == "non_field_errors" else str(key)
            out += _field_errors(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return out
    if isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            return [{"field": prefix, "message": str(item)} for item in data]
        out = []
        for index, item in enumerate(data):
            out += _field_errors(item, f"{prefix}.{index}" if prefix else str(index))
        return out
    return [{"field": prefix, "message": str(data)}]


def _classify(exc: Exception) -> tuple[Kind, str, list[dict[str, str]] | None]:
    if isinstance(exc, Problem):
        return exc.kind, str(exc.detail), None
    for exc_class in type(exc).__mro__:  # the most specific registered class wins
        if exc_class in SERVICE_ERRORS:
            return SERVICE_ERRORS[exc_class], str(exc), None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        fields = sorted({e["field"] for e in errors if e["field"]})
        detail = f"Check these fields: {', '.join(fields)}." if fields else errors[0]["message"]
        return VALIDATION, detail, errors
    if isinstance(exc, Http404 | exceptions.NotFound):
        return NOT_FOUND, str(exc) or "No such resource.", None
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return UNAUTHENTICATED, str(getattr(exc, "detail", exc)), None
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        return FORBIDDEN, str(getattr(exc, "detail", exc)), None
    simple = {
        exceptions.ParseError: MALFORMED,
        exceptions.MethodNotAllowed: METHOD,
        exceptions.NotAcceptable: NOT_ACCEPTABLE,
        exceptions.UnsupportedMediaType: MEDIA_TYPE,
        exceptions.Throttled: THROTTLED,
    }
    for exc_class, kind_ in simple.items():
        if isinstance(exc, exc_class):
            return kind_, str(getattr(exc, "detail", exc)), None
    if isinstance(exc, exceptions.APIException):
        generic = Kind(exc.default_code, exc.status_code, str(exc.default_detail))
        return KINDS.get(generic.slug, generic), str(exc.detail), None
    return SERVER, "The server failed to answer; the error was logged.", None


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF's exception handler: every exception, expected or not, becomes a problem."""
    kind_, detail, errors = _classify(exc)
    request = context.get("request")
    if kind_ is SERVER:
        log.exception("API error", exc_info=exc)
    headers: dict[str, str] = {}
    wait = getattr(exc, "wait", None)
    if isinstance(exc, exceptions.Throttled) and wait is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    if isinstance(exc, exceptions.MethodNotAllowed) and context.get("view") is not None:
        headers["Allow"] = ", ".join(context["view"].allowed_methods)
    body = problem_body(
        kind_, detail, instance=request.path if request is not None else "", errors=errors
    )
    if isinstance(exc, Problem):
        # Extension members (RFC 9457 section 3.2): facts a client can act on.
        body.update({k: v for k, v in exc.extensions.items() if k not in body})
    return Response(body, status=kind_.status, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(request: HttpRequest, kind_: Kind, detail: str) -> JsonResponse:
    """A problem outside DRF's views (unknown /api/ paths)."""
    return JsonResponse(
        problem_body(kind_, detail, instance=request.path),
        status=kind_.status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


@csrf_exempt  # an answer about a missing address, for any method; it changes nothing
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return problem_response(request, NOT_FOUND, "There is no API endpoint at this address.")


def problem_kinds(request: HttpRequest, slug: str = "") -> JsonResponse:
    """What each ``type`` URI means: all of them, or one (``/api/problems/<kind>``)."""
    if slug:
        found = KINDS.get(slug)
        if found is None:
            return problem_response(request, NOT_FOUND, "No such problem type.")
        return JsonResponse(
            {"type": problem_type(slug), "title": found.title, "status": found.status}
        )
    return JsonResponse(
        {
            "problems": [
                {"type": problem_type(k.slug), "title": k.title, "status": k.status}
                for k in KINDS.values()
            ]
        }
    )


__all__ = ["Problem", "problem_exception_handler", "service_error", "status"]
