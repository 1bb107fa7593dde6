from django.contrib import admin
from django.urls import include, path

from influence.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("influence.api_urls")),
    path("o/", include("profiles.api.oauth_urls", namespace="oauth2_provider")),
    path("_allauth/", include("allauth.headless.urls")),
    path("", include("signals.urls")),
    path("", include("scoring.urls")),
    path("", include("moderation.urls")),
    path("", include("profiles.urls")),
]
