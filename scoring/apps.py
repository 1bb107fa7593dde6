from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "scoring"
    verbose_name = "Scores and topics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from profiles import hooks as profile_hooks
        from scoring import lookups
        from scoring.services.runs import score_request, scoring_data_delete, scoring_schedule_now
        from signals import hooks as signal_hooks

        lookups.register()
        profile_hooks.scoring_granted.connect(scoring_schedule_now)
        profile_hooks.scoring_withdrawn.connect(scoring_data_delete)
        signal_hooks.member_data_changed.connect(score_request)
