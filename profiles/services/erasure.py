"""Account erasure (GDPR Art. 17): every personal row, file, token and session, at once.

One transaction, under the member's row lock: every holding of the registry is deleted
(the append-only ledger and audit log only inside ``append_only_erasure``), the entries
where the member acted keep only their pseudonym, sessions end, and one audit entry is
left holding the pseudonym, the time and the action. Once the deletion is committed,
provider tokens are revoked at their provider (``profiles.token_revocation``), files are
removed and the confirmation email is sent.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from profiles.models import AuditAction, AuditEntry, User, append_only_erasure
from profiles.pseudonyms import member_pseudonym
from profiles.public_cache import public_cache_clear_handles
from profiles.registry import HOLDINGS, Erase
from profiles.token_revocation import ProviderToken, provider_tokens, token_revoke

log = logging.getLogger(__name__)


@transaction.atomic
def account_erase(*, user: User) -> AuditEntry:
    """Delete the member and everything held about them; returns the pseudonymous entry."""
    member = User.objects.select_for_update().get(pk=user.pk)
    user_id, email, pseudonym = member.pk, member.email, member_pseudonym(member.pk)
    # The public page and badge go from the cache too (its handles, current and held).
    public_cache_clear_handles(
        [member.handle, *member.retired_handles.values_list("handle", flat=True)]
    )
    files: list[str] = []
    tokens = provider_tokens(user_id=user_id)  # in memory only, revoked after the commit
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
    transaction.on_commit(lambda: _after_erasure(files=files, email=email, tokens=tokens))
    log.info("account erased: %s", pseudonym)
    return entry


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


def _after_erasure(*, files: list[str], email: str, tokens: list[ProviderToken]) -> None:
    for token in tokens:
        token_revoke(token)
    for name in files:
        try:
            default_storage.delete(name)
        except OSError:
            log.exception("could not delete a file of an erased account")
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
