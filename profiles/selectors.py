"""Reads about people and their consent. The current consent state is derived here, only."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from profiles.member_cache import member_cached
from profiles.models import (
    AuditEntry,
    ConsentRecord,
    DataExport,
    ExportStatus,
    Notification,
    NotificationEmailChoice,
    User,
)
from profiles.purposes import PURPOSES, Purpose, PurposeText


@dataclass(frozen=True)
class ConsentState:
    purpose: PurposeText
    granted: bool
    version: str | None
    since: datetime | None

    @property
    def active(self) -> bool:
        """Granted under the current policy version: only then may anything be done."""
        return self.granted and self.version == self.purpose.version

    @property
    def needs_reconsent(self) -> bool:
        return self.granted and self.version != self.purpose.version


def _consent_latest(user: User) -> dict[str, tuple[bool, str, datetime]]:
    """Each purpose's latest ledger row: granted, policy version, when."""
    latest: dict[str, tuple[bool, str, datetime]] = {}
    rows = ConsentRecord.objects.filter(user=user).order_by("created_at", "id")
    for purpose, granted, version, at in rows.values_list(
        "purpose", "granted", "policy_version", "created_at"
    ):
        latest[purpose] = (granted, version, at)
    return latest


def _consent_states_from(latest: dict[str, tuple[bool, str, datetime]]) -> dict[str, ConsentState]:
    # Built against the current policy texts (a new version asks again at once).
    states = {}
    for key, text in PURPOSES.items():
        rec = latest.get(key)
        states[key] = ConsentState(
            purpose=text,
            granted=bool(rec and rec[0]),
            version=rec[1] if rec else None,
            since=rec[2] if rec else None,
        )
    return states


def consent_states(*, user: User) -> dict[str, ConsentState]:
    """The current state of every purpose for one member, from the latest ledger row each."""
    return _consent_states_from(_consent_latest(user))


_STATES_MEMO = "_consent_states_read"


def consent_states_of_request(*, member: User) -> dict[str, ConsentState]:
    """``consent_states`` of a request's signed-in member, read once for the request: kept
    on the member's object (``request.user``, loaded for this request alone), so the
    re-consent check and the page share one query. The consent services forget it when
    they append a row for that object; anything else reads the ledger (``consent_states``).
    Across requests the ledger's latest rows are kept in the cache under the member's
    version, which every new ledger row changes (``profiles.member_cache``).
    """
    states = member.__dict__.get(_STATES_MEMO)
    if states is None:
        latest = member_cached(
            user_id=member.pk, name="consent", compute=lambda: _consent_latest(member)
        )
        states = member.__dict__[_STATES_MEMO] = _consent_states_from(latest)
    return states


def consent_states_forget(*, member: User) -> None:
    """Drop what ``consent_states_of_request`` kept: the member's consent just changed."""
    member.__dict__.pop(_STATES_MEMO, None)


def purposes_awaiting_reconsent(*, user: User) -> list[ConsentState]:
    """Purposes the member granted under a policy version that has since changed.

    Nothing new is done under them (``active`` is false) until the member answers.
    """
    return [s for s in consent_states(user=user).values() if s.needs_reconsent]


def has_active_consent(*, user_id: int, purpose: Purpose) -> bool:
    """Whether the member's latest ledger row grants the purpose under its current version."""
    rec = (
        ConsentRecord.objects.filter(user_id=user_id, purpose=purpose)
        .order_by("-created_at", "-id")
        .values("granted", "policy_version")
        .first()
    )
    return bool(rec and rec["granted"] and rec["policy_version"] == PURPOSES[purpose].version)


def _latest(purpose: Purpose, field: str, output: Any) -> Subquery:
    latest = ConsentRecord.objects.filter(user=OuterRef("pk"), purpose=purpose).order_by(
        "-created_at", "-id"
    )
    return Subquery(latest.values(field)[:1], output_field=output)


def with_consent_state(users: QuerySet[User], purpose: Purpose) -> QuerySet[User]:
    """Annotate each member with their latest row for the purpose, in the same query; read
    it back with ``consent_active_on``."""
    key = purpose.value
    return users.annotate(
        **{
            f"_{key}_granted": _latest(purpose, "granted", BooleanField()),
            f"_{key}_version": _latest(purpose, "policy_version", CharField()),
        }
    )


def consent_active_on(user: User, purpose: Purpose) -> bool:
    """Whether a member loaded through ``with_consent_state`` grants the purpose now."""
    key = purpose.value
    return (
        bool(getattr(user, f"_{key}_granted", False))
        and getattr(user, f"_{key}_version", None) == PURPOSES[purpose].version
    )


def with_active_consent(users: QuerySet[User], purpose: Purpose) -> QuerySet[User]:
    """Narrow a queryset of members to those whose latest row grants the purpose now."""
    key = purpose.value
    return with_consent_state(users, purpose).filter(
        **{f"_{key}_granted": True, f"_{key}_version": PURPOSES[purpose].version}
    )


def with_verified_email(users: QuerySet[User]) -> QuerySet[User]:
    """Narrow a queryset of members to those who verified an email address (allauth's
    EmailAddress.verified): what public profile and discovery need, besides consent, so
    nobody can make someone else's address public by signing it up."""
    from allauth.account.models import EmailAddress

    return users.filter(Exists(EmailAddress.objects.filter(user_id=OuterRef("pk"), verified=True)))


def users_with_active_consent(purpose: Purpose) -> QuerySet[User]:
    """Members whose latest ledger row for the purpose grants it under the current version."""
    return with_active_consent(User.objects.filter(is_active=True), purpose)


def consent_history(*, user: User) -> QuerySet[ConsentRecord]:
    return ConsentRecord.objects.filter(user=user).order_by("-created_at", "-id")


# --- Receipts ---------------------------------------------------------------------------


def consent_record_for_member(*, member: User, receipt_id: Any) -> ConsentRecord:
    """One ledger row by its receipt id, only for its own member; anything else is a 404."""
    record = ConsentRecord.objects.filter(receipt_id=receipt_id).filter(user=member).first()
    if record is None:
        raise Http404("No such receipt.")
    return record


def receipt_token(record: ConsentRecord) -> str:
    """The row's signed receipt. Rows from before receipts existed are signed now, once asked."""
    if record.receipt:
        return record.receipt
    from profiles.pseudonyms import member_pseudonym
    from profiles.receipts import receipt_payload, receipt_sign

    text = PURPOSES[record.purpose]
    if text.sha256 != record.text_sha256:
        text = replace(text, text=f"(the text with SHA-256 {record.text_sha256})")
    payload = receipt_payload(
        record=record, text=text, principal_id=member_pseudonym(record.user_id)
    )
    return receipt_sign(payload)


def receipt_document(record: ConsentRecord) -> dict[str, Any]:
    """One receipt as members download it: the JWS, its decoded content, how to verify it."""
    from profiles.receipts import b64url_decode

    token = receipt_token(record)
    return {
        "consentReceiptID": str(record.receipt_id),
        "jws": token,
        "receipt": json.loads(b64url_decode(token.split(".")[1])),
        "verify": {
            "jwks": f"{settings.SITE_URL}{reverse('jwks')}",
            "page": f"{settings.SITE_URL}{reverse('receipt_verify')}",
        },
    }


def receipt_documents(*, user: User) -> dict[str, Any]:
    """Every receipt of one member, oldest first."""
    records = ConsentRecord.objects.filter(user=user).order_by("created_at", "id")
    return {"receipts": [receipt_document(r) for r in records]}


# --- Exports --------------------------------------------------------------------------


def latest_data_export(*, member: User) -> DataExport | None:
    return DataExport.objects.filter(user=member).order_by("-created_at").first()


def data_export_for_member(*, member: User, export_id: Any) -> DataExport:
    """One export, only for its own member; anything else is a 404."""
    export = DataExport.objects.filter(pk=export_id).filter(user=member).first()
    if export is None:
        raise Http404("No such export.")
    return export


def data_export_download(*, member: User, export_id: Any) -> DataExport:
    """A finished export's file, only for its own member and only until it expires; else 404."""
    export = data_export_for_member(member=member, export_id=export_id)
    if export.status != ExportStatus.DONE or not export.file or export.expired:
        raise Http404("This export is not available (it may have expired).")
    if not export.file.name or not export.file.storage.exists(export.file.name):
        # Pruned, or lost with a disk: never a server error, ask for a new one.
        raise Http404("This export's file is no longer available; request a new export.")
    return export


# --- The audit log ------------------------------------------------------------------------


def audit_entries_between(*, since: date, until: date) -> QuerySet[AuditEntry]:
    """Entries from the start of `since` to the end of `until` (both days included, in the
    site's time zone), oldest first."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone)
    return AuditEntry.objects.filter(at__gte=start, at__lt=end).order_by("at", "id")


def audit_entries_about(*, member: User) -> QuerySet[AuditEntry]:
    """What the audit log holds about the member (they are its subject), newest first."""
    return AuditEntry.objects.filter(subject=member).select_related("actor").order_by("-at", "-id")


@dataclass(frozen=True)
class AccountSettings:
    """What the account settings page shows: sign-in addresses, password, two-factor,
    sessions and connected sign-in accounts."""

    emails: list[Any]
    has_password: bool
    totp_active: bool
    recovery_codes_left: int | None  # None: no recovery codes generated
    sessions: list[Any]
    social_accounts: list[Any]


def account_settings_for_member(*, member: User) -> AccountSettings:
    """The member's own sign-in settings, in a fixed number of queries."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount
    from allauth.usersessions.models import UserSession

    authenticators = {a.type: a for a in Authenticator.objects.filter(user=member)}
    codes = authenticators.get(Authenticator.Type.RECOVERY_CODES)
    codes_left = None
    if codes is not None:
        codes_left = len(codes.wrap().get_unused_codes())
    return AccountSettings(
        emails=list(EmailAddress.objects.filter(user=member).order_by("-primary", "email")),
        has_password=member.has_usable_password(),
        totp_active=Authenticator.Type.TOTP in authenticators,
        recovery_codes_left=codes_left,
        sessions=list(UserSession.objects.filter(user=member).order_by("-last_seen_at")),
        social_accounts=list(SocialAccount.objects.filter(user=member).order_by("provider")),
    )


# --- API access -------------------------------------------------------------------------


def member_api_tokens(*, member: User) -> QuerySet[Any]:
    from profiles.models import PersonalAccessToken

    return PersonalAccessToken.objects.filter(user=member)


def api_token_for_member(*, member: User, token_id: Any) -> Any:
    """One personal token, only for its own member; anything else is a 404."""
    token = member_api_tokens(member=member).filter(pk=token_id).first()
    if token is None:
        raise Http404("No such token.")
    return token


def member_authorised_apps(*, member: User) -> QuerySet[Any]:
    """Third-party apps holding a live token or grant for the member, each with
    ``last_authorised`` (when a token was last issued)."""
    from django.db.models import Max, Q
    from oauth2_provider.models import get_application_model

    application = get_application_model()
    held = (
        Q(accesstoken__user=member)
        | Q(refreshtoken__user=member, refreshtoken__revoked__isnull=True)
        | Q(grant__user=member)
    )
    return (
        application.objects.filter(held)
        .annotate(last_authorised=Max("accesstoken__created"))
        .distinct()
    )


def authorised_app_for_member(*, member: User, app_id: Any) -> Any:
    app = member_authorised_apps(member=member).filter(pk=app_id).first()
    if app is None:
        raise Http404("No such app.")
    return app


# --- Notifications --------------------------------------------------------------------


def notifications_unread_count(*, member: User) -> int:
    return Notification.objects.filter(user=member, read_at__isnull=True).count()


def member_notifications(*, member: User) -> QuerySet[Notification]:
    return Notification.objects.filter(user=member).order_by("-created_at", "-id")


def notification_email_kinds(*, member: User) -> set[str]:
    return set(NotificationEmailChoice.objects.filter(user=member).values_list("kind", flat=True))
