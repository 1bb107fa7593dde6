"""Small, valid signal archives (format v1) for tests, with known counterpart handles."""

from __future__ import annotations

import json

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
                "at": f"2026-10-0{i + 1}T12:00:00Z",
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
                    "at": f"2026-10-0{i + 1}T13:00:00Z",
                }
            )
        lines.append({"type": "follower", "by": person, "at": "2026-09-01T00:00:00Z"})
    if people:
        lines.append(
            {"type": "interaction", "kind": "reply", "to": people[0], "at": "2026-10-02T08:00:00Z"}
        )
        lines.append({"type": "following", "of": people[-1], "at": "2026-08-01T00:00:00Z"})
    return "".join(json.dumps(line) + "\n" for line in lines)
