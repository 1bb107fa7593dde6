from __future__ import annotations

import numpy as np
import pytest

from profiles.models import User
from scoring.models import Score, ScoreSnapshot
from scoring.services import graph
from scoring.services.runs import score_members_now
from tests.builders import imported

pytestmark = pytest.mark.django_db


@pytest.mark.postgres  # packed reads are PostgreSQL's
def test_packed_reads_give_the_same_integers_as_a_plain_cursor(
    alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.utils import timezone

    from signals.models import Engagement, Source
    from signals.services.bulk import copy_columns

    source = Source.objects.create(
        user=alice, kind="archive", network="x", handle="alice", handle_hash=3
    )
    rng = np.random.default_rng(5)
    n = 5_000
    keys = rng.integers(-(2**63), 2**63 - 1, n, dtype=np.int64)
    counts = rng.integers(1, 2**31 - 1, n)
    at = int(timezone.now().timestamp()) * 1_000_000
    for kind, part in (("like", slice(0, 3000)), ("reply", slice(3000, n))):
        copy_columns(
            Engagement,
            [("source_id", "int8", source.pk), ("user_id", "int8", alice.pk),
             ("counterpart", "int8", keys[part]), ("kind", "text", kind),
             ("direction", "text", "in"), ("count", "int4", counts[part]),
             ("first_at", "timestamptz", at), ("last_at", "timestamptz", at)],
            len(keys[part]),
        )  # fmt: skip
    Engagement.objects.filter(counterpart__in=keys[::7].tolist()).delete()  # gaps in the ids
    monkeypatch.setattr(graph, "BLOCK_ROWS", 97)  # many blocks, some empty
    first_at = "CAST(EXTRACT(EPOCH FROM first_at) AS BIGINT)"
    exprs = ["user_id", "counterpart", graph.KIND_CODE, "count", first_at]
    packed = list(graph.column_blocks_read(model=Engagement, exprs=exprs, packed=True))
    plain = list(graph.column_blocks_read(model=Engagement, exprs=exprs, packed=False))
    by_default = list(graph.column_blocks_read(model=Engagement, exprs=exprs))
    assert len(packed) > 10

    def rows(blocks: list[list[np.ndarray]]) -> list[tuple[int, ...]]:
        columns = [np.concatenate(c) for c in zip(*blocks, strict=True)]
        assert all(c.dtype == np.int64 for c in columns)
        return sorted(zip(*(c.tolist() for c in columns), strict=True))

    expected = rows(plain)
    assert len(expected) == Engagement.objects.count() > 4000
    assert rows(packed) == expected
    assert rows(by_default) == expected and len(by_default) == len(packed)  # packed here
    assert {r[4] for r in expected} == {at // 1_000_000}
    assert {r[2] for r in expected} == {graph.KIND_IDS["like"], graph.KIND_IDS["reply"]}


def test_a_member_with_no_data_gets_no_score_rather_than_a_meaningless_one(
    alice: User,
) -> None:
    assert score_members_now(user_ids=[alice.pk]) == 0
    assert not Score.objects.filter(user=alice).exists()


def test_disconnecting_the_last_source_drops_the_score_it_was_built_on(alice: User) -> None:
    from signals.models import Source
    from signals.services.sources import source_disconnect

    imported(alice)
    assert score_members_now(user_ids=[alice.pk]) == 1
    source_disconnect(user_id=alice.pk, source_id=Source.objects.get(user=alice).pk)
    score_members_now(user_ids=[alice.pk])
    assert not Score.objects.filter(user=alice).exists()
    assert ScoreSnapshot.objects.filter(user=alice).exists()  # the history stays


def test_a_run_numbers_members_first_and_a_members_handle_is_their_node(
    alice: User, bob: User
) -> None:
    from django.utils import timezone

    from signals.models import Engagement, Follow, Source

    now = timezone.now()
    mine = Source.objects.create(
        user=alice, kind="archive", network="mastodon", handle="alice@a.example", handle_hash=101
    )
    theirs = Source.objects.create(
        user=bob, kind="archive", network="mastodon", handle="bob@b.example", handle_hash=-202
    )
    times = {"first_at": now, "last_at": now}
    # Bob's likes of Alice's posts, told twice: by her archive (3) and by his (5).
    Engagement.objects.create(source=mine, user=alice, counterpart=-202, kind="like",
                              direction="in", count=3, **times)  # fmt: skip
    Engagement.objects.create(source=theirs, user=bob, counterpart=101, kind="like",
                              direction="out", count=5, **times)  # fmt: skip
    Engagement.objects.create(source=mine, user=alice, counterpart=999, kind="reply",
                              direction="in", count=2, **times)  # fmt: skip
    Follow.objects.create(source=mine, user=alice, counterpart=-202, direction="follower", at=now)
    Follow.objects.create(source=theirs, user=bob, counterpart=101, direction="following", at=now)

    nodes = graph.run_nodes_create()
    users = sorted(User.objects.values_list("pk", flat=True))
    assert nodes.members.tolist() == users
    a, b = nodes.member_nodes([alice.pk, bob.pk]).tolist()
    assert (a, b) == (users.index(alice.pk), users.index(bob.pk))
    # Members' own keys are their nodes; another key comes after the members; an unknown
    # key (seen after numbering) has none.
    assert nodes.key_nodes([101, -202, 999, 12345]).tolist() == [a, b, len(users), -1]
    assert nodes.n_nodes == len(users) + 1

    g = graph.graph_build(nodes=nodes)
    engage = g.engage.toarray()
    assert engage[b, a] == 5  # one edge, at the larger count, not 3 + 5
    assert engage[len(users), a] == 2
    assert np.count_nonzero(engage) == 2
    # The follow, told by both, is one endorsement of Alice by Bob.
    assert g.transition_t.nnz == 2


def test_a_runs_trust_and_numbering_round_trip_through_the_database_and_score_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from benchmarks import synthetic as syn
    from scoring.model import score_batch, trust_context
    from scoring.models import RunArtefact, ScoringRun

    pop = syn.generate(800, seed=2)
    ctx = trust_context(syn.graph(pop), syn.seeds(pop))
    nodes = graph.RunNodes(
        members=np.arange(10, dtype=np.int64),
        own_keys=np.array([-5, 7], dtype=np.int64),
        own_nodes=np.array([3, 1], dtype=np.int64),
        keys=np.arange(100, 100 + pop.n_nodes - 10, dtype=np.int64),
    )
    run = ScoringRun.objects.create(model_version="test")
    monkeypatch.setattr(graph, "ARTEFACT_PART_BYTES", 1000)  # arrays split over parts

    assert graph.run_artefacts_save(run_id=run.pk, ctx=ctx, nodes=nodes)
    assert RunArtefact.objects.filter(run=run, part__gt=0).exists()
    loaded, numbering = graph.run_artefacts_load(run_id=run.pk)

    for name in ("weight", "selectivity", "standing", "passes", "normalised_trust", "seed"):
        assert np.array_equal(getattr(loaded, name), getattr(ctx, name)), name
    assert (loaded.engage != ctx.engage).nnz == 0
    assert (loaded.iterations, loaded.converged) == (ctx.iterations, ctx.converged)
    for name in graph.RunNodes.ARRAYS:
        assert np.array_equal(getattr(numbering, name), getattr(nodes, name)), name
    members = pop.honest_members()[:50]
    before = score_batch(syn.batch(pop, members), ctx, now=pop.now)
    after = score_batch(syn.batch(pop, members), loaded, now=pop.now)
    assert [r.score for r in before] == [r.score for r in after]
    # A run that is no longer preparing stores nothing.
    assert not graph.run_artefacts_save(run_id=run.pk, ctx=ctx, nodes=nodes)
