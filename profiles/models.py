from __future__ import annotations

import contextvars
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, models
from django.db.models import Q
from django.utils import timezone

from profiles.purposes import Purpose

# --- Append-only tables -----------------------------------------------------------------
#
# The consent ledger (and the audit log) only ever grow. On PostgreSQL a trigger refuses
# UPDATE and DELETE unless the transaction-local setting below is on; on every database the
# queryset and the model refuse them too. Only account erasure lifts the rule, for its own
# transaction, through `append_only_erasure()`.

ERASURE_SETTING = "influence.account_erasure"
_erasing: contextvars.ContextVar[bool] = contextvars.ContextVar("erasing", default=False)


class AppendOnlyError(IntegrityError):
    """An UPDATE or DELETE of an append-only row outside account erasure."""


@contextmanager
def append_only_erasure(*, using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Allow changing append-only rows inside the current transaction; account erasure only."""
    connection = connections[using]
    if not connection.in_atomic_block:
        raise RuntimeError("append_only_erasure() must run inside the erasure transaction.")
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [ERASURE_SETTING])
    token = _erasing.set(True)
    try:
        yield
    finally:
        _erasing.reset(token)
        if postgres:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config(%s, 'off', true)", [ERASURE_SETTING])
            except DatabaseError:
                pass  # the transaction failed and will roll back, setting and all


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        if not _erasing.get():
            raise AppendOnlyError(f"{self.model._meta.label} is append-only: no updates.")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        if not _erasing.get():
            raise AppendOnlyError(f"{self.model._meta.label} is append-only: no deletes.")
        return super().delete()


class AppendOnlyModel(models.Model):
    """Rows are inserted, never changed or deleted (except by account erasure)."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding and not _erasing.get():
            raise AppendOnlyError(f"{self._meta.label} is append-only: no updates.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if not _erasing.get():
            raise AppendOnlyError(f"{self._meta.label} is append-only: no deletes.")
        return super().delete(*args, **kwargs)


# --- People -------------------------------------------------------------------------------


class UserManager(BaseUserManager["User"]):
    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        # No shadow profiles (invariant 1), not even from an operator's shell: staff are
        # members who signed up and consented, then promoted. `createsuperuser` shows this.
        raise ValidationError(
            "Influence creates no account for anyone. Sign up on the site yourself, then "
            "run: manage.py grant_staff EMAIL --superuser"
        )


def new_public_slug() -> str:
    return secrets.token_urlsafe(16)


class User(AbstractBaseUser, PermissionsMixin):
    """A member: a person who signed up themselves. Nothing else creates one (invariant 1)."""

    email = models.EmailField(unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    # The member's own choice of address, /@<handle>: lower case, unique, None until chosen.
    handle = models.CharField(max_length=30, unique=True, null=True, blank=True)
    bio = models.CharField(max_length=160, blank=True)
    # The address of the member's public page: random, made with the account, never chosen,
    # so no one can reserve a name for somebody else. It answers only under consent.
    public_slug = models.CharField(
        max_length=32, unique=True, default=new_public_slug, editable=False
    )
    is_staff = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.email


class ConsentMethod(models.TextChoices):
    SIGNUP = "signup", "Sign-up form"
    CONSENT_CENTRE = "consent_centre", "Consent centre"
    RECONSENT = "reconsent", "Re-consent prompt"
    API = "api", "API"


class ConsentRecord(AppendOnlyModel):
    """One consent event, append-only: the current state is derived from the latest row.

    A member with ledger rows cannot be deleted (PROTECT) except by account erasure, which
    removes the rows first inside `append_only_erasure()`.
    """

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="consent_records")
    purpose = models.CharField(max_length=32, choices=Purpose.choices)
    granted = models.BooleanField()
    policy_version = models.CharField(max_length=32)
    text_sha256 = models.CharField(max_length=64)
    method = models.CharField(max_length=32, choices=ConsentMethod.choices)
    receipt_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    receipt = models.TextField(
        blank=True, editable=False, help_text="The signed consent receipt (compact JWS)."
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["user", "purpose", "-created_at", "-id"])]

    def __str__(self) -> str:
        verb = "granted" if self.granted else "withdrew"
        return f"{self.user_id} {verb} {self.purpose} v{self.policy_version}"


# --- Audit log ----------------------------------------------------------------------------


# The least-privilege staff role; created (with its permissions) by a moderation migration,
# granted only by `manage.py grant_staff EMAIL --moderator`.
MODERATORS_GROUP = "Moderators"


class AuditAction(models.TextChoices):
    """Every action the audit log records. The values are stored: never change one (entries
    already written keep theirs); add a member and a migration for a new action."""

    EXPORT_REQUESTED = "export.requested", "Export requested"
    EXPORT_DOWNLOADED = "export.downloaded", "Export downloaded"
    ACCOUNT_ERASED = "account.erased", "Account erased"
    STAFF_GRANTED = "staff.granted", "Made staff"
    STAFF_REVOKED = "staff.revoked", "No longer staff"
    MODERATOR_GRANTED = "moderator.granted", "Made moderator"
    # Written as f"dispute.{status}" and as raw strings before they were members.
    DISPUTE_UPHELD = "dispute.upheld", "Dispute upheld"
    DISPUTE_REJECTED = "dispute.rejected", "Dispute rejected"
    TOPIC_DENIED = "topic.deny", "Topic deny-listed"
    TOPIC_ALLOWED = "topic.allow", "Topic removed from the deny-list"
    AUDIT_EXPORTED = "audit.exported", "Audit log exported"
    SCORE_DELETED = "score.deleted", "Score and history deleted by the member"
    TOPIC_DELETED = "topic.deleted", "Topic deleted by the member"
    DISPUTE_ASSIGNED = "dispute.assigned", "Dispute assigned"
    DISPUTE_CORRECTED = "dispute.corrected", "Dispute corrected"
    DISPUTE_WITHDRAWN = "dispute.withdrawn", "Dispute withdrawn"
    FLAG_CONFIRMED = "flag.confirmed", "Gaming flag confirmed"
    FLAG_DISMISSED = "flag.dismissed", "Gaming flag dismissed"
    SCORING_FROZEN = "scoring.frozen", "Scoring frozen for an investigation"
    SCORING_UNFROZEN = "scoring.unfrozen", "Scoring freeze lifted"


class AuditEntry(AppendOnlyModel):
    """Append-only audit log of what was done about a member, and by whom.

    ``subject_ref`` and ``actor_ref`` are the members' pseudonyms (keyed hashes of their
    ids). Account erasure deletes the entries about the member, pseudonymises the entries
    where they acted, and leaves one entry holding only the pseudonym, the time and the
    action.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=64, choices=AuditAction.choices)
    subject = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_entries"
    )
    subject_ref = models.CharField(max_length=64, blank=True, db_index=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_ref = models.CharField(max_length=64, blank=True)
    detail = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"


# --- Data export (GDPR Art. 15 and 20) ------------------------------------------------------


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting for a worker"
    RUNNING = "running", "Collecting your data"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


class DataExport(models.Model):
    """One export of everything held about a member, built by a worker, downloadable a while."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    status = models.CharField(
        max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    step = models.CharField(max_length=200, blank=True)
    file = models.FileField(upload_to="exports/", max_length=255, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export {self.id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


# --- API access (issue 12) ------------------------------------------------------------------


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Read and write"


class PersonalAccessToken(models.Model):
    """A member's own key to the API, shown once; only its SHA-256 is kept.

    ``scope`` ``read`` allows safe methods only; ``write`` allows everything the member can
    do, except creating more tokens (that needs the browser session). A token is usable
    while not revoked and before ``expires_at``.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The first characters, to recognise it.")
    token_sha256 = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=8, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.WRITE


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` a member sent with a request that creates something.

    The same key with the same body answers with what the first request created; the same
    key with another body is refused. ``resource`` names what was created (``kind:id``).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="idempotency_keys")
    key = models.CharField(max_length=255)
    operation = models.CharField(max_length=64)
    request_sha256 = models.CharField(max_length=64)
    resource = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "operation", "key"], name="uniq_idempotency_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


# --- Public profile: handles and links --------------------------------------------------


class RetiredHandle(models.Model):
    """A handle a member gave up: held for them until ``available_at``, so nobody else can
    take it over while links to the old address still circulate (/@old redirects)."""

    handle = models.CharField(max_length=30, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="retired_handles")
    retired_at = models.DateTimeField(default=timezone.now)
    available_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-retired_at"]

    def __str__(self) -> str:
        return f"@{self.handle} (until {self.available_at:%Y-%m-%d})"


class ProfileLink(models.Model):
    """A verified connected account (allauth) the member ticked "show on my profile"."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="profile_links")
    social_account = models.OneToOneField(
        "socialaccount.SocialAccount", on_delete=models.CASCADE, related_name="profile_link"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"link {self.social_account_id}"


# --- Notifications ------------------------------------------------------------------------


class NotificationKind(models.TextChoices):
    IMPORT_DONE = "import_done", "An import finished"
    IMPORT_REFUSED = "import_refused", "An import was refused"
    SCORE_FIRST = "score_first", "Your first score"
    SCORE_CHANGED = "score_changed", "Your score changed noticeably"
    DISPUTE_ANSWERED = "dispute_answered", "A moderator answered your dispute"
    TOPIC_DENIED = "topic_denied", "A topic was removed by the deny-list"
    CONSENT_RECEIPT = "consent_receipt", "A consent receipt"
    EXPORT_READY = "export_ready", "Your data export is ready"
    SCORING_FROZEN = "scoring_frozen", "Moderators paused or resumed your scoring"


class Notification(models.Model):
    """One thing the member is told about, on site (and by email if they chose the kind)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path on this site.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    email_wanted = models.BooleanField(default=False)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            ),
            models.Index(fields=["user", "-created_at", "-id"], name="notification_list"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"


class NotificationEmailChoice(models.Model):
    """The member wants this kind of notification by email too (none are, by default)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notification_emails")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="uniq_notification_email")
        ]

    def __str__(self) -> str:
        return f"email {self.kind}"
