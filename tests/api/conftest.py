"""alice with something behind every endpoint, and every kind of caller."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from profiles.models import ConsentRecord, User
from tests.api_helpers import bearer, expired_token, oauth_token_for, personal_token
from tests.profiles.conftest import give_score
from tests.samples import archive_text


@dataclass
class AliceData:
    member: User
    ids: dict[str, Any]  # URL keyword -> one of alice's objects


@pytest.fixture
def alice_data(alice: User, settings: Any, tmp_path: Path) -> AliceData:
    from allauth.account.models import EmailAddress

    from moderation.services.disputes import dispute_open
    from profiles.services.api_tokens import api_token_create
    from profiles.services.exports import data_export_build, data_export_request
    from profiles.services.handles import handle_set
    from profiles.services.notifications import notification_send
    from scoring.models import GamingFlag, Topic, TopicBlock
    from signals.models import Source
    from signals.services.imports import archive_import_create

    settings.MEDIA_ROOT = tmp_path / "media"
    give_score(alice)
    job = archive_import_create(
        user=alice,
        upload=SimpleUploadedFile("a.jsonl", archive_text(handle="alice2@example.social").encode()),
        name="a.jsonl",
        enqueue=False,
    )
    topic = Topic.objects.create(user=alice, label="privacy")
    Topic.objects.create(user=alice, label="python", status="approved")
    GamingFlag.objects.create(
        user=alice, kind="follower_burst", evidence={}, discount=0.1, run_id=job.pk
    )
    dispute = dispute_open(member=alice, subject="topic", detail="privacy", reason="Not me")
    export = data_export_request(user=alice)
    data_export_build(export_id=export.pk)
    token = api_token_create(user=alice, name="laptop", scope="read", expires_in_days=30)
    app, _ = oauth_token_for(alice, name="Listed app")
    # A public page (handle, public_profile consent, verified address) and a listing.
    EmailAddress.objects.update_or_create(
        user=alice, email=alice.email, defaults={"verified": True, "primary": True}
    )
    handle_set(member=alice, handle="alice")
    block = TopicBlock.objects.create(user=alice, label="crypto")
    note = notification_send(user_id=alice.pk, kind="score_first", title="Your first score")
    return AliceData(
        member=alice,
        ids={
            "receipt_id": ConsentRecord.objects.filter(user=alice).first().receipt_id,  # type: ignore[union-attr]
            "purpose": "discovery",
            "token_id": token.token.pk,
            "app_id": app.pk,
            "export_id": export.pk,
            "job_id": job.pk,
            "source_id": Source.objects.filter(user=alice).first().pk,  # type: ignore[union-attr]
            "topic_id": topic.pk,
            "dispute_id": dispute.pk,
            "block_id": block.pk,
            "notification_id": note.pk,
            "handle": "alice",
        },
    )


@pytest.fixture
def callers(alice_data: AliceData, mallory: User, mod: User) -> dict[str, dict[str, Any]]:
    """Each caller as (force_login member or None, extra headers)."""
    from profiles.services.api_tokens import oauth_app_revoke

    alice = alice_data.member
    revoked_app, revoked = oauth_token_for(alice, name="Revoked app")
    oauth_app_revoke(user=alice, application_id=revoked_app.pk)
    _, app_token = oauth_token_for(alice, name="Widget")
    return {
        "anonymous": {"login": None, "headers": {}},
        "expired token": {"login": None, "headers": bearer(expired_token(alice))},
        "revoked app": {"login": None, "headers": bearer(revoked)},
        "read token": {"login": None, "headers": bearer(personal_token(alice, scope="read"))},
        "app": {"login": None, "headers": bearer(app_token)},
        "mallory": {"login": mallory, "headers": {}},
        "mod": {"login": mod, "headers": {}},
        "alice": {"login": alice, "headers": {}},
    }
