from django.apps import AppConfig


class SignalsConfig(AppConfig):
    name = "signals"
    verbose_name = "Sources and signals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from profiles import hooks
        from signals.services.sources import signals_data_delete

        hooks.scoring_withdrawn.connect(signals_data_delete)
