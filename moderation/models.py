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
    UPHELD = "upheld", "Upheld"
    REJECTED = "rejected", "Rejected"


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
        max_length=8, choices=DisputeStatus.choices, default=DisputeStatus.OPEN, db_index=True
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
