"""OAuth 2 for third-party apps (django-oauth-toolkit): authorize, token, revoke.

Apps are registered by staff in the admin; members authorise them here. Authorising needs
the member's ``api_access`` consent first: without it the page sends them to the consent
centre, since a token would be refused anyway.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path
from oauth2_provider import views

from profiles.purposes import Purpose
from profiles.selectors import has_active_consent

app_name = "oauth2_provider"


class ConsentedAuthorizationView(views.AuthorizationView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not has_active_consent(
            user_id=user.pk, purpose=Purpose.API_ACCESS
        ):
            messages.error(
                request,
                "An app asked to read your score and topics. Allow “Third-party apps” in "
                "your consent centre first, then try again from the app.",
            )
            return redirect("consent_centre")
        return super().dispatch(request, *args, **kwargs)


urlpatterns = [
    path("authorize/", ConsentedAuthorizationView.as_view(), name="authorize"),
    path("token/", views.TokenView.as_view(), name="token"),
    path("revoke_token/", views.RevokeTokenView.as_view(), name="revoke-token"),
]
