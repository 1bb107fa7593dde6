"""Staff for the admin tests: an admin (superuser with TOTP), a moderator without TOTP, and
one row of every model the admin shows, with secrets that must never appear on a page."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from profiles.models import User
from profiles.services.members import member_staff_set
from tests.conftest import make_member, moderators_group_restore, totp_enrol

PASSWORD = "correct horse battery staple"
# Values that no admin page may show (issue 13, finding 10).
SECRETS = {
    "access token": "gho_accessTOKEN-7f3a9c",
    "refresh token": "ghr_refreshTOKEN-b81d22",
    "client secret": "app-client-SECRET-55e0",
    "provider key": "app-provider-KEY-0c11",
    "mastodon client secret": "masto-client-SECRET-9d4e",
    "totp secret": "KRUGS4ZANFZSAYJAONSWG4TFOQ",
    "third-party access token": "tp-accessTOKEN-41c7e0",
    "third-party refresh token": "tp-refreshTOKEN-2b9f61",
    "third-party grant code": "tp-grantCODE-77ad03",
    "third-party client secret": "tp-client-SECRET-c3d1aa",
}


def verified(user: User) -> User:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


@pytest.fixture
def admin_member(db: None) -> User:
    """An admin: a member made superuser by `grant_staff`, with TOTP."""
    user = verified(make_member("admin@example.org", []))
    member_staff_set(email=user.email, staff=True, superuser=True)
    totp_enrol(user)
    user.refresh_from_db()
    return user


@pytest.fixture
def mod_without_mfa(db: None) -> User:
    moderators_group_restore()
    user = verified(make_member("newmod@example.org", []))
    member_staff_set(email=user.email, staff=True, moderator=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def admin_rows(alice: User, mod: User) -> dict[str, Any]:
    """One row of every model registered in the admin, keyed by model label."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
    from django.contrib.auth.models import Group

    from moderation.models import DeniedTopic, Dispute
    from profiles.models import AuditAction, ConsentRecord
    from profiles.services.audit import audit_record
    from scoring.models import GamingFlag, Score
    from signals.models import ImportJob
    from signals.providers.mastodon.models import MastodonApp

    app = SocialApp.objects.create(
        provider="github",
        name="GitHub",
        client_id="cid",
        secret=SECRETS["client secret"],
        key=SECRETS["provider key"],
    )
    account = SocialAccount.objects.create(user=alice, provider="github", uid="4242")
    SocialToken.objects.create(
        app=app,
        account=account,
        token=SECRETS["access token"],
        token_secret=SECRETS["refresh token"],
    )
    totp = Authenticator.objects.create(
        user=alice, type=Authenticator.Type.TOTP, data={"secret": SECRETS["totp secret"]}
    )
    masto = MastodonApp.objects.create(
        domain="example.social",
        redirect_uri="http://testserver/accounts/mastodon/login/callback/",
        scopes="read",
        client_id="masto-client",
        client_secret=SECRETS["mastodon client secret"],
    )
    oauth = _third_party_rows(alice)
    run_id = uuid.uuid4()
    score = Score.objects.create(
        user=alice,
        value=Decimal("42.50"),
        components={"base": "42.50"},
        confidence=0.5,
        model_version="test",
        run_id=run_id,
    )
    flag = GamingFlag.objects.create(
        user=alice, kind="burst", evidence={"posts": 3}, discount=0.1, run_id=run_id
    )
    job = ImportJob.objects.create(user=alice, original_name="archive.jsonl", size=10)
    dispute = Dispute.objects.create(user=alice, subject="score", detail="", reason="Too low")
    denied = DeniedTopic.objects.create(label="gambling", reason="not a topic for people")
    entry = audit_record(action=AuditAction.EXPORT_REQUESTED, subject=alice, actor=alice)
    from allauth.usersessions.models import UserSession

    session = UserSession.objects.create(
        user=alice, ip="192.0.2.7", session_key="s" * 32, user_agent="Firefox on Linux"
    )
    return {
        "auth.group": Group.objects.get(name="Moderators"),
        "profiles.user": alice,
        "profiles.consentrecord": ConsentRecord.objects.filter(user=alice).first(),
        "profiles.auditentry": entry,
        "account.emailaddress": EmailAddress.objects.get(user=alice, email=alice.email),
        "socialaccount.socialapp": app,
        "socialaccount.socialaccount": account,
        "mfa.authenticator": totp,
        "mastodon.mastodonapp": masto,
        "scoring.score": score,
        "scoring.gamingflag": flag,
        "signals.importjob": job,
        "moderation.dispute": dispute,
        "moderation.deniedtopic": denied,
        "usersessions.usersession": session,
        **oauth,
    }


def _third_party_rows(alice: User) -> dict[str, Any]:
    """A third-party app alice authorised, with its token, refresh token, grant and ID
    token, each holding a secret no admin page may show."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import (
        get_access_token_model,
        get_application_model,
        get_grant_model,
        get_id_token_model,
        get_refresh_token_model,
    )

    later = timezone.now() + timedelta(hours=1)
    app = get_application_model().objects.create(
        name="Reader",
        client_id="tp-client",
        client_secret=SECRETS["third-party client secret"],
        client_type="confidential",
        authorization_grant_type="authorization-code",
        redirect_uris="https://reader.example/cb",
        hash_client_secret=False,
    )
    id_token = get_id_token_model().objects.create(
        user=alice, application=app, expires=later, scope="read"
    )
    token = get_access_token_model().objects.create(
        user=alice,
        application=app,
        token=SECRETS["third-party access token"],
        expires=later,
        scope="read",
        id_token=id_token,
    )
    refresh = get_refresh_token_model().objects.create(
        user=alice, application=app, token=SECRETS["third-party refresh token"], access_token=token
    )
    grant = get_grant_model().objects.create(
        user=alice,
        application=app,
        code=SECRETS["third-party grant code"],
        expires=later,
        redirect_uri="https://reader.example/cb",
        scope="read",
    )
    return {
        "oauth2_provider.application": app,
        "oauth2_provider.accesstoken": token,
        "oauth2_provider.refreshtoken": refresh,
        "oauth2_provider.grant": grant,
        "oauth2_provider.idtoken": id_token,
    }
