"""Connected sources: connect, sync (through the task), retries, errors, disconnect.

Only the providers' HTTP is mocked, with `responses` and the recorded fixtures of the
connector tests; the task function, services, archive reader and database are real.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken
from celery.exceptions import Retry
from celery.signals import before_task_publish
from django.apps import apps
from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from scoring.models import ScoringState
from signals.archive import make_hasher, read_archive
from signals.connectors.errors import ProviderUnavailable, RateLimited
from signals.connectors.http import REFUSED_MESSAGE
from signals.models import Engagement, Follow, ImportedContent, Post, Source, SourceKind, SyncStatus
from signals.services import sources
from signals.services.imports import signals_store
from signals.tasks import source_sync_retry_plan
from signals.tasks import source_sync_run as source_sync
from tests.samples import archive_text
from tests.signals.connectors import github_api as gh
from tests.signals.connectors import mastodon_api as md
from tests.signals.connectors.conftest import load

pytestmark = pytest.mark.django_db

GITHUB_PEOPLE = ("dana", "erin", "frank", "grace", "ivan")
MASTODON_PEOPLE = (
    "bob@other.social",
    "carol@x.social",
    "dave@y.social",
    "erin@mastodon.example",
    "frank@z.social",
    "gina@w.social",
    "hank@mastodon.example",
    "ivy@mastodon.example",
)


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def connect(user: User, provider: str, extra_data: dict[str, Any], uid: str) -> Source:
    account = SocialAccount.objects.create(
        user=user, provider=provider, uid=uid, extra_data=extra_data
    )
    SocialToken.objects.create(
        account=account, token="gho_test" if provider == "github" else "masto_test"
    )
    return sources.source_connect(user_id=user.pk, social_account_id=account.pk)


@pytest.fixture
def github_source(alice: User) -> Source:
    return connect(alice, "github", {"login": "alice", "id": 1001}, "1001")


@pytest.fixture
def mastodon_source(alice: User) -> Source:
    return connect(
        alice,
        "mastodon",
        {"id": "14715", "acct": "alice", "handle": "alice@mastodon.example",
         "instance": "mastodon.example"},
        "14715@mastodon.example",
    )  # fmt: skip


def hashed(network: str, handle: str) -> int:
    return make_hasher(settings.HANDLE_HASH_KEY, network)(handle)


def fresh(source: Source) -> Source:
    return Source.objects.get(pk=source.pk)


def cursor_of(source: Source) -> dict[str, Any]:
    state = fresh(source).sync_cursor
    assert isinstance(state, dict)
    return state


# --- Connecting ---------------------------------------------------------------------------


def test_connecting_creates_a_verified_source_queued_for_its_first_sync(
    alice: User, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        source = connect(alice, "github", {"login": "Alice"}, "1001")

    assert source.verified is True
    assert (source.kind, source.network, source.handle) == ("github", "github", "alice")
    assert source.handle_hash == hashed("github", "alice")
    assert source.sync_status == SyncStatus.QUEUED
    assert len(callbacks) == 1


def test_connecting_is_refused_without_scoring_consent(bob: User) -> None:
    with pytest.raises(sources.SourceRefused, match="Score my activity"):
        connect(bob, "github", {"login": "bob"}, "2002")
    assert not Source.objects.exists()


def test_a_connection_replaces_the_members_own_archive_of_the_same_account(
    alice: User,
) -> None:
    archive = read_archive(
        io.BytesIO(archive_text(handle="alice", network="github").encode()),
        secret=settings.HANDLE_HASH_KEY,
    )
    imported, _ = signals_store(
        user_id=alice.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False
    )
    assert Post.objects.filter(source=imported).exists()

    source = connect(alice, "github", {"login": "alice"}, "1001")

    assert not Source.objects.filter(pk=imported.pk).exists()
    assert not Post.objects.filter(user=alice).exists()
    assert not ImportedContent.objects.exists()
    assert source.verified and source.handle_hash == imported.handle_hash
    assert ScoringState.objects.get(user=alice).next_score_due is not None  # rescored


def test_a_verified_connection_coexists_with_another_members_archive_claim(
    alice: User, mallory: User
) -> None:
    from scoring.services.graph import run_nodes_create

    archive = read_archive(
        io.BytesIO(archive_text(handle="alice", network="github").encode()),
        secret=settings.HANDLE_HASH_KEY,
    )
    claim, _ = signals_store(
        user_id=mallory.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False
    )
    account = SocialAccount.objects.create(
        user=alice, provider="github", uid="1001", extra_data={"login": "alice"}
    )
    SocialToken.objects.create(account=account, token="gho_test")

    source = sources.source_connect(user_id=alice.pk, social_account_id=account.pk)

    assert source.user_id == alice.pk and source.verified
    assert Source.objects.filter(pk=claim.pk, verified=False).exists()  # left alone
    nodes = run_nodes_create()
    (node,) = nodes.key_nodes([hashed("github", "alice")]).tolist()
    assert node == nodes.member_nodes([alice.pk])[0]  # the handle's one node is alice's


def test_an_account_another_member_connected_is_refused_and_the_connection_dropped(
    alice: User, mallory: User
) -> None:
    archive = read_archive(
        io.BytesIO(archive_text(handle="alice", network="github").encode()),
        secret=settings.HANDLE_HASH_KEY,
    )
    signals_store(user_id=mallory.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False)
    Source.objects.filter(user=mallory).update(verified=True, kind=SourceKind.GITHUB)
    account = SocialAccount.objects.create(
        user=alice, provider="github", uid="1001", extra_data={"login": "alice"}
    )
    SocialToken.objects.create(account=account, token="gho_test")

    with pytest.raises(sources.SourceRefused, match="already connected by another member"):
        sources.source_connect(
            user_id=alice.pk, social_account_id=account.pk, discard_on_refusal=True
        )

    assert not Source.objects.filter(user=alice).exists()
    assert Source.objects.filter(user=mallory).count() == 1  # untouched
    assert not SocialAccount.objects.filter(pk=account.pk).exists()
    assert not SocialToken.objects.exists()


def test_reconnecting_after_an_error_queues_a_sync_and_clears_the_message(
    github_source: Source, alice: User
) -> None:
    sources.source_sync_fail(source_id=github_source.pk, message="GitHub access was revoked")
    account = SocialAccount.objects.get(user=alice)

    again = sources.source_connect(user_id=alice.pk, social_account_id=account.pk)

    assert again.pk == github_source.pk
    assert (again.sync_status, again.sync_error) == (SyncStatus.QUEUED, "")
    assert Source.objects.count() == 1


# --- Syncing ------------------------------------------------------------------------------


def test_a_first_sync_stores_hashed_aggregates_from_every_page(
    github_source: Source, alice: User, mocked: responses.RequestsMock
) -> None:
    gh.add_full_sync(mocked)

    assert source_sync(github_source.pk) == "done"

    source = fresh(github_source)
    assert source.sync_status == SyncStatus.IDLE and source.sync_error == ""
    assert source.last_synced_at is not None
    assert source.next_sync_at is not None and source.next_sync_at > timezone.now()
    assert (source.followers_count, source.following_count) == (3, 2)
    assert cursor_of(source)["connector"]["repos"]["alice/privacy-kit"]["stars"] == 3
    assert cursor_of(source)["full_at"]
    posts = {p.post_id: p for p in Post.objects.filter(source=source)}
    assert set(posts) == {"repo:alice/privacy-kit", "repo:alice/dotfiles"}  # pages 1 and 2
    kit = posts["repo:alice/privacy-kit"]
    assert (kit.likes, kit.reshares, kit.replies) == (3, 1, 1)  # stars from both pages
    assert kit.tags == ["privacy", "python"]
    frank = Engagement.objects.get(source=source, counterpart=hashed("github", "frank"))
    assert (frank.kind, frank.direction, frank.count) == ("like", "in", 1)
    assert Follow.objects.filter(source=source, direction="follower").count() == 3
    assert Follow.objects.filter(source=source, direction="following").count() == 2
    assert ScoringState.objects.get(user=alice).next_score_due is not None  # rescoring


def test_an_incremental_sync_adds_counts_and_replaces_the_follow_snapshot(
    mastodon_source: Source, mocked: responses.RequestsMock
) -> None:
    md.add_full_sync(mocked)
    assert source_sync(mastodon_source.pk) == "done"
    hank = hashed("mastodon", "hank@mastodon.example")
    before = Engagement.objects.get(source=mastodon_source, counterpart=hank, kind="mention")
    assert before.count == 1
    posts_before = Post.objects.filter(source=mastodon_source).count()
    assert cursor_of(mastodon_source)["connector"] == {
        "since_id": md.S1,
        "notifications_since_id": "34975900",
    }

    # A later sync: hank mentions alice again; bob stopped following her.
    mocked.reset()
    again = load("mastodon_notifications.json")[0]
    again["id"], again["created_at"] = "34976100", "2026-10-20T09:00:00.000Z"
    md.add_me(mocked)
    mocked.get(f"{md.ME}/statuses", json=[])
    mocked.get(f"{md.INSTANCE}/api/v1/notifications", json=[again])
    mocked.get(f"{md.ME}/followers", json=load("mastodon_followers.json")[1:])
    mocked.get(f"{md.ME}/following", json=load("mastodon_following.json"))
    sources.source_sync_request(user_id=mastodon_source.user_id, source_id=mastodon_source.pk)

    assert source_sync(mastodon_source.pk) == "done"

    statuses_call = next(c for c in mocked.calls if "/statuses" in str(c.request.url))
    assert f"since_id={md.S1}" in str(statuses_call.request.url)  # incremental, from the cursor
    after = Engagement.objects.get(source=mastodon_source, counterpart=hank, kind="mention")
    assert after.count == 2
    assert after.last_at > before.last_at and after.first_at == before.first_at
    assert Post.objects.filter(source=mastodon_source).count() == posts_before
    followers = set(
        Follow.objects.filter(source=mastodon_source, direction="follower").values_list(
            "counterpart", flat=True
        )
    )
    assert hashed("mastodon", "bob@other.social") not in followers
    assert cursor_of(mastodon_source)["connector"]["notifications_since_id"] == "34976100"


def test_applying_an_incremental_sync_adds_post_and_engagement_counts(
    github_source: Source,
) -> None:
    def archive(likers: list[str]) -> Any:
        lines = [
            {"type": "account", "network": "github", "handle": "alice", "followers": 1,
             "following": 0, "created_at": "2015-03-04T10:00:00Z"},
            {"type": "post", "id": "repo:alice/kit", "at": "2020-01-10T09:00:00Z",
             "tags": ["privacy"]},
            *({"type": "interaction", "kind": "like", "by": who, "post": "repo:alice/kit",
               "at": f"2026-10-0{n + 1}T10:00:00Z"} for n, who in enumerate(likers)),
        ]  # fmt: skip
        text = "".join(json.dumps(line) + "\n" for line in lines)
        return read_archive(io.BytesIO(text.encode()), secret=settings.HANDLE_HASH_KEY)

    cursor = {"connector": {}, "full_at": "2026-10-01T00:00:00Z"}
    apply = sources.source_sync_apply
    assert apply(source_id=github_source.pk, archive=archive(["dana"]), cursor=cursor, replace=True)
    assert apply(
        source_id=github_source.pk, archive=archive(["erin", "frank"]), cursor=cursor, replace=False
    )
    assert apply(
        source_id=github_source.pk, archive=archive(["erin"]), cursor=cursor, replace=False
    )

    post = Post.objects.get(source=github_source)
    assert post.likes == 4
    erin = Engagement.objects.get(source=github_source, counterpart=hashed("github", "erin"))
    assert erin.count == 2
    assert Engagement.objects.filter(source=github_source).count() == 3

    # A full sync recounts from scratch.
    assert apply(source_id=github_source.pk, archive=archive(["dana"]), cursor=cursor, replace=True)
    assert Post.objects.get(source=github_source).likes == 1
    assert Engagement.objects.filter(source=github_source).count() == 1


def test_a_rate_limit_is_retried_after_retry_after_and_then_succeeds(
    github_source: Source, mocked: responses.RequestsMock
) -> None:
    mocked.get(
        f"{gh.API}/user",
        status=429,
        headers={"Retry-After": "30"},
        json={"message": "You have exceeded a secondary rate limit."},
    )

    # Called in this process the task raises Retry instead of publishing it; a worker
    # would send the same retry with countdown=30.
    with pytest.raises(Retry):
        source_sync(github_source.pk)

    waiting = fresh(github_source)
    assert waiting.sync_status == SyncStatus.RETRYING
    assert waiting.sync_error.startswith("GitHub asked us to slow down")
    assert waiting.next_sync_at is not None
    assert waiting.next_sync_at > timezone.now() + sources.SYNC_LEASE  # the retry comes first
    assert not Post.objects.exists()
    assert source_sync_retry_plan(RateLimited("429", retry_after=30.0), 0) == (30.0, True)

    mocked.reset()
    gh.add_full_sync(mocked)
    assert source_sync(github_source.pk) == "done"  # the retry's delivery
    assert fresh(github_source).sync_status == SyncStatus.IDLE
    assert Post.objects.filter(source=github_source).count() == 2


def test_a_long_rate_limit_waits_in_the_database_for_the_dispatcher(
    github_source: Source, mocked: responses.RequestsMock
) -> None:
    reset = str(int(timezone.now().timestamp()) + 1800)
    mocked.get(
        f"{gh.API}/user",
        status=403,
        headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        json=load("github_rate_limit_exceeded.json"),
    )

    assert source_sync(github_source.pk) == "retrying"

    waiting = fresh(github_source)
    assert waiting.sync_status == SyncStatus.RETRYING
    assert waiting.next_sync_at is not None
    assert timedelta(minutes=25) < waiting.next_sync_at - timezone.now() < timedelta(minutes=31)
    assert sources.sources_dispatch_due() == 0  # not due yet
    assert sources.sources_dispatch_due(now=waiting.next_sync_at) == 1


def test_a_revoked_token_stops_syncing_with_plain_words(
    github_source: Source, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{gh.API}/user", status=401, json=load("github_bad_credentials.json"))

    assert source_sync(github_source.pk) == "error"

    source = fresh(github_source)
    assert source.sync_status == SyncStatus.ERROR
    assert source.sync_error == "GitHub access was revoked — reconnect your account."
    assert source.next_sync_at is None
    assert sources.sources_dispatch_due(now=timezone.now() + timedelta(days=30)) == 0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_server_error_leaves_the_source_waiting_to_retry_with_backoff(
    github_source: Source, mocked: responses.RequestsMock, status: int
) -> None:
    mocked.get(f"{gh.API}/user", status=status, body="<html>Unicorn!</html>")

    with pytest.raises(Retry):
        source_sync(github_source.pk)

    source = fresh(github_source)
    assert source.sync_status == SyncStatus.RETRYING
    assert source.sync_error == "GitHub isn't responding right now — we'll try again later."


def test_backoff_grows_and_then_hands_over_to_the_regular_schedule() -> None:
    down = ProviderUnavailable("GET /user: HTTP 502")
    waits = [source_sync_retry_plan(down, n) for n in range(5)]
    assert all(by_celery for _, by_celery in waits)
    assert 30 <= waits[0][0] <= 37.5
    assert 60 <= waits[1][0] <= 75
    assert 480 <= waits[4][0] <= 600
    assert all(x < y for (x, _), (y, _) in zip(waits, waits[1:], strict=False))
    assert source_sync_retry_plan(down, 5) == (settings.SOURCE_SYNC_HOURS * 3600.0, False)
    assert source_sync_retry_plan(RateLimited("429", retry_after=3600.0), 0) == (3600.0, False)


def test_malformed_json_stops_the_sync_with_an_error(
    github_source: Source, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{gh.API}/user", body="{not json", content_type="application/json")

    assert source_sync(github_source.pk) == "error"

    source = fresh(github_source)
    assert source.sync_status == SyncStatus.ERROR
    assert source.sync_error.startswith("GitHub sent a reply we couldn't read")
    assert not Post.objects.exists()


def test_a_server_on_a_private_name_is_refused_before_any_request(
    alice: User, mocked: responses.RequestsMock
) -> None:
    source = connect(
        alice,
        "mastodon",
        {
            "id": "1",
            "acct": "alice",
            "handle": "alice@intranet.local",
            "instance": "intranet.local",
        },
        "1@intranet.local",
    )

    assert source_sync(source.pk) == "error"

    assert fresh(source).sync_error == REFUSED_MESSAGE
    assert len(mocked.calls) == 0


def test_a_redelivered_message_does_nothing(
    github_source: Source, mocked: responses.RequestsMock
) -> None:
    gh.add_full_sync(mocked)
    assert source_sync(github_source.pk) == "done"
    calls = len(mocked.calls)

    assert source_sync(github_source.pk) == "skipped"
    assert len(mocked.calls) == calls


def test_a_withdrawal_during_the_fetch_stores_nothing(
    github_source: Source, alice: User, mocked: responses.RequestsMock
) -> None:
    gh.add_full_sync(mocked)
    withdraw = mocked.get(f"{gh.API}/user/following")  # the last list every sync reads

    def withdraw_then_reply(request: Any) -> tuple[int, dict[str, str], str]:
        consent_withdraw(user=alice, purpose=Purpose.SCORING)
        return 200, {}, json.dumps(load("github_following.json"))

    mocked.remove(withdraw)
    mocked.add_callback("GET", f"{gh.API}/user/following", callback=withdraw_then_reply)

    source_sync(github_source.pk)

    assert not Source.objects.exists()
    assert not Post.objects.exists() and not Engagement.objects.exists()
    assert not Follow.objects.exists()


# --- Scheduling ---------------------------------------------------------------------------


def test_the_dispatcher_claims_each_due_source_once(
    github_source: Source, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    Source.objects.filter(pk=github_source.pk).update(
        sync_status=SyncStatus.IDLE, next_sync_at=timezone.now() - timedelta(minutes=1)
    )

    with django_capture_on_commit_callbacks() as callbacks:
        assert sources.sources_dispatch_due() == 1
        assert sources.sources_dispatch_due() == 0

    assert len(callbacks) == 1
    assert fresh(github_source).sync_status == SyncStatus.QUEUED
    assert "dispatch-due-source-syncs" in settings.CELERY_BEAT_SCHEDULE


def test_a_claim_whose_worker_died_is_claimed_again_after_its_lease(github_source: Source) -> None:
    Source.objects.filter(pk=github_source.pk).update(
        sync_status=SyncStatus.RUNNING, next_sync_at=timezone.now() + sources.SYNC_LEASE
    )
    assert sources.sources_dispatch_due() == 0
    later = timezone.now() + sources.SYNC_LEASE + timedelta(seconds=1)
    assert sources.sources_dispatch_due(now=later) == 1


def test_a_member_without_scoring_consent_is_never_synced(
    github_source: Source, alice: User
) -> None:
    # Withdrawal deletes sources; a stray row left for a member who has withdrawn (written
    # back by hand here, as a crash mid-withdrawal could) is still never synced.
    stray = {f.attname: getattr(github_source, f.attname) for f in Source._meta.concrete_fields}
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    assert not Source.objects.filter(pk=github_source.pk).exists()
    Source.objects.create(**{**stray, "next_sync_at": timezone.now()})
    assert sources.sources_dispatch_due(now=timezone.now() + timedelta(hours=1)) == 0
    # The same row for a consenting member is due: the refusal above is the consent check.
    consent_give(user=alice, purpose=Purpose.SCORING)
    Source.objects.filter(pk=github_source.pk).update(next_sync_at=timezone.now())
    assert sources.sources_dispatch_due(now=timezone.now() + timedelta(hours=1)) == 1


def test_sync_now_is_refused_while_a_sync_is_queued(github_source: Source, alice: User) -> None:
    assert not sources.source_sync_request(user_id=alice.pk, source_id=github_source.pk)
    Source.objects.filter(pk=github_source.pk).update(sync_status=SyncStatus.IDLE)
    assert sources.source_sync_request(user_id=alice.pk, source_id=github_source.pk)
    assert fresh(github_source).sync_status == SyncStatus.QUEUED


# --- Disconnecting ------------------------------------------------------------------------


def test_disconnect_deletes_exactly_that_sources_rows_and_its_token_and_rescores(
    github_source: Source,
    alice: User,
    mallory: User,
    mocked: responses.RequestsMock,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    gh.add_full_sync(mocked)
    source_sync(github_source.pk)
    kept = read_archive(io.BytesIO(archive_text().encode()), secret=settings.HANDLE_HASH_KEY)
    archive_source, _ = signals_store(
        user_id=alice.pk, archive=kept, kind=SourceKind.ARCHIVE, verified=False
    )
    theirs = read_archive(
        io.BytesIO(archive_text(handle="mallory@example.social").encode()),
        secret=settings.HANDLE_HASH_KEY,
    )
    signals_store(user_id=mallory.pk, archive=theirs, kind=SourceKind.ARCHIVE, verified=False)
    counts = {
        model: model.objects.exclude(source=github_source).count()
        for model in (Post, Engagement, Follow)
    }
    ScoringState.objects.filter(user=alice).update(next_score_due=None)

    with django_capture_on_commit_callbacks() as callbacks:
        assert sources.source_disconnect(user_id=alice.pk, source_id=github_source.pk)

    assert not Source.objects.filter(pk=github_source.pk).exists()
    for model, count in counts.items():
        assert not model.objects.filter(source_id=github_source.pk).exists()
        assert model.objects.count() == count  # every other source's rows are intact
    assert Source.objects.filter(pk=archive_source.pk).exists()
    assert not SocialAccount.objects.filter(user=alice).exists()
    assert not SocialToken.objects.exists()
    assert ScoringState.objects.get(user=alice).next_score_due is not None
    assert len(callbacks) == 1  # the scoring request, on commit


def test_disconnect_keeps_an_account_the_member_signs_in_with_but_deletes_its_token(
    github_source: Source, alice: User
) -> None:
    alice.set_unusable_password()
    alice.save()

    sources.source_disconnect(user_id=alice.pk, source_id=github_source.pk)

    assert SocialAccount.objects.filter(user=alice).exists()
    assert not SocialToken.objects.exists()
    assert not Source.objects.exists()


def test_a_member_cannot_disconnect_another_members_source(
    github_source: Source, mallory: User
) -> None:
    assert not sources.source_disconnect(user_id=mallory.pk, source_id=github_source.pk)
    assert Source.objects.filter(pk=github_source.pk).exists()


# --- Invariant 3 --------------------------------------------------------------------------


def _text_columns() -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField | models.TextField | models.JSONField):
                found.append((model._meta.db_table, str(field.column)))
    return found


def test_no_counterpart_handle_is_stored_logged_or_sent_to_the_broker(
    github_source: Source,
    mastodon_source: Source,
    mocked: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    published: list[str] = []

    def capture(sender: Any = None, body: Any = None, headers: Any = None, **_: Any) -> None:
        published.append(json.dumps([sender, body, headers], default=str))

    gh.add_full_sync(mocked)
    md.add_full_sync(mocked)
    caplog.set_level(logging.DEBUG)
    before_task_publish.connect(capture)
    try:
        # The enqueues run for real: the task messages reach the (unconsumed) test queue.
        Source.objects.update(sync_status=SyncStatus.IDLE)
        with django_capture_on_commit_callbacks(execute=True):
            assert sources.source_sync_request(
                user_id=github_source.user_id, source_id=github_source.pk
            )
        Source.objects.update(sync_status=SyncStatus.QUEUED)
        with django_capture_on_commit_callbacks(execute=True):
            assert source_sync(github_source.pk) == "done"
            assert source_sync(mastodon_source.pk) == "done"
    finally:
        before_task_publish.disconnect(capture)

    assert any("source_sync" in p for p in published)
    assert len(published) > 1  # and the scoring requests the syncs made
    assert ScoringState.objects.get(user=github_source.user).next_score_due is not None
    needles = set(GITHUB_PEOPLE) | set(MASTODON_PEOPLE)
    haystacks = [*published, *(r.getMessage() for r in caplog.records)]
    with connection.cursor() as cursor:
        for table, column in _text_columns():
            cursor.execute(f'SELECT "{column}" FROM "{table}"')  # noqa: S608 - names from the ORM
            for (value,) in cursor.fetchall():
                haystacks.append(json.dumps(value) if not isinstance(value, str) else value or "")
    assert Engagement.objects.filter(source=mastodon_source).exists()
    for hay in haystacks:
        for needle in needles:
            assert needle not in hay.lower(), needle
