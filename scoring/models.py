"""What is computed: scoring state and runs, scores and their history, topics, gaming flags."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class ScoringState(models.Model):
    """When a member is next due for scoring: the database, not the broker, holds the work."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scoring_state"
    )
    next_score_due = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_run = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"due {self.next_score_due}"


class Score(models.Model):
    """A member's current score. One per member, enforced by the one-to-one key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score"
    )
    value = models.DecimalField(max_digits=5, decimal_places=2)
    components = models.JSONField(help_text="Name -> points; they add up to the value.")
    confidence = models.FloatField(default=0.0)
    model_version = models.CharField(max_length=32)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    run_id = models.UUIDField()
    computed_at = models.DateTimeField(default=timezone.now)
    frozen_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while a dispute on the score is open (GDPR Art. 18): runs still record "
        "snapshots but leave this row, the score shown, as it is; hidden publicly meanwhile.",
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gte=1) & Q(value__lte=100), name="score_in_range"
            )
        ]

    def __str__(self) -> str:
        return f"{self.value}"


class ScoreSnapshot(models.Model):
    """Score history: one row per member per scoring run."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="score_history"
    )
    run_id = models.UUIDField()
    value = models.DecimalField(max_digits=5, decimal_places=2)
    components = models.JSONField()
    model_version = models.CharField(max_length=32)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-computed_at"]
        constraints = [models.UniqueConstraint(fields=["user", "run_id"], name="uniq_snapshot_run")]

    def __str__(self) -> str:
        return f"{self.value} @ {self.computed_at:%Y-%m-%d}"


class RunStatus(models.TextChoices):
    PREPARING = "preparing", "Computing trust"
    SCORING = "scoring", "Scoring batches"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    ABANDONED = "abandoned", "Abandoned (outlived its time; members released)"


# A run in one of these has ended: it holds no member and keeps no artefact.
RUN_ENDED = (RunStatus.DONE, RunStatus.FAILED, RunStatus.ABANDONED)


class SeedBasis(models.TextChoices):
    VERIFIED_AGED = "verified_aged", "members with verified sources connected long enough"
    VERIFIED = "verified", "members with verified sources (none old enough yet)"
    MEMBERS = "members", "all members (cold start: no verified source yet)"


class ScoringRun(models.Model):
    """One scoring run: trust is computed once over the whole graph, then batches score.

    ``batches`` counts the batches not yet done; the run ends when it reaches 0. A run is
    *live* while it has not ended and is younger than ``runs.RUN_LIVE_SECONDS``; only a
    live run holds its members (see ``scoring.services.runs``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    model_version = models.CharField(max_length=32)
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PREPARING)
    members = models.PositiveIntegerField(default=0)
    batches = models.PositiveIntegerField(default=0)
    nodes = models.PositiveIntegerField(default=0)
    edges = models.PositiveBigIntegerField(default=0)
    seeds = models.PositiveIntegerField(default=0)
    seed_basis = models.CharField(max_length=16, choices=SeedBasis.choices, blank=True)
    trust_iterations = models.PositiveIntegerField(default=0)
    trust_seconds = models.FloatField(default=0.0)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # Claims and the janitor look only at recent runs, or old ones not ended.
        indexes = [models.Index(fields=["created_at"], name="scoringrun_created")]

    def __str__(self) -> str:
        return f"run {self.id} ({self.status})"


class ScoringBatch(models.Model):
    """One batch of a run: the members with ids in ``[first_user, last_user]`` that the run
    claimed. Marked done once, whatever became of its members, so every batch counts
    toward its run's end exactly once."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="batch_rows")
    first_user = models.BigIntegerField()
    last_user = models.BigIntegerField()
    started_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["run", "first_user"], name="uniq_run_batch")]

    def __str__(self) -> str:
        return f"batch {self.first_user}-{self.last_user} of {self.run_id}"


class RunArtefact(models.Model):
    """A part of one array a run computes once and its batches read (trust vectors, node
    numbering), in the database every worker reaches: no shared folder. Raw bytes of a
    1-D array; large arrays span several parts. Deleted when the run ends."""

    run = models.ForeignKey(ScoringRun, on_delete=models.CASCADE, related_name="artefacts")
    name = models.CharField(max_length=64)
    part = models.PositiveIntegerField(default=0)
    dtype = models.CharField(max_length=16)
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "name", "part"], name="uniq_run_artefact")
        ]

    def __str__(self) -> str:
        return f"{self.name}[{self.part}] of {self.run_id}"


class TopicStatus(models.TextChoices):
    SUGGESTED = "suggested", "Suggested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    BLOCKED = "blocked", "Blocked"


class TopicOrigin(models.TextChoices):
    DERIVED = "derived", "From your posts"
    MEMBER = "member", "Added by you"


class Topic(models.Model):
    """A topic of a member's, derived only from their own posts or added by them (invariant 4).

    Nobody else sees a topic until the member approves it.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topics"
    )
    label = models.CharField(max_length=100)
    score = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    posts = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=TopicStatus.choices, default=TopicStatus.SUGGESTED
    )
    origin = models.CharField(
        max_length=16, choices=TopicOrigin.choices, default=TopicOrigin.DERIVED
    )
    sensitive_category = models.CharField(max_length=32, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    disputed_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set while a dispute on the topic is open: hidden publicly.",
    )

    class Meta:
        ordering = ["-score", "label"]
        constraints = [models.UniqueConstraint(fields=["user", "label"], name="uniq_member_topic")]

    def __str__(self) -> str:
        return self.label


class TopicBlock(models.Model):
    """A label the member never wants on them: their protective preference, not a topic.

    It outlives rescoring and the withdrawal of scoring (so a re-grant never suggests the
    label again); only account erasure removes it, with the account.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="topic_blocks"
    )
    label = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label"]
        constraints = [models.UniqueConstraint(fields=["user", "label"], name="uniq_topic_block")]

    def __str__(self) -> str:
        return self.label


class GamingFlag(models.Model):
    """A pattern that looks like gaming, with its evidence; it discounts, it never bans."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags"
    )
    kind = models.CharField(max_length=32)
    evidence = models.JSONField()
    discount = models.FloatField()
    run_id = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="uniq_member_flag")]

    def __str__(self) -> str:
        return self.kind
