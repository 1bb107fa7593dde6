"""Finding 5, second half: registering our client on a Mastodon instance happens on an
anonymous POST, so it is rate-limited per client address, and an instance that failed is
remembered for a while instead of being called again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses
from django.test import Client
from django.urls import reverse

from signals.providers.mastodon import views as mastodon_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def register(client: Client, instance: str) -> str:
    response = client.post(reverse("mastodon_login"), {"instance": instance})
    return response.content.decode() if response.status_code != 302 else "redirected"


def test_an_instance_that_failed_is_not_called_again_for_a_while(
    client: Client, mocked: responses.RequestsMock
) -> None:
    mocked.post("https://broken.example/api/v1/apps", status=503)

    first = register(client, "broken.example")
    second = register(Client(), "broken.example")  # someone else, another session

    assert len(mocked.calls) == 1
    assert "isn" in first and "responding" in first
    assert "isn" in second and "responding" in second


def test_registrations_from_one_address_are_rate_limited(
    client: Client, mocked: responses.RequestsMock
) -> None:
    for n in range(mastodon_views.REGISTER_LIMIT + 2):
        mocked.post(f"https://new{n}.example/api/v1/apps", status=503)

    for n in range(mastodon_views.REGISTER_LIMIT):
        register(client, f"new{n}.example")
    response = client.post(
        reverse("mastodon_login"), {"instance": f"new{mastodon_views.REGISTER_LIMIT}.example"}
    )

    assert response.status_code == 429
    assert "Too many" in response.content.decode()
    assert len(mocked.calls) == mastodon_views.REGISTER_LIMIT
    # Another address is not held back by this one.
    other = Client(REMOTE_ADDR="203.0.113.9")
    register(other, f"new{mastodon_views.REGISTER_LIMIT + 1}.example")
    assert len(mocked.calls) == mastodon_views.REGISTER_LIMIT + 1
