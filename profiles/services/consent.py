"""Consent: the only writers of the ledger, and the effects of granting and withdrawing."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from profiles import hooks
from profiles.models import ConsentMethod, ConsentRecord, User
from profiles.pseudonyms import member_pseudonym
from profiles.public_cache import public_page_cache_clear
from profiles.purposes import PURPOSES, Purpose
from profiles.receipts import receipt_payload, receipt_sign
from profiles.selectors import consent_states, consent_states_forget


class ConsentError(Exception):
    """A consent change that cannot be made; the message is for the member."""


def _lock_member(user_id: int) -> User:
    # Every consent change and every score write takes this row lock first, so a
    # withdrawal and a running scoring task are serialised (invariant 2).
    return User.objects.select_for_update().get(pk=user_id)


def _append(*, user: User, purpose: str, granted: bool, method: str) -> ConsentRecord:
    """Insert one ledger row with its signed receipt; the row is never changed afterwards."""
    text = PURPOSES[purpose]
    record = ConsentRecord(
        user=user,
        purpose=purpose,
        granted=granted,
        policy_version=text.version,
        text_sha256=text.sha256,
        method=method,
        receipt_id=uuid.uuid4(),
        created_at=timezone.now(),
    )
    payload = receipt_payload(record=record, text=text, principal_id=member_pseudonym(user.pk))
    record.receipt = receipt_sign(payload)
    record.save(force_insert=True)
    consent_states_forget(member=user)
    return record


@transaction.atomic
def consents_record_signup(*, user: User, granted: Iterable[str]) -> list[ConsentRecord]:
    """Record the sign-up form's answers: the terms plus each ticked optional purpose."""
    chosen = set(granted)
    unknown = chosen - set(PURPOSES)
    if unknown:
        raise ConsentError(f"Unknown purpose: {', '.join(sorted(unknown))}.")
    if Purpose.TERMS not in chosen:
        raise ConsentError("You must accept the terms of the account to sign up.")
    consent_states_forget(member=user)
    _lock_member(user.pk)
    records = [
        _append(user=user, purpose=p, granted=True, method=ConsentMethod.SIGNUP)
        for p in PURPOSES
        if p in chosen
    ]
    _receipt_notify(member=user, records=records)
    return records


def _receipt_notify(*, member: User, records: list[ConsentRecord]) -> None:
    """One notification per consent change, linking its signed receipt (or the list)."""
    from profiles.models import NotificationKind
    from profiles.services.notifications import notification_send

    if not records:
        return
    if len(records) == 1:
        record = records[0]
        verb = "gave" if record.granted else "withdrew"
        title = f"You {verb} “{PURPOSES[record.purpose].title}”: here is your receipt"
        url = reverse("consent_receipt", args=[record.receipt_id])
    else:
        title = f"Your {len(records)} consent receipts are ready"
        url = reverse("consent_receipts")
    notification_send(
        user_id=member.pk,
        kind=NotificationKind.CONSENT_RECEIPT,
        title=title,
        body="Each receipt is signed, so you can prove what you agreed to and when.",
        url=url,
    )


def _granted(*, member: User, purpose: str) -> None:
    """What granting (or renewing) a purpose starts, in the granting transaction."""
    public_page_cache_clear(user_ids=[member.pk])
    if purpose == Purpose.SCORING:
        hooks.scoring_granted.send(user_id=member.pk)


def _withdrawn(*, member: User, purpose: str) -> None:
    """What withdrawing a purpose stops, in the withdrawing transaction.

    ``public_profile`` and ``discovery`` need no step here: the public page and the
    directory read the ledger on every request, so the new row hides the member at once;
    the cached public page and badge are cleared here.
    """
    public_page_cache_clear(user_ids=[member.pk])
    if purpose == Purpose.SCORING:
        hooks.scoring_withdrawn.send(user_id=member.pk)
    elif purpose == Purpose.API_ACCESS:
        from profiles.services.api_access import api_access_revoke

        api_access_revoke(user_id=member.pk)


@transaction.atomic
def consent_give(
    *, user: User, purpose: str, method: str = ConsentMethod.CONSENT_CENTRE
) -> ConsentRecord:
    """Grant one optional purpose (or renew it under a new policy version)."""
    if purpose not in PURPOSES or PURPOSES[purpose].required:
        raise ConsentError("That is not a purpose you can grant here.")
    consent_states_forget(member=user)  # the caller's object, if it kept them
    member = _lock_member(user.pk)
    state = consent_states(user=member)[purpose]
    if state.active:
        raise ConsentError(f"“{state.purpose.title}” is already granted.")
    record = _append(user=member, purpose=purpose, granted=True, method=method)
    _granted(member=member, purpose=purpose)
    _receipt_notify(member=member, records=[record])
    return record


@transaction.atomic
def consent_withdraw(
    *, user: User, purpose: str, method: str = ConsentMethod.CONSENT_CENTRE
) -> ConsentRecord:
    """Withdraw one optional purpose; its effects happen in this same transaction."""
    if purpose not in PURPOSES or PURPOSES[purpose].required:
        raise ConsentError("The terms cannot be withdrawn; delete the account instead.")
    consent_states_forget(member=user)  # the caller's object, if it kept them
    member = _lock_member(user.pk)
    state = consent_states(user=member)[purpose]
    if not state.granted:
        raise ConsentError(f"“{state.purpose.title}” is not granted.")
    record = _append(user=member, purpose=purpose, granted=False, method=method)
    _withdrawn(member=member, purpose=purpose)
    _receipt_notify(member=member, records=[record])
    return record


@transaction.atomic
def consents_reconsent(*, user: User, answers: Mapping[str, bool]) -> list[ConsentRecord]:
    """Record the answers to a re-consent prompt: one per purpose whose policy changed.

    Yes renews the purpose under its current version; no withdraws it, with the usual
    effects. The answers must cover exactly the purposes still waiting, so a second
    submission of the same prompt changes nothing. The terms cannot be refused here.
    """
    consent_states_forget(member=user)  # the caller's object, if it kept them
    member = _lock_member(user.pk)
    waiting = {key for key, state in consent_states(user=member).items() if state.needs_reconsent}
    if not waiting:
        raise ConsentError("These questions were already answered; nothing was changed.")
    if set(answers) != waiting:
        raise ConsentError("Answer each question below; nothing was changed.")
    if answers.get(Purpose.TERMS) is False:
        raise ConsentError(
            "The account needs the terms. If you do not accept the new terms, you can "
            "delete your account instead; nothing was changed."
        )
    records = []
    for purpose in PURPOSES:  # a stable order for the ledger
        if purpose not in answers:
            continue
        granted = answers[purpose]
        records.append(
            _append(user=member, purpose=purpose, granted=granted, method=ConsentMethod.RECONSENT)
        )
        if granted:
            _granted(member=member, purpose=purpose)
        else:
            _withdrawn(member=member, purpose=purpose)
    _receipt_notify(member=member, records=records)
    return records
