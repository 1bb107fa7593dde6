"""Synthetic signal archives (format v1) for benchmarks and tests; pure Python, seeded.

The archive is written line by line, so a million interactions never sit in memory.
"""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from signals.archive.model import INTERACTION_KINDS

_START = datetime(2025, 10, 1, tzinfo=UTC)
_SPAN_SECONDS = 365 * 24 * 3600
_KIND_WEIGHTS = (60, 20, 15, 5)  # like, reshare, reply, mention
_TAGS = ("privacy", "python", "django", "rust", "music", "climate", "design", "science")
_WORDS = (
    "federated networks reward patient conversation about open source software "
    "community gardens climate research privacy engineering typography"
).split()


@dataclass(frozen=True)
class SynthStats:
    """What was written, for checking a reader's totals against."""

    lines: int
    posts: int
    interactions: int
    received: int  # interactions with 'by'
    given: int  # interactions with 'to'
    on_posts: int  # received interactions that name a post
    followers: int  # follower lines (a counterpart may repeat)
    following: int
    own_handle: str


def generate_archive(
    path: str | Path,
    *,
    interactions: int,
    counterparts: int,
    posts: int,
    seed: int,
    followers: int | None = None,
    following: int | None = None,
    compress: bool = False,
    network: str = "mastodon",
) -> SynthStats:
    """Write a valid archive: one account line, `posts` posts spread among `interactions`
    interactions from `counterparts` distinct handles (popularity skewed, case and '@'
    varied so normalisation matters), then follower and following lines.

    Followers default to a fifth of the counterparts and following to a twentieth.
    """
    if posts < 1 or counterparts < 1:
        raise ValueError("posts and counterparts must be at least 1")
    rng = random.Random(seed)
    followers = counterparts // 5 if followers is None else followers
    following = counterparts // 20 if following is None else following
    own = "member@home.example"
    opener = gzip.open if compress else open
    stats = {"lines": 0, "received": 0, "given": 0, "on_posts": 0}
    post_gap = _SPAN_SECONDS / posts

    with opener(path, "wb") as out:

        def write(line: dict[str, object]) -> None:
            out.write(orjson.dumps(line) + b"\n")
            stats["lines"] += 1

        write(
            {
                "type": "account",
                "network": network,
                "handle": "@Member@Home.Example",
                "followers": followers,
                "following": following,
                "created_at": "2019-04-01T00:00:00Z",
            }
        )
        declared = 0
        per_post = interactions / posts
        for number in range(interactions):
            while declared < posts and declared <= number / per_post:
                _write_post(write, rng, declared, post_gap)
                declared += 1
            kind = rng.choices(INTERACTION_KINDS, _KIND_WEIGHTS)[0]
            handle = _handle(rng, counterparts)
            roll = rng.random()
            if roll < 0.8:
                post = rng.randrange(declared)
                at = _START + timedelta(seconds=post * post_gap + rng.randrange(259_200))
                line: dict[str, object] = {"type": "interaction", "kind": kind, "by": handle}
                line["post"] = f"p{post}"
                stats["on_posts"] += 1
                stats["received"] += 1
            elif roll < 0.9:
                at = _START + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
                line = {"type": "interaction", "kind": kind, "by": handle}
                stats["received"] += 1
            else:
                at = _START + timedelta(seconds=rng.randrange(_SPAN_SECONDS))
                line = {"type": "interaction", "kind": kind, "to": handle}
                stats["given"] += 1
            line["at"] = _iso(at)
            write(line)
        while declared < posts:
            _write_post(write, rng, declared, post_gap)
            declared += 1
        for _ in range(followers):
            at = _START - timedelta(seconds=rng.randrange(_SPAN_SECONDS))
            write({"type": "follower", "by": _handle(rng, counterparts), "at": _iso(at)})
        for _ in range(following):
            at = _START - timedelta(seconds=rng.randrange(_SPAN_SECONDS))
            write({"type": "following", "of": _handle(rng, counterparts), "at": _iso(at)})

    return SynthStats(
        lines=stats["lines"],
        posts=posts,
        interactions=interactions,
        received=stats["received"],
        given=stats["given"],
        on_posts=stats["on_posts"],
        followers=followers,
        following=following,
        own_handle=own,
    )


def counterpart_handle(index: int) -> str:
    """The canonical (normalised) handle of synthetic counterpart `index`."""
    return f"user{index}@instance{index % 997}.social"


def _handle(rng: random.Random, counterparts: int) -> str:
    # Squaring skews popularity: low indexes interact far more often, as in real data.
    index = int(counterparts * rng.random() ** 2)
    handle = counterpart_handle(index)
    roll = rng.random()
    if roll < 0.01:
        return "@" + handle.title()
    if roll < 0.02:
        return handle + "."
    return handle


def _write_post(
    write: Callable[[dict[str, object]], None], rng: random.Random, number: int, gap: float
) -> None:
    at = _START + timedelta(seconds=int(number * gap))
    tags = rng.sample(_TAGS, rng.randrange(4))
    text = " ".join(rng.choices(_WORDS, k=12))
    write({"type": "post", "id": f"p{number}", "at": _iso(at), "tags": tags, "text": text})


def _iso(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


WORST_SHAPES = ("followers", "interactions", "posts", "many-posts")
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _letters(number: int, width: int) -> str:
    """`number` spelt in `width` letters: distinct numbers give distinct words."""
    return "".join(_LETTERS[number // 26**i % 26] for i in range(width))


def generate_worst_archive(
    path: str | Path, *, size_bytes: int, shape: str, counterparts: int, seed: int = 7
) -> SynthStats:
    """Write an archive of about `size_bytes` shaped to cost an import the most memory.

    - ``followers``: `counterparts` distinct followers (the limit an import takes), then
      follower lines cycling through them again until the size is reached;
    - ``interactions``: the same with interactions received from them, on no post;
    - ``posts``: posts with 50 tags of 100 characters and a text of 20 terms each, then
      likes on them until the size is reached. Here `counterparts` is the number of
      distinct keywords (the limit an import takes): 1,000 words of text, and tags all
      distinct until the rest are used, then cycling through them;
    - ``many-posts``: `counterparts` small posts (the limit an import takes) with 5 tags
      of 8 letters from a vocabulary of 1,000, then likes spreading over as many distinct
      (post, fan) pairs as the size allows, from 5,000 fans.
    Lines are written in blocks, without a random generator per line, so a 200 MB archive
    takes seconds.
    """
    if shape not in WORST_SHAPES:
        raise ValueError(f"shape must be one of {', '.join(WORST_SHAPES)}")
    rng = random.Random(seed)
    stats = {"lines": 0, "posts": 0, "interactions": 0, "followers": 0}
    written = 0
    account = {
        "type": "account", "network": "mastodon", "handle": "member@home.example",
        "followers": counterparts, "following": 0, "created_at": "2019-04-01T00:00:00Z",
    }  # fmt: skip
    with open(path, "wb") as out:

        def block(lines: list[bytes]) -> None:
            nonlocal written
            data = b"\n".join(lines) + b"\n"
            out.write(data)
            written += len(data)
            stats["lines"] += len(lines)

        block([orjson.dumps(account)])
        if shape in ("posts", "many-posts"):
            many = shape == "many-posts"
            words = [_letters(n, 6) for n in range(1000)]
            distinct_tags = max(counterparts - len(words), 1)
            number = 0
            while (written < size_bytes * 0.9 and not many) or (many and number < counterparts):
                lines = []
                for _ in range(200 if not many else min(1000, counterparts - number)):
                    if many:
                        tags = [_letters((number + t * 7) % 1000, 8) for t in range(5)]
                        text = ""
                    else:
                        tags = [
                            f"t{(number * 50 + t) % distinct_tags}x".ljust(100, "q")
                            for t in range(50)
                        ]
                        text = " ".join(words[(number + t) % 1000] for t in range(20))
                    at = _iso(_START + timedelta(seconds=number))
                    post: dict[str, object] = {"type": "post", "id": f"p{number}", "at": at}
                    post["tags"] = tags
                    if text:
                        post["text"] = text
                    lines.append(orjson.dumps(post))
                    number += 1
                block(lines)
            stats["posts"] = number
            like = '{"type":"interaction","kind":"like","by":"fan%d@i.social","post":"p%d",'
            like += '"at":"2026-01-01T00:00:00Z"}'
            index = 0
            while written < size_bytes:
                if many:
                    pairs = [(i // number % 5000, i % number) for i in range(index, index + 10_000)]
                else:
                    pairs = [(i % 1000, rng.randrange(number)) for i in range(10_000)]
                block([(like % pair).encode() for pair in pairs])
                index += 10_000
            stats["interactions"] = index
        else:
            if shape == "followers":
                line = '{"type":"follower","by":"user%d@instance%d.social","at":"%s"}'
            else:
                line = (
                    '{"type":"interaction","kind":"like","by":"user%d@instance%d.social","at":"%s"}'
                )
            at = "2026-01-01T00:00:00Z"
            index = 0
            while written < size_bytes:
                block(
                    [
                        (line % (n % counterparts, n % counterparts % 997, at)).encode()
                        for n in range(index, index + 10_000)
                    ]
                )
                index += 10_000
            stats["followers" if shape == "followers" else "interactions"] = index
    return SynthStats(
        lines=stats["lines"],
        posts=stats["posts"],
        interactions=stats["interactions"],
        received=stats["interactions"],
        given=0,
        on_posts=stats["interactions"] if "posts" in shape else 0,
        followers=stats["followers"],
        following=0,
        own_handle="member@home.example",
    )
