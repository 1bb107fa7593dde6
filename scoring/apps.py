from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Signals and scores"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from scoring import lookups

        lookups.register()
