"""From stored signals to the model's arrays: node ids, the graph, and one batch of members.

A run numbers every account once, in memory. Members take nodes ``0..M-1`` in user-id
order; a counterpart whose handle key is a member's connected or imported handle *is*
that member's node (so member-to-member edges meet); any other handle key takes a node
after the members, in key order. The numbering (``RunNodes``) is saved with the run's
trust vectors as its artefacts, in the database (``RunArtefact``), and each batch maps its
rows' handle keys with a binary search: no per-run table and no string joins, so a batch
costs the same however large the stored graph is.

Artefacts are written once per run and read once per worker process per run (a process
keeps the last run's arrays), so workers on any number of machines need nothing but the
database: no shared folder.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
import scipy.sparse as sp
from django.db import connection, transaction
from django.db.models import Model, Q
from django.db.models.functions import Length
from django.utils import timezone

from profiles.models import User
from scoring.model import (
    Accounts,
    Engagements,
    Followers,
    Graph,
    MemberBatch,
    Posts,
    TrustContext,
    choose_seeds,
    to_unix,
)
from scoring.model.trust import following_weights
from scoring.model.types import Kind
from scoring.models import RunArtefact, RunStatus, ScoringRun, Topic, TopicStatus
from signals.models import Engagement, Follow, Post, Source

KIND_IDS = {"like": int(Kind.LIKE), "reshare": int(Kind.RESHARE), "reply": int(Kind.REPLY)}
KIND_IDS["mention"] = int(Kind.MENTION)
FETCH = 100_000
BLOCK_ROWS = 1 << 18  # rows per block when streaming columns
Int64Array = npt.NDArray[np.int64]


def of_members(user_ids: Iterable[int], field: str = "user_id") -> Q:
    """Rows of these members, for a batch's queries (``__any``: see scoring/lookups.py).

    The id range beside the list keeps PostgreSQL on the index while a table has no
    statistics yet (a first run fills the score tables from empty): without them, the
    planner takes a list of 500 ids to match most rows and reads the whole table, at a
    million members 100 times slower.
    """
    ids = list(user_ids)
    if not ids:
        return Q(pk__in=[])
    return Q(**{f"{field}__gte": min(ids), f"{field}__lte": max(ids), f"{field}__any": ids})


def _t(name: type[Any]) -> str:
    return connection.ops.quote_name(name._meta.db_table)


# --- Reading integer columns ----------------------------------------------------------


def _columns(model: type[Model], exprs: Sequence[str]) -> list[Int64Array]:
    """Integer SQL expressions over every row of a table, as NumPy arrays."""
    blocks = list(_blocks(model, exprs))
    if not blocks:
        return [np.empty(0, dtype=np.int64) for _ in exprs]
    return [np.concatenate([b[i] for b in blocks]) for i in range(len(exprs))]


def _blocks(model: type[Model], exprs: Sequence[str]) -> Iterator[list[Int64Array]]:
    return column_blocks_read(model=model, exprs=exprs)


def column_blocks_read(
    *, model: type[Model], exprs: Sequence[str], packed: bool | None = None
) -> Iterator[list[Int64Array]]:
    """Integer SQL expressions over every row of a table, a block of rows at a time, in no
    particular order, each block one int64 array per expression. Only one block is held
    at a time. This is how a run reads the signal tables.

    Each block is its own statement, as each table is: rows written while a run reads may
    or may not be seen, and handle keys the run did not number are left out of it.

    `packed` chooses how: ``True`` has the server pack each block into one ``bytea``
    (PostgreSQL only; ValueError elsewhere), ``False`` reads rows through a plain cursor,
    and ``None`` (the default, what runs use) packs on PostgreSQL. Both give the same
    integers; choosing is for tests and benchmarks that compare them.
    """
    postgres = connection.vendor == "postgresql"
    if packed is None:
        packed = postgres
    if packed and not postgres:
        raise ValueError("packed reads need PostgreSQL")
    if packed:
        return _blocks_packed(model, exprs)
    return _blocks_fetch(model, exprs)


def _blocks_fetch(model: type[Model], exprs: Sequence[str]) -> Iterator[list[Int64Array]]:
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(exprs)} FROM {_t(model)}", [])
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            block = np.asarray(rows, dtype=np.int64).reshape(len(rows), len(exprs))
            yield [block[:, i].copy() for i in range(len(exprs))]


def _blocks_packed(model: type[Model], exprs: Sequence[str]) -> Iterator[list[Int64Array]]:
    """PostgreSQL: the server packs each block's rows (a range of primary keys) into one
    bytea of big-endian int8 values, which NumPy reads in place. No message and no Python
    object per row: with COPY, each row is a protocol message of its own, and handling
    millions of them in Python cost more than the query."""
    table = _t(model)
    packed = " || ".join(f"int8send(CAST({e} AS BIGINT))" for e in exprs)
    row = np.dtype([(f"v{i}", ">i8") for i in range(len(exprs))])
    connection.ensure_connection()
    # Django's cursors bind parameters client-side, which rules out binary results.
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"SELECT MIN(id), MAX(id) FROM {table}")
        low, high = cursor.fetchone() or (None, None)
        if low is None or high is None:
            return
        sql = f"SELECT string_agg({packed}, ''::bytea) FROM {table} WHERE id >= %s AND id < %s"
        for start in range(int(low), int(high) + 1, BLOCK_ROWS):
            cursor.execute(sql, [start, start + BLOCK_ROWS], binary=True)
            found = cursor.fetchone()
            if found is None or not found[0]:
                continue
            block = np.frombuffer(found[0], dtype=row)
            yield [block[f"v{i}"].astype(np.int64) for i in range(len(exprs))]


class _Column:
    """A typed array that grows in place (realloc), for columns of unknown final length.

    Growing and trimming in place means a column never needs room for two copies of
    itself, which is what bounds a run's peak memory on millions of edges.
    """

    def __init__(self, dtype: type[np.generic]) -> None:
        self.data = np.empty(1 << 16, dtype=dtype)
        self.size = 0

    def extend(self, values: npt.NDArray[Any]) -> None:
        end = self.size + len(values)
        if end > len(self.data):
            self.data.resize(max(2 * len(self.data), end), refcheck=False)
        self.data[self.size : end] = values
        self.size = end

    def array(self) -> npt.NDArray[Any]:
        """The column, trimmed in place; the _Column is not to be used after this."""
        self.data.resize(self.size, refcheck=False)
        return self.data


# --- Numbering ------------------------------------------------------------------------


@dataclass(frozen=True)
class RunNodes:
    """A run's numbering of accounts: members first, then other handle keys."""

    members: Int64Array  # user ids, ascending; node = position
    own_keys: Int64Array  # members' own handle keys, ascending
    own_nodes: Int64Array  # the member node of each own key
    keys: Int64Array  # other handle keys, ascending; node = len(members) + position

    ARRAYS = ("members", "own_keys", "own_nodes", "keys")

    @property
    def n_nodes(self) -> int:
        return len(self.members) + len(self.keys)

    def member_nodes(self, user_ids: npt.ArrayLike) -> Int64Array:
        """The node of each user id; -1 for users this run did not number."""
        return _positions(self.members, np.asarray(user_ids, dtype=np.int64))

    def key_nodes(self, handle_keys: npt.ArrayLike) -> Int64Array:
        """The node of each handle key; -1 for keys seen after the run numbered its graph."""
        k = np.asarray(handle_keys, dtype=np.int64)
        own = _positions(self.own_keys, k)
        other = _positions(self.keys, k)
        nodes = np.where(other >= 0, other + len(self.members), -1)
        hit = own >= 0
        nodes[hit] = self.own_nodes[own[hit]]
        return nodes


def _positions(sorted_values: Int64Array, values: Int64Array) -> Int64Array:
    """Index of each value in a sorted unique array, or -1 where it is absent."""
    if not len(sorted_values):
        return np.full(len(values), -1, dtype=np.int64)
    at = np.searchsorted(sorted_values, values)
    at[at == len(sorted_values)] = 0
    return np.where(sorted_values[at] == values, at, -1).astype(np.int64)


def handle_owners(
    owner: Int64Array, own: Int64Array, verified: Int64Array
) -> tuple[Int64Array, Int64Array]:
    """One owner per claimed handle key, so each handle is one node (issue 13, finding 7).

    From every source's (member, handle key, verified): the key's verified claimant if it
    has one, else its only self-reported claimant. A key several members claim, none of
    them verified, belongs to none of them: it stays an anonymous counterpart's node.
    Returns the owned keys, ascending, and their owners.
    """
    order = np.lexsort((-verified, own))  # by key, a verified claim first
    keys, owners, ver = own[order], owner[order], verified[order]
    first = np.ones(len(keys), dtype=np.bool_)
    first[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(first)
    claimants = np.diff(np.append(starts, len(keys)))
    keep = (ver[starts] == 1) | (claimants == 1)
    return keys[starts[keep]], owners[starts[keep]]


def run_nodes_create() -> RunNodes:
    """Number every account in the stored graph: every user, then every other handle key."""
    (members,) = _columns(User, ["id"])
    members.sort()
    owner, own, verified = _columns(
        Source, ["user_id", "handle_hash", "CASE WHEN verified THEN 1 ELSE 0 END"]
    )
    own_keys, own_owner = handle_owners(owner, own, verified)
    own_nodes = _positions(members, own_owner)
    # Distinct keys in NumPy, a block at a time: the database's estimate of how many
    # distinct keys there are is far off at this size, and its plan suffers for it.
    keys = np.empty(0, dtype=np.int64)
    pending: list[Int64Array] = []
    held = 0
    for model in (Engagement, Follow):
        for (block,) in _blocks(model, ["counterpart"]):
            pending.append(np.unique(block))
            held += len(pending[-1])
            if held > len(keys) + BLOCK_ROWS:
                keys = np.unique(np.concatenate([keys, *pending]))
                pending, held = [], 0
    keys = np.unique(np.concatenate([keys, *pending]))
    keys = keys[_positions(own_keys, keys) < 0]
    return RunNodes(members=members, own_keys=own_keys, own_nodes=own_nodes, keys=keys)


# --- The graph ------------------------------------------------------------------------

_TOWARD_MEMBER = "CASE WHEN direction IN ('in', 'follower') THEN 1 ELSE 0 END"
# SQL for a signal row's kind as its code in KIND_IDS (the model's `Kind`).
KIND_CODE = (
    "CASE kind "
    + " ".join(f"WHEN '{name}' THEN {code}" for name, code in KIND_IDS.items())
    + f" ELSE {len(KIND_IDS)} END"
)


def _edges(
    nodes: RunNodes, model: type[Model], with_count: bool
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int64], Int64Array]:
    """(src, dst, kind code, count) of every edge a query's rows describe, as node ids.

    Counterparts of an unknown user or key, and an account's edges to itself, are dropped.
    """
    exprs = ["user_id", "counterpart", _TOWARD_MEMBER]
    if with_count:
        exprs += [KIND_CODE, "count"]
    src, dst = _Column(np.int32), _Column(np.int32)
    kind, count = _Column(np.int8), _Column(np.int32)
    for block in _blocks(model, exprs):
        member = nodes.member_nodes(block[0])
        other = nodes.key_nodes(block[1])
        keep = (member >= 0) & (other >= 0) & (member != other)
        toward = block[2][keep].astype(np.bool_)
        m, o = member[keep], other[keep]
        src.extend(np.where(toward, o, m))
        dst.extend(np.where(toward, m, o))
        if with_count:
            kind.extend(block[3][keep])
            count.extend(block[4][keep])
    return src.array(), dst.array(), kind.array(), count.array()


def _once(
    n_members: int,
    src: npt.NDArray[Any],
    dst: npt.NDArray[Any],
    group: npt.NDArray[Any],
    count: npt.NDArray[Any] | None,
) -> npt.NDArray[np.bool_]:
    """Which edges to keep so that each (src, dst, group) counts once, at its largest count.

    Only an edge between two members can be stored twice for the same events (once by
    each member's source), so only those are compared. A member with two accounts that
    the same person engages with holds two rows of different events, which add up.
    """
    keep = np.ones(len(src), dtype=np.bool_)
    both = np.flatnonzero((src < n_members) & (dst < n_members))
    if not len(both):
        return keep
    s, d, g = src[both].astype(np.int64), dst[both].astype(np.int64), group[both].astype(np.int64)
    key = (s * n_members + d) * 8 + g
    tie = -count[both].astype(np.int64) if count is not None else np.zeros(len(both), np.int64)
    order = np.lexsort((tie, key))
    sorted_key = key[order]
    first = np.ones(len(order), dtype=np.bool_)
    first[1:] = sorted_key[1:] != sorted_key[:-1]
    keep[both[order[~first]]] = False
    return keep


def graph_build(*, nodes: RunNodes) -> Graph:
    """The follow and engagement graph of the run, each edge once (imports of two members
    can both hold the same member-to-member edge)."""
    m, n = len(nodes.members), nodes.n_nodes
    # Each list is its arrays' only holder, so the model lets each go once it is used;
    # follows become their matrix before the engagements are read.
    fs, fd, _, _ = _edges(nodes, Follow, with_count=False)
    keep = _once(m, fs, fd, np.zeros(len(fs), dtype=np.int8), None)
    follows: list[npt.ArrayLike] = [fs, fd] if keep.all() else [fs[keep], fd[keep]]
    del fs, fd, keep
    by_following = following_weights(n, follows)
    es, ed, ek, ec = _edges(nodes, Engagement, with_count=True)
    keep = _once(m, es, ed, ek, ec)
    del ek
    engagements: list[npt.ArrayLike] = (
        [es, ed, ec] if keep.all() else [es[keep], ed[keep], ec[keep]]
    )
    del es, ed, ec, keep
    return Graph.from_engagements(n, by_following, engagements)


def seeds_choose(*, nodes: RunNodes, now: int) -> tuple[Int64Array, str]:
    """Trust seeds and their basis (`choose_seeds`: verified and aged, else verified, else
    every member with a source, the cold start, said plainly on the dashboard)."""
    exprs = ["user_id", "CASE WHEN verified THEN 1 ELSE 0 END", _epoch("created_at")]
    users, verified_int, since = _columns(Source, exprs)
    member = nodes.member_nodes(users)
    known = member >= 0
    return choose_seeds(
        node=member[known],
        verified=verified_int[known].astype(np.bool_),
        verified_since=since[known],
        now=now,
    )


# --- One batch ------------------------------------------------------------------------


def _batch_rows(
    table: str, columns: str, direction: str, source_ids: Sequence[int]
) -> list[tuple[Any, ...]]:
    """(user id, handle key, *columns) of the rows of a batch's sources in one direction.

    By source: the signal tables' one index (besides the primary key) leads with it.
    """
    ids = sorted(int(sid) for sid in source_ids)
    if not ids:
        return []
    params: list[Any] = ids
    among = f"IN ({', '.join(['%s'] * len(ids))})"
    if connection.vendor == "postgresql":  # see of_members and scoring/lookups.py
        among, params = "= ANY(%s)", [ids]
    sql = f"""
        SELECT user_id, counterpart, {columns} FROM {table}
        WHERE source_id BETWEEN %s AND %s AND source_id {among} AND direction = %s
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [ids[0], ids[-1], *params, direction])
        return cursor.fetchall()


def _epoch(column: str) -> str:
    """SQL for a timestamp column as Unix seconds (what the model takes)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _ts(value: datetime | None, default: int) -> int:
    return to_unix(value) if value is not None else default


def member_batch_load(*, nodes: RunNodes, user_ids: Sequence[int]) -> MemberBatch:
    """Everything the model needs about a batch of members, row i for user_ids[i].

    Counterparts that appeared after the run numbered its nodes are left out of this run.
    """
    now = to_unix(timezone.now())
    row_of = {uid: i for i, uid in enumerate(user_ids)}
    numbered = nodes.member_nodes(user_ids)
    if (numbered < 0).any():
        missing = [uid for uid, n in zip(user_ids, numbered, strict=True) if n < 0]
        raise LookupError(f"members {missing[:5]} are not numbered in this run")
    member_nodes = dict(zip(user_ids, numbered.tolist(), strict=True))

    sources: dict[int, list[Source]] = {uid: [] for uid in user_ids}
    for s in Source.objects.filter(of_members(user_ids)):
        sources[s.user_id].append(s)
    source_ids = [s.pk for held in sources.values() for s in held]
    posts = list(
        Post.objects.filter(of_members(user_ids)).values_list(
            "user_id", "at", "engagers", "likes", "reshares", "replies", "mentions", "tags", "terms"
        )
    )
    ep = _epoch
    engagements = _with_nodes(
        nodes,
        _batch_rows(_t(Engagement), f"kind, count, {ep('first_at')}, {ep('last_at')}", "in",
                    source_ids),
    )  # fmt: skip
    followers = _with_nodes(nodes, _batch_rows(_t(Follow), ep("at"), "follower", source_ids))
    first_post: dict[int, int] = {}
    for uid, at, *_ in posts:
        first_post[uid] = min(first_post.get(uid, now), to_unix(at))

    def data_since(uid: int) -> int:
        connected = [to_unix(s.created_at) for s in sources[uid] if s.verified]
        return min([*connected, first_post.get(uid, now)])

    accounts = Accounts.build(
        node=[member_nodes[uid] for uid in user_ids],
        followers_reported=[sum(s.followers_count for s in sources[uid]) for uid in user_ids],
        following_reported=[sum(s.following_count for s in sources[uid]) for uid in user_ids],
        created_at=[
            min((_ts(s.account_created_at, now) for s in sources[uid]), default=now)
            for uid in user_ids
        ],
        verified=[any(s.verified for s in sources[uid]) for uid in user_ids],
        data_since=[data_since(uid) for uid in user_ids],
    )
    kept_f = followers
    kept_e = [e for e in engagements if e[2] in KIND_IDS]
    held: list[set[str]] = [set() for _ in user_ids]
    blocked: list[set[str]] = [set() for _ in user_ids]
    for uid, label, status in Topic.objects.filter(of_members(user_ids)).values_list(
        "user_id", "label", "status"
    ):
        (blocked if status == TopicStatus.BLOCKED else held)[row_of[uid]].add(label)
    return MemberBatch(
        accounts=accounts,
        followers=Followers.build(
            member=[row_of[f[0]] for f in kept_f],
            node=[f[1] for f in kept_f],
            at=[f[2] for f in kept_f],
        ),
        engagements=Engagements.build(
            member=[row_of[e[0]] for e in kept_e],
            node=[e[1] for e in kept_e],
            kind=[KIND_IDS[e[2]] for e in kept_e],
            count=[e[3] for e in kept_e],
            first_at=[e[4] for e in kept_e],
            last_at=[e[5] for e in kept_e],
        ),
        posts=Posts.build(
            member=[row_of[p[0]] for p in posts],
            at=[to_unix(p[1]) for p in posts],
            engagers=[p[2] for p in posts],
            likes=[p[3] for p in posts],
            reshares=[p[4] for p in posts],
            replies=[p[5] for p in posts],
            mentions=[p[6] for p in posts],
            tags=[p[7] for p in posts],
            terms=[p[8] for p in posts],
        ),
        held_topics=held,
        blocked_topics=blocked,
    )


def _with_nodes(nodes: RunNodes, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with their handle key replaced by its node; keys the run never saw drop out."""
    found = nodes.key_nodes([row[1] for row in rows]).tolist()
    return [(row[0], node, *row[2:]) for row, node in zip(rows, found, strict=True) if node >= 0]


# --- A run's artefacts ----------------------------------------------------------------

# Bytes per stored part: far below PostgreSQL's 1 GB limit on one value, and small enough
# that writing or reading a part never holds a second full copy of a large array.
ARTEFACT_PART_BYTES = 16 * 1024 * 1024
_TRUST_META = "trust.meta"

# The arrays of the last run this process read: (run id, trust, numbering).
_loaded: tuple[uuid.UUID, TrustContext, RunNodes] | None = None


def _run_arrays(ctx: TrustContext, nodes: RunNodes) -> dict[str, npt.NDArray[Any]]:
    arrays: dict[str, npt.NDArray[Any]] = {
        f"trust.{name}": getattr(ctx, name) for name in TrustContext._VECTORS
    }
    arrays["trust.engage_data"] = ctx.engage.data
    arrays["trust.engage_indices"] = ctx.engage.indices
    arrays["trust.engage_indptr"] = ctx.engage.indptr
    arrays["trust.endorse_data"] = ctx.endorse.data
    arrays["trust.endorse_indices"] = ctx.endorse.indices
    arrays["trust.endorse_indptr"] = ctx.endorse.indptr
    arrays[_TRUST_META] = np.array([ctx.iterations, int(ctx.converged)], dtype=np.int64)
    arrays.update({f"nodes.{name}": getattr(nodes, name) for name in RunNodes.ARRAYS})
    return arrays


def run_artefacts_save(*, run_id: uuid.UUID, ctx: TrustContext, nodes: RunNodes) -> bool:
    """Store a run's trust and numbering and move it from preparing to scoring, in one
    transaction; returns False (and stores nothing) if the run was no longer preparing.

    Parts a crashed earlier attempt may have left are replaced.
    """
    with transaction.atomic():
        run = ScoringRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != RunStatus.PREPARING:
            return False
        RunArtefact.objects.filter(run_id=run_id).delete()
        for name, array in _run_arrays(ctx, nodes).items():
            flat = np.ascontiguousarray(array).reshape(-1)
            raw = flat.view(np.uint8).data
            starts = range(0, max(len(raw), 1), ARTEFACT_PART_BYTES)
            for part, start in enumerate(starts):
                _part_insert(
                    run_id, name, part, flat.dtype.str, raw[start : start + ARTEFACT_PART_BYTES]
                )
        ScoringRun.objects.filter(pk=run_id).update(status=RunStatus.SCORING)
        return True


def _part_insert(run_id: uuid.UUID, name: str, part: int, dtype: str, data: memoryview) -> None:
    """One part. On PostgreSQL the bytes go as a binary parameter (Django's cursors bind
    client-side, as hex text twice the size) into a column stored uncompressed (migration
    0012): together they took writing a 1M-member run's 100 MB from 25 s to under 2 s."""
    if connection.vendor != "postgresql":
        RunArtefact.objects.create(run_id=run_id, name=name, part=part, dtype=dtype, data=data)
        return
    connection.ensure_connection()
    sql = (
        f"INSERT INTO {_t(RunArtefact)} (run_id, name, part, dtype, data) "
        "VALUES (%s, %s, %s, %s, %b)"
    )
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [run_id, name, part, dtype, data])


def _part_read(pk: int) -> bytes | memoryview:
    if connection.vendor != "postgresql":
        return RunArtefact.objects.filter(pk=pk).values_list("data", flat=True).get()
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(f"SELECT data FROM {_t(RunArtefact)} WHERE id = %s", [pk], binary=True)
        found = cursor.fetchone()
    if found is None:
        raise LookupError(f"artefact part {pk} is gone")
    return found[0]


def run_artefacts_load(*, run_id: uuid.UUID) -> tuple[TrustContext, RunNodes]:
    """A run's trust and numbering, read from the database once per process and run.

    Raises ``LookupError`` when the run has no artefacts (it ended, or never prepared).
    """
    global _loaded
    if _loaded is not None and _loaded[0] == run_id:
        return _loaded[1], _loaded[2]
    _loaded = None  # let the previous run's arrays go before reading this one's
    index = list(
        RunArtefact.objects.filter(run_id=run_id)
        .order_by("name", "part")
        .values_list("pk", "name", "dtype", Length("data"))
    )
    if not index:
        raise LookupError(f"run {run_id} has no artefacts")
    sizes: dict[str, int] = {}
    for _, name, _, size in index:
        sizes[name] = sizes.get(name, 0) + int(size or 0)
    buffers = {name: np.empty(size, dtype=np.uint8) for name, size in sizes.items()}
    filled = dict.fromkeys(sizes, 0)
    dtypes: dict[str, str] = {}
    for pk, name, dtype, _ in index:
        data = _part_read(pk)
        chunk = np.frombuffer(data, dtype=np.uint8)
        buffers[name][filled[name] : filled[name] + len(chunk)] = chunk
        filled[name] += len(chunk)
        dtypes[name] = dtype
        del data, chunk
    arrays = {name: buf.view(np.dtype(dtypes[name])) for name, buf in buffers.items()}
    meta = arrays.pop(_TRUST_META)
    n = len(arrays["trust.weight"])
    engage, endorse = (
        sp.csr_array(
            (arrays[f"trust.{name}_data"], arrays[f"trust.{name}_indices"],
             arrays[f"trust.{name}_indptr"]),
            shape=(n, n),
            copy=False,
        )
        for name in ("engage", "endorse")
    )  # fmt: skip
    ctx = TrustContext(
        **{name: arrays[f"trust.{name}"] for name in TrustContext._VECTORS},
        engage=engage,
        endorse=endorse,
        iterations=int(meta[0]),
        converged=bool(meta[1]),
    )
    nodes = RunNodes(**{name: arrays[f"nodes.{name}"] for name in RunNodes.ARRAYS})
    _loaded = (run_id, ctx, nodes)
    return ctx, nodes


def run_artefacts_delete(*, run_id: uuid.UUID) -> int:
    """Delete what a run kept for its batches; returns how many parts went."""
    global _loaded
    if _loaded is not None and _loaded[0] == run_id:
        _loaded = None
    deleted, _ = RunArtefact.objects.filter(run_id=run_id).delete()
    return deleted
