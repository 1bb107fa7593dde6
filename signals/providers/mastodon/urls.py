from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns

from signals.providers.mastodon.provider import MastodonProvider

urlpatterns = default_urlpatterns(MastodonProvider)
