"""The console's audit log page (issue 11): admins only, filters by action and range of
days, pages of 50, pseudonymous references and action names, a link to the CSV export."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from moderation.services.deny_list import denied_topic_add
from moderation.services.disputes import dispute_answer, dispute_open
from profiles.models import AuditAction, User
from profiles.pseudonyms import member_pseudonym
from profiles.services.audit import audit_record
from tests.admin.conftest import admin_member  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
URL = "/moderation/audit/"


@pytest.fixture
def admin_client(client: Client, admin_member: User) -> Client:  # noqa: F811
    client.force_login(admin_member)
    return client


def test_a_moderator_may_not_read_the_audit_log_and_is_not_offered_it(
    client: Client, mod: User
) -> None:
    client.force_login(mod)
    assert client.get(URL).status_code == 403
    assert b"Audit log" not in client.get("/moderation/").content


def test_the_admin_sees_each_action_by_name_with_pseudonyms_never_names(
    admin_client: Client,
    alice: User,
    mod: User,
    admin_member: User,  # noqa: F811
) -> None:
    dispute = dispute_open(member=alice, subject="score", reason="My followers are real.")
    dispute_answer(
        moderator=mod, dispute_id=dispute.pk, outcome="reject", reason="It matches your data."
    )
    denied_topic_add(moderator=mod, label="gambling", reason="A sensitive category")
    page = admin_client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Audit log" in admin_client.get("/moderation/").content.decode()
    for label in ("Dispute rejected", "Topic deny-listed"):
        assert label in html
    assert member_pseudonym(mod.pk)[:12] in html
    assert member_pseudonym(alice.pk)[:12] in html
    assert "It matches your data." in html and "label: gambling" in html
    for name in (alice.email, mod.email, "alice@", "mod@"):
        assert name not in html
    # Every row has a name for its action, never the admin's "-".
    rows = page.context["rows"]
    assert rows and all(r.label and r.label != "-" for r in rows)
    assert [r.entry.action for r in rows][:2] == ["topic.deny", "dispute.rejected"]
    assert 'href="/admin/profiles/auditentry/export/"' in html


def test_filters_by_action_and_days(admin_client: Client, alice: User, mod: User) -> None:
    with time_machine.travel(timezone.now() - timedelta(days=5)):
        old = audit_record(action=AuditAction.SCORING_FROZEN, subject=alice, actor=mod)
    new = audit_record(action=AuditAction.SCORING_UNFROZEN, subject=alice, actor=mod)
    page = admin_client.get(URL, {"action": "scoring.unfrozen"})
    assert [r.entry.pk for r in page.context["rows"]] == [new.pk]
    today = timezone.localdate()
    five_ago = timezone.localdate(old.at)

    def shown(**query: str) -> set[int]:
        return {r.entry.pk for r in admin_client.get(URL, query).context["rows"]}

    recent = shown(since=(today - timedelta(days=2)).isoformat(), until=today.isoformat())
    assert new.pk in recent and old.pk not in recent
    assert shown(since=five_ago.isoformat(), until=five_ago.isoformat()) == {old.pk}
    assert shown(until=(today - timedelta(days=1)).isoformat()) == {old.pk}
    assert shown(since=(today + timedelta(days=1)).isoformat()) == set()
    assert shown(action="scoring.frozen", since=today.isoformat()) == set()
    later = (today + timedelta(days=1)).isoformat()
    assert b"No entries match" in admin_client.get(URL, {"since": later}).content
    # A full range pre-fills the export's form.
    page = admin_client.get(URL, {"since": today.isoformat(), "until": today.isoformat()})
    assert f"export/?since={today.isoformat()}&amp;until={today.isoformat()}" in (
        page.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"action": "nope"}, "Choose an action from the list."),
        ({"since": "yesterday"}, "The first day must be a date"),
        ({"until": "31/01"}, "The last day must be a date"),
        ({"since": "+1", "until": "0"}, "The last day comes before the first."),
    ],
)
def test_bad_filters_are_refused_with_the_reason_and_show_nothing(
    admin_client: Client, alice: User, query: dict[str, str], message: str
) -> None:
    audit_record(action=AuditAction.SCORE_DELETED, subject=alice, actor=alice)
    today = timezone.localdate()
    for key, value in list(query.items()):
        if value in ("0", "+1"):  # days from today
            query[key] = (today + timedelta(days=int(value))).isoformat()
    page = admin_client.get(URL, query)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert page.context["rows"] == []


def test_pages_of_fifty_newest_first_keeping_the_filters(admin_client: Client, alice: User) -> None:
    entries = [
        audit_record(action=AuditAction.SCORE_DELETED, subject=alice, actor=alice)
        for _ in range(51)
    ]
    audit_record(action=AuditAction.TOPIC_DELETED, subject=alice, actor=alice)
    first = admin_client.get(URL, {"action": "score.deleted"})
    assert [r.entry.pk for r in first.context["rows"]] == [e.pk for e in entries[::-1][:50]]
    assert 'href="?action=score.deleted&amp;page=2"' in first.content.decode()
    second = admin_client.get(URL, {"action": "score.deleted", "page": "2"})
    assert [r.entry.pk for r in second.context["rows"]] == [entries[0].pk]
    assert "Page 2 of 2" in second.content.decode()
    # A page past the end, or not a number, shows a real page rather than an error.
    assert admin_client.get(URL, {"page": "99"}).status_code == 200
    assert admin_client.get(URL, {"page": "x"}).status_code == 200


def test_an_entry_by_the_site_itself_shows_influence_and_no_member(
    admin_client: Client,
) -> None:
    audit_record(action=AuditAction.AUDIT_EXPORTED, detail={"rows": 3})
    html = admin_client.get(URL).content.decode()
    assert "Influence" in html and "No member" in html and "rows: 3" in html
