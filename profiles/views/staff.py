"""The admin's sign-in door: it has none of its own (issue 13, finding 1)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


def admin_login_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Send `/admin/login/` (GET or POST) to allauth's sign-in, so two-factor, the rate
    limits and the lockout apply to staff too. A posted password is never checked here."""
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
