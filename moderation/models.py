"""People who review the machine: members' disputes and the global topic deny-list.

The tables keep the names they had in the ``scoring`` app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class DeniedTopic(models.Model):
    """The moderators' global deny-list: never suggested to anyone."""

    label = models.CharField(max_length=100, unique=True)
    reason = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "scoring_deniedtopic"  # kept from before the move to this app
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label


class DisputeSubject(models.TextChoices):
    SCORE = "score", "My score"
    FLAG = "flag", "A gaming flag"
    TOPIC = "topic", "A topic"


class DisputeStatus(models.TextChoices):
    OPEN = "open", "Waiting for a moderator"
    UPHELD = "upheld", "Upheld: it stays as it was"
    CORRECTED = "corrected", "Corrected"
    REJECTED = "rejected", "Rejected"
    # The member deleted what they disputed (their score and its history, with its flags):
    # nothing is left for a moderator to review.
    WITHDRAWN = "withdrawn", "Withdrawn: you deleted what you disputed"


class Correction(models.TextChoices):
    """How a moderator corrects a disputed item (only with ``DisputeStatus.CORRECTED``)."""

    RECOMPUTE = "recompute", "Recompute the score now"
    REMOVE_TOPIC = "remove_topic", "Remove the topic"
    ADJUST = "adjust", "Manual adjustment"


class Dispute(models.Model):
    """A member's objection to their score, a flag or a topic, until a moderator resolves it.

    Resolving is audited and rescores the member, so any correction made meanwhile (a
    source removed, a topic denied) shows at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="disputes"
    )
    subject = models.CharField(max_length=8, choices=DisputeSubject.choices)
    detail = models.CharField(
        max_length=100, blank=True, help_text="The flag kind or topic label disputed."
    )
    reason = models.TextField(max_length=2000)
    status = models.CharField(
        max_length=12, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True
    )
    resolution = models.TextField(max_length=2000, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(
        default=dict,
        blank=True,
        help_text="The disputed item as it was when the dispute froze it.",
    )
    correction = models.CharField(max_length=16, choices=Correction.choices, blank=True)

    class Meta:
        db_table = "scoring_dispute"  # kept from before the move to this app
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "subject", "detail"],
                condition=models.Q(status="open"),
                name="one_open_dispute_per_subject",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.detail}".strip()


# The most a moderator may move a member's score by hand, in points, in total: a correction
# of the machine's arithmetic, never a verdict on a person (docs/moderation.md).
ADJUSTMENT_LIMIT = 10


class ScoreAdjustment(models.Model):
    """A bounded manual correction of a member's score, added to every score computed
    after it (its own component, "adjustment"), made in answer to a dispute."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_adjustments"
    )
    points = models.DecimalField(max_digits=5, decimal_places=2)
    reason = models.TextField(max_length=2000)
    dispute = models.ForeignKey(Dispute, null=True, blank=True, on_delete=models.SET_NULL)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(points__gte=-ADJUSTMENT_LIMIT)
                & models.Q(points__lte=ADJUSTMENT_LIMIT),
                name="adjustment_bounded",
            )
        ]

    def __str__(self) -> str:
        return f"{self.points:+}"


class FlagDecision(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class FlagReview(models.Model):
    """A moderator's decision on a member's gaming flag of one kind. The latest review of
    a kind counts: a dismissed kind no longer discounts the member's score."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flag_reviews"
    )
    kind = models.CharField(max_length=32)
    decision = models.CharField(max_length=16, choices=FlagDecision.choices)
    reason = models.TextField(max_length=2000)
    evidence = models.JSONField(default=dict, help_text="The flag's evidence when reviewed.")
    discount = models.FloatField(default=0.0)
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.decision}"


class ScoringFreeze(models.Model):
    """A member's scoring held while moderators investigate: runs record history but do
    not replace the score shown. Lifted by a moderator."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scoring_freezes"
    )
    reason = models.TextField(max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    lift_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(lifted_at=None), name="one_active_freeze"
            )
        ]

    def __str__(self) -> str:
        return f"freeze {self.user_id}"
