"""The public page at /@<handle> and its badge: exactly what the member chose, only under
consent, the same 404 otherwise, cached and cleared when anything shown changes."""

from __future__ import annotations

import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from influence.cache import cache_clear_own_keys
from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_give, consent_withdraw
from profiles.services.handles import handle_set, profile_update
from scoring.models import Score, ScoreSnapshot, Topic, TopicStatus
from scoring.services.topics import topic_add, topic_decide
from tests.public.conftest import score_for

pytestmark = pytest.mark.django_db


def page_of(client, handle: str) -> str:
    response = client.get(reverse("public_profile", args=[handle]))
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_exactly_what_alice_chose(client, public_alice: User) -> None:
    page = page_of(client, "alice_q")
    assert 'data-testid="public-name">Alice Quuxley<' in page
    assert 'data-testid="public-handle">@alice_q<' in page
    assert 'data-testid="public-bio">Writes about privacy engineering.<' in page
    assert 'href="https://github.com/alicegh"' in page  # ticked
    assert "hiddenalice" not in page  # connected, not ticked
    assert 'data-testid="public-score">42.50<' in page
    assert "Based on verified sources (1 connected account)" in page
    assert "#privacy" in page
    for private in ("health", "gossipqux", "blockedqux", public_alice.email):
        assert private not in page


def test_a_score_from_archives_only_says_it_is_self_reported(client, alice: User) -> None:
    handle_set(member=alice, handle="alice_q")
    score_for(alice)
    page = page_of(client, "alice_q")
    assert "Based on self-reported data (no verified source yet)" in page


def test_bob_without_the_consent_has_no_page_and_no_badge(client, bob: User) -> None:
    handle_set(member=bob, handle="bob_q")
    score_for(bob)
    for name in ("public_profile", "public_badge"):
        hidden = client.get(reverse(name, args=["bob_q"]))
        missing = client.get(reverse(name, args=["nobody_here"]))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.content == missing.content


def test_withdrawing_the_consent_takes_a_cached_page_and_badge_down_at_once(
    client, public_alice: User
) -> None:
    assert client.get(reverse("public_profile", args=["alice_q"])).status_code == 200
    assert client.get(reverse("public_badge", args=["alice_q"])).status_code == 200
    consent_withdraw(user=public_alice, purpose=Purpose.PUBLIC_PROFILE)
    assert client.get(reverse("public_profile", args=["alice_q"])).status_code == 404
    assert client.get(reverse("public_badge", args=["alice_q"])).status_code == 404
    consent_give(user=public_alice, purpose=Purpose.PUBLIC_PROFILE)
    assert client.get(reverse("public_profile", args=["alice_q"])).status_code == 200


def test_the_old_random_address_redirects_to_the_handle_only_while_public(
    client, public_alice: User, bob: User
) -> None:
    old = reverse("public_profile_legacy", args=[public_alice.public_slug])
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == reverse("public_profile", args=["alice_q"])
    handle_set(member=bob, handle="bob_q")
    assert client.get(reverse("public_profile_legacy", args=[bob.public_slug])).status_code == 404
    consent_withdraw(user=public_alice, purpose=Purpose.PUBLIC_PROFILE)
    assert client.get(old).status_code == 404


def test_a_handle_in_capitals_redirects_to_its_canonical_address(client, public_alice) -> None:
    response = client.get("/@Alice_Q")
    assert response.status_code == 301 and response["Location"] == "/@alice_q"


# --- The badge -----------------------------------------------------------------------------


def test_the_badge_is_an_svg_of_the_score_only(client, public_alice: User) -> None:
    response = client.get(reverse("public_badge", args=["alice_q"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert re.match(r"public, max-age=\d+", response["Cache-Control"])
    svg = response.content.decode()
    assert svg.startswith("<svg") and ">42.5<" in svg and ">influence<" in svg
    for private in ("Alice", "alice_q", "privacy", public_alice.email):
        assert private not in svg


def test_the_badge_is_served_from_the_cache_until_the_score_changes(
    client, public_alice: User, django_assert_num_queries
) -> None:
    from scoring.services.notices import scores_written

    url = reverse("public_badge", args=["alice_q"])
    assert ">42.5<" in client.get(url).content.decode()
    with django_assert_num_queries(0):
        assert ">42.5<" in client.get(url).content.decode()
    # A write the cache does not hear about stays invisible: the cache is what answers.
    Score.objects.filter(user=public_alice).update(value=Decimal("77.00"))
    assert ">42.5<" in client.get(url).content.decode()
    # The batch write's notice (scoring/services/runs.py) clears it.
    scores_written(
        before={public_alice.pk: Decimal("42.50")}, after={public_alice.pk: Decimal("77.00")}
    )
    assert ">77<" in client.get(url).content.decode()


def test_after_a_change_one_read_serves_both_the_page_and_the_badge(
    client, public_alice: User, django_assert_num_queries
) -> None:
    from scoring.services.notices import scores_written

    badge = reverse("public_badge", args=["alice_q"])
    for value, first in ((Decimal("77.00"), "page"), (Decimal("81.00"), "badge")):
        old = Score.objects.get(user=public_alice).value
        Score.objects.filter(user=public_alice).update(value=value)
        scores_written(before={public_alice.pk: old}, after={public_alice.pk: value})
        shown = f"{float(value):g}"
        if first == "page":
            assert shown in page_of(client, "alice_q")
            with django_assert_num_queries(0):  # the page's read cached the badge too
                assert f">{shown}<" in client.get(badge).content.decode()
        else:
            assert f">{shown}<" in client.get(badge).content.decode()
            with django_assert_num_queries(0):  # and the badge's read the page
                assert shown in page_of(client, "alice_q")


def test_a_real_scoring_run_clears_the_cached_badge(client, public_alice: User) -> None:
    from scoring.services.runs import score_members_now
    from tests.profiles.conftest import give_score

    Score.objects.filter(user=public_alice).delete()
    give_score(public_alice)  # real signals, so the run computes a real score
    url = reverse("public_badge", args=["alice_q"])
    before = client.get(url).content.decode()
    assert ">42.5<" in before
    assert score_members_now(user_ids=[public_alice.pk]) == 1
    value = Score.objects.get(user=public_alice).value
    assert value != Decimal("42.50")
    assert f">{float(value):g}<" in client.get(url).content.decode()


def test_the_page_cache_is_cleared_when_topics_or_profile_change(
    client, public_alice: User
) -> None:
    assert "#privacy" in page_of(client, "alice_q")
    topic = Topic.objects.get(user=public_alice, label="privacy")
    topic_decide(member=public_alice, topic_id=topic.pk, status=TopicStatus.REJECTED)
    assert "#privacy" not in page_of(client, "alice_q")
    topic_add(member=public_alice, label="#OpenSource")
    assert "#open source" in page_of(client, "alice_q")
    profile_update(
        member=public_alice, display_name="Alice Q. Renamed", bio="", shown_account_ids=[]
    )
    page = page_of(client, "alice_q")
    assert "Alice Q. Renamed" in page and "github.com/alicegh" not in page


def test_a_visitor_hit_costs_no_query(client, public_alice: User, django_assert_num_queries):
    page_of(client, "alice_q")
    with django_assert_num_queries(0):
        page_of(client, "alice_q")


@pytest.mark.parametrize("many", [1, 500])
def test_the_page_costs_the_same_queries_with_1_or_500_topics_and_history_points(
    client, public_alice: User, many: int, django_assert_max_num_queries
) -> None:
    Topic.objects.bulk_create(
        Topic(user=public_alice, label=f"topic{n}", status=TopicStatus.APPROVED, score=n)
        for n in range(many)
    )
    ScoreSnapshot.objects.bulk_create(
        ScoreSnapshot(user=public_alice, run_id=uuid.uuid4(), value=Decimal("40"),
                      components={}, model_version="test")
        for _ in range(many)
    )  # fmt: skip
    cache_clear_own_keys()
    with django_assert_max_num_queries(4):  # member + links, score, topics: cache missed
        page = page_of(client, "alice_q")
    assert page.count('href="/people/?q=%23topic') == many


def test_the_settings_page_previews_the_page_and_offers_the_badge_html(
    client, public_alice: User
) -> None:
    client.force_login(public_alice)
    page = client.get(reverse("profile_settings")).content.decode()
    assert 'data-testid="profile-live"' in page
    preview = page.split('data-testid="profile-preview"')[1]
    assert "Alice Quuxley" in preview and "42.50" in preview and "health" not in preview
    assert "hiddenalice" not in preview
    assert "&lt;img src=&quot;http" in page and "/@alice_q/badge.svg" in page


def test_the_settings_page_says_the_page_is_offline_without_consent(client, bob: User) -> None:
    handle_set(member=bob, handle="bob_q")
    client.force_login(bob)
    page = client.get(reverse("profile_settings")).content.decode()
    assert 'data-testid="profile-offline"' in page
    assert 'data-testid="badge-embed"' not in page


def test_another_process_clearing_the_cache_is_followed_within_the_local_second(
    client, public_alice: User, settings
) -> None:
    import time

    settings.PUBLIC_LOCAL_CACHE_SECONDS = 0.3
    url = reverse("public_badge", args=["alice_q"])
    assert ">42.5<" in client.get(url).content.decode()
    Score.objects.filter(user=public_alice).update(value=Decimal("77.00"))
    # What another process's public_page_cache_clear does to the shared cache:
    cache_clear_own_keys()
    assert ">42.5<" in client.get(url).content.decode()  # this process's copy, for now
    time.sleep(0.35)
    assert ">77<" in client.get(url).content.decode()
