from django.apps import AppConfig


class MastodonConfig(AppConfig):
    name = "signals.providers.mastodon"
    label = "mastodon"
    verbose_name = "Mastodon sign-in"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from profiles.token_revocation import REVOKERS, TOKEN_READERS
        from signals.providers.mastodon.revocation import mastodon_token, mastodon_token_revoke

        TOKEN_READERS["mastodon"] = mastodon_token
        REVOKERS["mastodon"] = mastodon_token_revoke
