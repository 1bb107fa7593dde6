"""Ask members again, at their next visit, when a purpose they granted has a new policy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from profiles.models import User
from profiles.selectors import consent_states_of_request

# Pages a member can always reach while asked: the prompt itself, their consent centre,
# export and deletion (withdrawing must stay as easy as ever), the public and legal pages,
# and allauth's pages (sign-out, reauthentication, email).
ALWAYS_REACHABLE = {
    "reconsent",
    "consent_centre",
    "consent_change",
    "consent_receipt",
    "consent_receipts",
    "receipt_verify",
    "jwks",
    "privacy",
    "public_profile",
    "public_profile_legacy",
    "public_badge",
    "directory",
    "data_export",
    "data_export_download",
    "data_export_status",
    "account_delete",
    "healthz",
}
# The API answers in JSON, never with a redirect: what needs current consent checks it
# there (a purpose awaiting re-consent is not active), and the rest stays reachable.
ALWAYS_REACHABLE_PREFIXES = ("/accounts/", "/admin/", "/static/", "/api/", "/_allauth/", "/o/")


class ReconsentMiddleware:
    """Redirects a signed-in member to the re-consent prompt until they answer it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Any, args: Any, kwargs: Any
    ) -> HttpResponse | None:
        user = getattr(request, "user", None)
        if not isinstance(user, User):
            return None
        match = request.resolver_match
        if match is not None and match.url_name in ALWAYS_REACHABLE:
            return None
        if request.path.startswith(ALWAYS_REACHABLE_PREFIXES):
            return None
        # Read once for the request: the page reuses it (consent_states_of_request).
        if not any(s.needs_reconsent for s in consent_states_of_request(member=user).values()):
            return None
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return redirect(f"{reverse('reconsent')}?{query}" if query else reverse("reconsent"))


# Staff pages: the admin and the moderation console. Every staff account needs two-factor
# sign-in (allauth TOTP) before one of them opens (issues 11 and 13).
STAFF_PREFIXES = ("/admin/", "/moderation/")
# The admin's own sign-in and sign-out only redirect to allauth's.
STAFF_PATHS_OPEN = ("/admin/login/", "/admin/logout/")


class StaffMFAMiddleware:
    """Sends a staff member without TOTP to set it up before any staff page opens.

    The admin has no sign-in of its own (`/admin/login/` redirects to allauth's), so a
    staff member with TOTP always signed in with it; one without is stopped here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            isinstance(user, User)
            and (user.is_staff or user.is_superuser)
            and request.path.startswith(STAFF_PREFIXES)
            and not request.path.startswith(STAFF_PATHS_OPEN)
            and not staff_has_totp(user=user)
        ):
            query = urlencode({"next": request.get_full_path()})
            messages.info(
                request,
                "Staff pages open only after you set up two-factor sign-in "
                "with an authenticator app.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}?{query}")
        return self.get_response(request)


def staff_has_totp(*, user: User) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# allauth's UserSessionsMiddleware records each signed-in request on the member's
# UserSession row (a read, a read of the user again and an UPDATE, in a transaction: about
# half the cost of a small signed-in page). This records it at most once a minute per
# session and device, which is all the sessions list shows ("last active 3 minutes ago");
# a new IP address or browser is recorded at once, as allauth does.
SESSION_ACTIVITY_SECONDS = 60


class SessionActivityMiddleware:
    """allauth's session activity tracking, at most once a ``SESSION_ACTIVITY_SECONDS``
    for the same session, member, IP address and browser (a cache key remembers it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is not None and user.is_authenticated and session and session.session_key:
            _activity_track(request, user=user, session=session)
        return self.get_response(request)


def _activity_track(request: HttpRequest, *, user: Any, session: Any) -> None:
    import hashlib

    from allauth.account.adapter import get_adapter
    from allauth.usersessions.internal.usersessionkit import track_activity
    from django.core.cache import cache

    key = "session-activity:" + hashlib.sha256(session.session_key.encode()).hexdigest()
    seen = "|".join(
        (
            str(user.pk),
            get_adapter().get_client_ip(request),
            request.META.get("HTTP_USER_AGENT", ""),
        )
    )
    if cache.get(key) == seen:
        return
    track_activity(request, user=user, session=session)
    cache.set(key, seen, SESSION_ACTIVITY_SECONDS)
