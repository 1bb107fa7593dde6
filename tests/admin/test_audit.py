"""The audit log (issues 9 and 11): one enum of actions, append-only in the database,
pseudonymous after erasure, exported as safe CSV by admins, and shown to each member."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from moderation.models import Dispute
from moderation.services.deny_list import denied_topic_add, denied_topic_remove
from moderation.services.disputes import dispute_resolve
from profiles.admin import csv_cell
from profiles.models import AuditAction, AuditEntry, User
from profiles.pseudonyms import member_pseudonym
from profiles.services.audit import AuditError, audit_record
from profiles.services.erasure import account_erase

pytestmark = pytest.mark.django_db

# The trigger exists on PostgreSQL only (fails instead of skipping under REQUIRE_POSTGRES).
postgres_only = pytest.mark.postgres


def test_moderation_actions_are_members_of_the_enum_with_a_name(alice: User, mod: User) -> None:
    upheld = Dispute.objects.create(user=alice, subject="score", detail="", reason="Too low")
    rejected = Dispute.objects.create(user=alice, subject="topic", detail="x", reason="Not me")
    dispute_resolve(moderator=mod, dispute_id=upheld.pk, upheld=True, resolution="Fixed")
    dispute_resolve(moderator=mod, dispute_id=rejected.pk, upheld=False, resolution="Right")
    denied = denied_topic_add(moderator=mod, label="gambling", reason="not about people")
    denied_topic_remove(moderator=mod, denied=denied)
    entries = list(AuditEntry.objects.filter(actor=mod).order_by("id"))
    assert [e.action for e in entries] == [
        AuditAction.DISPUTE_UPHELD,
        AuditAction.DISPUTE_REJECTED,
        AuditAction.TOPIC_DENIED,
        AuditAction.TOPIC_ALLOWED,
    ]
    for entry in entries:
        assert entry.get_action_display() != entry.action  # a name, not the raw value


def test_entries_already_written_keep_their_values() -> None:
    # The strings written before these were members (f"dispute.{status}", "topic.deny",
    # "topic.allow") are the members' values, so old rows show their names too.
    assert AuditAction("dispute.upheld") is AuditAction.DISPUTE_UPHELD
    assert AuditAction("dispute.rejected") is AuditAction.DISPUTE_REJECTED
    assert AuditAction("topic.deny") is AuditAction.TOPIC_DENIED
    assert AuditAction("topic.allow") is AuditAction.TOPIC_ALLOWED
    stored = set(AuditEntry.objects.values_list("action", flat=True).distinct())
    assert stored <= set(AuditAction.values)


def test_the_admin_filter_and_list_name_every_action(
    client: Client, admin_member: User, alice: User, mod: User
) -> None:
    denied_topic_add(moderator=mod, label="gambling", reason="not about people")
    client.force_login(admin_member)
    page = client.get("/admin/profiles/auditentry/").content.decode()
    for action in AuditAction:
        assert action.label in page  # in the filter
    assert "Topic deny-listed</td>" in page  # in the list


def test_the_log_refuses_an_action_that_is_not_in_the_enum(alice: User) -> None:
    with pytest.raises(AuditError, match="not an audit action"):
        audit_record(action="dispute.maybe", subject=alice)
    assert not AuditEntry.objects.filter(action="dispute.maybe").exists()


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE profiles_auditentry SET action = 'account.erased' WHERE subject_id = %s",
        "DELETE FROM profiles_auditentry WHERE subject_id = %s",
    ],
)
def test_the_database_refuses_to_update_or_delete_audit_rows(alice: User, sql: str) -> None:
    audit_record(action=AuditAction.EXPORT_REQUESTED, subject=alice, actor=alice)
    with pytest.raises(IntegrityError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [alice.pk])
    entry = AuditEntry.objects.get(subject=alice)
    assert entry.action == AuditAction.EXPORT_REQUESTED


def test_erasure_leaves_keyed_hashes_in_place_of_the_member(alice: User, mod: User) -> None:
    dispute = Dispute.objects.create(user=alice, subject="score", detail="", reason="Too low")
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=True, resolution="Fixed")
    denied_topic_add(moderator=mod, label="gambling", reason="not about people")
    mod_pk, mod_ref = mod.pk, member_pseudonym(mod.pk)
    account_erase(user=mod)
    acted = AuditEntry.objects.filter(actor_ref=mod_ref)
    assert acted.count() == 2
    assert not acted.filter(actor__isnull=False).exists()
    assert AuditEntry.objects.filter(
        action=AuditAction.ACCOUNT_ERASED, subject_ref=mod_ref
    ).exists()
    assert not AuditEntry.objects.filter(subject_id=mod_pk).exists()
    assert mod_ref != str(mod_pk) and len(mod_ref) >= 16


def test_admins_export_a_date_range_as_csv_with_formulas_defused(
    client: Client, admin_member: User, mod: User
) -> None:
    now = timezone.now()
    # Reasons are stripped when written, so a leading tab or CR reaches the CSV only inside
    # the detail column; csv_cell itself is checked for them below.
    reasons = ['=HYPERLINK("http://evil")', "+1+1", "-2+3", "@SUM(A1)", "plain"]
    for reason in reasons:
        denied_topic_add(moderator=mod, label=f"t{len(reason)}{reason[-1]}", reason=reason)
    client.force_login(admin_member)
    today = timezone.localdate(now)
    url = reverse("admin:profiles_auditentry_export")
    response = client.get(url, {"since": today.isoformat(), "until": today.isoformat()})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    got = [row["reason"] for row in rows if row["action"] == AuditAction.TOPIC_DENIED]
    assert got == [
        '\'=HYPERLINK("http://evil")',
        "'+1+1",
        "'-2+3",
        "'@SUM(A1)",
        "plain",
    ]
    assert [csv_cell(v) for v in ("\tx", "\rx", "x=1", None)] == ["'\tx", "'\rx", "x=1", ""]
    assert all(row["subject_ref"] == "" or len(row["subject_ref"]) >= 16 for row in rows)
    assert mod.email not in response.content.decode()
    exported = AuditEntry.objects.get(action=AuditAction.AUDIT_EXPORTED)
    assert exported.actor == admin_member and exported.detail["rows"] == len(rows)

    # A range before today holds none of them.
    yesterday = (today - timedelta(days=1)).isoformat()
    response = client.get(url, {"since": yesterday, "until": yesterday})
    assert response.content.decode().count("\n") == 1  # the header only


@pytest.mark.parametrize(
    "query",
    [{"since": "2-3-4", "until": "x"}, {"since": "today"}, {"until_before_since": "1"}],
)
def test_a_bad_range_gets_a_clear_error_and_nothing_is_exported(
    client: Client, admin_member: User, query: dict[str, str]
) -> None:
    if "until_before_since" in query:
        today = timezone.localdate()
        query = {"since": today.isoformat(), "until": (today - timedelta(days=3)).isoformat()}
    client.force_login(admin_member)
    response = client.get(reverse("admin:profiles_auditentry_export"), query)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_only_admins_export_the_log(client: Client, mod: User) -> None:
    mod.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    client.force_login(mod)
    today = timezone.localdate().isoformat()
    response = client.get(
        reverse("admin:profiles_auditentry_export"), {"since": today, "until": today}
    )
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(action=AuditAction.AUDIT_EXPORTED).exists()


def test_members_see_the_entries_about_themselves_only(
    client: Client, alice: User, mallory: User, mod: User
) -> None:
    audit_record(action=AuditAction.EXPORT_REQUESTED, subject=alice, actor=alice)
    dispute = Dispute.objects.create(user=alice, subject="score", detail="", reason="Too low")
    dispute_resolve(moderator=mod, dispute_id=dispute.pk, upheld=False, resolution="Right")
    audit_record(action=AuditAction.EXPORT_DOWNLOADED, subject=mallory, actor=mallory)

    assert client.get(reverse("account_activity")).status_code == 302  # sign in first
    client.force_login(alice)
    page = client.get(reverse("account_activity")).content.decode()
    assert "Export requested" in page and "Dispute rejected" in page
    assert "A moderator" in page and "You" in page
    assert mod.email not in page  # staff are not named
    assert "Export downloaded" not in page  # mallory's

    client.force_login(mallory)
    page = client.get(reverse("account_activity")).content.decode()
    assert "Export downloaded" in page and "Dispute rejected" not in page
