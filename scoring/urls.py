from django.urls import path

from scoring import views, views_public

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("topics/", views.topics, name="topics"),
    path("how-scores-work/", views.how_scores_work, name="how_scores_work"),
    path("people/", views_public.directory, name="directory"),
    path("people/<slug:slug>/", views_public.public_profile_legacy, name="public_profile_legacy"),
    path("@<str:handle>", views_public.public_profile, name="public_profile"),
    path("@<str:handle>/badge.svg", views_public.public_badge, name="public_badge"),
    path("account/profile/", views_public.profile_settings, name="profile_settings"),
]
