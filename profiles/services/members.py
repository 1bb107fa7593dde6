"""Changes to a member's account that are not about consent."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from profiles.models import MODERATORS_GROUP, AuditAction, User
from profiles.services.audit import audit_record


class MemberError(Exception):
    """A change that cannot be made; the message says why."""


@transaction.atomic
def member_staff_set(
    *, email: str, staff: bool, superuser: bool = False, moderator: bool = False
) -> User:
    """Make an existing member staff, moderator or superuser, or take it all away; audited.

    This is the only way staff flags and the Moderators group change: the admin shows them
    read-only. Only a member who signed up and consented can become staff: this never
    creates anyone.
    """
    if superuser and moderator:
        raise MemberError("Choose one role: --moderator or --superuser.")
    if not staff and (superuser or moderator):
        raise MemberError("--revoke takes every role away; give no role with it.")
    member = User.objects.select_for_update().filter(email__iexact=email.strip()).first()
    if member is None:
        raise MemberError(
            f"No member signed up as {email}. Staff are members: sign up on the site first."
        )
    group = Group.objects.filter(name=MODERATORS_GROUP).first()
    if moderator and group is None:
        raise MemberError(f"The {MODERATORS_GROUP} group is missing: run manage.py migrate.")
    member.is_staff = staff
    member.is_superuser = staff and superuser
    member.save(update_fields=["is_staff", "is_superuser"])
    if group is not None:
        if moderator:
            member.groups.add(group)
        else:
            member.groups.remove(group)
    if moderator:
        action = AuditAction.MODERATOR_GRANTED
    else:
        action = AuditAction.STAFF_GRANTED if staff else AuditAction.STAFF_REVOKED
    audit_record(
        action=action,
        subject=member,
        detail={"superuser": member.is_superuser, "moderator": moderator},
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
