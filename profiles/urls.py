from django.urls import path

from profiles.views import consent

urlpatterns = [
    path("", consent.home, name="home"),
    path("consent/", consent.consent_centre, name="consent_centre"),
    path("consent/review/", consent.reconsent, name="reconsent"),
    path("consent/<slug:purpose>/", consent.consent_change, name="consent_change"),
]
