"""API access on the site: personal access tokens, and revoking a third-party app."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from profiles.http import request_member
from profiles.models import TokenScope
from profiles.selectors import api_token_for_member, authorised_app_for_member, member_api_tokens
from profiles.services.api_tokens import (
    TokenRefused,
    api_token_create,
    api_token_revoke,
    oauth_app_revoke,
)


class TokenForm(forms.Form):
    name = forms.CharField(max_length=80, label="Name (what the token is for)")
    scope = forms.ChoiceField(
        choices=TokenScope.choices, initial=TokenScope.READ, widget=forms.RadioSelect
    )
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, initial=90, label="Expires after (days)"
    )


@never_cache
@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List the member's tokens; POST makes one and shows its secret on this answer only."""
    member = request_member(request)
    form = TokenForm(request.POST if request.method == "POST" else None)
    secret = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                new = api_token_create(user=member, **form.cleaned_data)
            except TokenRefused as exc:
                form.add_error(None, str(exc))
            else:
                secret = new.secret
                form = TokenForm()
        if not secret:
            status = 400
    return render(
        request,
        "profiles/api_tokens.html",
        {"form": form, "secret": secret, "tokens": member_api_tokens(member=member)},
        status=status,
    )


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    member = request_member(request)
    token = api_token_for_member(member=member, token_id=token_id)
    api_token_revoke(user=member, token_id=token.pk)
    messages.success(request, f"Token “{token.name}” was revoked; it stops working at once.")
    return redirect("api_tokens_page")


@login_required
@require_POST
def api_app_revoke(request: HttpRequest, app_id: int) -> HttpResponse:
    member = request_member(request)
    app = authorised_app_for_member(member=member, app_id=app_id)
    oauth_app_revoke(user=member, application_id=app.pk)
    messages.success(request, f"“{app.name}” can no longer read your data.")
    return redirect("consent_centre")
