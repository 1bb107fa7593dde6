"""The admin is locked down (issue 9; issue 13, findings 2, 3 and 10): staff roles change
only through `grant_staff`, nothing audited or computed is deleted from it, the deny-list
checks real permissions, and no page shows a token or a secret."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.test import Client, RequestFactory

from moderation.models import DeniedTopic
from profiles.models import AuditAction, AuditEntry, User
from profiles.services.members import member_staff_set
from tests.admin.conftest import SECRETS
from tests.conftest import make_member, totp_enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def plain_staff(db: None) -> User:
    """Staff with TOTP and no permission at all."""
    user = make_member("staff@example.org", [])
    member_staff_set(email=user.email, staff=True)
    totp_enrol(user)
    user.refresh_from_db()
    return user


def test_staff_with_change_user_cannot_make_themself_superuser(
    client: Client, plain_staff: User
) -> None:
    plain_staff.user_permissions.add(
        Permission.objects.get(codename="change_user"),
        Permission.objects.get(codename="view_user"),
    )
    moderators = Group.objects.get(name="Moderators")
    client.force_login(plain_staff)
    url = f"/admin/profiles/user/{plain_staff.pk}/change/"
    page = client.get(url).content.decode()
    for field in ("is_superuser", "is_staff", "groups", "user_permissions"):
        assert f'name="{field}"' not in page, field
    response = client.post(
        url,
        {
            "display_name": "Staff",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [moderators.pk],
            "user_permissions": [Permission.objects.get(codename="delete_user").pk],
        },
    )
    assert response.status_code == 302
    plain_staff.refresh_from_db()
    assert plain_staff.display_name == "Staff"  # the form was saved...
    assert not plain_staff.is_superuser  # ...without the role
    assert not plain_staff.groups.exists()
    assert not plain_staff.user_permissions.filter(codename="delete_user").exists()
    assert not plain_staff.has_perm("profiles.delete_user")


def test_staff_roles_change_through_grant_staff_only_and_it_is_audited(plain_staff: User) -> None:
    entries = AuditEntry.objects.filter(subject=plain_staff)
    assert list(entries.values_list("action", flat=True)) == [AuditAction.STAFF_GRANTED]
    group = admin.site.get_model_admin(Group)
    request = RequestFactory().get("/admin/")
    request.user = User(is_staff=True, is_superuser=True, is_active=True)
    assert not group.has_change_permission(request)
    assert not group.has_add_permission(request)
    assert not group.has_delete_permission(request)


PROTECTED = [
    "scoring.score",
    "scoring.gamingflag",
    "signals.importjob",
    "profiles.consentrecord",
    "profiles.auditentry",
    "profiles.user",
    "auth.group",
]


@pytest.mark.parametrize("label", PROTECTED)
def test_no_admin_page_deletes_scores_imports_consents_or_audit_entries(
    client: Client, admin_member: User, admin_rows: dict[str, Any], label: str
) -> None:
    row = admin_rows[label]
    model = type(row)
    client.force_login(admin_member)
    app, name = label.split(".")
    response = client.post(f"/admin/{app}/{name}/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    response = client.post(
        f"/admin/{app}/{name}/",
        {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"},
    )
    assert model.objects.filter(pk=row.pk).exists()


def test_the_deny_list_admin_checks_real_permissions(
    client: Client, plain_staff: User, mod: User
) -> None:
    denied = DeniedTopic.objects.create(label="gambling", reason="not a topic for people")
    client.force_login(plain_staff)
    assert client.get("/admin/moderation/deniedtopic/").status_code == 403
    assert client.get(f"/admin/moderation/deniedtopic/{denied.pk}/change/").status_code == 403
    response = client.post(
        "/admin/moderation/deniedtopic/",
        {"action": "remove_selected", "_selected_action": [denied.pk]},
    )
    assert response.status_code == 403
    response = client.post("/admin/moderation/deniedtopic/add/", {"label": "x", "reason": "y"})
    assert response.status_code == 403
    assert list(DeniedTopic.objects.values_list("label", flat=True)) == ["gambling"]

    client.force_login(mod)
    assert client.get("/admin/moderation/deniedtopic/").status_code == 200
    client.post(
        "/admin/moderation/deniedtopic/",
        {"action": "remove_selected", "_selected_action": [denied.pk]},
    )
    assert not DeniedTopic.objects.exists()
    assert AuditEntry.objects.filter(action=AuditAction.TOPIC_ALLOWED, actor=mod).exists()


def admin_pages(rows: dict[str, Any]) -> list[str]:
    pages = ["/admin/"]
    for model in admin.site._registry:
        label = model._meta.label_lower
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        pages.append(base)
        if label in rows:
            pages += [f"{base}{rows[label].pk}/change/", f"{base}{rows[label].pk}/history/"]
    return pages


def test_no_admin_page_shows_a_token_or_a_secret(
    client: Client, admin_member: User, admin_rows: dict[str, Any]
) -> None:
    from allauth.socialaccount.models import SocialToken

    assert not admin.site.is_registered(SocialToken)
    client.force_login(admin_member)
    pages = admin_pages(admin_rows)
    assert len(pages) > 2 * len(admin.site._registry)
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        for what, secret in SECRETS.items():
            assert secret not in body, f"{page} shows the {what}"
    assert client.get("/admin/socialaccount/socialtoken/").status_code == 404
