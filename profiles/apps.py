from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "People and consent"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from profiles.receipts import check_keys

        # A malformed signing key stops every process at start-up, naming its variable.
        check_keys()
        # A saved notification or consent row makes the member's cached values stale.
        from profiles.member_cache import member_cache_connect

        member_cache_connect()
        # Registers the revoker that withdrawing `api_access` runs (third-party tokens).
        import profiles.services.api_tokens  # noqa: F401
