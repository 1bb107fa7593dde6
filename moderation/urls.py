from django.urls import path

from moderation import views

urlpatterns = [
    path("disputes/", views.disputes, name="disputes"),
]
