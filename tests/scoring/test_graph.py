from __future__ import annotations

import numpy as np
import pytest
from django.db import connection

from profiles.models import User
from scoring.models import Score, ScoreSnapshot
from scoring.services import graph
from scoring.services.scores import score_members_now
from tests.scoring.test_scores import imported

pytestmark = pytest.mark.django_db


@pytest.mark.skipif(connection.vendor != "postgresql", reason="binary COPY is PostgreSQL's")
def test_binary_copy_reads_the_same_integers_as_a_plain_cursor(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph, "BLOCK_ROWS", 1000)  # many blocks, rows cut across chunks
    sql = """
        SELECT g, g * 3 - 7, CAST(g AS BIGINT) * 1000000007 FROM generate_series(-5, 120000) AS g
        WHERE g %% 7 <> %s
    """
    fast = [np.concatenate(c) for c in zip(*graph._int_blocks_copy(sql, [3], 3), strict=True)]
    plain = [np.concatenate(c) for c in zip(*graph._int_blocks_fetch(sql, [3], 3), strict=True)]
    assert len(fast[0]) == len(plain[0]) > 100_000
    for a, b in zip(fast, plain, strict=True):
        assert a.dtype == np.int64
        assert np.array_equal(a, b)


def test_a_member_with_no_data_gets_no_score_rather_than_a_meaningless_one(
    alice: User,
) -> None:
    assert score_members_now(user_ids=[alice.pk]) == 0
    assert not Score.objects.filter(user=alice).exists()


def test_disconnecting_the_last_source_drops_the_score_it_was_built_on(alice: User) -> None:
    from scoring.models import Source
    from scoring.services.sources import source_disconnect

    imported(alice)
    assert score_members_now(user_ids=[alice.pk]) == 1
    source_disconnect(user_id=alice.pk, source_id=Source.objects.get(user=alice).pk)
    score_members_now(user_ids=[alice.pk])
    assert not Score.objects.filter(user=alice).exists()
    assert ScoreSnapshot.objects.filter(user=alice).exists()  # the history stays
