"""Account deletion (Art. 17): every personal row, file, token and session goes; one
pseudonymous audit entry stays."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from django.apps import apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from profiles.models import AuditAction, AuditEntry, ConsentRecord, User
from profiles.pseudonyms import member_pseudonym
from profiles.services.erasure import account_erase
from scoring.models import Score
from signals.models import Source
from tests.profiles.conftest import (
    ALICE_GITHUB_LOGIN,
    ALICE_GITHUB_UID,
    ALICE_HANDLE,
    SECRETS,
    give_score,
)
from tests.security.conftest import revocations_run

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def github_api() -> Iterator[responses.RequestsMock]:
    """GitHub's token endpoint, as documented; no test reaches the real one."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.delete(re.compile(r"https://api\.github\.com/applications/[^/]+/token"), status=204)
        yield mock


def tables_containing(needle: str) -> list[str]:
    """Every table and column whose text holds the needle, across the whole database."""
    hits = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            for column in connection.introspection.get_table_description(cursor, table):
                name = connection.ops.quote_name(column.name)
                cursor.execute(
                    f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)} "  # noqa: S608
                    f"WHERE LOWER(CAST({name} AS TEXT)) LIKE %s",
                    [f"%{needle.lower()}%"],
                )
                if cursor.fetchone()[0]:
                    hits.append(f"{table}.{column.name}")
    return hits


def rows_pointing_at(user_id: int) -> list[str]:
    """Every foreign-key column, in every installed model, that still holds the user id."""
    hits = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                if model._default_manager.filter(**{field.attname: user_id}).exists():
                    hits.append(f"{model._meta.label}.{field.attname}")
    return hits


def test_erasure_leaves_nothing_of_the_member_in_any_table(
    rich_alice: User,
    mallory: User,
    django_capture_on_commit_callbacks,
    github_api: responses.RequestsMock,
    unconsumed_queue: str,
) -> None:
    Client().force_login(rich_alice)  # a live session, to be ended
    user_id, email = rich_alice.pk, rich_alice.email
    needles = [email, ALICE_HANDLE, ALICE_GITHUB_LOGIN, ALICE_GITHUB_UID, *SECRETS]
    assert all(tables_containing(n) for n in needles[:4]), "the scan must see the data first"
    assert rows_pointing_at(user_id)

    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=rich_alice)
    assert revocations_run(unconsumed_queue) == [True]  # the worker's part, run here

    for needle in needles:
        assert tables_containing(needle) == [], needle
    assert [c.request.method for c in github_api.calls] == ["DELETE"]  # the token, revoked
    assert rows_pointing_at(user_id) == []
    from django.contrib.admin.models import LogEntry

    assert not LogEntry.objects.filter(object_id=str(user_id)).exists()
    from django.contrib.sessions.models import Session

    assert all(s.get_decoded().get("_auth_user_id") != str(user_id) for s in Session.objects.all())


def test_erasure_keeps_only_a_pseudonymous_audit_entry(rich_alice: User, mallory: User) -> None:
    pseudonym = member_pseudonym(rich_alice.pk)
    account_erase(user=rich_alice)
    left = AuditEntry.objects.filter(subject_ref=pseudonym)
    assert [(e.action, e.subject_id, e.actor_id, e.detail) for e in left] == [
        (AuditAction.ACCOUNT_ERASED, None, None, {})
    ]
    # What alice did to others stays in their history, under her pseudonym only.
    acted = AuditEntry.objects.get(subject=mallory)
    assert acted.actor_id is None and acted.actor_ref == pseudonym


def test_the_members_files_go_once_the_erasure_is_committed(
    rich_alice: User, media: Path, django_capture_on_commit_callbacks
) -> None:
    files = [p for p in media.rglob("*") if p.is_file()]
    assert len(files) == 2  # the uploaded archive and the export
    with django_capture_on_commit_callbacks() as callbacks:
        account_erase(user=rich_alice)
    assert all(p.exists() for p in files)  # a rolled-back erasure would keep them
    for callback in callbacks:
        callback()
    assert not any(p.exists() for p in files)


def test_erasure_touches_no_other_member(rich_alice: User, mallory: User) -> None:
    give_score(mallory)
    before = (
        ConsentRecord.objects.filter(user=mallory).count(),
        Source.objects.filter(user=mallory).count(),
    )
    account_erase(user=rich_alice)
    assert Score.objects.filter(user=mallory).exists()
    after = (
        ConsentRecord.objects.filter(user=mallory).count(),
        Source.objects.filter(user=mallory).count(),
    )
    assert before == after


# --- Through the web: reauthentication, confirmation, bad input ---------------------------


def reauthenticate(client: Client) -> None:
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code in (200, 302)


def test_deleting_asks_for_the_password_again_then_deletes_and_confirms_by_email(
    client, alice: User, mailoutbox, django_capture_on_commit_callbacks, unconsumed_queue: str
) -> None:
    client.force_login(alice)
    page = client.get(reverse("account_delete"))
    assert page.status_code == 200 and "Delete my account" in page.content.decode()

    response = client.post(reverse("account_delete"), {"confirm": "on"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.filter(pk=alice.pk).exists()  # nothing before the password

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(response["Location"], {"password": PASSWORD}, follow=True)
    assert not User.objects.filter(pk=alice.pk).exists()
    assert "were deleted" in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert "was deleted" in mailoutbox[0].subject


def test_a_wrong_password_deletes_nothing(client, alice: User) -> None:
    client.force_login(alice)
    response = client.post(reverse("account_delete"), {"confirm": "on"})
    client.post(response["Location"], {"password": "not my password"})
    assert User.objects.filter(pk=alice.pk).exists()


def test_deleting_without_ticking_the_box_deletes_nothing(client, alice: User) -> None:
    client.force_login(alice)
    reauthenticate(client)
    response = client.post(reverse("account_delete"), {})
    assert response.status_code == 200
    assert "Tick the box to confirm" in response.content.decode()
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_deletion_post_without_a_csrf_token_deletes_nothing(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert client.post(reverse("account_delete"), {"confirm": "on"}).status_code == 403
    assert User.objects.filter(pk=alice.pk).exists()


def test_a_second_deletion_post_finds_no_one_to_delete(client, alice: User, bob: User) -> None:
    client.force_login(alice)
    reauthenticate(client)
    client.post(reverse("account_delete"), {"confirm": "on"})
    response = client.post(reverse("account_delete"), {"confirm": "on"})
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    assert User.objects.filter(pk=bob.pk).exists()
    assert AuditEntry.objects.filter(action=AuditAction.ACCOUNT_ERASED).count() == 1


def test_erasure_revokes_a_mastodon_token_at_the_members_instance(
    alice: User,
    django_capture_on_commit_callbacks,
    github_api: responses.RequestsMock,
    unconsumed_queue: str,
) -> None:
    from allauth.socialaccount.models import SocialAccount, SocialToken

    from signals.providers.mastodon.models import MastodonApp

    MastodonApp.objects.create(
        domain="social.example",
        redirect_uri="http://testserver/accounts/mastodon/login/callback/",
        client_id="our-client",
        client_secret="our-secret",
    )
    account = SocialAccount.objects.create(user=alice, provider="mastodon", uid="42@social.example")
    SocialToken.objects.create(account=account, token="mastodon-token-xyz")
    # Mastodon's documented answer to POST /oauth/revoke: 200 with an empty object.
    github_api.post("https://social.example/oauth/revoke", json={}, status=200)

    with django_capture_on_commit_callbacks(execute=True):
        account_erase(user=alice)
    assert revocations_run(unconsumed_queue) == [True]

    (call,) = [c for c in github_api.calls if "oauth/revoke" in str(c.request.url)]
    body = dict(x.split("=") for x in str(call.request.body).split("&"))
    assert body == {
        "client_id": "our-client",
        "client_secret": "our-secret",
        "token": "mastodon-token-xyz",
    }
    assert not SocialToken.objects.exists()
