"""The Moderators group (issue 11): least privilege, granted only by `grant_staff`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError

from profiles.models import MODERATORS_GROUP, AuditAction, AuditEntry, User

pytestmark = pytest.mark.django_db

MODERATOR_PERMISSIONS = {
    "moderation.view_dispute",
    "moderation.change_dispute",
    "moderation.view_deniedtopic",
    "moderation.add_deniedtopic",
    "moderation.delete_deniedtopic",
    "scoring.view_gamingflag",
    "scoring.view_score",
    # The console (issue 11): record flag reviews, score adjustments and freezes.
    "moderation.add_flagreview",
    "moderation.add_scoreadjustment",
    "moderation.add_scoringfreeze",
    "moderation.change_scoringfreeze",
}
# Apps holding tokens, OAuth apps, authenticators, password data, sessions, signal rows,
# handle keys, consents and the audit log: a moderator holds no permission in them.
NEVER = ("socialaccount", "mfa", "mastodon", "account", "signals", "profiles", "auth", "sessions")


def test_the_moderators_group_holds_exactly_least_privilege() -> None:
    group = Group.objects.get(name=MODERATORS_GROUP)
    held = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in group.permissions.select_related("content_type")
    }
    assert held == MODERATOR_PERMISSIONS
    assert not any(perm.split(".")[0] in NEVER for perm in held)


def test_the_mod_fixture_is_a_moderator_not_a_superuser(mod: User) -> None:
    assert mod.is_staff and not mod.is_superuser
    assert mod.groups.filter(name=MODERATORS_GROUP).exists()
    assert mod.has_perm("moderation.change_dispute")
    assert not mod.has_perm("socialaccount.view_socialtoken")
    assert not mod.has_perm("profiles.view_user")


def test_grant_staff_makes_a_moderator_audited_and_revoke_undoes_it(bob: User) -> None:
    out = StringIO()
    call_command("grant_staff", "bob@example.org", "--moderator", stdout=out)
    bob.refresh_from_db()
    assert "is now moderator" in out.getvalue()
    assert bob.is_staff and not bob.is_superuser
    assert bob.has_perm("moderation.change_dispute")
    entry = AuditEntry.objects.get(subject=bob, action=AuditAction.MODERATOR_GRANTED)
    assert entry.detail == {"superuser": False, "moderator": True}

    call_command("grant_staff", "bob@example.org", "--revoke", stdout=StringIO())
    bob = User.objects.get(pk=bob.pk)  # no cached permissions
    assert not bob.is_staff and not bob.groups.exists()
    assert not bob.has_perm("moderation.change_dispute")
    assert AuditEntry.objects.filter(subject=bob, action=AuditAction.STAFF_REVOKED).exists()


def test_one_role_at_a_time(bob: User) -> None:
    with pytest.raises(CommandError):
        call_command("grant_staff", "bob@example.org", "--moderator", "--superuser")
    bob.refresh_from_db()
    assert not bob.is_staff
    assert not AuditEntry.objects.filter(subject=bob).exists()
