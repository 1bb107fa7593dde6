"""An existing database migrates forward through the layout step with its data intact."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("scoring", "0009_signal_row_base"), ("signals", None), ("moderation", None)]

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The upgrade path is checked on PostgreSQL, what existing installations run.
    pytest.mark.postgres,
]


def test_rows_in_every_moved_table_survive_the_move_to_signals_and_moderation() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state([("scoring", "0009_signal_row_base")]).apps
    now = timezone.now()
    from profiles.models import User  # unchanged by the step, and migrated already

    user = User.objects.create_user(email="upgrade@example.org", password=None)
    source = old.get_model("scoring", "Source").objects.create(
        user_id=user.pk, kind="archive", network="mastodon", handle="u@x.social", handle_hash=42
    )
    job = old.get_model("scoring", "ImportJob").objects.create(
        user_id=user.pk, source_id=source.pk, file="imports/x.jsonl", original_name="x.jsonl"
    )
    old.get_model("scoring", "ImportedContent").objects.create(
        source_id=source.pk, content_sha256="a" * 64
    )
    old.get_model("scoring", "Post").objects.create(
        source_id=source.pk, user_id=user.pk, post_id="p1", at=now, tags=["privacy"]
    )
    old.get_model("scoring", "Engagement").objects.create(
        source_id=source.pk,
        user_id=user.pk,
        counterpart=7,
        kind="like",
        direction="in",
        count=3,
        first_at=now,
        last_at=now,
    )
    old.get_model("scoring", "Follow").objects.create(
        source_id=source.pk, user_id=user.pk, counterpart=8, direction="follower", at=now
    )
    dispute = old.get_model("scoring", "Dispute").objects.create(
        user_id=user.pk, subject="score", reason="too low"
    )
    old.get_model("scoring", "DeniedTopic").objects.create(label="crypto", reason="scams")
    run_id = uuid.uuid4()
    old.get_model("scoring", "Score").objects.create(
        user_id=user.pk, value=12, components={"base": 12}, model_version="v", run_id=run_id
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from moderation.models import DeniedTopic, Dispute
    from scoring.models import Score
    from signals.models import Engagement, Follow, ImportedContent, ImportJob, Post, Source

    moved = Source.objects.get(pk=source.pk)
    assert (moved.user_id, moved.handle, moved.handle_hash) == (user.pk, "u@x.social", 42)
    assert ImportJob.objects.get(pk=job.pk).source_id == source.pk
    assert ImportedContent.objects.get().content_sha256 == "a" * 64
    assert Post.objects.get().tags == ["privacy"]
    assert Engagement.objects.get().count == 3
    assert Follow.objects.get().counterpart == 8
    assert Dispute.objects.get(pk=dispute.pk).reason == "too low"
    assert DeniedTopic.objects.get().label == "crypto"
    assert Score.objects.get().run_id == run_id
    # Permissions and admin history follow the models: their content types moved.
    from django.contrib.contenttypes.models import ContentType

    assert ContentType.objects.get_for_model(Source).app_label == "signals"
    assert not ContentType.objects.filter(app_label="scoring", model="dispute").exists()
