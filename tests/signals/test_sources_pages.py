"""The Sources page and its forms, through Django's test client; GitHub's HTTP is mocked."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from django.conf import settings
from django.test import Client
from django.urls import reverse
from responses import matchers

from profiles.models import User
from signals.archive import read_archive
from signals.models import Post, Source, SourceKind, SyncStatus
from signals.services import sources
from signals.services.imports import signals_store
from signals.tasks import source_sync_run as source_sync
from tests.samples import archive_text
from tests.signals.connectors import github_api as gh
from tests.signals.connectors.conftest import load

pytestmark = pytest.mark.django_db


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


@pytest.fixture
def github_app(db: None) -> SocialApp:
    return SocialApp.objects.create(
        provider="github", name="GitHub", client_id="gh-client", secret="gh-secret"
    )


@pytest.fixture
def github_source(alice: User) -> Source:
    account = SocialAccount.objects.create(
        user=alice, provider="github", uid="1001", extra_data={"login": "alice"}
    )
    SocialToken.objects.create(account=account, token="gho_test")
    return sources.source_connect(user_id=alice.pk, social_account_id=account.pk)


def import_archive(user: User, **kwargs: Any) -> Source:
    archive = read_archive(
        io.BytesIO(archive_text(**kwargs).encode()), secret=settings.HANDLE_HASH_KEY
    )
    source, _ = signals_store(
        user_id=user.pk, archive=archive, kind=SourceKind.ARCHIVE, verified=False
    )
    return source


def test_the_sources_page_has_an_empty_state_and_ways_in(client: Client, alice: User) -> None:
    client.force_login(alice)

    html = client.get(reverse("sources")).content.decode()

    assert 'data-testid="no-sources"' in html
    assert reverse("import_new") in html
    assert reverse("source_connect", args=["mastodon"]) in html
    assert "GitHub connections aren't set up on this server yet." in html


def test_the_sources_page_is_linked_from_the_nav_and_the_dashboard(
    client: Client, alice: User
) -> None:
    client.force_login(alice)
    html = client.get(reverse("dashboard")).content.decode()
    link = f'href="{reverse("sources")}"'
    header, main = html.split("<main", 1)
    assert link in header.split("<nav", 1)[1], "no Sources link in the navigation"
    assert link in main, "no link to the sources page on the dashboard"


def test_without_scoring_consent_the_page_says_so_and_offers_no_connection(
    client: Client, bob: User
) -> None:
    client.force_login(bob)

    html = client.get(reverse("sources")).content.decode()

    assert "Scoring is off" in html
    assert reverse("source_connect", args=["mastodon"]) not in html


def test_each_source_is_labelled_verified_or_self_reported(
    client: Client, alice: User, github_source: Source
) -> None:
    import_archive(alice)
    client.force_login(alice)

    html = client.get(reverse("sources")).content.decode()

    assert html.count(">verified</span>") == 1
    assert html.count(">self-reported</span>") == 1
    assert "Imported archive" in html
    assert "Sync queued" in html
    assert reverse("source_sync", args=[github_source.pk]) in html


def test_a_revoked_token_is_shown_in_plain_words_with_a_way_to_reconnect(
    client: Client, alice: User, github_source: Source, mocked: responses.RequestsMock
) -> None:
    mocked.get(f"{gh.API}/user", status=401, json=load("github_bad_credentials.json"))
    source_sync(github_source.pk)
    client.force_login(alice)

    html = client.get(reverse("sources")).content.decode()

    assert "Needs attention" in html
    assert "GitHub access was revoked — reconnect your account." in html
    assert ">Reconnect</button>" in html


def test_a_provider_outage_shows_the_source_waiting_to_retry(
    client: Client, alice: User, github_source: Source, mocked: responses.RequestsMock
) -> None:
    from celery.exceptions import Retry

    mocked.get(f"{gh.API}/user", status=503, body="unavailable")
    with pytest.raises(Retry):
        source_sync(github_source.pk)
    client.force_login(alice)

    html = client.get(reverse("sources")).content.decode()

    assert "Waiting to retry" in html
    assert "GitHub isn&#x27;t responding right now — we&#x27;ll try again later." in html


def test_connecting_github_creates_a_verified_source(
    client: Client,
    alice: User,
    github_app: SocialApp,
    mocked: responses.RequestsMock,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client.force_login(alice)
    started = client.post(reverse("source_connect", args=["github"]))
    url = urlsplit(started["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://github.com/login/oauth/authorize"
    query = parse_qs(url.query)
    assert query["client_id"] == ["gh-client"]
    assert query["redirect_uri"] == ["http://testserver/accounts/github/login/callback/"]
    mocked.post(
        "https://github.com/login/oauth/access_token",
        json={"access_token": "gho_test", "token_type": "bearer", "scope": "read:user"},
        match=[
            matchers.urlencoded_params_matcher(
                {
                    "client_id": "gh-client",
                    "client_secret": "gh-secret",
                    "code": "the-code",
                    "grant_type": "authorization_code",
                    "redirect_uri": "http://testserver/accounts/github/login/callback/",
                }
            )
        ],
    )
    mocked.get(f"{gh.API}/user", json=load("github_user.json"))
    mocked.get(
        f"{gh.API}/user/emails",
        json=[
            {"email": "alice@example.org", "primary": True, "verified": True, "visibility": None}
        ],
    )

    callback = client.get(
        reverse("github_callback"), {"code": "the-code", "state": query["state"][0]}
    )
    assert callback["Location"] == reverse("source_connected", args=["github"])
    with django_capture_on_commit_callbacks() as callbacks:
        page = client.get(callback["Location"], follow=True)

    source = Source.objects.get(user=alice)
    assert source.verified and (source.kind, source.handle) == ("github", "alice")
    assert source.social_account == SocialAccount.objects.get(user=alice, provider="github")
    assert SocialToken.objects.get(account=source.social_account).token == "gho_test"
    assert len(callbacks) == 1  # the first sync
    assert "GitHub account alice is connected" in page.content.decode()


def test_connecting_github_an_other_member_claims_is_refused_with_a_clear_message(
    client: Client,
    alice: User,
    mallory: User,
    github_app: SocialApp,
    mocked: responses.RequestsMock,
) -> None:
    import_archive(mallory, handle="alice", network="github")
    Source.objects.filter(user=mallory).update(verified=True, kind=SourceKind.GITHUB)
    client.force_login(alice)
    started = client.post(reverse("source_connect", args=["github"]))
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    mocked.post(
        "https://github.com/login/oauth/access_token",
        json={"access_token": "gho_test", "token_type": "bearer", "scope": "read:user"},
    )
    mocked.get(f"{gh.API}/user", json=load("github_user.json"))
    mocked.get(f"{gh.API}/user/emails", status=404, json={"message": "Not Found"})

    callback = client.get(reverse("github_callback"), {"code": "c", "state": state})
    page = client.get(callback["Location"], follow=True).content.decode()

    assert "already connected by another member" in page
    assert not Source.objects.filter(user=alice).exists()
    assert not SocialAccount.objects.filter(user=alice).exists()  # the token went too


def test_the_finish_page_does_nothing_unless_this_member_started_a_connection(
    client: Client, alice: User
) -> None:
    SocialAccount.objects.create(user=alice, provider="github", uid="1", extra_data={"login": "a"})
    client.force_login(alice)

    response = client.get(reverse("source_connected", args=["github"]))

    assert response["Location"] == reverse("sources")
    assert not Source.objects.exists()


def test_a_sign_in_account_can_be_used_for_scoring(client: Client, alice: User) -> None:
    account = SocialAccount.objects.create(
        user=alice,
        provider="mastodon",
        uid="14715@mastodon.example",
        extra_data={"handle": "alice@mastodon.example", "instance": "mastodon.example"},
    )
    client.force_login(alice)
    html = client.get(reverse("sources")).content.decode()
    assert reverse("source_use", args=[account.pk]) in html

    client.post(reverse("source_use", args=[account.pk]))

    source = Source.objects.get(user=alice)
    assert source.verified and source.social_account == account


def test_sync_now_queues_a_sync_once(client: Client, alice: User, github_source: Source) -> None:
    Source.objects.filter(pk=github_source.pk).update(sync_status=SyncStatus.IDLE)
    client.force_login(alice)

    first = client.post(reverse("source_sync", args=[github_source.pk]), follow=True)
    second = client.post(reverse("source_sync", args=[github_source.pk]), follow=True)

    assert "Sync of alice queued." in first.content.decode()
    assert "alice is already syncing." in second.content.decode()


def test_disconnect_asks_for_confirmation_then_deletes_the_source(
    client: Client, alice: User, github_source: Source
) -> None:
    client.force_login(alice)
    url = reverse("source_disconnect", args=[github_source.pk])

    confirm = client.get(url)
    assert confirm.status_code == 200
    assert "Yes, disconnect and delete its data" in confirm.content.decode()
    assert Source.objects.filter(pk=github_source.pk).exists()

    page = client.post(url, follow=True).content.decode()

    assert not Source.objects.filter(pk=github_source.pk).exists()
    assert not SocialToken.objects.exists()
    assert "alice was disconnected and its data deleted" in page


def test_removing_an_archive_source_deletes_its_rows(client: Client, alice: User) -> None:
    source = import_archive(alice)
    client.force_login(alice)

    client.post(reverse("source_disconnect", args=[source.pk]))

    assert not Source.objects.exists()
    assert not Post.objects.exists()


@pytest.mark.parametrize("name", ["source_disconnect", "source_sync"])
def test_another_members_source_is_a_404(
    client: Client, mallory: User, github_source: Source, name: str
) -> None:
    client.force_login(mallory)
    url = reverse(name, args=[github_source.pk])

    assert client.post(url).status_code == 404
    assert client.get(url).status_code in (404, 405)
    assert Source.objects.filter(pk=github_source.pk, sync_status=SyncStatus.QUEUED).exists()


def test_the_sources_pages_need_a_signed_in_member(client: Client) -> None:
    response = client.get(reverse("sources"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
