"""The dashboard, the activity statement, deleting the score, and withdrawing scoring
through its confirmation page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from profiles.models import AuditEntry, User
from profiles.purposes import Purpose
from profiles.selectors import has_active_consent
from scoring.explain import flag_explain
from scoring.models import GamingFlag, Score, ScoreSnapshot, ScoringState, Topic, TopicBlock
from signals.models import Engagement, ImportJob, ImportStatus, Source
from tests.samples import COUNTERPARTS
from tests.scoring.builders import (
    RING,
    flag_add,
    history_add,
    scored,
    sources_add,
    topics_add,
)

pytestmark = pytest.mark.django_db


def page(client, name: str, *args: object) -> str:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return response.content.decode()


# --- States ----------------------------------------------------------------------------


def test_each_empty_state_says_what_to_do_next(client, alice: User, bob: User) -> None:
    client.force_login(bob)
    assert 'data-testid="state-no-consent"' in page(client, "dashboard")
    client.force_login(alice)
    html = page(client, "dashboard")
    assert "No score yet: no sources" in html and reverse("import_new") in html
    ImportJob.objects.create(user=alice, original_name="a.jsonl", status=ImportStatus.RUNNING)
    assert 'data-testid="state-in-progress"' in page(client, "dashboard")


def test_a_scored_member_sees_the_score_out_of_100_its_percentile_and_next_run(
    client, alice: User, mallory: User
) -> None:
    Score.objects.create(user=mallory, value="2.00", components={"reach": "2.00"}, run_id="0" * 32)
    score = scored(alice)  # about 5: alone, alice cannot vouch for her own audience
    client.force_login(alice)
    html = page(client, "dashboard")
    assert f'<span data-testid="score-value">{score.value}</span></strong> out of 100' in html
    assert "Higher than 100% of the other 1 scored members." in html
    state = ScoringState.objects.get(user=alice)
    assert state.next_score_due is not None
    assert state.next_score_due.strftime("%-d %b %Y") in html
    assert 'data-testid="history-plot"' in html and "<polyline" in html
    assert html.count("<rect") == 2 * len(score.components)  # a bar and its track each


def test_the_history_marks_model_changes_and_has_a_table_fallback(client, alice: User) -> None:
    history_add(alice, 3, version="old-1")
    scored(alice)
    client.force_login(alice)
    html = page(client, "dashboard")
    assert "Model changed to" in html
    table = html[html.index('data-testid="history-table"') :].split("</table>")[0]
    assert len(re.findall(r"<tr><td>", table)) == 4


def test_flags_read_as_plain_words_with_counts_never_raw_evidence(client, alice: User) -> None:
    scored(alice)
    GamingFlag.objects.filter(user=alice).delete()
    flag_add(alice, "engagement_ring", RING)
    client.force_login(alice)
    html = page(client, "dashboard")
    assert "81% of the engagement on your posts came from 12 accounts" in html
    assert "count 50% less" in html
    for raw in ("ring_size", "ring_share_of_engagement", "0.8123", "{"):
        assert raw not in html.split('data-testid="flags"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    ("kind", "evidence", "words"),
    [
        (
            "follower_burst",
            {
                "burst_followers": 900.0,
                "burst_days": 3.0,
                "burst_start": 0.0,
                "usual_followers_per_window": 4.0,
                "new_engagers_after": 1.0,
                "expected_new_engagers": 2.5,
            },
            "900 new followers arrived within 3 days from 1 January 1970",
        ),  # fmt: skip
        (
            "low_trust_engagement",
            {"engagers": 40.0, "low_trust_engagers": 30.0, "low_trust_share": 0.75},
            "30 of the 40 accounts that engaged with you (75%)",
        ),
        ("something_new", {"x_y": 1.0}, "Some of your signals looked like gaming"),
        ("engagement_ring", {}, "some accounts"),
    ],
)
def test_every_flag_kind_has_a_sentence(kind: str, evidence: dict, words: str) -> None:
    explained = flag_explain(kind=kind, evidence=evidence, discount=0.3)
    assert words in explained.sentence
    assert "_" not in explained.sentence + explained.title


# --- The activity statement ------------------------------------------------------------


def test_the_statement_counts_counterparts_and_never_names_them(client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    html = page(client, "score_statement")
    assert 'data-testid="part-engagement"' in html and 'data-testid="part-reach"' in html
    assert "<strong>Likes received</strong> on mastodon" in html and "Reshares received" in html
    assert "3 distinct accounts" in html  # the likers of tests/samples.py
    for person in COUNTERPARTS:
        assert person.lower().lstrip("@").split("@")[0] not in html.lower()
    for key in Engagement.objects.filter(user=alice).values_list("counterpart", flat=True):
        assert str(key) not in html


def test_the_statement_has_an_empty_state(client, alice: User) -> None:
    client.force_login(alice)
    assert 'data-testid="statement-empty"' in page(client, "score_statement")


# --- Deleting --------------------------------------------------------------------------


def test_deleting_the_score_is_confirmed_first_audited_and_says_what_comes_next(
    client, alice: User
) -> None:
    scored(alice)
    history_add(alice, 4)
    client.force_login(alice)
    confirm = page(client, "score_delete")
    assert "5 entries" in confirm and "computes a fresh score" in confirm
    assert Score.objects.filter(user=alice).exists()
    response = client.post(reverse("score_delete"), follow=True)
    assert "were deleted" in response.content.decode()
    assert "unless you withdraw" in response.content.decode()
    assert not Score.objects.filter(user=alice).exists()
    assert not ScoreSnapshot.objects.filter(user=alice).exists()
    assert not GamingFlag.objects.filter(user=alice).exists()
    assert Source.objects.filter(user=alice).exists()  # the data stays
    assert AuditEntry.objects.filter(action="score.deleted", subject=alice).count() == 1


def test_withdrawing_scoring_lists_what_it_deletes_then_deletes_it(client, alice: User) -> None:
    scored(alice)
    TopicBlock.objects.create(user=alice, label="crypto")
    topics = Topic.objects.filter(user=alice).count()
    client.force_login(alice)
    html = page(client, "scoring_withdraw")
    deletes = html[html.index('data-testid="withdraw-deletes"') :]
    assert f"your topics: suggested, approved, rejected, blocked: <strong>{topics}</strong>" in (
        deletes
    )
    assert "your current score with its components: <strong>1</strong>" in deletes
    assert "labels you blocked" in html[html.index('data-testid="withdraw-keeps"') :]
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.SCORING)
    client.post(reverse("scoring_withdraw"), {})  # not confirmed: nothing happens
    assert has_active_consent(user_id=alice.pk, purpose=Purpose.SCORING)
    response = client.post(reverse("scoring_withdraw"), {"confirm": "yes"}, follow=True)
    assert "scores, topics and signals were deleted" in response.content.decode()
    assert not Score.objects.filter(user=alice).exists()
    assert TopicBlock.objects.filter(user=alice).exists()


# --- Query counts and authorization ----------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("name", ["dashboard", "score_statement"])
def test_pages_take_the_same_queries_with_1_or_500_points_topics_and_sources(
    client, alice: User, mallory: User, name: str, django_assert_max_num_queries
) -> None:
    scored(mallory)
    flag_add(mallory, "engagement_ring", RING)
    client.force_login(mallory)
    few = _queries(client, reverse(name))
    scored(alice)
    flag_add(alice, "engagement_ring", RING)
    history_add(alice, 500)
    topics_add(alice, 500)
    sources_add(alice, 500)
    client.force_login(alice)
    with django_assert_max_num_queries(few):
        html = client.get(reverse(name)).content.decode()
    assert "topic 499" in html or name == "score_statement"


def test_mallory_gets_a_404_for_everything_of_alices(client, alice: User, mallory: User) -> None:
    scored(alice)
    topic = Topic.objects.filter(user=alice).first()
    assert topic is not None
    block = TopicBlock.objects.create(user=alice, label="crypto")
    source = Source.objects.get(user=alice)
    job = ImportJob.objects.filter(user=alice).first()
    assert job is not None
    client.force_login(mallory)
    for action in ("approve", "reject", "block", "delete"):
        url = reverse("topic_change", args=[topic.pk])
        assert client.post(url, {"action": action}).status_code == 404
    assert client.post(reverse("topic_unblock", args=[block.pk])).status_code == 404
    assert client.get(reverse("import_detail", args=[job.pk])).status_code == 404
    assert client.get(reverse("source_disconnect", args=[source.pk])).status_code == 404
    assert client.post(reverse("source_disconnect", args=[source.pk])).status_code == 404
    # Her own pages show nothing of alice's, and deleting hers leaves alice's alone.
    for name in ("dashboard", "score_statement", "topics", "score_delete", "scoring_withdraw"):
        assert str(Score.objects.get(user=alice).value) not in page(client, name)
    client.post(reverse("score_delete"))
    assert Topic.objects.filter(pk=topic.pk).exists()
    assert Score.objects.filter(user=alice).exists()
    assert TopicBlock.objects.filter(pk=block.pk).exists()
