from django.urls import path

from profiles import views

urlpatterns = [
    path("", views.home, name="home"),
    path("consent/", views.consent_centre, name="consent_centre"),
    path("consent/<slug:purpose>/", views.consent_change, name="consent_change"),
]
