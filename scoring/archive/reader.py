"""Streaming reader: bytes in, a validated and aggregated Archive out, or ArchiveInvalid.

Memory grows with the member's posts and with distinct counterparts, not with lines:
interactions are folded into per-counterpart counters as they are read. Handles are
hashed when first seen; error messages name fields, never handle values.
"""

from __future__ import annotations

import gc
from array import array
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime
from itertools import compress
from typing import Any, BinaryIO, Final

import orjson

from . import checks
from .checks import Bad
from .handles import KeyedHash, check_hash_key, normalise_handle
from .model import (
    INTERACTION_KINDS,
    MAX_TEXT_CHARS,
    Account,
    Archive,
    ArchiveInvalid,
    Direction,
    EdgeAgg,
    LineError,
    PostAgg,
)
from .source import TOO_LONG, Source, SourceProblem, line_batches
from .terms import extract_terms

# Each counterpart owns 8 edge slots, one per kind and direction (slot = counterpart
# * 8 + kind index * 2 + 0 for "in" or 1 for "out"), each three list items: count,
# first and last time. One flat list keeps a slot's three values side by side, so an
# update touches one place in memory instead of three arrays.
_SLOTS: Final = 2 * len(INTERACTION_KINDS)
_EMPTY_SLOTS: Final[tuple[int | None, ...]] = (0, None, None) * _SLOTS
_KIND_INDEX: Final[dict[str, int]] = {kind: index for index, kind in enumerate(INTERACTION_KINDS)}
_PAIR_SHIFT: Final = 32  # engaged pairs: post index << 32 | counterpart index
_PAIR_MASK: Final = (1 << _PAIR_SHIFT) - 1
_BLANK: Final = b" \t\r"
# Keeps lines checkable when no valid account line came first. Such an archive is
# refused anyway, so hashes made with it are never returned.
_PLACEHOLDER_NETWORK: Final = "other"


class _Stop(Exception):
    """Enough errors were collected; stop reading."""


class _OwnHandle(ValueError):
    """A counterpart is the member themself."""


def read_archive(
    stream: BinaryIO,
    *,
    secret: bytes,
    max_errors: int = 20,
    max_bytes: int | None = None,
    max_line_bytes: int = 65536,
    progress: Callable[[int, int], None] | None = None,
    progress_every: int = 50_000,
) -> Archive:
    """Read, validate and aggregate a signal archive (JSON Lines, optionally gzipped).

    All or nothing: any problem raises ArchiveInvalid listing up to `max_errors` of them
    with their line numbers, and nothing is returned. `max_bytes` caps the bytes read
    and the decompressed size. `progress(bytes_read, lines)` is called every
    `progress_every` lines and once at the end. Errors raised by `stream` propagate.
    """
    if max_errors < 1:
        raise ValueError("max_errors must be at least 1")
    if max_bytes is not None and max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    if max_line_bytes < 1 or progress_every < 1:
        raise ValueError("max_line_bytes and progress_every must be positive")
    check_hash_key(secret, _PLACEHOLDER_NETWORK)

    reader = _Reader(secret, max_errors)
    source = Source(stream, max_bytes)
    # Reading builds hundreds of thousands of small objects and no reference cycles;
    # left on, the cyclic collector would rescan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            reader.consume(source, max_line_bytes, progress, progress_every)
        except _Stop:
            reader.truncated = True
        except SourceProblem as problem:
            reader.errors.append(LineError(0, problem.reason))
        if progress is not None:
            progress(source.bytes_read, reader.lineno)
        return reader.finish(source)
    finally:
        if collecting:
            gc.enable()


class _Reader:
    """Validation and aggregation state for one archive."""

    def __init__(self, secret: bytes, max_errors: int) -> None:
        self.secret = secret
        self.keyed_hash = KeyedHash(secret, _PLACEHOLDER_NETWORK)
        self.max_errors = max_errors
        self.max_line_bytes = 0
        self.errors: list[LineError] = []
        self.truncated = False
        self.lineno = 0
        self.started = False  # a non-blank line has been seen
        self.account: Account | None = None
        self.own_hash = 0
        # Counterparts: index -> hash, and the ways to find an index.
        self.digests: list[int] = []  # handle keys
        self.index_of_digest: dict[int, int] = {}
        self.index_of_handle: dict[str, int] = {}  # as written; valid, not the member
        self.edge_data: list[Any] = []  # see _SLOTS
        self.posts: dict[str, PostAgg] = {}
        self.post_index: dict[str, int] = {}
        self.post_list: list[PostAgg] = []
        self.post_counts = array("q")  # len(INTERACTION_KINDS) per post
        self.engaged = array("q")  # one pair per received interaction on a post
        self.followers: dict[int, datetime] = {}
        self.following: dict[int, datetime] = {}
        self.follow_times: list[datetime] = []  # earliest and latest of any follow line
        self.interactions = 0

    def consume(
        self,
        source: Source,
        max_line_bytes: int,
        progress: Callable[[int, int], None] | None,
        progress_every: int,
    ) -> None:
        """Handle every line. An interaction line goes through an inlined fast path
        whose checks are lookups in dicts holding only valid values, plus a key count
        that rules out extra keys; whatever it cannot prove valid goes to `_line`, which
        checks field by field and explains."""
        self.max_line_bytes = max_line_bytes
        loads = orjson.loads
        json_error = orjson.JSONDecodeError
        from_iso = datetime.fromisoformat
        utc = UTC
        to_utc = checks.to_utc
        # Any keys: the lookups take raw JSON values, and a miss is the check.
        kind_index: dict[Any, int] = _KIND_INDEX
        index_of_handle: dict[Any, int] = self.index_of_handle
        post_index: dict[Any, int] = self.post_index
        new_counterpart = self._new_counterpart
        edge_data = self.edge_data
        post_counts = self.post_counts
        engage = self.engaged.append
        slots = _SLOTS
        kinds = len(INTERACTION_KINDS)
        shift = _PAIR_SHIFT
        next_progress = progress_every if progress is not None else -1
        fast = 0
        lineno = 0
        for batch in line_batches(source.chunks(), max_line_bytes):
            ready = self.account is not None
            first_number = lineno + 1
            for lineno, raw in enumerate(batch, first_number):
                if lineno == next_progress:
                    assert progress is not None
                    progress(source.bytes_read, lineno)
                    next_progress += progress_every
                try:
                    obj = loads(raw)
                except json_error as error:
                    self._unparsable(lineno, raw, str(error))
                    continue
                if ready and type(obj) is dict and obj.get("type") == "interaction":
                    post = -1
                    try:
                        kind = kind_index[obj["kind"]]
                        at = from_iso(obj["at"])
                        if at.tzinfo is not utc:
                            at = to_utc(at)
                        if "by" in obj:
                            handle = obj["by"]
                            slot = kind * 2
                            if len(obj) == 5:
                                post = post_index[obj["post"]]
                            elif len(obj) != 4:
                                raise KeyError
                        else:
                            handle = obj["to"]
                            slot = kind * 2 + 1
                            if len(obj) != 4:
                                raise KeyError
                        who = index_of_handle.get(handle)
                        if who is None:
                            who = new_counterpart(handle)
                    except (KeyError, TypeError, ValueError):
                        pass
                    else:
                        base = (who * slots + slot) * 3
                        first = edge_data[base + 1]
                        if first is None:
                            edge_data[base] = 1
                            edge_data[base + 1] = edge_data[base + 2] = at
                        else:
                            edge_data[base] += 1
                            if at < first:
                                edge_data[base + 1] = at
                            elif at > edge_data[base + 2]:
                                edge_data[base + 2] = at
                        if post >= 0:
                            engage(post << shift | who)
                            post_counts[post * kinds + kind] += 1
                        fast += 1
                        continue
                self._line(lineno, obj)
                ready = self.account is not None
        self.lineno = lineno
        self.interactions += fast

    def finish(self, source: Source) -> Archive:
        """The Archive, or ArchiveInvalid with every error found."""
        if not self.started and not self.errors:
            self.errors.append(LineError(0, "the archive is empty"))
        if self.errors:
            raise ArchiveInvalid(self.errors[: self.max_errors], self.truncated)
        assert self.account is not None  # the first non-blank line was a valid account
        self.index_of_handle.clear()  # not needed any more; frees memory for what follows

        digests = self.digests
        kinds = len(INTERACTION_KINDS)
        edges: dict[tuple[int, str, str], EdgeAgg] = {}
        first_seen: list[datetime] = []
        last_seen: list[datetime] = []
        data = self.edge_data
        firsts = data[1::3]
        for slot in compress(range(len(firsts)), firsts):
            who, rest = divmod(slot, _SLOTS)
            digest = digests[who]
            kind = INTERACTION_KINDS[rest >> 1]
            direction: Direction = "out" if rest & 1 else "in"
            base = slot * 3
            edges[(digest, kind, direction)] = EdgeAgg(
                digest, kind, direction, data[base], data[base + 1], data[base + 2]
            )
        if edges:
            first_seen.append(min(filter(None, firsts)))
            last_seen.append(max(filter(None, data[2::3])))
        del firsts
        self.edge_data = []
        for number, post in enumerate(self.post_list):
            base = number * kinds
            post.counts = {
                kind: self.post_counts[base + index] for index, kind in enumerate(INTERACTION_KINDS)
            }
            first_seen.append(post.at)
            last_seen.append(post.at)
        add_to = [post.engagers.add for post in self.post_list]
        for pair in self.engaged:
            add_to[pair >> _PAIR_SHIFT](digests[pair & _PAIR_MASK])
        self.engaged = array("q")
        first_seen += self.follow_times[:1]
        last_seen += self.follow_times[1:]
        return Archive(
            account=self.account,
            posts=self.posts,
            edges=edges,
            followers=self.followers,
            following=self.following,
            lines=self.lineno,
            interactions=self.interactions,
            bytes_read=source.bytes_read,
            content_sha256=source.sha256.hexdigest(),
            first_at=min(first_seen, default=None),
            last_at=max(last_seen, default=None),
        )

    # -- errors -----------------------------------------------------------------------

    def _fail(self, lineno: int, reason: str) -> None:
        self.started = True
        self.lineno = lineno
        self.errors.append(LineError(lineno, reason))
        if len(self.errors) >= self.max_errors:
            raise _Stop

    def _unparsable(self, lineno: int, raw: bytes, message: str) -> None:
        if raw == TOO_LONG:
            self._fail(lineno, f"the line is longer than {self.max_line_bytes} bytes")
            return
        if not raw.strip(_BLANK):
            return  # blank lines are allowed
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            self._fail(lineno, "invalid UTF-8")
            return
        if "depth limit" in message:
            self._fail(lineno, "not valid JSON (nested too deeply)")
        elif "infinity" in message:
            self._fail(lineno, "not valid JSON (a number is too large)")
        else:
            self._fail(lineno, "not valid JSON")

    # -- one line, field by field -----------------------------------------------------

    def _line(self, lineno: int, obj: object) -> None:
        first = not self.started
        self.started = True
        try:
            if type(obj) is not dict:
                raise Bad(f"a line must be a JSON object, not {checks.json_kind(obj)}")
            kind = checks.required(obj, "type")
            if type(kind) is not str:
                raise Bad("'type' must be a string")
            if kind == "account":
                if self.account is not None:
                    raise Bad("a second account line; only one is allowed, on the first line")
                self._account(obj)
                return
            if first:
                # One error for the line; still taken in when otherwise valid, so later
                # lines that refer to it are not reported as well.
                with suppress(Bad):
                    self._record(kind, obj)
                raise Bad("the first line must be the account line")
            self._record(kind, obj)
        except Bad as bad:
            self._fail(lineno, bad.reason)

    def _record(self, kind: str, obj: dict[str, object]) -> None:
        if kind not in checks.KEYS:
            raise Bad(f"unknown type {checks.quoted(kind)}")
        checks.check_keys(obj, checks.KEYS[kind])
        if kind == "interaction":
            self._interaction(obj)
        elif kind == "post":
            self._post(obj)
        elif kind == "follower":
            self._follow(obj, "by", self.followers)
        else:
            self._follow(obj, "of", self.following)

    def _account(self, obj: dict[str, object]) -> None:
        checks.check_keys(obj, checks.KEYS["account"])
        network = checks.network(obj)
        handle = checks.required(obj, "handle")
        if type(handle) is not str:
            raise Bad("'handle' must be a string")
        try:
            handle = normalise_handle(handle)
        except ValueError as error:
            raise Bad(f"'handle' is not a valid handle: {error}") from None
        followers = checks.count(obj, "followers")
        following = checks.count(obj, "following")
        created_at = checks.timestamp(checks.required(obj, "created_at"), "created_at")
        self.account = Account(network, handle, followers, following, created_at)
        self.keyed_hash = KeyedHash(self.secret, network)
        self.own_hash = self.keyed_hash(handle)
        self.index_of_handle.clear()  # hashed with a placeholder network, if anything

    def _post(self, obj: dict[str, object]) -> None:
        post_id = checks.post_id(obj, "id")
        if post_id in self.posts:
            raise Bad(f"'id' {checks.shown(post_id)} is already used by an earlier post")
        at = checks.timestamp(checks.required(obj, "at"), "at")
        tags = checks.tags(obj["tags"]) if "tags" in obj else []
        terms: list[str] = []
        if "text" in obj:
            text = obj["text"]
            if type(text) is not str or len(text) > MAX_TEXT_CHARS:
                raise Bad(f"'text' must be a string of at most {MAX_TEXT_CHARS} characters")
            terms = extract_terms(text)
        post = PostAgg(post_id, at, tags, terms)
        self.posts[post_id] = post
        self.post_index[post_id] = len(self.post_list)
        self.post_list.append(post)
        self.post_counts.frombytes(bytes(8 * len(INTERACTION_KINDS)))

    def _interaction(self, obj: dict[str, object]) -> None:
        value = checks.required(obj, "kind")
        kind = _KIND_INDEX.get(value) if type(value) is str else None
        if kind is None:
            if type(value) is str and checks.quoted(value) != "(value not shown)":
                raise Bad(f"unknown kind {checks.quoted(value)}; expected {checks.KINDS_TEXT}")
            raise Bad(f"'kind' must be one of {checks.KINDS_TEXT}")
        if "by" in obj and "to" in obj:
            raise Bad("interaction has both 'by' and 'to'")
        if "by" not in obj and "to" not in obj:
            raise Bad("interaction needs 'by' (received) or 'to' (given)")
        field = "by" if "by" in obj else "to"
        post = -1
        if "post" in obj:
            if field == "to":
                raise Bad("'post' is only allowed with 'by'")
            post_id = obj["post"]
            if type(post_id) is not str:
                raise Bad("'post' must be a string")
            if post_id not in self.post_index:
                raise Bad(f"'post' {checks.shown(post_id)} was not declared on an earlier line")
            post = self.post_index[post_id]
        who = self._counterpart(obj, field)
        at = checks.timestamp(checks.required(obj, "at"), "at")
        base = (who * _SLOTS + kind * 2 + (field == "to")) * 3
        data = self.edge_data
        if data[base + 1] is None:
            data[base : base + 3] = (1, at, at)
        else:
            data[base : base + 3] = (
                data[base] + 1,
                min(data[base + 1], at),
                max(data[base + 2], at),
            )
        if post >= 0:
            self.engaged.append(post << _PAIR_SHIFT | who)
            self.post_counts[post * len(INTERACTION_KINDS) + kind] += 1
        self.interactions += 1

    def _follow(self, obj: dict[str, object], field: str, into: dict[int, datetime]) -> None:
        digest = self.digests[self._counterpart(obj, field)]
        at = checks.timestamp(checks.required(obj, "at"), "at")
        earlier = into.get(digest)
        if earlier is None or at < earlier:
            into[digest] = at
        if self.follow_times:
            first, last = self.follow_times
            self.follow_times = [min(first, at), max(last, at)]
        else:
            self.follow_times = [at, at]

    # -- counterparts -----------------------------------------------------------------

    def _counterpart(self, obj: dict[str, object], field: str) -> int:
        """The index of the counterpart named by `field`, hashing it on first sight."""
        handle = checks.required(obj, field)
        if type(handle) is not str:
            raise Bad(f"'{field}' must be a string")
        who = self.index_of_handle.get(handle)
        if who is not None:
            return who
        try:
            return self._new_counterpart(handle)
        except _OwnHandle:
            raise Bad(f"'{field}' is the account's own handle") from None
        except ValueError as error:
            raise Bad(f"'{field}' is not a valid handle: {error}") from None

    def _new_counterpart(self, handle: object) -> int:
        """Hash and index a handle not seen before in this spelling.

        Raises TypeError for a non-string, ValueError for an invalid handle and
        _OwnHandle for the member's own, for the caller to explain or pass on.
        """
        if type(handle) is not str:
            raise TypeError
        digest = self.keyed_hash(handle)
        if digest == self.own_hash:
            raise _OwnHandle
        who = self.index_of_digest.get(digest)
        if who is None:
            who = len(self.digests)
            self.digests.append(digest)
            self.index_of_digest[digest] = who
            self.edge_data.extend(_EMPTY_SLOTS)
        self.index_of_handle[handle] = who
        return who
