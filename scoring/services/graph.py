"""From stored signals to the model's arrays: node ids, the graph, and one batch of members.

A run numbers every account once, in SQL: a member is the key ``m<user id>`` (all their
connected handles map to it, so member-to-member edges meet), anyone else is their
counterpart hash. The numbering is kept in ``RunNode`` while the run's batches need it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from scoring.model import (
    Accounts,
    Engagements,
    Followers,
    Graph,
    MemberBatch,
    Posts,
    select_seeds,
    to_unix,
)
from scoring.model.types import Kind
from scoring.models import (
    Engagement,
    Follow,
    Post,
    RunNode,
    ScoringRun,
    SeedBasis,
    Source,
    Topic,
    TopicStatus,
)

KIND_IDS = {"like": int(Kind.LIKE), "reshare": int(Kind.RESHARE), "reply": int(Kind.REPLY)}
KIND_IDS["mention"] = int(Kind.MENTION)
FETCH = 100_000


def _t(name: type[Any]) -> str:
    return connection.ops.quote_name(name._meta.db_table)


def _run_param(run_id: uuid.UUID) -> Any:
    return ScoringRun._meta.pk.get_db_prep_value(run_id, connection)  # type: ignore[union-attr]


def _member_key(user_col: str) -> str:
    return f"('m' || {user_col})"


def _counterpart_key(hash_col: str, source_alias: str) -> str:
    return f"COALESCE({_member_key(source_alias + '.user_id')}, {hash_col})"


def run_nodes_create(*, run_id: uuid.UUID, user_table: str) -> int:
    """Number every account in the stored graph for this run; returns the node count."""
    src, eng, fol, node = _t(Source), _t(Engagement), _t(Follow), _t(RunNode)
    sql = f"""
        INSERT INTO {node} (run_id, key, node)
        SELECT %s, k, ROW_NUMBER() OVER (ORDER BY k) - 1 FROM (
            SELECT {_counterpart_key("x.h", "s")} AS k
            FROM (
                SELECT counterpart AS h FROM {eng}
                UNION SELECT counterpart FROM {fol}
            ) x
            LEFT JOIN {src} s ON s.handle_hash = x.h
            UNION SELECT {_member_key("u.id")} FROM {user_table} u
        ) keys
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [_run_param(run_id)])
        return int(cursor.rowcount)


def _int_columns(sql: str, params: Sequence[Any], ncols: int) -> list[np.ndarray[Any, Any]]:
    """Run a query returning integer columns into NumPy arrays, streamed in chunks.

    On PostgreSQL the rows come by binary COPY straight into the arrays: millions of edges
    never become Python objects.
    """
    if connection.vendor == "postgresql":
        return _int_columns_copy(sql, params, ncols)
    return _int_columns_fetch(sql, params, ncols)


def _int_columns_fetch(sql: str, params: Sequence[Any], ncols: int) -> list[np.ndarray[Any, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) q", params)
        total = int(cursor.fetchone()[0])
    out = [np.empty(total, dtype=np.int64) for _ in range(ncols)]
    filled = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(FETCH)
            if not rows:
                break
            block = np.asarray(rows, dtype=np.int64).reshape(len(rows), ncols)
            for i in range(ncols):
                out[i][filled : filled + len(rows)] = block[:, i]
            filled += len(rows)
    return [col[:filled] for col in out]


def _int_columns_copy(sql: str, params: Sequence[Any], ncols: int) -> list[np.ndarray[Any, Any]]:
    # Binary COPY: a 19-byte header, then per row an int16 field count and, per field, an
    # int32 length and the big-endian int8; a trailing int16 of -1. Each block of whole
    # rows is read in place and copied column by column into arrays that grow by
    # doubling, so memory stays near the final arrays' size.
    fields: list[tuple[str, str]] = [("n", ">i2")]
    for i in range(ncols):
        fields += [(f"len{i}", ">i4"), (f"v{i}", ">i8")]
    row = np.dtype(fields)
    casts = ", ".join(f"CAST(c{i} AS BIGINT)" for i in range(ncols))
    names = ", ".join(f"c{i}" for i in range(ncols))
    out = [np.empty(1 << 16, dtype=np.int64) for _ in range(ncols)]
    filled = 0
    pending = b""
    header = True
    with connection.cursor() as cursor:
        raw = cursor.cursor
        query = raw.mogrify(sql, list(params)) if params else sql
        statement = f"COPY (SELECT {casts} FROM ({query}) q({names})) TO STDOUT (FORMAT BINARY)"
        with raw.copy(statement) as copy:
            for data in copy:
                pending += bytes(data)
                if header:
                    if len(pending) < 19:
                        continue
                    pending, header = pending[19:], False
                whole = len(pending) // row.itemsize
                if not whole:
                    continue
                block = np.frombuffer(pending, dtype=row, count=whole)
                if filled + whole > len(out[0]):
                    size = max(2 * len(out[0]), filled + whole)
                    out = [np.resize(col, size) for col in out]
                for i in range(ncols):
                    out[i][filled : filled + whole] = block[f"v{i}"]
                filled += whole
                pending = pending[whole * row.itemsize :]
    if pending not in (b"", b"\xff\xff"):
        raise ValueError(f"unexpected bytes at the end of COPY: {pending[:8]!r}")
    return [col[:filled].copy() for col in out]


def _edge_sql(table: str, extra: str, group: str) -> str:
    node, src = _t(RunNode), _t(Source)
    return f"""
        SELECT a, b{extra} FROM (
            SELECT
                CASE WHEN e.direction IN ('in', 'follower') THEN c.node ELSE m.node END AS a,
                CASE WHEN e.direction IN ('in', 'follower') THEN m.node ELSE c.node END AS b
                {group}
            FROM {table} e
            JOIN {node} m ON m.run_id = %s AND m.key = {_member_key("e.user_id")}
            LEFT JOIN {src} s ON s.handle_hash = e.counterpart
            JOIN {node} c ON c.run_id = %s AND c.key = {_counterpart_key("e.counterpart", "s")}
        ) edges
        WHERE a <> b
    """


def graph_build(*, run_id: uuid.UUID, n_nodes: int) -> Graph:
    """The follow and engagement graph of the run, each edge once (imports of two members
    can both hold the same member-to-member edge)."""
    p = _run_param(run_id)
    follow_sql = _edge_sql(_t(Follow), "", "") + " GROUP BY a, b"
    follow_src, follow_dst = _int_columns(follow_sql, [p, p], 2)
    engage_sql = _edge_sql(_t(Engagement), ", MAX(n)", ", e.kind AS kind, e.count AS n")
    engage_sql += " GROUP BY a, b, kind"
    engage_src, engage_dst, engage_count = _int_columns(engage_sql, [p, p], 3)
    return Graph.from_edges(
        n_nodes,
        follow_src=follow_src,
        follow_dst=follow_dst,
        engage_src=engage_src,
        engage_dst=engage_dst,
        engage_count=engage_count,
    )


def seeds_choose(*, run_id: uuid.UUID, now: int) -> tuple[np.ndarray[Any, Any], str]:
    """Trust seeds and their basis: members with verified sources connected long enough;
    before anyone qualifies, members with verified sources; before any, every member
    with a source (the cold start, said plainly on the dashboard)."""
    node, src = _t(RunNode), _t(Source)
    sql = f"""
        SELECT m.node, CASE WHEN s.verified THEN 1 ELSE 0 END, {_epoch("s.created_at")}
        FROM {src} s JOIN {node} m ON m.run_id = %s AND m.key = {_member_key("s.user_id")}
    """
    nodes, verified_int, since = _int_columns(sql, [_run_param(run_id)], 3)
    verified = verified_int.astype(np.bool_)
    seeds = select_seeds(node=nodes, verified=verified, verified_since=since, now=now)
    if len(seeds):
        return seeds, SeedBasis.VERIFIED_AGED
    if verified.any():
        return np.unique(nodes[verified]), SeedBasis.VERIFIED
    return np.unique(nodes), SeedBasis.MEMBERS


def _member_nodes(run_id: uuid.UUID, user_ids: Sequence[int]) -> dict[int, int]:
    keys = {f"m{uid}": uid for uid in user_ids}
    found = RunNode.objects.filter(run_id=run_id, key__in=list(keys)).values_list("key", "node")
    return {keys[k]: n for k, n in found}


def _rows_with_nodes(
    run_id: uuid.UUID, table: str, columns: str, direction: str, user_ids: Sequence[int]
) -> list[tuple[Any, ...]]:
    """(user id, counterpart node, *columns) for a batch, resolved to node ids in SQL.

    Counterparts that appeared after the run numbered its nodes drop out of the join.
    """
    node, src = _t(RunNode), _t(Source)
    marks = ", ".join(["%s"] * len(user_ids))
    sql = f"""
        SELECT e.user_id, c.node, {columns}
        FROM {table} e
        LEFT JOIN {src} s ON s.handle_hash = e.counterpart
        JOIN {node} c ON c.run_id = %s AND c.key = {_counterpart_key("e.counterpart", "s")}
        WHERE e.direction = %s AND e.user_id IN ({marks})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [_run_param(run_id), direction, *user_ids])
        rows = cursor.fetchall()
    return rows


def _epoch(column: str) -> str:
    """SQL for a timestamp column as Unix seconds (what the model takes)."""
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM {column}) AS BIGINT)"
    return f"CAST(strftime('%%s', {column}) AS INTEGER)"


def _ts(value: datetime | None, default: int) -> int:
    return to_unix(value) if value is not None else default


def member_batch_load(*, run_id: uuid.UUID, user_ids: Sequence[int]) -> MemberBatch:
    """Everything the model needs about a batch of members, row i for user_ids[i].

    Counterparts that appeared after the run numbered its nodes are left out of this run.
    """
    now = to_unix(timezone.now())
    row_of = {uid: i for i, uid in enumerate(user_ids)}
    member_nodes = _member_nodes(run_id, user_ids)
    missing = [uid for uid in user_ids if uid not in member_nodes]
    if missing:
        raise LookupError(f"members {missing[:5]} are not numbered in run {run_id}")

    sources: dict[int, list[Source]] = {uid: [] for uid in user_ids}
    for s in Source.objects.filter(user_id__in=user_ids):
        sources[s.user_id].append(s)
    posts = list(
        Post.objects.filter(user_id__in=user_ids).values_list(
            "user_id", "at", "engagers", "likes", "reshares", "replies", "mentions", "tags", "terms"
        )
    )
    ep = _epoch
    engagements = _rows_with_nodes(
        run_id, _t(Engagement), f"e.kind, e.count, {ep('e.first_at')}, {ep('e.last_at')}", "in",
        user_ids,
    )  # fmt: skip
    followers = _rows_with_nodes(run_id, _t(Follow), ep("e.at"), "follower", user_ids)
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
    for uid, label, status in Topic.objects.filter(user_id__in=user_ids).values_list(
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
