"""Who may open which staff URL (issue 11): generated from the URLconf.

Every URL pattern under /admin/ (and the moderation console under /moderation/) is
requested as five people: anonymous, a member, a moderator without TOTP, a moderator and an
admin. Each answer must be the status written down here; a new pattern with no entry here
fails `test_every_staff_url_has_an_entry`, so nobody adds a staff page without saying who
may open it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from profiles.models import User

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "member", "mod_without_mfa", "mod", "admin"]
STAFF_PREFIXES = ("admin/", "moderation/")


def staff_routes() -> list[str]:
    """The full pattern of every route under a staff prefix, named or not."""
    found: list[str] = []

    def walk(resolver: URLResolver, prefix: str) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                walk(entry, prefix + str(entry.pattern))
            elif isinstance(entry, URLPattern):
                route = prefix + str(entry.pattern)
                if route.startswith(STAFF_PREFIXES):
                    found.append(route)

    walk(get_resolver(), "")
    return found


# Site-wide admin routes. The three people who may not enter are always redirected: the
# anonymous and the member to sign in, the moderator without TOTP to set it up.
NO_ENTRY = {"anonymous": 302, "member": 302, "mod_without_mfa": 302}
SITE: dict[str, dict[str, int]] = {
    "admin/": {**NO_ENTRY, "mod": 200, "admin": 200},
    # allauth's sign-in, for everyone (both patterns: ours answers first).
    "admin/login/": {**NO_ENTRY, "mod": 302, "admin": 302},
    # Sign-out is a POST; a GET is refused, or sends the non-staff to the index.
    "admin/logout/": {
        "anonymous": 302,
        "member": 302,
        "mod_without_mfa": 405,
        "mod": 405,
        "admin": 405,
    },  # fmt: skip
    "admin/password_change/": {**NO_ENTRY, "mod": 200, "admin": 200},
    "admin/password_change/done/": {**NO_ENTRY, "mod": 200, "admin": 200},
    "admin/autocomplete/": {**NO_ENTRY, "mod": 403, "admin": 403},  # no field asked for
    "admin/jsi18n/": {**NO_ENTRY, "mod": 200, "admin": 200},
    "admin/r/<path:content_type_id>/<path:object_id>/": {**NO_ENTRY, "mod": 404, "admin": 404},
    "admin/^(?P<app_label>" + "*" + ")/$": {**NO_ENTRY, "mod": 200, "admin": 200},
    "admin/(?P<url>.*)$": {**NO_ENTRY, "mod": 404, "admin": 404},
    "admin/profiles/auditentry/export/": {**NO_ENTRY, "mod": 403, "admin": 200},
}
# The moderation console: the anonymous are sent to sign in, a member finds no such page
# (404), a moderator without TOTP is sent to set it up; actions are POSTs only (405).
CONSOLE_NO_ENTRY = {"anonymous": 302, "member": 404, "mod_without_mfa": 302}
CONSOLE_PAGE = {**CONSOLE_NO_ENTRY, "mod": 200, "admin": 200}
CONSOLE_ACTION = {**CONSOLE_NO_ENTRY, "mod": 405, "admin": 405}
CONSOLE: dict[str, dict[str, int]] = {
    "moderation/": CONSOLE_PAGE,
    "moderation/disputes/": CONSOLE_PAGE,
    "moderation/disputes/assign/": CONSOLE_ACTION,
    "moderation/disputes/<int:dispute_id>/": CONSOLE_PAGE,
    "moderation/disputes/<int:dispute_id>/assign/": CONSOLE_ACTION,
    "moderation/disputes/<int:dispute_id>/resolve/": CONSOLE_ACTION,
    "moderation/deny-list/": CONSOLE_PAGE,
    "moderation/deny-list/<int:denied_id>/remove/": CONSOLE_ACTION,
    "moderation/flags/": CONSOLE_PAGE,
    "moderation/flags/<int:flag_id>/review/": CONSOLE_ACTION,
    "moderation/freezes/": CONSOLE_PAGE,
    "moderation/members/<int:member_id>/freeze/": CONSOLE_ACTION,
    "moderation/freezes/<int:freeze_id>/lift/": CONSOLE_ACTION,
    # The audit log is for admins only (least privilege): a moderator gets 403.
    "moderation/audit/": {**CONSOLE_NO_ENTRY, "mod": 403, "admin": 200},
}

# Per model: the status of its changelist, add, change, delete and history pages, for the
# moderator and for the admin. Nobody adds anything (members sign up, services write);
# nothing scored, imported, consented or audited is deleted; moderators see only disputes,
# the deny-list, flags and scores.
KINDS = ["changelist", "add", "change", "delete", "history"]
NONE = "403 403 403 403 403"
SEE = "200 403 200 403 200"  # view only (or, for disputes, answer an open one)
SEE_DELETE = "200 403 200 200 200"  # a compromised connection or registration may go
MODELS: dict[str, tuple[str, str]] = {
    # label: (moderator, admin)
    "auth.group": (NONE, SEE),
    "profiles.user": (NONE, SEE),
    "profiles.consentrecord": (NONE, SEE),
    "profiles.auditentry": (NONE, SEE),
    "account.emailaddress": (NONE, SEE_DELETE),
    "socialaccount.socialapp": (NONE, SEE_DELETE),
    "socialaccount.socialaccount": (NONE, SEE_DELETE),
    "mfa.authenticator": (NONE, SEE_DELETE),
    "mastodon.mastodonapp": (NONE, SEE_DELETE),
    "usersessions.usersession": (NONE, SEE_DELETE),  # ending a stolen session
    # Third-party apps and what members granted them: deleting revokes.
    "oauth2_provider.application": (NONE, SEE_DELETE),
    "oauth2_provider.accesstoken": (NONE, SEE_DELETE),
    "oauth2_provider.refreshtoken": (NONE, SEE_DELETE),
    "oauth2_provider.grant": (NONE, SEE_DELETE),
    "oauth2_provider.idtoken": (NONE, SEE_DELETE),
    "scoring.score": (SEE, SEE),
    "scoring.gamingflag": (SEE, SEE),
    "signals.importjob": (NONE, SEE),
    "moderation.dispute": (SEE, SEE),
    "moderation.deniedtopic": ("200 200 200 403 200", "200 200 200 403 200"),
}

MODEL_ROUTE = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.*)$")
REST_KIND = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/change/": "change",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/history/": "history",
}


def site_key(route: str) -> str:
    return re.sub(r"\(\?P<app_label>[^)]*\)", "(?P<app_label>*)", route)


def expected_table() -> dict[str, dict[str, int]]:
    table = {**SITE, **CONSOLE}
    for label, (moderator, admin) in MODELS.items():
        app, model = label.split(".")
        mod_codes = dict(zip(KINDS, map(int, moderator.split()), strict=True))
        admin_codes = dict(zip(KINDS, map(int, admin.split()), strict=True))
        for rest, kind in REST_KIND.items():
            table[f"admin/{app}/{model}/{rest}"] = {
                **NO_ENTRY, "mod": mod_codes[kind], "admin": admin_codes[kind],
            }  # fmt: skip
        # The bare object address redirects to its change page, for any staff.
        table[f"admin/{app}/{model}/<path:object_id>/"] = {**NO_ENTRY, "mod": 302, "admin": 302}
    return table


def concrete(route: str, rows: dict[str, Any]) -> str:
    """A real address for a route: the row of its model, or a fixed example."""
    match = MODEL_ROUTE.match(route)
    if match and f"{match['app']}.{match['model']}" in rows:
        pk = rows[f"{match['app']}.{match['model']}"].pk
        return "/" + route.replace("<path:object_id>", str(pk))
    if route.startswith("moderation/"):
        ids = {
            "<int:dispute_id>": rows["moderation.dispute"].pk,
            "<int:denied_id>": rows["moderation.deniedtopic"].pk,
            "<int:flag_id>": rows["scoring.gamingflag"].pk,
            "<int:member_id>": rows["profiles.user"].pk,
            "<int:freeze_id>": 1,  # actions answer a GET before looking anything up
        }
        for key, pk in ids.items():
            route = route.replace(key, str(pk))
        return "/" + route
    if route.startswith("admin/r/"):
        alice = rows["profiles.user"]
        return f"/admin/r/{ContentType.objects.get_for_model(User).pk}/{alice.pk}/"
    if "(?P<app_label>" in route:
        return "/admin/moderation/"
    if route.endswith("(?P<url>.*)$"):
        return "/admin/no-such-page/"
    return "/" + route


def test_every_staff_url_has_an_entry() -> None:
    routes = {site_key(r) for r in staff_routes()}
    table = expected_table()
    assert routes - table.keys() == set(), "staff URLs with no entry in the matrix"
    assert table.keys() - routes == set(), "matrix entries for URLs that no longer exist"


@pytest.fixture
def people(
    alice: User, mod: User, mod_without_mfa: User, admin_member: User
) -> dict[str, User | None]:
    return {
        "anonymous": None,
        "member": alice,
        "mod_without_mfa": mod_without_mfa,
        "mod": mod,
        "admin": admin_member,
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_staff_url_answers_each_person_as_written(
    client: Client, people: dict[str, User | None], admin_rows: dict[str, Any], role: str
) -> None:
    person = people[role]
    if person is not None:
        client.force_login(person)
    table = expected_table()
    wrong = []
    for route in staff_routes():
        url = concrete(route, admin_rows)
        want = table[site_key(route)][role]
        got = client.get(url).status_code
        if got != want:
            wrong.append(f"{url}: {got}, expected {want}")
    assert wrong == [], f"{role}:\n" + "\n".join(wrong)
