"""Writing one source's signal aggregates: shared by archive imports and connector syncs.

Callers hold the member's row lock and have re-checked consent (invariant 2).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from django.db import connection

from signals.archive import INTERACTION_KINDS, Archive, EdgeAgg, EdgeColumns, PostAgg
from signals.archive.fastpath import to_micros
from signals.models import Engagement, Follow, FollowDirection, ImportedContent, Post, Source
from signals.services.bulk import bulk_insert, copy_columns


def posts_insert(source: Source, posts: Iterable[PostAgg]) -> None:
    sid, uid = source.pk, source.user_id
    bulk_insert(
        Post,
        ["source_id", "user_id", "post_id", "at", "tags", "terms", "engagers"]
        + ["likes", "reshares", "replies", "mentions"],
        (
            (sid, uid, p.post_id, p.at, p.tags, p.terms, len(p.engagers))
            + (p.counts["like"], p.counts["reshare"], p.counts["reply"], p.counts["mention"])
            for p in posts
        ),
    )


def engagements_insert(source: Source, edges: Iterable[EdgeAgg]) -> None:
    """Insert engagement aggregates (a sync's new edges)."""
    rows = list(edges)
    if connection.vendor == "postgresql":
        columns = EdgeColumns.from_aggregates(rows)
        engagement_columns_insert(source, columns)
        return
    sid, uid = source.pk, source.user_id
    bulk_insert(
        Engagement,
        ["source_id", "user_id", "counterpart", "kind", "direction", "count"]
        + ["first_at", "last_at"],
        (
            (sid, uid, e.counterpart, e.kind, e.direction, e.count, e.first_at, e.last_at)
            for e in rows
        ),
    )


def engagement_columns_insert(source: Source, edges: EdgeColumns) -> None:
    """Insert an archive's engagement aggregates straight from its columns.

    On PostgreSQL by binary COPY, one group per kind and direction (the text values of a
    group are constants); elsewhere through `engagements_insert`'s row path.
    """
    if connection.vendor != "postgresql":
        engagements_insert(source, edges.aggregates().values())
        return
    group_of = edges.kind * 2 + edges.given
    for group in np.unique(group_of).tolist():
        at = np.flatnonzero(group_of == group)
        # In key order, the unique index grows at its end instead of at random places.
        at = at[np.argsort(edges.counterpart[at], kind="stable")]
        copy_columns(
            Engagement,
            [("source_id", "int8", source.pk), ("user_id", "int8", source.user_id),
             ("counterpart", "int8", edges.counterpart[at]),
             ("kind", "text", INTERACTION_KINDS[group >> 1]),
             ("direction", "text", "out" if group & 1 else "in"),
             ("count", "int4", edges.count[at]),
             ("first_at", "timestamptz", edges.first_us[at]),
             ("last_at", "timestamptz", edges.last_us[at])],
            len(at),
        )  # fmt: skip


def follows_replace(source: Source, archive: Archive) -> None:
    """Follows are a snapshot, in archives and syncs alike: the newest replaces the rest."""
    Follow.objects.filter(source=source).delete()
    sid, uid = source.pk, source.user_id
    if connection.vendor == "postgresql":
        for direction, items in (
            (FollowDirection.FOLLOWER, archive.followers),
            (FollowDirection.FOLLOWING, archive.following),
        ):
            copy_columns(
                Follow,
                [("source_id", "int8", sid), ("user_id", "int8", uid),
                 ("counterpart", "int8", np.fromiter(items.keys(), np.int64, len(items))),
                 ("direction", "text", str(direction)),
                 ("at", "timestamptz", to_micros(items.values()))],
                len(items),
            )  # fmt: skip
        return
    bulk_insert(
        Follow,
        ["source_id", "user_id", "counterpart", "direction", "at"],
        (
            (sid, uid, counterpart, str(direction), at)
            for direction, items in (
                (FollowDirection.FOLLOWER, archive.followers),
                (FollowDirection.FOLLOWING, archive.following),
            )
            for counterpart, at in items.items()
        ),
    )


def source_signals_replace(source: Source, archive: Archive) -> None:
    """Make a source's rows exactly what one archive (or full sync) says."""
    Post.objects.filter(source=source).delete()
    Engagement.objects.filter(source=source).delete()
    posts_insert(source, archive.posts.values())
    engagement_columns_insert(source, archive.edge_columns)
    follows_replace(source, archive)


def source_delete(source: Source) -> None:
    """Delete a source and exactly the rows it brought."""
    Post.objects.filter(source=source).delete()
    Engagement.objects.filter(source=source).delete()
    Follow.objects.filter(source=source).delete()
    ImportedContent.objects.filter(source=source).delete()
    source.delete()
