from __future__ import annotations

import gzip
import io
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_withdraw
from signals.archive import make_hasher, normalise_handle, read_archive
from signals.models import (
    Engagement,
    Follow,
    ImportedContent,
    ImportJob,
    ImportStatus,
    Post,
    Source,
    SourceKind,
)
from signals.services.imports import (
    ImportRefused,
    archive_import_create,
    archive_import_run,
    signals_store,
)
from tests.samples import COUNTERPARTS, archive_text

pytestmark = pytest.mark.django_db

AT = "2026-10-01T00:00:00Z"


def upload(text: str, name: str = "archive.jsonl") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="application/jsonl")


def run_import(user: User, text: str) -> ImportJob:
    job = archive_import_create(user=user, upload=upload(text), name="archive.jsonl")
    archive_import_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def test_an_import_is_refused_without_scoring_consent(bob: User) -> None:
    with pytest.raises(ImportRefused, match="Score my activity"):
        archive_import_create(user=bob, upload=upload(archive_text()), name="a.jsonl")
    assert not ImportJob.objects.exists()


def test_an_import_stores_aggregates_keyed_by_hashed_counterparts(alice: User) -> None:
    job = run_import(alice, archive_text())

    assert job.status == ImportStatus.SCORING
    assert job.interactions == len(COUNTERPARTS) * 3 + 1
    assert Post.objects.filter(user=alice).count() == 3
    hasher = make_hasher(settings.HANDLE_HASH_KEY, "mastodon")
    bob_hash = hasher("bobquux@other.social")
    likes = Engagement.objects.get(user=alice, counterpart=bob_hash, kind="like", direction="in")
    assert likes.count == 3
    assert Follow.objects.filter(user=alice, direction="follower").count() == len(COUNTERPARTS)
    post = Post.objects.get(user=alice, post_id="p0")
    assert post.engagers == len(COUNTERPARTS)
    assert post.tags == ["privacy", "python"]


def test_the_uploaded_file_is_deleted_once_read(alice: User) -> None:
    job = archive_import_create(user=alice, upload=upload(archive_text()), name="a.jsonl")
    path = job.file.path
    archive_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert not job.file
    import os

    assert not os.path.exists(path)


def _text_columns() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                found.append((model._meta.db_table, str(field.column)))
    return found


def test_after_an_import_no_table_holds_a_counterpart_handle_in_clear(alice: User) -> None:
    run_import(alice, archive_text())
    needles = {normalise_handle(h) for h in COUNTERPARTS} | set(COUNTERPARTS)
    needles |= {n.split("@")[0] for n in needles if n.split("@")[0]}
    columns = _text_columns()
    # Counterparts are handle keys: integer columns, which cannot hold a handle at all.
    for model in (Engagement, Follow, Source):
        field = model._meta.get_field("handle_hash" if model is Source else "counterpart")
        assert field.get_internal_type() == "BigIntegerField"
    assert ("scoring_source", "handle") in columns  # the member's own handle, theirs to see
    with connection.cursor() as cursor:
        for table, column in columns:
            cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608 - names from the ORM
            for (value,) in cursor.fetchall():
                text = json.dumps(value) if not isinstance(value, str) else value
                for needle in needles:
                    assert needle.lower() not in (text or "").lower(), (table, column)


def test_a_refused_archive_stores_nothing_and_names_the_line(alice: User) -> None:
    both = {"type": "interaction", "kind": "like", "by": "x@y.z", "to": "q@r.s", "at": AT}
    bad = archive_text() + json.dumps(both) + "\n"
    job = run_import(alice, bad)

    assert job.status == ImportStatus.FAILED
    assert job.errors[0]["line"] == bad.count("\n")
    assert "both" in job.errors[0]["reason"]
    assert "x@y.z" not in json.dumps(job.errors)
    for model in (Source, Post, Engagement, Follow, ImportedContent):
        assert not model.objects.exists(), model


def test_re_importing_the_same_file_adds_nothing(alice: User) -> None:
    run_import(alice, archive_text())
    before = (Engagement.objects.count(), Post.objects.count(), Follow.objects.count())
    job = run_import(alice, archive_text())
    assert job.message == "This archive was already imported; nothing new was added."
    assert (Engagement.objects.count(), Post.objects.count(), Follow.objects.count()) == before
    assert ImportedContent.objects.count() == 1


def test_a_gzip_archive_is_accepted(alice: User) -> None:
    data = gzip.compress(archive_text().encode())
    job = archive_import_create(
        user=alice, upload=SimpleUploadedFile("a.jsonl.gz", data), name="a.jsonl.gz"
    )
    archive_import_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.SCORING


def test_a_withdrawal_before_the_store_step_leaves_no_signal(alice: User) -> None:
    archive = read_archive(io.BytesIO(archive_text().encode()), secret=settings.HANDLE_HASH_KEY)
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    with pytest.raises(ImportRefused, match="withdrawn"):
        signals_store(user_id=alice.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    assert not Engagement.objects.exists()


@pytest.mark.parametrize("network", ["bluesky", "x", "other", "mastodon"])
def test_self_reported_claims_of_one_handle_coexist(
    alice: User, mallory: User, network: str
) -> None:
    first = run_import(alice, archive_text(network=network, handle="shared.example"))
    second = run_import(
        mallory, archive_text(network=network, handle="shared.example", counterparts=["z@q.io"])
    )

    assert (first.status, second.status) == (ImportStatus.SCORING, ImportStatus.SCORING)
    claims = Source.objects.filter(handle=normalise_handle("shared.example"), verified=False)
    assert sorted(claims.values_list("user_id", flat=True)) == sorted([alice.pk, mallory.pk])
    assert Engagement.objects.filter(user=mallory).exists()


def test_importing_a_handle_another_member_verified_says_nothing_about_them(
    alice: User, mallory: User
) -> None:
    run_import(alice, archive_text(handle="alice@example.social"))
    Source.objects.filter(user=alice).update(verified=True, kind=SourceKind.MASTODON)
    unclaimed = run_import(mallory, archive_text(handle="nobody@example.social"))
    Source.objects.filter(user=mallory).delete()
    ImportedContent.objects.filter(source__user=mallory).delete()

    claimed = run_import(mallory, archive_text(handle="alice@example.social"))

    assert claimed.status == unclaimed.status == ImportStatus.SCORING
    assert claimed.message == unclaimed.message
    assert "member" not in claimed.message


def test_a_handle_is_one_node_owned_by_its_verified_or_only_claimant() -> None:
    import numpy as np

    from scoring.services.graph import handle_owners

    owner = np.array([1, 2, 3, 4, 5, 6], dtype=np.int64)
    own = np.array([70, 70, 80, 90, 90, 60], dtype=np.int64)
    verified = np.array([0, 1, 0, 0, 0, 0], dtype=np.int64)

    keys, owners = handle_owners(owner, own, verified)

    # 70: the verified claim wins; 80 and 60: one claimant each; 90: contested, nobody's.
    assert keys.tolist() == [60, 70, 80]
    assert owners.tolist() == [6, 2, 3]


def test_a_second_upload_while_one_is_queued_is_refused_and_stores_nothing(
    alice: User, settings: object
) -> None:
    from pathlib import Path

    first = archive_import_create(user=alice, upload=upload(archive_text()), name="a.jsonl")
    files_before = sorted(Path(first.file.path).parent.iterdir())

    with pytest.raises(ImportRefused, match="already have an import waiting or running"):
        archive_import_create(user=alice, upload=upload(archive_text()), name="b.jsonl")

    assert list(ImportJob.objects.values_list("pk", flat=True)) == [first.pk]
    assert sorted(Path(first.file.path).parent.iterdir()) == files_before


def test_a_second_upload_while_one_is_running_is_refused(alice: User) -> None:
    first = archive_import_create(user=alice, upload=upload(archive_text()), name="a.jsonl")
    ImportJob.objects.filter(pk=first.pk).update(status=ImportStatus.RUNNING)

    with pytest.raises(ImportRefused, match="already have an import"):
        archive_import_create(user=alice, upload=upload(archive_text()), name="b.jsonl")
    assert ImportJob.objects.count() == 1


def test_another_upload_is_accepted_once_the_first_is_read(alice: User, mallory: User) -> None:
    run_import(alice, archive_text())
    archive_import_create(user=mallory, upload=upload(archive_text()), name="m.jsonl")

    second = archive_import_create(user=alice, upload=upload(archive_text()), name="b.jsonl")

    assert second.status == ImportStatus.QUEUED


def test_the_database_allows_one_pending_import_per_member(alice: User) -> None:
    from django.db import IntegrityError, transaction

    ImportJob.objects.create(user=alice, original_name="a", size=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        ImportJob.objects.create(user=alice, original_name="b", size=1)
    ImportJob.objects.create(user=alice, original_name="c", size=1, status=ImportStatus.FAILED)


def test_a_job_runs_once_even_when_delivered_twice(alice: User) -> None:
    job = archive_import_create(user=alice, upload=upload(archive_text()), name="a.jsonl")
    assert archive_import_run(job_id=job.pk) == ImportStatus.SCORING
    assert archive_import_run(job_id=job.pk) is None


def test_pruning_drops_counterpart_detail_past_retention_and_keeps_aggregates(
    alice: User,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from signals.services.imports import signals_prune

    run_import(alice, archive_text())
    total = Engagement.objects.count()
    old = Engagement.objects.filter(kind="like")
    n_old = old.count()
    old.update(last_at=timezone.now() - timedelta(days=91))

    assert signals_prune(days=90) == n_old
    assert Engagement.objects.count() == total - n_old
    assert not Engagement.objects.filter(kind="like").exists()
    assert Post.objects.get(user=alice, post_id="p0").likes > 0  # the aggregate stays


def test_awkward_characters_in_post_ids_and_tags_are_stored_exactly(alice: User) -> None:
    post_id = "p\\1 \\N\\t"  # backslashes and COPY's own escapes, as text
    lines = archive_text().splitlines()
    lines.insert(
        1,
        json.dumps({"type": "post", "id": post_id, "at": AT, "tags": ["c\\d", "naïve", "ta\\tb"]}),
    )
    job = run_import(alice, "\n".join(lines) + "\n")
    assert job.status == ImportStatus.SCORING, job.errors
    post = Post.objects.get(user=alice, post_id=post_id)
    assert post.tags == ["c\\d", "naïve", "ta\\tb"]
