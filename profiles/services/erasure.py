"""Account erasure (GDPR Art. 17): every personal row, file, token and session, at once.

One transaction, under the member's row lock: every holding of the registry is deleted
(the append-only ledger and audit log only inside ``append_only_erasure``), the entries
where the member acted keep only their pseudonym, sessions end, and one audit entry is
left holding the pseudonym, the time and the action. Once the deletion is committed, three
independent steps follow, none of which can fail the member's deletion: each provider
token goes, sealed, to a revocation task that retries with backoff
(``profiles.token_revocation``); the files are removed; the confirmation email is sent.

Accounts whose email was never verified are erased the same way, without the email, once
they are ``UNVERIFIED_ACCOUNT_DAYS`` old (``unverified_accounts_prune``, run by beat).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from importlib import import_module

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from profiles import enqueue
from profiles.models import AuditAction, AuditEntry, User, append_only_erasure
from profiles.pseudonyms import member_pseudonym
from profiles.public_cache import public_cache_clear_handles
from profiles.registry import HOLDINGS, Erase
from profiles.token_revocation import provider_tokens, token_revoke, token_seal, token_unseal

log = logging.getLogger(__name__)


@transaction.atomic
def account_erase(*, user: User, notify: bool = True) -> AuditEntry:
    """Delete the member and everything held about them; returns the pseudonymous entry.

    `notify=False` skips the confirmation email (an address nobody verified)."""
    member = User.objects.select_for_update().get(pk=user.pk)
    user_id, email, pseudonym = member.pk, member.email, member_pseudonym(member.pk)
    # The public page and badge go from the cache too (its handles, current and held).
    public_cache_clear_handles(
        [member.handle, *member.retired_handles.values_list("handle", flat=True)]
    )
    files: list[str] = []
    sealed = [token_seal(t) for t in provider_tokens(user_id=user_id)]  # never in clear
    with append_only_erasure():
        for holding in HOLDINGS:
            rows = holding.rows(user_id)
            for field in holding.file_fields:
                files += [name for name in rows.values_list(field, flat=True) if name]
            if holding.erase == Erase.AUDIT:
                # Entries where the member acted on others stay, without the member.
                AuditEntry.objects.filter(actor_id=user_id).update(actor=None)
            if holding.erase != Erase.USER:
                rows.delete()
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(User), object_id=str(user_id)
        ).delete()
        _sessions_end(user_id)
        User.objects.filter(pk=user_id).delete()
        entry = AuditEntry.objects.create(action=AuditAction.ACCOUNT_ERASED, subject_ref=pseudonym)
    for token in sealed:
        enqueue.provider_token_revoke(sealed=token)
    transaction.on_commit(lambda: _files_delete(files), robust=True)
    if notify:
        transaction.on_commit(lambda: _confirmation_send(email), robust=True)
    log.info("account erased: %s", pseudonym)
    return entry


def provider_token_revoke(*, sealed: str) -> bool:
    """Revoke one token of an erased member (sealed by the erasure); True if the provider
    said yes. Raises RevocationPending when asking again later may help (the task retries).
    """
    return token_revoke(token_unseal(sealed))


def _sessions_end(user_id: int) -> None:
    """End every session signed in as the member: their id sits in each one's signed data,
    so the session table is read through (erasure is rare; sessions expire anyway)."""
    if not settings.SESSION_ENGINE.endswith(
        ("sessions.backends.db", "sessions.backends.cached_db")
    ):
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_id):
            store(session.session_key).delete()  # and its cached copy, for cached_db


def _files_delete(files: list[str]) -> None:
    for name in files:
        try:
            default_storage.delete(name)
        except Exception as exc:  # noqa: BLE001 - one file must not keep the others
            log.error("could not delete a file of an erased account: %s", type(exc).__name__)


def _confirmation_send(email: str) -> None:
    send_mail(
        subject="Your Influence account was deleted",
        message=(
            "Your Influence account and everything we held about you were deleted on "
            f"{timezone.now():%Y-%m-%d at %H:%M} UTC: your account, consents and receipts, "
            "sources, signals, scores, topics, exports, sign-in connections and sessions.\n\n"
            "We keep one audit entry that records only that an account was deleted and when, "
            "under a pseudonym nobody can trace back to you.\n\n"
            f"If you did not ask for this, write to {settings.CONTROLLER_EMAIL}.\n"
        ),
        from_email=None,
        recipient_list=[email],
        fail_silently=True,
    )


def unverified_accounts_prune(*, now: datetime | None = None) -> int:
    """Erase accounts with no verified email that are older than UNVERIFIED_ACCOUNT_DAYS;
    staff are never pruned. Returns how many were erased."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.UNVERIFIED_ACCOUNT_DAYS)
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    stale = (
        User.objects.filter(date_joined__lt=cutoff, is_staff=False, is_superuser=False)
        .exclude(pk__in=verified)
        .order_by("pk")
    )
    erased = 0
    for member in stale.iterator():
        account_erase(user=member, notify=False)
        erased += 1
    if erased:
        log.info("pruned %s accounts whose email was never verified", erased)
    return erased
