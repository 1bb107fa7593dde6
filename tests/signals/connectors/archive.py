"""A checker for archive-v1 records, as docs/archive-format.md describes them."""

from __future__ import annotations

import json
import re
from typing import Any

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
KINDS = {"like", "reshare", "reply", "mention"}


def assert_archive_v1(records: list[dict[str, Any]]) -> None:
    """Fail with the line number when a record breaks the archive-v1 rules."""
    assert records, "no records"
    declared: set[str] = set()
    for number, record in enumerate(records, start=1):
        where = f"line {number}: {record!r}"
        json.dumps(record)  # every line must serialise as JSON
        assert next(iter(record)) == "type", f"{where}: type is not first"
        kind = record["type"]
        assert (kind == "account") == (number == 1), f"{where}: exactly one account, first"
        if kind == "account":
            assert set(record) == {
                "type",
                "network",
                "handle",
                "followers",
                "following",
                "created_at",
            }, where
            assert record["network"] in {"github", "mastodon"}, where
            assert isinstance(record["followers"], int), where
            assert isinstance(record["following"], int), where
            assert TIMESTAMP.match(record["created_at"]), where
        elif kind == "post":
            assert set(record) <= {"type", "id", "at", "tags", "text"}, where
            assert isinstance(record["id"], str) and record["id"], where
            assert record["id"] not in declared, f"{where}: post declared twice"
            assert isinstance(record["tags"], list), where
            assert all(isinstance(tag, str) and tag for tag in record["tags"]), where
            assert TIMESTAMP.match(record["at"]), where
            declared.add(record["id"])
        elif kind == "interaction":
            assert set(record) <= {"type", "kind", "by", "to", "post", "at"}, where
            assert record["kind"] in KINDS, where
            assert ("by" in record) != ("to" in record), f"{where}: exactly one of by/to"
            if "post" in record:
                assert record["post"] in declared, f"{where}: post not declared before"
            assert TIMESTAMP.match(record["at"]), where
        elif kind == "follower":
            assert set(record) == {"type", "by", "at"}, where
            assert TIMESTAMP.match(record["at"]), where
        elif kind == "following":
            assert set(record) == {"type", "of", "at"}, where
            assert TIMESTAMP.match(record["at"]), where
        else:
            raise AssertionError(f"{where}: unknown type")
