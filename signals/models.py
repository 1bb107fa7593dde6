"""What members bring in: sources, archive imports and the signal rows read from them.

Non-members appear here only as ``counterpart`` handle keys: the first 64 bits of the
HMAC-SHA256 of their normalised handle under ``settings.HANDLE_HASH_KEY`` (invariant 3).
Every signal row belongs to one source, so disconnecting a source or withdrawing consent
deletes exactly its rows. The tables keep the names they had in the ``scoring`` app.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SourceKind(models.TextChoices):
    ARCHIVE = "archive", "Imported archive"
    GITHUB = "github", "GitHub"
    MASTODON = "mastodon", "Mastodon"


class SyncStatus(models.TextChoices):
    IDLE = "idle", "Up to date"
    QUEUED = "queued", "Sync queued"
    RUNNING = "running", "Syncing"
    RETRYING = "retrying", "Waiting to retry"
    ERROR = "error", "Needs attention"


class Source(models.Model):
    """A member's account on one network: connected (verified) or imported (self-reported)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sources"
    )
    kind = models.CharField(max_length=16, choices=SourceKind.choices)
    network = models.CharField(max_length=32)
    handle = models.CharField(max_length=320, help_text="The member's own handle, normalised.")
    handle_hash = models.BigIntegerField(
        db_index=True, help_text="Handle key: the first 64 bits of the handle's keyed hash."
    )
    verified = models.BooleanField(default=False)
    followers_count = models.PositiveBigIntegerField(default=0)
    following_count = models.PositiveBigIntegerField(default=0)
    account_created_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # Connected sources only: the allauth account whose token fetches the data.
    social_account = models.OneToOneField(
        "socialaccount.SocialAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="influence_source",
    )
    sync_cursor = models.JSONField(null=True, blank=True)
    sync_status = models.CharField(
        max_length=16, choices=SyncStatus.choices, default=SyncStatus.IDLE
    )
    sync_error = models.CharField(
        max_length=300, blank=True, help_text="Plain words for the member."
    )
    next_sync_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        db_table = "scoring_source"  # kept from before the move to this app
        ordering = ["id"]
        constraints = [
            # Self-reported (archive) claims of one handle coexist, one per member; only a
            # verified claim is exclusive (docs/archive-format.md, "Who owns a handle").
            models.UniqueConstraint(fields=["user", "handle_hash"], name="uniq_source_member"),
            models.UniqueConstraint(
                fields=["handle_hash"],
                condition=models.Q(verified=True),
                name="uniq_source_verified_handle",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.network}:{self.handle}"

    @property
    def label(self) -> str:
        return "verified" if self.verified else "self-reported"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Reading the archive"
    SCORING = "scoring", "Scoring…"
    DONE = "done", "Done"
    FAILED = "failed", "Refused"


class ImportJob(models.Model):
    """An archive upload and its progress through the worker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="imports"
    )
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL)
    file = models.FileField(upload_to="imports/%Y/%m/", max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ImportStatus.choices, default=ImportStatus.QUEUED
    )
    bytes_done = models.PositiveBigIntegerField(default=0)
    lines_done = models.PositiveBigIntegerField(default=0)
    interactions = models.PositiveBigIntegerField(default=0)
    content_sha256 = models.CharField(max_length=64, blank=True)
    errors = models.JSONField(default=list, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "scoring_importjob"  # kept from before the move to this app
        ordering = ["-created_at"]
        constraints = [
            # At most one import per member waits or runs at a time (issue 13, finding 6).
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_pending_import_per_member",
            )
        ]

    def __str__(self) -> str:
        return f"import {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status in (ImportStatus.SCORING, ImportStatus.DONE):
            return 100
        if not self.size:
            return 0
        return min(99, int(100 * self.bytes_done / self.size))


class ImportedContent(models.Model):
    """Content hashes already imported for a source, so a re-import adds nothing."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="imported_contents")
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "scoring_importedcontent"  # kept from before the move to this app
        constraints = [
            models.UniqueConstraint(fields=["source", "content_sha256"], name="uniq_import_content")
        ]

    def __str__(self) -> str:
        return self.content_sha256


class Post(models.Model):
    """Aggregates for one of the member's own posts; its text is never stored."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="posts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post_id = models.CharField(max_length=200)
    at = models.DateTimeField()
    tags = models.JSONField(default=list)
    terms = models.JSONField(default=list)
    engagers = models.PositiveIntegerField(default=0, help_text="Distinct engagers.")
    likes = models.PositiveIntegerField(default=0)
    reshares = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    mentions = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "scoring_post"  # kept from before the move to this app
        constraints = [models.UniqueConstraint(fields=["source", "post_id"], name="uniq_post")]
        indexes = [models.Index(fields=["user", "at"])]

    def __str__(self) -> str:
        return self.post_id


class Direction(models.TextChoices):
    IN = "in", "Received"
    OUT = "out", "Given"


class SignalRow(models.Model):
    """A row of a source's signals.

    Written by the millions, so no per-row foreign-key check and no index beyond each
    table's unique one, which leads with `source` and serves every read (a member's rows
    are found through their sources). Integrity is the services' job: rows are written
    only with their source locked, and deleted with it (signals.source_delete).
    """

    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        related_name="%(class)ss",
        db_constraint=False,
        db_index=False,
    )
    user = models.ForeignKey(  # the source's member, copied
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )

    class Meta:
        abstract = True


class Engagement(SignalRow):
    """Engagement between the member and one counterpart, by kind and direction."""

    counterpart = models.BigIntegerField(help_text="Handle key (a truncated keyed hash).")
    kind = models.CharField(max_length=16)
    direction = models.CharField(max_length=3, choices=Direction.choices)
    count = models.PositiveIntegerField()
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        db_table = "scoring_engagement"  # kept from before the move to this app
        constraints = [
            models.UniqueConstraint(
                fields=["source", "counterpart", "kind", "direction"], name="uniq_engagement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.direction} x{self.count}"


class FollowDirection(models.TextChoices):
    FOLLOWER = "follower", "Follows the member"
    FOLLOWING = "following", "Followed by the member"


class Follow(SignalRow):
    counterpart = models.BigIntegerField(help_text="Handle key (a truncated keyed hash).")
    direction = models.CharField(max_length=16, choices=FollowDirection.choices)
    at = models.DateTimeField()

    class Meta:
        db_table = "scoring_follow"  # kept from before the move to this app
        constraints = [
            models.UniqueConstraint(
                fields=["source", "counterpart", "direction"], name="uniq_follow"
            )
        ]

    def __str__(self) -> str:
        return f"{self.direction} {self.at:%Y-%m-%d}"
