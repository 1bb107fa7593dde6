"""What keeps the dashboard cheap (issue 13): its query count, pinned, and the score
history section kept in the cache under a key made of what it shows, so that a new score,
a deleted score or a dispute shows at once."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from moderation.services.disputes import dispute_open
from moderation.services.freezes import scoring_freeze
from profiles.models import User
from profiles.purposes import Purpose
from profiles.services import consent_withdraw
from scoring import hooks
from scoring.fragments import HISTORY_TEMPLATE
from scoring.models import Score, ScoreSnapshot, ScoringRun, SeedBasis
from scoring.services.deletion import score_history_delete
from tests.scoring.builders import RING, flag_add, history_add, scored

pytestmark = pytest.mark.django_db

# The dashboard of a scored member, once signed in and seen (session activity recorded):
# the user, the consent ledger (re-consent check), imports, sources, the member's row with
# score and state, its facts (standing, run, whether there are flags, marks or holds: SQL
# compiled once per process), the history, flags, the unread notification count and the
# topics. Dispute marks,
# adjustments and holds are read only for a member the row says has some, as flags.
# (Inside a test's transaction the ledger and the unread count are read from the
# database; a committed page reads them from the cache, tests/profiles/test_member_cache.py.)
DASHBOARD_QUERIES = 10


def _dashboard(client) -> str:
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def _history_rows(html: str) -> list[str]:
    table = html[html.index('data-testid="history-table"') :].split("</table>")[0]
    return re.findall(r"<tr><td>[^<]*</td><td>([^<]*)</td>", table)


def test_the_dashboard_takes_a_pinned_number_of_queries(
    client, alice: User, mallory: User, django_assert_num_queries
) -> None:
    scored(mallory)
    scored(alice)
    flag_add(alice, "engagement_ring", RING)
    history_add(alice, 30)
    client.force_login(alice)
    _dashboard(client)  # records the session's activity, fills the history cache
    # Sessions on the database alone (no Redis) cost their own query.
    cached = settings.SESSION_ENGINE.endswith("cached_db")
    with django_assert_num_queries(DASHBOARD_QUERIES + (0 if cached else 1)):
        html = _dashboard(client)
    assert 'data-testid="history-plot"' in html and 'data-testid="flags"' in html


def test_without_a_gaming_flag_the_flags_are_not_queried_and_a_new_one_shows_at_once(
    client, alice: User, django_assert_num_queries
) -> None:
    scored(alice)
    history_add(alice, 3)
    client.force_login(alice)
    assert 'data-testid="flags"' not in _dashboard(client)
    cached = settings.SESSION_ENGINE.endswith("cached_db")
    with django_assert_num_queries(DASHBOARD_QUERIES - 1 + (0 if cached else 1)):
        _dashboard(client)
    flag_add(alice, "engagement_ring", RING)
    assert 'data-testid="flags"' in _dashboard(client)


def test_every_marks_and_holds_receiver_says_whether_it_has_any() -> None:
    # The dashboard asks score_marks and score_holds only when their "exist" doors say
    # so: a receiver without its "exist" twin would never be asked.
    assert len(hooks.score_marks_exist.receivers) == len(hooks.score_marks.receivers)
    assert len(hooks.score_holds_exist.receivers) == len(hooks.score_holds.receivers)


def test_a_freeze_shows_on_the_dashboard_at_once(client, alice: User, mod: User) -> None:
    scored(alice)
    client.force_login(alice)
    assert "Checking a sudden jump" not in _dashboard(client)
    scoring_freeze(moderator=mod, member_id=alice.pk, reason="Checking a sudden jump")
    assert "reason: Checking a sudden jump" in _dashboard(client)


def test_the_history_section_is_drawn_once_then_served_from_the_cache(client, alice: User) -> None:
    scored(alice)
    history_add(alice, 5)
    client.force_login(alice)
    first = client.get(reverse("dashboard"))
    assert HISTORY_TEMPLATE in [t.name for t in first.templates]
    second = client.get(reverse("dashboard"))
    assert HISTORY_TEMPLATE not in [t.name for t in second.templates]
    assert _unmasked(first.content) == _unmasked(second.content)


def _unmasked(content: bytes) -> str:
    """The page without its CSRF token, masked anew on every response."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content.decode())


def test_a_new_score_shows_in_the_history_at_once(client, alice: User) -> None:
    scored(alice)
    history_add(alice, 3)
    client.force_login(alice)
    before = _history_rows(_dashboard(client))
    assert len(before) == 4

    ScoreSnapshot.objects.create(
        user=alice, run_id=uuid.uuid4(), value=Decimal("77.25"), components={"reach": "1"},
        model_version="test", computed_at=timezone.now() + timedelta(seconds=1),
    )  # fmt: skip
    html = _dashboard(client)
    assert _history_rows(html) == [*before, "77.25"]
    assert "over 5 runs" in html and "to 77.25;" in html


def test_a_deleted_score_leaves_the_dashboard_at_once(client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    assert 'data-testid="history"' in _dashboard(client)
    score_history_delete(member=alice)
    html = _dashboard(client)
    assert 'data-testid="history"' not in html and 'data-testid="score-value"' not in html

    # The next run: as many rows as before the deletion, other values.
    ScoreSnapshot.objects.create(
        user=alice, run_id=uuid.uuid4(), value=Decimal("12.34"), components={"reach": "1"},
        model_version="test",
    )  # fmt: skip
    assert _history_rows(_dashboard(client)) == ["12.34"]


def test_a_dispute_is_marked_on_the_history_at_once(client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    assert "You disputed" not in _dashboard(client)
    dispute_open(member=alice, subject="score", reason="It misses my talks.")
    html = _dashboard(client)
    assert "You disputed my score" in html.split('data-testid="history-marks"')[1]


def test_withdrawing_scoring_shows_at_once(client, alice: User) -> None:
    scored(alice)
    client.force_login(alice)
    assert 'data-testid="score-value"' in _dashboard(client)
    consent_withdraw(user=alice, purpose=Purpose.SCORING)
    html = _dashboard(client)
    assert 'data-testid="state-no-consent"' in html and 'data-testid="history"' not in html


def test_the_standing_and_seed_basis_come_from_the_current_scores_and_run(
    client, alice: User, bob: User, mallory: User
) -> None:
    score = scored(alice)
    client.force_login(alice)
    assert "You are the only scored member so far" in _dashboard(client)
    Score.objects.create(
        user=mallory, value=score.value - 1, components={"reach": "1"}, run_id=uuid.uuid4()
    )
    assert "Higher than 100% of the other 1 scored members." in _dashboard(client)
    Score.objects.filter(user=mallory).update(value=score.value + 1)
    assert "Higher than 0% of the other 1 scored members." in _dashboard(client)

    run = ScoringRun.objects.get(pk=score.run_id)
    run.seed_basis = SeedBasis.VERIFIED_AGED
    run.save()
    html = _dashboard(client)
    assert f"Trust was seeded from {SeedBasis.VERIFIED_AGED.label}." in html
    assert "Scores are provisional" not in html
    run.delete()  # runs are swept; the score stays
    assert 'data-testid="seed-basis"' not in _dashboard(client)


def test_each_member_gets_their_own_facts_from_the_sql_compiled_once(
    client, alice: User, mallory: User
) -> None:
    scored(alice)
    scored(mallory)
    Score.objects.filter(user=alice).update(value=Decimal("30.00"))
    Score.objects.filter(user=mallory).update(value=Decimal("60.00"))
    flag_add(mallory, "engagement_ring", RING)
    client.force_login(alice)
    html = _dashboard(client)
    assert "Higher than 0% of the other 1 scored members." in html
    assert 'data-testid="flags"' not in html
    client.force_login(mallory)
    html = _dashboard(client)
    assert "Higher than 100% of the other 1 scored members." in html
    assert 'data-testid="flags"' in html
