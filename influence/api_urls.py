"""The REST API: ``/api/v1/`` (each app's endpoints), the OpenAPI schema and its docs.

Any other address under ``/api/`` is a problem-details 404, like every API error.
"""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from profiles.api.problems import api_not_found, problem_kinds

v1 = [
    path("", include("profiles.api.urls")),
    path("", include("signals.api")),
    path("", include("scoring.api")),
    path("", include("moderation.api")),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api_schema"), name="api_docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api_schema"), name="api_redoc"),
    path("problems/", problem_kinds, name="api_problems"),
    path("problems/<slug:slug>", problem_kinds, name="api_problem"),
    re_path(r"^[\s\S]*$", api_not_found),
]
