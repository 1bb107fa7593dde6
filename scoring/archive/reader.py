"""Streaming reader: bytes in, a validated and aggregated Archive out, or ArchiveInvalid.

The reader holds one chunk of input, the member's posts and one entry per distinct
counterpart (and per counterpart, kind and direction), never the whole file. Handles
are hashed as soon as they are read; error messages name fields, never handle values.
"""

from __future__ import annotations

import gc
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final

import orjson

from .handles import KeyedHash, check_hash_key, normalise_handle
from .model import (
    INTERACTION_KINDS,
    MAX_COUNT,
    MAX_POST_ID_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    MAX_TEXT_CHARS,
    NETWORKS,
    Account,
    Archive,
    ArchiveInvalid,
    Direction,
    EdgeAgg,
    LineError,
    PostAgg,
)
from .terms import extract_terms, normalise_tag

CHUNK_BYTES: Final = 1 << 20
MB: Final = 1 << 20
_GZIP_MAGIC: Final = b"\x1f\x8b"
_BOM: Final = b"\xef\xbb\xbf"
_BLANK: Final = b" \t\r"
# Stands in for an over-long line; no real line can be a newline, it was split on.
_TOO_LONG: Final = b"\n"
# Recent timestamp strings -> parsed datetimes; cleared when full, so it stays small.
_TIME_CACHE_SIZE: Final = 16_384
_MAX_TIME_CHARS: Final = 64
# Network used to keep validating lines when no valid account line came first; such an
# archive is refused anyway, so these hashes are never returned.
_PLACEHOLDER_NETWORK: Final = "other"

_KINDS: Final[dict[str, str]] = {kind: kind for kind in INTERACTION_KINDS}
_KINDS_TEXT: Final = "like, reshare, reply or mention"
_NETWORKS_TEXT: Final = ", ".join(sorted(NETWORKS))
_KEYS: Final[dict[str, frozenset[str]]] = {
    "account": frozenset({"type", "network", "handle", "followers", "following", "created_at"}),
    "post": frozenset({"type", "id", "at", "tags", "text"}),
    "interaction": frozenset({"type", "kind", "by", "to", "post", "at"}),
    "follower": frozenset({"type", "by", "at"}),
    "following": frozenset({"type", "of", "at"}),
}
# Only short, plain values are echoed back in messages; anything else might be a handle.
_SHOWABLE = re.compile(r"[A-Za-z0-9_.:/\-]{1,64}")


class _Bad(Exception):
    """One line's problem; `reason` names fields, never a handle's value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Stop(Exception):
    """Enough errors were collected; stop reading."""


class _SourceProblem(Exception):
    """A whole-file problem found while reading (size, gzip)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _StreamFailed(Exception):
    """The caller's stream raised; its exception is re-raised as it was, never reported."""


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
    with their line numbers, and nothing is returned. `max_bytes` caps both the bytes
    read and the decompressed size. `progress(bytes_read, lines)` is called every
    `progress_every` lines and once at the end.
    """
    if max_errors < 1:
        raise ValueError("max_errors must be at least 1")
    if max_bytes is not None and max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    if max_line_bytes < 1 or progress_every < 1:
        raise ValueError("max_line_bytes and progress_every must be positive")
    check_hash_key(secret, _PLACEHOLDER_NETWORK)

    reader = _Reader(secret, max_errors, max_line_bytes)
    source = _Source(stream, max_bytes)
    # The reader builds hundreds of thousands of small containers and no cycles; left
    # on, the cyclic collector would rescan them all again and again (about half the
    # run time at a million lines on CPython 3.11).
    collecting = gc.isenabled()
    gc.disable()
    try:
        reader.consume(source, progress, progress_every)
    except _Stop:
        reader.truncated = True
    except _SourceProblem as problem:
        reader.errors.append(LineError(0, problem.reason))
    except _StreamFailed as failed:
        raise failed.__cause__ from None  # type: ignore[misc]
    finally:
        if collecting:
            gc.enable()
    if progress is not None:
        progress(source.bytes_read, reader.lineno)
    return reader.finish(source.bytes_read)


class _Source:
    """Yields chunks of decompressed bytes, enforcing `max_bytes` on both sides of gzip."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.raw_read = 0
        self.bytes_read = 0
        self.gzipped = False

    def chunks(self) -> Iterator[bytes]:
        head = b""
        while len(head) < len(_BOM):
            more = self._read_raw(CHUNK_BYTES)
            if not more:
                break
            head += more
        if head.startswith(_GZIP_MAGIC):
            self.gzipped = True
            yield from self._gunzip(head)
            return
        data = head
        while data:
            self._count(len(data))
            yield data
            data = self._read_raw(CHUNK_BYTES)

    def _read_raw(self, size: int) -> bytes:
        if self.max_bytes is not None:
            # One byte past the cap is enough to know the cap was passed.
            size = min(size, self.max_bytes + 1 - self.raw_read)
            if size <= 0:
                raise _SourceProblem(self._too_large())
        try:
            data = self.stream.read(size)
        except Exception as error:
            raise _StreamFailed from error
        if not data:
            return b""
        self.raw_read += len(data)
        if self.max_bytes is not None and self.raw_read > self.max_bytes:
            raise _SourceProblem(self._too_large())
        return bytes(data)

    def _gunzip(self, head: bytes) -> Iterator[bytes]:
        unzipped = gzip.GzipFile(fileobj=_Rewound(head, self), mode="rb")
        while True:
            size = CHUNK_BYTES
            if self.max_bytes is not None:
                size = min(size, self.max_bytes + 1 - self.bytes_read)
            try:
                data = unzipped.read(size)
            except (OSError, EOFError, zlib.error):
                raise _SourceProblem("the gzip data is corrupt or truncated") from None
            if not data:
                return
            self._count(len(data))
            yield data

    def _count(self, size: int) -> None:
        self.bytes_read += size
        if self.max_bytes is not None and self.bytes_read > self.max_bytes:
            raise _SourceProblem(self._too_large())

    def _too_large(self) -> str:
        assert self.max_bytes is not None
        size = _format_size(self.max_bytes)
        if self.gzipped:
            return f"archive is larger than {size} once decompressed"
        return f"archive is larger than {size}"


class _Rewound:
    """The compressed stream with its already-read head put back in front."""

    def __init__(self, head: bytes, source: _Source) -> None:
        self.head = head
        self.source = source

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = CHUNK_BYTES
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.source._read_raw(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("the archive stream is read once, forwards")


def _format_size(size: int) -> str:
    if size >= MB and size % MB == 0:
        return f"{size // MB} MB"
    if size >= MB // 10:
        return f"{size / MB:.1f} MB"
    return f"{size} bytes"


class _Reader:
    """Validation and aggregation state for one archive."""

    def __init__(self, secret: bytes, max_errors: int, max_line_bytes: int) -> None:
        self.secret = secret
        self.keyed_hash = KeyedHash(secret, _PLACEHOLDER_NETWORK)
        self.max_errors = max_errors
        self.max_line_bytes = max_line_bytes
        self.errors: list[LineError] = []
        self.truncated = False
        self.lineno = 0
        self.started = False  # a non-blank line has been seen
        self.account: Account | None = None
        self.own_hash = ""
        self.hashes: dict[str, str] = {}  # raw handle as written -> hash
        self.times: dict[str, datetime] = {}
        self.posts: dict[str, PostAgg] = {}
        self.edges: dict[tuple[str, str, str], EdgeAgg] = {}
        self.followers: dict[str, datetime] = {}
        self.following: dict[str, datetime] = {}
        self.interactions = 0
        self.sha = hashlib.sha256()

    # -- the loop ---------------------------------------------------------------------

    def consume(
        self,
        source: _Source,
        progress: Callable[[int, int], None] | None,
        progress_every: int,
    ) -> None:
        """Handle every line. Interaction lines take an inlined fast path whose checks
        are lookups in dicts that hold only valid values plus a key count that rules out
        extra keys; anything it cannot prove valid goes to `_line`, which explains."""
        loads = orjson.loads
        json_error = orjson.JSONDecodeError
        from_iso = datetime.fromisoformat
        utc = UTC
        # Typed with Any keys: the lookups take raw JSON values; a miss is the check.
        kinds: dict[Any, str] = _KINDS
        hashes: dict[Any, str] = self.hashes
        times: dict[Any, datetime] = self.times
        posts: dict[Any, PostAgg] = self.posts
        edges = self.edges
        new_counterpart = self._new_counterpart
        next_progress = progress_every if progress is not None else -1
        fast_lines = 0
        lineno = 0
        for batch in self._batches(source):
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
                    post: PostAgg | None = None
                    try:
                        kind = kinds[obj["kind"]]
                        at_text = obj["at"]
                        at = times.get(at_text)
                        if at is None:
                            at = from_iso(at_text)
                            if at.tzinfo is not utc:
                                raise ValueError
                            if len(times) >= _TIME_CACHE_SIZE:
                                times.clear()
                            times[at_text] = at
                        direction: Direction
                        if "by" in obj:
                            handle = obj["by"]
                            direction = "in"
                            if len(obj) == 5:
                                post = posts[obj["post"]]
                            elif len(obj) != 4:
                                raise KeyError
                        else:
                            handle = obj["to"]
                            direction = "out"
                            if len(obj) != 4:
                                raise KeyError
                        digest = hashes.get(handle)
                        if digest is None:
                            digest = new_counterpart(handle)
                    except (KeyError, TypeError, ValueError):
                        pass
                    else:
                        key = (digest, kind, direction)
                        edge = edges.get(key)
                        if edge is None:
                            edges[key] = EdgeAgg(digest, kind, direction, 1, at, at)
                        else:
                            edge.count += 1
                            if at < edge.first_at:
                                edge.first_at = at
                            elif at > edge.last_at:
                                edge.last_at = at
                        if post is not None:
                            post.engagers.add(digest)
                            post.counts[kind] += 1
                        fast_lines += 1
                        continue
                self._line(lineno, obj)
                ready = self.account is not None
        self.lineno = lineno
        self.interactions += fast_lines

    def _batches(self, source: _Source) -> Iterator[list[bytes]]:
        """Yield the lines of each chunk (without newlines), hashing the content on the
        way; a line longer than `max_line_bytes` is replaced by `_TOO_LONG` and never
        held whole."""
        update_sha = self.sha.update
        max_line_bytes = self.max_line_bytes
        carry = b""
        skipping = False  # inside an over-long line
        first = True
        for chunk in source.chunks():
            update_sha(chunk)
            if first:
                first = False
                if chunk.startswith(_BOM):
                    chunk = chunk[len(_BOM) :]
            parts = chunk.split(b"\n")
            tail = parts.pop()
            if parts:
                if skipping:
                    parts[0] = _TOO_LONG
                    skipping = False
                elif carry:
                    parts[0] = carry + parts[0]
                if max(map(len, parts)) > max_line_bytes:
                    parts = [_TOO_LONG if len(part) > max_line_bytes else part for part in parts]
                carry = tail
                yield parts
            elif not skipping:
                carry += tail
            if not skipping and len(carry) > max_line_bytes:
                carry = b""
                skipping = True
        if skipping:
            yield [_TOO_LONG]
        elif carry:
            yield [carry]

    def finish(self, bytes_read: int) -> Archive:
        if not self.started and not self.errors:
            self.errors.append(LineError(0, "the archive is empty"))
        if self.errors:
            raise ArchiveInvalid(self.errors[: self.max_errors], self.truncated)
        assert self.account is not None  # the first non-blank line was a valid account
        # The data window, from the aggregates rather than tracked line by line.
        times = [post.at for post in self.posts.values()]
        times += [min(edge.first_at for edge in self.edges.values())] if self.edges else []
        times += [max(edge.last_at for edge in self.edges.values())] if self.edges else []
        for follows in (self.followers, self.following):
            if follows:
                times += [min(follows.values()), max(follows.values())]
        return Archive(
            account=self.account,
            posts=self.posts,
            edges=self.edges,
            followers=self.followers,
            following=self.following,
            lines=self.lineno,
            interactions=self.interactions,
            bytes_read=bytes_read,
            content_sha256=self.sha.hexdigest(),
            first_at=min(times, default=None),
            last_at=max(times, default=None),
        )

    # -- errors -----------------------------------------------------------------------

    def _fail(self, lineno: int, reason: str) -> None:
        self.started = True
        self.lineno = lineno
        self.errors.append(LineError(lineno, reason))
        if len(self.errors) >= self.max_errors:
            raise _Stop

    def _unparsable(self, lineno: int, raw: bytes, message: str) -> None:
        if raw == _TOO_LONG:
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

    # -- one line, slowly and with explanations ---------------------------------------

    def _line(self, lineno: int, obj: object) -> None:
        first = not self.started
        self.started = True
        try:
            if type(obj) is not dict:
                raise _Bad(f"a line must be a JSON object, not {_json_kind(obj)}")
            if "type" not in obj:
                raise _Bad("'type' is missing")
            kind = obj["type"]
            if type(kind) is not str:
                raise _Bad("'type' must be a string")
            if kind == "account":
                if self.account is not None:
                    raise _Bad("a second account line; only one is allowed, on the first line")
                self._account(obj)
                return
            if first:
                raise _Bad("the first line must be the account line")
            if kind not in _KEYS:
                raise _Bad(f"unknown type {_quoted(kind)}")
            _check_keys(obj, _KEYS[kind])
            if kind == "interaction":
                self._interaction(obj)
            elif kind == "post":
                self._post(obj)
            elif kind == "follower":
                self._follow(obj, "by", self.followers)
            else:
                self._follow(obj, "of", self.following)
        except _Bad as bad:
            self._fail(lineno, bad.reason)

    def _account(self, obj: dict[str, object]) -> None:
        _check_keys(obj, _KEYS["account"])
        network = _required(obj, "network")
        if type(network) is not str or network not in NETWORKS:
            raise _Bad(f"'network' must be one of {_NETWORKS_TEXT}")
        handle = _required(obj, "handle")
        if type(handle) is not str:
            raise _Bad("'handle' must be a string")
        try:
            handle = normalise_handle(handle)
        except ValueError as error:
            raise _Bad(f"'handle' is not a valid handle: {error}") from None
        followers = _count(obj, "followers")
        following = _count(obj, "following")
        created_at = _parse_time(_required(obj, "created_at"), "created_at")
        self.account = Account(network, handle, followers, following, created_at)
        self.keyed_hash = KeyedHash(self.secret, network)
        self.own_hash = self._hash(handle, "handle")
        self.hashes.clear()

    def _post(self, obj: dict[str, object]) -> None:
        post_id = _required(obj, "id")
        if (
            type(post_id) is not str
            or not post_id
            or len(post_id) > MAX_POST_ID_CHARS
            or not post_id.isprintable()
        ):
            raise _Bad(
                f"'id' must be a non-empty string of at most {MAX_POST_ID_CHARS} "
                "printable characters"
            )
        if post_id in self.posts:
            raise _Bad(f"'id' {_shown(post_id)} is already used by an earlier post")
        at = self._time(_required(obj, "at"), "at")
        tags: list[str] = []
        if "tags" in obj:
            tags = _tags(obj["tags"])
        terms: list[str] = []
        if "text" in obj:
            text = obj["text"]
            if type(text) is not str or len(text) > MAX_TEXT_CHARS:
                raise _Bad(f"'text' must be a string of at most {MAX_TEXT_CHARS} characters")
            terms = extract_terms(text)
        self.posts[post_id] = PostAgg(post_id, at, tags, terms)

    def _interaction(self, obj: dict[str, object]) -> None:
        value = _required(obj, "kind")
        kind = _KINDS.get(value) if type(value) is str else None
        if kind is None:
            if type(value) is str and _SHOWABLE.fullmatch(value):
                raise _Bad(f"unknown kind {_quoted(value)}; expected {_KINDS_TEXT}")
            raise _Bad(f"'kind' must be one of {_KINDS_TEXT}")
        if "by" in obj and "to" in obj:
            raise _Bad("interaction has both 'by' and 'to'")
        if "by" not in obj and "to" not in obj:
            raise _Bad("interaction needs 'by' (received) or 'to' (given)")
        direction: Direction = "in" if "by" in obj else "out"
        field = "by" if direction == "in" else "to"
        post: PostAgg | None = None
        if "post" in obj:
            if direction == "out":
                raise _Bad("'post' is only allowed with 'by'")
            post_id = obj["post"]
            if type(post_id) is not str:
                raise _Bad("'post' must be a string")
            post = self.posts.get(post_id)
            if post is None:
                raise _Bad(f"'post' {_shown(post_id)} was not declared on an earlier line")
        digest = self._counterpart(obj, field)
        at = self._time(_required(obj, "at"), "at")
        key = (digest, kind, direction)
        edge = self.edges.get(key)
        if edge is None:
            self.edges[key] = EdgeAgg(digest, kind, direction, 1, at, at)
        else:
            edge.count += 1
            edge.first_at = min(edge.first_at, at)
            edge.last_at = max(edge.last_at, at)
        if post is not None:
            post.engagers.add(digest)
            post.counts[kind] += 1
        self.interactions += 1

    def _follow(self, obj: dict[str, object], field: str, into: dict[str, datetime]) -> None:
        digest = self._counterpart(obj, field)
        at = self._time(_required(obj, "at"), "at")
        earlier = into.get(digest)
        if earlier is None or at < earlier:
            into[digest] = at

    # -- values -----------------------------------------------------------------------

    def _new_counterpart(self, handle: object) -> str:
        """Hash and remember a handle not seen before, for the fast path; raises
        TypeError or ValueError, unexplained, when `_line` has to look at the line."""
        if type(handle) is not str:
            raise TypeError
        digest = self.keyed_hash(handle)
        if digest == self.own_hash:
            raise ValueError
        self.hashes[handle] = digest
        return digest

    def _counterpart(self, obj: dict[str, object], field: str) -> str:
        handle = _required(obj, field)
        if type(handle) is not str:
            raise _Bad(f"'{field}' must be a string")
        digest = self.hashes.get(handle)
        if digest is None:
            digest = self._hash(handle, field)
            if digest == self.own_hash:
                raise _Bad(f"'{field}' is the account's own handle")
            self.hashes[handle] = digest
        return digest

    def _hash(self, handle: str, field: str) -> str:
        try:
            return self.keyed_hash(handle)
        except ValueError as error:
            raise _Bad(f"'{field}' is not a valid handle: {error}") from None

    def _time(self, value: object, field: str) -> datetime:
        """Parse a timestamp through the small cache of recent ones."""
        if type(value) is str:
            cached = self.times.get(value)
            if cached is not None:
                return cached
        at = _parse_time(value, field)
        assert type(value) is str
        if len(self.times) >= _TIME_CACHE_SIZE:
            self.times.clear()
        self.times[value] = at
        return at


def _parse_time(value: object, field: str) -> datetime:
    """An aware ISO 8601 date-time string -> datetime in UTC."""
    if type(value) is not str or len(value) > _MAX_TIME_CHARS:
        raise _Bad(f"'{field}' must be an ISO 8601 date-time string")
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise _Bad(
            f"'{field}' must be an ISO 8601 date-time with a timezone, like 2026-10-01T12:00:00Z"
        ) from None
    if at.tzinfo is None or len(value) <= 10:
        raise _Bad(f"'{field}' needs a time and a timezone, like 2026-10-01T12:00:00Z")
    if at.tzinfo is not UTC:
        try:
            at = at.astimezone(UTC)
        except OverflowError:
            raise _Bad(f"'{field}' is out of range") from None
    return at


def _required(obj: dict[str, object], field: str) -> object:
    if field not in obj:
        raise _Bad(f"'{field}' is missing")
    return obj[field]


def _count(obj: dict[str, object], field: str) -> int:
    value = _required(obj, field)
    if type(value) is not int or value < 0:
        raise _Bad(f"'{field}' must be a non-negative integer")
    if value > MAX_COUNT:
        raise _Bad(f"'{field}' must be at most {MAX_COUNT}")
    return value


def _tags(value: object) -> list[str]:
    if type(value) is not list or len(value) > MAX_TAGS:
        raise _Bad(f"'tags' must be a list of at most {MAX_TAGS} strings")
    tags: dict[str, None] = {}
    for position, tag in enumerate(value, start=1):
        if type(tag) is not str or len(tag) > MAX_TAG_CHARS or not tag.isprintable():
            raise _Bad(
                f"'tags' item {position} must be a string of at most {MAX_TAG_CHARS} "
                "printable characters"
            )
        normalised = normalise_tag(tag)
        if not normalised:
            raise _Bad(f"'tags' item {position} is empty")
        tags[normalised] = None
    return list(tags)


def _check_keys(obj: dict[str, object], allowed: frozenset[str]) -> None:
    unknown = [key for key in obj if key not in allowed]
    if unknown:
        names = ", ".join(_quoted(key) for key in unknown[:5])
        noun = "key" if len(unknown) == 1 else "keys"
        raise _Bad(f"unknown {noun} {names}")


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true/false"
    if value is None:
        return "null"
    return "a number"


def _quoted(value: str) -> str:
    return f"'{value}'" if _SHOWABLE.fullmatch(value) else "(value not shown)"


def _shown(value: str) -> str:
    return value if _SHOWABLE.fullmatch(value) else "(value not shown)"
