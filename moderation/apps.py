from django.apps import AppConfig


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = "Moderation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from moderation.services.adjustments import adjustments_of
        from moderation.services.deny_list import denied_among
        from moderation.services.disputes import (
            dispute_marks,
            dispute_marks_exist,
            disputes_withdraw_deleted,
        )
        from moderation.services.flags import flags_dismissed
        from moderation.services.freezes import freeze_holds, freeze_holds_exist, freezes_holding
        from scoring import hooks

        hooks.denied_labels.connect(denied_among)
        hooks.score_marks.connect(dispute_marks)
        hooks.score_marks_exist.connect(dispute_marks_exist)
        hooks.flags_dismissed.connect(flags_dismissed)
        hooks.score_adjustments.connect(adjustments_of)
        hooks.score_holds.connect(freeze_holds)
        hooks.score_holds_exist.connect(freeze_holds_exist)
        hooks.scores_held.connect(freezes_holding)
        hooks.score_history_deleted.connect(disputes_withdraw_deleted)
