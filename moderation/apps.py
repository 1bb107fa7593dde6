from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moderation.services.deny_list import denied_among
        from moderation.services.disputes import dispute_marks
        from scoring import hooks

        hooks.denied_labels.connect(denied_among)
        hooks.score_marks.connect(dispute_marks)
