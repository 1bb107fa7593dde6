"""A rate-limited sync through a real worker: 429, Celery's retry after Retry-After, success.

`responses` cannot reach into the worker process, so GitHub is played by a small local
HTTP server serving the recorded fixtures; the worker is pointed at it the way a GitHub
Enterprise Server is configured (GITHUB_URL, API under /api/v3). The worker listens on a
queue of its own, so the session's shared worker (which knows no fake GitHub) never
takes the task.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.conf import settings
from django.utils import timezone

from profiles.models import User
from signals.archive import make_hasher
from signals.models import Follow, Source, SourceKind, SyncStatus
from signals.services.sources import SYNC_LEASE
from signals.tasks import source_sync_run as source_sync
from tests.conftest import WorkerProcess, wait_for
from tests.signals.connectors.conftest import load

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


class FakeGitHub(BaseHTTPRequestHandler):
    """/api/v3/user answers 429 the first time, then every list is served from fixtures."""

    user_calls = 0
    authorization: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = urlsplit(self.path).path
        type(self).authorization.add(self.headers.get("Authorization", ""))
        if path == "/api/v3/user":
            type(self).user_calls += 1
            if type(self).user_calls == 1:
                self._reply(429, {"message": "secondary rate limit"}, {"Retry-After": "1"})
                return
            self._reply(200, load("github_user.json"))
            return
        bodies: dict[str, Any] = {
            "/api/v3/user/repos": [],
            "/api/v3/user/followers": load("github_followers.json"),
            "/api/v3/user/following": load("github_following.json"),
        }
        if path in bodies:
            self._reply(200, bodies[path])
        else:
            self._reply(404, {"message": "Not Found"})

    def _reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def fake_github() -> Iterator[str]:
    FakeGitHub.user_calls = 0
    FakeGitHub.authorization = set()
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_rate_limited_sync_is_retried_by_the_worker_and_then_stored(
    alice: User, fake_github: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = f"influence-test-sources-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(extra_env={"GITHUB_URL": fake_github}, queue=queue)
    try:
        account = SocialAccount.objects.create(
            user=alice, provider="github", uid="1001", extra_data={"login": "alice"}
        )
        SocialToken.objects.create(account=account, token="gho_test")
        source = Source.objects.create(
            user=alice,
            kind=SourceKind.GITHUB,
            network="github",
            handle="alice",
            handle_hash=make_hasher(settings.HANDLE_HASH_KEY, "github")("alice"),
            verified=True,
            social_account=account,
            sync_status=SyncStatus.QUEUED,
            next_sync_at=timezone.now() + SYNC_LEASE,
        )
        source_sync.apply_async((source.pk,), queue=queue)

        done = wait_for(
            lambda: Source.objects.filter(pk=source.pk, sync_status=SyncStatus.IDLE).first(),
            timeout=90,
            what=f"the retried sync to finish; worker log:\n{worker.output()}",
        )
    finally:
        worker.stop()

    assert FakeGitHub.user_calls == 2  # 429, then the retry after Retry-After
    assert FakeGitHub.authorization == {"Bearer gho_test"}
    log = worker.output()
    assert "retry: Retry in 1.0s" in log  # Celery's own retry, not a new sync
    assert "succeeded" in log and "'done'" in log
    assert done.sync_error == ""
    assert Follow.objects.filter(source=source, direction="follower").count() == 3
