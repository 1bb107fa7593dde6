"""Small, valid signal archives (format v1) for tests, with known counterpart handles."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta


def iso_days_ago(days: float, *, hour: int = 0) -> str:
    """An ISO-8601 UTC time `days` before today at `hour`:00, so sample data stays inside the
    scoring window whatever the date the suite runs on."""
    midnight = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - timedelta(days=days) + timedelta(hours=hour)).strftime("%Y-%m-%dT%H:%M:%SZ")


# Distinctive names, so a scan for them in stored data cannot match ordinary words.
COUNTERPARTS = [
    "Bobquux@Other.Social",
    "@carolzyx.secret@x.social",
    "davewqv@y.social",
    "erinjjx@z.example",
    "frankvvq@w.example",
]


def archive_text(
    *,
    handle: str = "alice@example.social",
    network: str = "mastodon",
    counterparts: list[str] | None = None,
    posts: int = 3,
    tags: list[str] | None = None,
) -> str:
    people = counterparts if counterparts is not None else COUNTERPARTS
    lines: list[dict[str, object]] = [
        {
            "type": "account",
            "network": network,
            "handle": handle,
            "followers": 1200,
            "following": 310,
            "created_at": "2019-04-01T00:00:00Z",
        }
    ]
    for i in range(posts):
        lines.append(
            {
                "type": "post",
                "id": f"p{i}",
                "at": iso_days_ago(30 - i, hour=12),
                "tags": tags if tags is not None else ["privacy", "python"],
                "text": "Notes on privacy engineering and python packaging",
            }
        )
    for n, person in enumerate(people):
        for i in range(posts):
            kind = "reshare" if n % 2 else "like"
            lines.append(
                {
                    "type": "interaction",
                    "kind": kind,
                    "by": person,
                    "post": f"p{i}",
                    "at": iso_days_ago(30 - i, hour=13),
                }
            )
        lines.append({"type": "follower", "by": person, "at": iso_days_ago(60)})
    if people:
        lines.append(
            {
                "type": "interaction",
                "kind": "reply",
                "to": people[0],
                "at": iso_days_ago(29, hour=8),
            }
        )
        lines.append({"type": "following", "of": people[-1], "at": iso_days_ago(90)})
    return "".join(json.dumps(line) + "\n" for line in lines)
