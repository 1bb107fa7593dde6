"""Finding 4: erasure is robust to a failing provider. Revocations run after the commit as
tasks with retries and backoff; files go after the commit; the member never sees a
provider's failure."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialToken
from django.test import Client
from django.urls import reverse

from profiles.models import DataExport, ExportStatus, User
from signals.connectors.errors import UnsafeHost
from signals.providers.mastodon.models import MastodonApp
from tests.security.conftest import queued_messages

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
TOKEN = "mastodon-token-never-in-a-message"


def mastodon_connect(user: User) -> None:
    MastodonApp.objects.create(
        domain="social.example",
        redirect_uri="http://testserver/accounts/mastodon/login/callback/",
        client_id="our-client",
        client_secret="our-secret-value",
    )
    account = SocialAccount.objects.create(user=user, provider="mastodon", uid="42@social.example")
    SocialToken.objects.create(account=account, token=TOKEN)


def signed_in_again(client: Client, user: User) -> None:
    client.force_login(user)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code in (200, 302)


@responses.activate
def test_a_revocation_that_raises_unsafe_host_never_shows_on_the_deletion(
    client: Client,
    alice: User,
    media: Path,
    mailoutbox: list,
    unconsumed_queue: str,
    django_capture_on_commit_callbacks,
) -> None:
    # The instance now resolves somewhere private: the guard raises UnsafeHost.
    responses.post(
        "https://social.example/oauth/revoke",
        body=UnsafeHost("refused", user_message="refused"),
    )
    mastodon_connect(alice)
    export_file = media / "exports" / "alice-export.zip"
    export_file.parent.mkdir(parents=True, exist_ok=True)
    export_file.write_bytes(b"zip")
    DataExport.objects.create(user=alice, status=ExportStatus.DONE, file="exports/alice-export.zip")
    signed_in_again(client, alice)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_delete"), {"confirm": "on"}, follow=True)

    assert response.status_code == 200
    assert "were deleted" in response.content.decode()
    assert not User.objects.filter(pk=alice.pk).exists()
    assert not SocialToken.objects.exists()
    assert not export_file.exists()
    assert [m.to for m in mailoutbox] == [[alice.email]]
    # The revocation waits on the broker as a task, its token sealed.
    messages = queued_messages(unconsumed_queue)
    assert [m["headers"]["task"] for m in messages] == ["profiles.tasks.provider_token_revoke"]
    assert TOKEN not in str(messages) and "our-secret-value" not in str(messages)
    # Run, the task meets the same refusal: it gives up quietly (no retry can help).
    from profiles.tasks import provider_token_revoke

    assert provider_token_revoke(*messages[0]["args"]) is False


# --- The task, on a real worker, against a provider that fails once --------------------


class _FlakyGitHub(http.server.BaseHTTPRequestHandler):
    calls: list[tuple[str, str]] = []

    def do_DELETE(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode()
        type(self).calls.append((self.path, body))
        self.send_response(502 if len(type(self).calls) == 1 else 204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def flaky_github() -> Iterator[str]:
    _FlakyGitHub.calls = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FlakyGitHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_a_failed_revocation_is_retried_by_the_worker_until_the_provider_says_yes(
    flaky_github: str, settings
) -> None:
    from profiles.services.erasure import account_erase
    from tests.conftest import WorkerProcess, make_member, private_queue, wait_for

    settings.SOCIALACCOUNT_PROVIDERS = {
        "github": {"APPS": [{"client_id": "gh-client", "secret": "gh-secret"}]}
    }
    member = make_member("dora@example.org", [])
    account = SocialAccount.objects.create(user=member, provider="github", uid="77")
    SocialToken.objects.create(account=account, token="gho_doras_token")

    with private_queue() as queue:
        worker = WorkerProcess(
            queue=queue,
            extra_env={
                # The worker's GitHub is the local flaky server (GitHub Enterprise style).
                "GITHUB_URL": flaky_github,
                "GITHUB_CLIENT_ID": "gh-client",
                "GITHUB_CLIENT_SECRET": "gh-secret",
                "TOKEN_REVOKE_BACKOFF_SECONDS": "1",
            },
        )
        try:
            account_erase(user=member)  # autocommit: the task is sent at once
            wait_for(lambda: len(_FlakyGitHub.calls) >= 2, timeout=60, what="the retry")
        finally:
            worker.stop()
        log = worker.output()

    assert [path for path, _ in _FlakyGitHub.calls] == ["/api/v3/applications/gh-client/token"] * 2
    assert '"access_token": "gho_doras_token"' in _FlakyGitHub.calls[1][1]
    assert "gho_doras_token" not in log and "gh-secret" not in log
    assert not User.objects.filter(pk=member.pk).exists()
