"""Helpers for the people tests: a member with real signals and a real score."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from profiles.models import User
from profiles.purposes import PURPOSES
from scoring.models import Score, ScoreSnapshot
from signals.archive import read_archive
from signals.models import SourceKind
from signals.services.imports import signals_store
from tests.samples import archive_text
from tests.security.conftest import unconsumed_queue  # noqa: F401 - a fixture, shared


def give_score(user: User, *, handle: str | None = None) -> Score:
    """A member with real signals (stored through the import service) and a score.

    The score rows are written directly: these tests are about what consent does to them,
    not about how the scoring model computes them (tests/scoring covers that).
    """
    handle = handle or f"{user.email.split('@')[0]}@example.social"
    text = archive_text(handle=handle)
    archive = read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)
    signals_store(user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    run_id = uuid.uuid4()
    components = {"base": "1.00", "reach": "20.00", "engagement": "21.50"}
    ScoreSnapshot.objects.create(
        user=user, run_id=run_id, value=Decimal("42.50"), components=components,
        model_version="test",
    )  # fmt: skip
    return Score.objects.create(
        user=user, value=Decimal("42.50"), components=components, confidence=0.5,
        model_version="test", run_id=run_id,
    )  # fmt: skip


@pytest.fixture
def new_policy(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Publish a new version of a purpose's text, as a deploy that changes it would."""

    def publish(purpose: str) -> None:
        old = PURPOSES[purpose]
        monkeypatch.setitem(
            PURPOSES,
            purpose,
            replace(old, version="2099-01", text=old.text + " We now also say this."),
        )

    return publish


# Distinctive values, so a scan of every table for them cannot match anything else.
ALICE_HANDLE = "alice@example.social"
ALICE_GITHUB_LOGIN = "alicegh-quuxzy"
ALICE_GITHUB_UID = "98765432123"
SECRETS = ["gho_secret-token-value", "refresh-secret-value", "totp-seed-secret-value"]


@pytest.fixture
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def rich_alice(alice: User, mallory: User, mod: User, media: Path) -> User:
    """alice with a row in every registry holding: signals, score, topics, flags, imports
    (with a file), sign-in accounts and tokens, two-factor, staff groups, admin history,
    audit entries, and a finished export (with a file)."""
    from allauth.account.models import EmailAddress, EmailConfirmation
    from allauth.mfa.models import Authenticator
    from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
    from django.apps import apps
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from django.core.files.uploadedfile import SimpleUploadedFile

    from profiles.models import AuditAction
    from profiles.services.audit import audit_record
    from profiles.services.exports import data_export_build, data_export_request
    from scoring.services.runs import scoring_schedule_now
    from signals.services.imports import archive_import_create

    give_score(alice, handle=ALICE_HANDLE)
    scoring_schedule_now(user_id=alice.pk)
    archive_import_create(
        user=alice,
        upload=SimpleUploadedFile("my-archive.jsonl", archive_text(handle=ALICE_HANDLE).encode()),
        name="my-archive.jsonl",
        enqueue=False,
    )
    apps.get_model("scoring.Topic").objects.create(user=alice, label="privacy")
    apps.get_model("scoring.TopicBlock").objects.create(user=alice, label="crypto")
    apps.get_model("moderation.ScoreAdjustment").objects.create(
        user=alice, points=2, reason="Missed a verified source.", moderator=mod
    )
    apps.get_model("moderation.FlagReview").objects.create(
        user=alice, kind="burst", decision="dismissed", reason="A real viral week.", moderator=mod
    )
    apps.get_model("moderation.ScoringFreeze").objects.create(
        user=alice, reason="Under review.", created_by=mod
    )
    apps.get_model("scoring.GamingFlag").objects.create(
        user=alice, kind="burst", evidence={"posts": 3}, discount=0.1, run_id=uuid.uuid4()
    )
    apps.get_model("moderation.Dispute").objects.create(
        user=alice, subject="topic", detail="privacy", reason="Not mine", resolved_by=mod,
        status="rejected", resolution="It is, from your posts.",
    )  # fmt: skip

    address, _ = EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    EmailConfirmation.objects.create(email_address=address, key="k" * 64)
    app = SocialApp.objects.create(provider="github", name="GitHub", client_id="cid", secret="s")
    account = SocialAccount.objects.create(
        user=alice,
        provider="github",
        uid=ALICE_GITHUB_UID,
        extra_data={"login": ALICE_GITHUB_LOGIN},
    )
    SocialToken.objects.create(app=app, account=account, token=SECRETS[0], token_secret=SECRETS[1])
    # The public profile: a handle given up (held), a linked account, an email choice.
    from profiles.services.handles import handle_set, profile_update
    from profiles.services.notifications import notification_email_choices_set

    handle_set(member=alice, handle="alice_before")
    handle_set(member=alice, handle="alice_quux")
    profile_update(member=alice, display_name="Alice", bio="Hi", shown_account_ids=[account.pk])
    notification_email_choices_set(member=alice, kinds=["export_ready"])
    Authenticator.objects.create(
        user=alice, type=Authenticator.Type.TOTP, data={"secret": SECRETS[2]}
    )
    from allauth.usersessions.models import UserSession

    UserSession.objects.create(
        user=alice, ip="192.0.2.7", session_key="s" * 32, user_agent="Firefox on Linux"
    )
    alice.groups.add(Group.objects.create(name="helpers"))
    alice.user_permissions.add(Permission.objects.get(codename="view_score"))
    user_type = ContentType.objects.get_for_model(User)
    LogEntry.objects.log_actions(
        user_id=mod.pk, queryset=[alice], action_flag=CHANGE, change_message="looked"
    )
    LogEntry.objects.log_actions(
        user_id=alice.pk, queryset=[mallory], action_flag=ADDITION, change_message="x"
    )
    assert LogEntry.objects.filter(content_type=user_type, object_id=str(alice.pk)).exists()

    from profiles.models import IdempotencyKey
    from profiles.services.api_tokens import api_token_create
    from tests.api_helpers import oauth_token_for

    api_token_create(user=alice, name="laptop", scope="write", expires_in_days=30)
    IdempotencyKey.objects.create(
        user=alice, operation="import", key="k1", request_sha256="0" * 64, resource="import:x"
    )
    oauth_token_for(alice, developer=alice, with_refresh=True, with_grant=True, with_id=True)

    audit_record(action=AuditAction.EXPORT_REQUESTED, subject=mallory, actor=alice)
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    return alice
