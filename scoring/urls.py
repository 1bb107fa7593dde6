from django.urls import path

from scoring import views

urlpatterns = [
    path("dashboard/", views.dashboard, name="dashboard"),
    path("topics/", views.topics, name="topics"),
    path("how-scores-work/", views.how_scores_work, name="how_scores_work"),
    path("people/", views.directory, name="directory"),
    path("people/<slug:slug>/", views.public_profile, name="public_profile"),
]
