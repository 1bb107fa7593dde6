"""Writing one source's signal aggregates: shared by archive imports and connector syncs.

Callers hold the member's row lock and have re-checked consent (invariant 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from django.db import connection

from scoring.archive import Archive, EdgeAgg, PostAgg
from scoring.models import Engagement, Follow, FollowDirection, ImportedContent, Post, Source
from scoring.services.bulk import bulk_insert, copy_columns, unix_us


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
    sid, uid = source.pk, source.user_id
    if connection.vendor == "postgresql":
        groups: dict[tuple[str, str], list[EdgeAgg]] = defaultdict(list)
        for e in edges:
            groups[(e.kind, e.direction)].append(e)
        for (kind, direction), group in groups.items():
            copy_columns(
                Engagement,
                [("source_id", "int8", sid), ("user_id", "int8", uid),
                 ("counterpart", "int8", np.fromiter((e.counterpart for e in group), np.int64)),
                 ("kind", "text", kind), ("direction", "text", direction),
                 ("count", "int4", np.fromiter((e.count for e in group), np.int64)),
                 ("first_at", "timestamptz", unix_us(e.first_at for e in group)),
                 ("last_at", "timestamptz", unix_us(e.last_at for e in group))],
                len(group),
            )  # fmt: skip
        return
    bulk_insert(
        Engagement,
        ["source_id", "user_id", "counterpart", "kind", "direction", "count"]
        + ["first_at", "last_at"],
        (
            (sid, uid, e.counterpart, e.kind, e.direction, e.count, e.first_at, e.last_at)
            for e in edges
        ),
    )


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
                 ("at", "timestamptz", unix_us(items.values()))],
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
    engagements_insert(source, archive.edges.values())
    follows_replace(source, archive)


def source_delete(source: Source) -> None:
    """Delete a source and exactly the rows it brought."""
    Post.objects.filter(source=source).delete()
    Engagement.objects.filter(source=source).delete()
    Follow.objects.filter(source=source).delete()
    ImportedContent.objects.filter(source=source).delete()
    source.delete()
