from django.apps import AppConfig


class MastodonConfig(AppConfig):
    name = "scoring.providers.mastodon"
    label = "mastodon"
    verbose_name = "Mastodon sign-in"
    default_auto_field = "django.db.models.BigAutoField"
