from django.contrib import admin
from django.urls import include, path

from influence.health import healthz
from profiles.views.staff import admin_login_redirect

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    # The admin has no sign-in of its own: allauth's applies MFA, rate limits and lockout.
    path("admin/login/", admin_login_redirect, name="admin_login_redirect"),
    path("admin/", admin.site.urls),
    path("api/", include("influence.api_urls")),
    path("o/", include("profiles.api.oauth_urls", namespace="oauth2_provider")),
    path("_allauth/", include("allauth.headless.urls")),
    path("", include("signals.urls")),
    path("", include("scoring.urls")),
    path("", include("moderation.urls")),
    path("", include("profiles.urls")),
]
