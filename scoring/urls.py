from django.urls import path

from scoring import views, views_public

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/statement/", views.score_statement, name="score_statement"),
    path("dashboard/delete/", views.score_delete, name="score_delete"),
    path("topics/", views.topics, name="topics"),
    path("topics/<int:topic_id>/", views.topic_change, name="topic_change"),
    path("topics/blocked/<int:block_id>/unblock/", views.topic_unblock_view, name="topic_unblock"),
    path("how-scores-work/", views.how_scores_work, name="how_scores_work"),
    path("people/", views_public.directory, name="directory"),
    path("people/<slug:slug>/", views_public.public_profile_legacy, name="public_profile_legacy"),
    path("@<str:handle>", views_public.public_profile, name="public_profile"),
    path("@<str:handle>/badge.svg", views_public.public_badge, name="public_badge"),
    path("account/profile/", views_public.profile_settings, name="profile_settings"),
]
