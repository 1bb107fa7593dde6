"""The personal-data registry: every model that holds data about a member, and what export
and erasure do with it.

Export (``profiles.services.exports``) writes every row each entry finds for the member,
minus its secret fields. Erasure (``profiles.services.erasure``) deletes them, in the order
listed here (rows that point at others first). ``tests/profiles/test_registry.py`` walks
every installed model: one with a foreign-key path to the member that is missing here fails
the build, so a new model cannot quietly escape export and erasure.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db.models import Model, QuerySet


class Erase(StrEnum):
    DELETE = "deleted"
    LEDGER = "deleted (append-only: only inside account erasure)"
    AUDIT = "deleted; entries where the member acted keep only their pseudonym"
    USER = "deleted last, with the account"


@dataclass(frozen=True)
class Holding:
    model: str  # "app_label.ModelName"
    path: str  # lookup from a row to the member's id
    what: str  # in plain words, for docs/privacy.md and the export
    erase: Erase = Erase.DELETE
    exported: bool = True
    # Never exported: credentials (not data about you) or other people's data.
    withheld_fields: tuple[str, ...] = ()
    file_fields: tuple[str, ...] = ()  # files on storage, removed after the erasure commits

    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    def rows(self, user_id: int) -> QuerySet[Model]:
        return self.model_class()._default_manager.filter(**{self.path: user_id})


HOLDINGS: list[Holding] = [
    # --- scoring: signals, scores, topics ---------------------------------------------
    Holding("scoring.GamingFlag", "user_id", "patterns that looked like gaming, with evidence"),
    Holding(
        "moderation.ScoreAdjustment",
        "user_id",
        "manual corrections moderators made to your score, each with its reason",
    ),
    Holding(
        "moderation.FlagReview",
        "user_id",
        "moderators' reviews of gaming flags on your score, each with its reason",
    ),
    Holding(
        "moderation.ScoringFreeze",
        "user_id",
        "times scoring was paused for you during a review, with the reason",
    ),
    Holding("moderation.Dispute", "user_id", "your disputes and how moderators resolved them"),
    Holding("scoring.Topic", "user_id", "your topics: suggested, approved, rejected, blocked"),
    Holding(
        "scoring.TopicBlock",
        "user_id",
        "labels you blocked; kept when you withdraw scoring, deleted with your account",
    ),
    Holding("scoring.ScoreSnapshot", "user_id", "your score history, one entry per run"),
    Holding("scoring.Score", "user_id", "your current score with its components"),
    Holding("scoring.ScoringState", "user_id", "when you are next due for scoring"),
    # Found through their sources: these tables are indexed by source only (signals/models).
    Holding("signals.Follow", "source__user_id", "follows, with counterparts as keyed hashes"),
    Holding(
        "signals.Engagement", "source__user_id", "engagement counts, counterparts as keyed hashes"
    ),
    Holding("signals.Post", "user_id", "per-post aggregates (never the text)"),
    Holding("signals.ImportedContent", "source__user_id", "hashes of archives already read"),
    Holding(
        "signals.ImportJob",
        "user_id",
        "your archive uploads and their outcome",
        file_fields=("file",),
    ),
    Holding("signals.Source", "user_id", "the accounts you connected or imported"),
    # --- sign-in: allauth ---------------------------------------------------------------
    Holding(
        "socialaccount.SocialToken",
        "account__user_id",
        "tokens from the providers you signed in or connected with",
        withheld_fields=("token", "token_secret"),
    ),
    Holding(
        "profiles.ProfileLink", "user_id", "which connected accounts your public page links to"
    ),
    Holding("socialaccount.SocialAccount", "user_id", "the provider accounts you signed in with"),
    Holding(
        "mfa.Authenticator",
        "user_id",
        "your two-factor authenticators",
        withheld_fields=("data",),
    ),
    Holding(
        "usersessions.UserSession",
        "user_id",
        "your signed-in sessions: IP address, browser and last activity",
        withheld_fields=("session_key", "data"),
    ),
    Holding(
        "account.EmailConfirmation",
        "email_address__user_id",
        "pending email confirmations",
        withheld_fields=("key",),
    ),  # fmt: skip
    Holding("account.EmailAddress", "user_id", "your email addresses and their verification"),
    Holding(
        "admin.LogEntry",
        "user_id",
        "admin actions you took as a staff member",
        withheld_fields=("object_repr", "change_message"),  # about other people
    ),
    # --- the API: personal tokens, third-party apps (OAuth 2) ------------------------------
    Holding(
        "profiles.PersonalAccessToken",
        "user_id",
        "your personal API tokens (names, scopes, when used; never the secrets)",
        withheld_fields=("token_sha256",),
    ),
    Holding("profiles.IdempotencyKey", "user_id", "keys you sent with API uploads"),
    Holding(
        "oauth2_provider.RefreshToken",
        "user_id",
        "refresh tokens of apps you authorised",
        withheld_fields=("token", "token_checksum"),
    ),
    Holding(
        "oauth2_provider.AccessToken",
        "user_id",
        "access tokens of apps you authorised",
        withheld_fields=("token", "token_checksum"),
    ),
    Holding(
        "oauth2_provider.IDToken",
        "user_id",
        "identity tokens issued to apps you authorised",
        withheld_fields=("jti",),
    ),
    Holding(
        "oauth2_provider.Grant",
        "user_id",
        "authorisation codes given to apps",
        withheld_fields=("code", "code_challenge"),
    ),
    Holding(
        "oauth2_provider.DeviceGrant",
        "user_id",
        "device-flow codes (the device flow is not offered, so there are none)",
        exported=False,
        withheld_fields=("device_code", "user_code"),
    ),
    Holding(
        "oauth2_provider.Application",
        "user_id",
        "apps you registered as a developer",
        withheld_fields=("client_secret",),
    ),
    # --- people -------------------------------------------------------------------------
    Holding("profiles.DataExport", "user_id", "your data exports", file_fields=("file",)),
    Holding("profiles.Notification", "user_id", "your notifications, read and unread"),
    Holding("profiles.NotificationEmailChoice", "user_id", "which notifications you get by email"),
    Holding("profiles.RetiredHandle", "user_id", "handles you gave up, held for you a while"),
    Holding(
        "profiles.AuditEntry",
        "subject_id",
        "the audit log of what was done about you",
        erase=Erase.AUDIT,
    ),
    Holding(
        "profiles.ConsentRecord",
        "user_id",
        "every consent you gave or withdrew, with its signed receipt",
        erase=Erase.LEDGER,
    ),
    Holding("profiles.User_groups", "user_id", "staff groups you belong to"),
    Holding("profiles.User_user_permissions", "user_id", "staff permissions you hold"),
    Holding(
        "profiles.User",
        "id",
        "your account",
        erase=Erase.USER,
        withheld_fields=("password",),
    ),
]

# Personal data with no foreign key to the member, handled by name.
UNLINKED: dict[str, str] = {
    "sessions.Session": (
        "Sign-in sessions hold your id inside their signed data. Erasure ends every session "
        "of yours; they are not exported (they are keys, not data about you)."
    ),
    "admin.LogEntry (about you)": (
        "Admin history entries whose object is your account are deleted by erasure."
    ),
    "scoring run artefacts": (
        "A scoring run keeps, in the database (scoring.RunArtefact), the ids of the members "
        "it scores and the trust of every account in the graph; they are deleted when the "
        "run ends, minutes later (or, for a run that outlived its tasks, by the janitor), "
        "and are not exported. Its batches (scoring.ScoringBatch) keep the first and last "
        "member id of each batch, deleted a day after the run ends."
    ),
}


def holding_for(label: str) -> Holding | None:
    return next((h for h in HOLDINGS if h.model == label), None)
