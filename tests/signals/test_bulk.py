"""The bulk writers put exactly the given values in the database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from profiles.models import User
from signals.archive.fastpath import to_micros
from signals.models import Engagement, Source
from signals.services.bulk import copy_columns

pytestmark = pytest.mark.django_db


@pytest.mark.postgres  # binary COPY is PostgreSQL's
def test_binary_copy_stores_the_exact_values(alice: User) -> None:
    source = Source.objects.create(
        user=alice, kind="archive", network="x", handle="alice", handle_hash=1
    )
    base = datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC)  # before PostgreSQL's zero
    firsts = [base, base + timedelta(days=9_000, microseconds=1), datetime.now(UTC)]
    keys = np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64)
    counts = np.array([1, 2**31 - 1, 7], dtype=np.int64)
    copy_columns(
        Engagement,
        [("source_id", "int8", source.pk), ("user_id", "int8", alice.pk),
         ("counterpart", "int8", keys), ("kind", "text", "reshare"),
         ("direction", "text", "out"), ("count", "int4", counts),
         ("first_at", "timestamptz", to_micros(firsts)),
         ("last_at", "timestamptz", to_micros(reversed(firsts)))],
        3,
    )  # fmt: skip
    stored = list(
        Engagement.objects.order_by("id").values_list(
            "source_id", "user_id", "counterpart", "kind", "direction", "count", "first_at",
            "last_at",
        )
    )  # fmt: skip
    assert stored == [
        (source.pk, alice.pk, int(k), "reshare", "out", int(c), f, last)
        for k, c, f, last in zip(keys, counts, firsts, reversed(firsts), strict=True)
    ]


def test_no_rows_write_nothing() -> None:
    assert copy_columns(Engagement, [("count", "int4", np.empty(0))], 0) == 0
