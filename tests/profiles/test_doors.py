"""No shadow profiles (invariant 1), and bad input that changes nothing.

Every door through which an account, a profile or a handle could be made for someone
else is tried here, as is every way a consent could be changed for someone else.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from profiles.models import AuditAction, AuditEntry, ConsentRecord, DataExport, User
from profiles.purposes import Purpose
from profiles.registry import HOLDINGS
from profiles.selectors import consent_states, has_active_consent
from tests.builders import SIGNUP_FORM

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(mod: User) -> User:
    mod.is_superuser = True
    mod.save(update_fields=["is_superuser"])
    return mod


# --- No one makes an account or a profile for someone else --------------------------------


def test_the_admin_cannot_add_a_user(client, superuser: User) -> None:
    client.force_login(superuser)
    assert client.get("/admin/profiles/user/add/").status_code == 403
    response = client.post("/admin/profiles/user/add/", {"email": "shadow@example.org"})
    assert response.status_code == 403
    assert not User.objects.filter(email="shadow@example.org").exists()


def test_no_admin_page_adds_or_moves_personal_data(superuser: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = superuser
    for holding in HOLDINGS:
        model = holding.model_class()
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        assert not model_admin.has_add_permission(request), holding.model
        # Staff may change a member's is_active, and moderators answer disputes (the form
        # holds only the outcome and the answer, which go through the audited service).
        if holding.model not in ("profiles.User", "moderation.Dispute"):
            assert not model_admin.has_change_permission(request), holding.model
        if holding.model == "moderation.Dispute":
            form = model_admin.get_form(request, None)
            assert set(form.base_fields) == {"outcome", "resolution"}


def test_the_admin_cannot_delete_a_member_around_the_erasure(client, superuser, bob) -> None:
    client.force_login(superuser)
    url = f"/admin/profiles/user/{bob.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=bob.pk).exists()


def test_createsuperuser_creates_no_one_and_says_how_staff_are_made() -> None:
    with pytest.raises(CommandError, match="creates no account for anyone"):
        call_command(
            "createsuperuser", interactive=False, email="boss@example.org", stdout=StringIO()
        )
    assert not User.objects.exists()


def test_grant_staff_promotes_only_a_member_who_signed_up(bob: User) -> None:
    with pytest.raises(CommandError, match="No member signed up as ghost@example.org"):
        call_command("grant_staff", "ghost@example.org")
    assert not User.objects.filter(email="ghost@example.org").exists()
    out = StringIO()
    call_command("grant_staff", "BOB@example.org", "--superuser", stdout=out)
    bob.refresh_from_db()
    assert bob.is_staff and bob.is_superuser and "is now superuser" in out.getvalue()
    assert AuditEntry.objects.filter(subject=bob, action=AuditAction.STAFF_GRANTED).exists()


def test_there_is_no_invitation_door() -> None:
    def routes(resolver: URLResolver, prefix: str = "") -> list[str]:
        found = []
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                found += routes(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                found.append(prefix + str(entry.pattern))
        return found

    every_route = routes(get_resolver())
    assert len(every_route) > 50  # the walk really sees allauth's and our routes
    assert not [r for r in every_route if "invit" in r.lower() or "refer" in r.lower()]


def test_nobody_chooses_a_public_page_address(client) -> None:
    client.post(
        reverse("account_signup"),
        {**SIGNUP_FORM, "public_slug": "the-real-alice", "handle": "the_real_alice"},
    )
    user = User.objects.get(email=SIGNUP_FORM["email"])
    assert user.public_slug != "the-real-alice" and len(user.public_slug) >= 16
    assert user.handle is None  # only the member, signed in, chooses one
    assert client.get(reverse("public_profile", args=["the_real_alice"])).status_code == 404


def test_the_admin_form_offers_no_public_page_address(client, superuser, bob) -> None:
    client.force_login(superuser)
    page = client.get(f"/admin/profiles/user/{bob.pk}/change/").content.decode()
    assert 'name="public_slug"' not in page
    client.post(
        f"/admin/profiles/user/{bob.pk}/change/",
        {"display_name": "Bob", "is_active": "on", "public_slug": "reserved-name",
         "handle": "reserved_name"},
    )  # fmt: skip
    bob.refresh_from_db()
    assert bob.public_slug != "reserved-name" and bob.handle is None


def test_no_page_exists_for_someone_who_never_signed_up(client) -> None:
    assert client.get(reverse("public_profile", args=["dave_who_never_came"])).status_code == 404
    assert "directory-entry" not in client.get(reverse("directory")).content.decode()


# --- Bad input: clear errors, no change -------------------------------------------------------


def test_a_consent_post_naming_another_member_changes_only_the_senders_own(
    client, alice: User, mallory: User
) -> None:
    before = ConsentRecord.objects.filter(user=alice).count()
    client.force_login(mallory)
    for forged in ({"user": alice.pk}, {"user_id": alice.pk}, {"email": alice.email}):
        client.post(
            reverse("consent_change", args=[Purpose.DISCOVERY]), {"action": "grant", **forged}
        )
        client.post(
            reverse("consent_change", args=[Purpose.DISCOVERY]),
            {"action": "withdraw", **forged},
        )
    assert ConsentRecord.objects.filter(user=alice).count() == before
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.DISCOVERY)
    assert ConsentRecord.objects.filter(user=mallory, purpose=Purpose.DISCOVERY).count() == 6


def test_a_forged_reconsent_post_cannot_answer_for_another_member(
    client, alice: User, mallory: User, new_policy
) -> None:
    new_policy(Purpose.SCORING)
    client.force_login(mallory)
    client.post(reverse("reconsent"), {"consent_scoring": "no", "user": alice.pk})
    assert consent_states(user=alice)[Purpose.SCORING].needs_reconsent  # still waiting
    assert ConsentRecord.objects.filter(user=alice, purpose=Purpose.SCORING).count() == 1


@pytest.mark.parametrize(
    ("purpose", "action", "message"),
    [
        (Purpose.TERMS, "withdraw", "delete the account instead"),
        ("no-such-purpose", "grant", "not a purpose you can grant"),
        (Purpose.SCORING, "delete-everything", "Choose to grant or to withdraw"),
    ],
)
def test_a_malformed_consent_post_says_why_and_changes_nothing(
    client, alice: User, purpose: str, action: str, message: str
) -> None:
    client.force_login(alice)
    before = ConsentRecord.objects.count()
    response = client.post(
        reverse("consent_change", args=[purpose]), {"action": action}, follow=True
    )
    assert message in response.content.decode()
    assert ConsentRecord.objects.count() == before


def test_granting_twice_records_once_and_says_so(client, bob: User) -> None:
    client.force_login(bob)
    url = reverse("consent_change", args=[Purpose.SCORING])
    client.post(url, {"action": "grant"})
    response = client.post(url, {"action": "grant"}, follow=True)
    assert "already granted" in response.content.decode()
    assert ConsentRecord.objects.filter(user=bob, purpose=Purpose.SCORING).count() == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("consent_change", {"action": "grant"}),
        ("reconsent", {"consent_scoring": "no"}),
        ("data_export", {}),
        ("account_delete", {"confirm": "on"}),
    ],
)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    alice: User, name: str, data: dict
) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    url = reverse(name, args=[Purpose.SCORING]) if name == "consent_change" else reverse(name)
    before = (ConsentRecord.objects.count(), DataExport.objects.count(), User.objects.count())
    assert client.post(url, data).status_code == 403
    after = (ConsentRecord.objects.count(), DataExport.objects.count(), User.objects.count())
    assert before == after
