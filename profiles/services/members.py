"""Changes to a member's account that are not about consent."""

from __future__ import annotations

from django.db import transaction

from profiles.models import AuditAction, User
from profiles.services.audit import audit_record


class MemberError(Exception):
    """A change that cannot be made; the message says why."""


@transaction.atomic
def member_staff_set(*, email: str, staff: bool, superuser: bool = False) -> User:
    """Make an existing member staff (or superuser), or take it away; audited.

    Only a member who signed up and consented can become staff: this never creates anyone.
    """
    member = User.objects.select_for_update().filter(email__iexact=email.strip()).first()
    if member is None:
        raise MemberError(
            f"No member signed up as {email}. Staff are members: sign up on the site first."
        )
    member.is_staff = staff
    member.is_superuser = staff and superuser
    member.save(update_fields=["is_staff", "is_superuser"])
    audit_record(
        action=AuditAction.STAFF_GRANTED if staff else AuditAction.STAFF_REVOKED,
        subject=member,
        detail={"superuser": member.is_superuser},
    )
    return member


@transaction.atomic
def member_update(*, user: User, display_name: str) -> User:
    """Change what the member calls themself (the account page and the API call this)."""
    display_name = (display_name or "").strip()
    if len(display_name) > 80:
        raise MemberError("A display name is up to 80 characters.")
    member = User.objects.select_for_update().get(pk=user.pk)
    member.display_name = display_name
    member.save(update_fields=["display_name"])
    return member
