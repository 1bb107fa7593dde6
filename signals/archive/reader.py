"""Streaming reader: bytes in, a validated and aggregated Archive out, or ArchiveInvalid.

Memory grows with the member's posts and with distinct counterparts, not with lines:
interactions are folded into per-counterpart counters as they are read. Handles are
hashed when first seen; error messages name fields, never handle values.
"""

from __future__ import annotations

import gc
import sys
from array import array
from collections.abc import Callable
from contextlib import suppress
from datetime import datetime
from itertools import repeat
from operator import attrgetter
from typing import Any, BinaryIO, Final, NoReturn

import numpy as np
import numpy.typing as npt
import orjson
from msgspec import UNSET

from . import checks, fastpath
from .checks import Bad
from .handles import KeyedHash, check_hash_key, normalise_handle
from .model import (
    INTERACTION_KINDS,
    KIND_INDEX,
    MAX_TEXT_CHARS,
    Account,
    Archive,
    ArchiveInvalid,
    EdgeColumns,
    HandleKeys,
    LineError,
    PostAgg,
)
from .source import TOO_LONG, Source, SourceProblem, line_batches
from .terms import extract_terms

# Each counterpart owns 8 edge slots, one per kind and direction: slot = counterpart * 8
# + kind index * 2 + 0 for "in" or 1 for "out". A slot's count, first and last time (in
# microseconds since 1970, UTC) live in three NumPy arrays, updated a batch at a time.
_SLOTS: Final = 2 * len(INTERACTION_KINDS)
_KINDS: Final = len(INTERACTION_KINDS)
_KIND_INDEX: Final[dict[Any, int]] = KIND_INDEX  # any key: a miss is the check
# For the fast path: interaction kinds, then the marks of follower and following lines.
_LINE_KIND: Final[dict[object, int]] = {
    **_KIND_INDEX,
    fastpath.FOLLOWER: _KINDS,
    fastpath.FOLLOWING: _KINDS + 1,
}
# Engaged pairs: (post index * 4 + kind index) << 32 | counterpart index.
_PAIR_SHIFT: Final = 32
_PAIR_MASK: Final = (1 << _PAIR_SHIFT) - 1
_NEVER_FIRST: Final = np.iinfo(np.int64).max
_NEVER_LAST: Final = np.iinfo(np.int64).min
_BLANK: Final = b" \t\r"
# Blank lines are allowed, but not a run of more than this many: such a run is refused at
# once, before any of it is parsed (see docs/archive-format.md, "Blank lines").
MAX_BLANK_RUN: Final = 100
# Keeps lines checkable when no valid account line came first. Such an archive is
# refused anyway, so hashes made with it are never returned.
_PLACEHOLDER_NETWORK: Final = "other"
_get_kind = attrgetter("kind")
_get_at = attrgetter("at")
_get_by = attrgetter("by")
_get_to = attrgetter("to")
_get_post = attrgetter("post")


class _Stop(Exception):
    """Enough errors were collected; stop reading."""


class _Refused(Exception):
    """A whole-archive refusal found on a line; reading stops at once."""


class _TooManyCounterparts(Exception):
    """A new counterpart would pass `max_counterparts`."""


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
    max_counterparts: int | None = None,
    max_posts: int | None = None,
    max_keywords: int | None = None,
    strict: bool = False,
) -> Archive:
    """Read, validate and aggregate a signal archive (JSON Lines, optionally gzipped).

    All or nothing: any problem raises ArchiveInvalid listing up to `max_errors` of them
    with their line numbers, and nothing is returned. `max_bytes` caps the bytes read
    and the decompressed size. `progress(bytes_read, lines)` is called every
    `progress_every` lines and once at the end. Errors raised by `stream` propagate.
    `max_counterparts` caps the distinct other accounts (followers, following, people
    interacted with): memory grows with them, so one more refuses the archive at once.
    `max_posts` caps the posts, and `max_keywords` the distinct keywords (tags and terms
    of the posts' text, counted once however many posts carry them: each is kept once
    and shared): one more of either refuses the archive at once, at its line.

    `strict=True` reads every line through the field-by-field checks, one at a time,
    instead of proving whole chunks of interaction and follow lines at once. The result,
    the errors and their order are the same either way (a property test holds the fast
    path to it); it is slower, and exists to check the fast path against.
    """
    if max_errors < 1:
        raise ValueError("max_errors must be at least 1")
    if max_bytes is not None and max_bytes < 0:
        raise ValueError("max_bytes must not be negative")
    if max_line_bytes < 1 or progress_every < 1:
        raise ValueError("max_line_bytes and progress_every must be positive")
    check_hash_key(secret, _PLACEHOLDER_NETWORK)

    source = Source(stream, max_bytes)
    reader = _Reader(secret, max_errors, source, progress, progress_every)
    reader.max_counterparts = sys.maxsize if max_counterparts is None else max_counterparts
    reader.max_posts = sys.maxsize if max_posts is None else max_posts
    reader.max_keywords = sys.maxsize if max_keywords is None else max_keywords
    reader.strict = strict
    # Reading builds hundreds of thousands of small objects and no reference cycles;
    # left on, the cyclic collector would rescan them over and over.
    collecting = gc.isenabled()
    gc.disable()
    try:
        try:
            reader.consume(max_line_bytes)
        except _Stop:
            reader.truncated = True
        except _Refused:
            pass
        except SourceProblem as problem:
            reader.errors.append(LineError(0, problem.reason))
        if progress is not None:
            progress(source.bytes_read, reader.lineno)
        return reader.finish()
    finally:
        if collecting:
            gc.enable()


class _Reader:
    """Validation and aggregation state for one archive."""

    def __init__(
        self,
        secret: bytes,
        max_errors: int,
        source: Source,
        progress: Callable[[int, int], None] | None,
        progress_every: int,
    ) -> None:
        self.secret = secret
        self.keyed_hash = KeyedHash(secret, _PLACEHOLDER_NETWORK)
        self.max_errors = max_errors
        self.source = source
        self.progress = progress
        self.progress_every = progress_every
        self.next_progress = progress_every if progress is not None else sys.maxsize
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
        # As written; valid, not the member. UNSET (-2) is for the fast path.
        self.index_of_handle: dict[Any, int] = {UNSET: -2}
        self.edge_counts = np.zeros(0, np.int64)  # see _SLOTS
        self.edge_first = np.zeros(0, np.int64)
        self.edge_last = np.zeros(0, np.int64)
        self.posts: dict[str, PostAgg] = {}
        self.post_index: dict[Any, int] = {UNSET: -2}  # UNSET is for the fast path
        self.post_list: list[PostAgg] = []
        self.engaged = array("q")  # one pair per received interaction on a post
        self.followers: dict[int, datetime] = {}
        self.following: dict[int, datetime] = {}
        self.follow_times: list[datetime] = []  # earliest and latest of any follow line
        self.interactions = 0
        self.blank_run = 0  # blank lines in a row at the end of the lines seen so far
        self.max_counterparts = sys.maxsize
        self.max_posts = sys.maxsize
        self.max_keywords = sys.maxsize
        # Every distinct tag and term, once: posts share these strings (see `_keywords`).
        self.keywords: dict[str, str] = {}
        self.strict = False
        self.current_line = 0  # of the line `_line` is checking

    # -- reading ----------------------------------------------------------------------

    def consume(self, max_line_bytes: int) -> None:
        """Handle every line. Until the account line is in, lines go one by one to
        `_line`; after it, each chunk's lines go to `_batch` (to `_slow` one by one when
        `strict`)."""
        self.max_line_bytes = max_line_bytes
        lineno = 0
        for batch in line_batches(self.source.chunks(), max_line_bytes):
            first = lineno + 1
            too_many = self._blank_run_end(batch)
            if too_many is not None:
                batch = batch[:too_many]  # the lines before the run still get checked
            start = 0
            while start < len(batch) and (self.account is None or self.strict):
                self._slow(first + start, batch[start])
                start += 1
            if start < len(batch):
                self._batch(batch[start:] if start else batch, first + start)
            lineno = first + len(batch) - 1
            self._progress_to(lineno)
            if too_many is not None:
                self._refuse(first + too_many, f"more than {MAX_BLANK_RUN} blank lines in a row")
        self.lineno = lineno

    def _blank_run_end(self, batch: list[bytes]) -> int | None:
        """The index in `batch` of the first line that makes a run of blank lines longer
        than MAX_BLANK_RUN (counting the run the last batch ended with), or None.

        Costs one strip per line, in C: a file of nothing but newlines is refused after
        its first MAX_BLANK_RUN + 1 lines instead of being parsed line by line."""
        count = len(batch)
        blank = np.fromiter(map(len, map(bytes.strip, batch, repeat(_BLANK))), np.int64, count) == 0
        if not blank.any():
            self.blank_run = 0
            return None
        positions = np.arange(count)
        # Index of the last non-blank line at or before each line; -1 - run carried in.
        last = np.maximum.accumulate(np.where(blank, -1 - self.blank_run, positions))
        runs = positions - last
        over = np.flatnonzero(runs > MAX_BLANK_RUN)
        if len(over):
            return int(over[0])
        self.blank_run = int(runs[-1]) if blank[-1] else 0
        return None

    def _progress_to(self, lineno: int) -> None:
        """Report progress for every multiple of `progress_every` up to `lineno`. Called
        before any line that may fail and at the end of each batch: lines taken by the
        fast path cannot fail, so the calls come in the same order as line by line."""
        while self.next_progress <= lineno:
            assert self.progress is not None
            self.progress(self.source.bytes_read, self.next_progress)
            self.next_progress += self.progress_every

    def _slow(self, lineno: int, raw: bytes) -> None:
        """One line through the field-by-field checks that explain every problem."""
        self._progress_to(lineno)
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            self._unparsable(lineno, raw, str(error))
            return
        self._line(lineno, obj)

    def _batch(self, lines: list[bytes], first: int) -> None:
        """Lines `first`, `first + 1`, ... (the account line is in).

        msgspec decodes the lines in C, and their interaction and follow lines are
        checked in bulk against the state at the start of the batch: every value must be
        proved valid (a known kind, a valid time, exactly one of 'by' and 'to', a handle
        that is valid and not the member's, a post declared before the batch). Every
        other line (posts, lines msgspec refused, lines not proved) then goes, in line
        order, through `_slow`, which checks field by field and explains; an
        interaction waiting only for a post declared earlier in the batch is proved
        then, when its turn comes. Proved lines cannot fail and only add to counters
        (follow lines are taken in line order), and new handles are indexed in line
        order, so the result, the errors and their order are those of reading line by
        line."""
        try:
            items: list[Any] = list(map(fastpath.decode_line, lines))
        except fastpath.DECODE_ERRORS:
            items = list(map(fastpath.decode_or_unread, lines))
        count = len(items)
        kinds = np.fromiter(map(_LINE_KIND.get, map(_get_kind, items), repeat(-1)), np.int64, count)
        bys = list(map(_get_by, items))
        tos = list(map(_get_to, items))
        # -2: absent (UNSET is a key of both dicts), -1: not known (yet), else an index.
        index_of_handle: dict[Any, int] = self.index_of_handle
        by_who = np.fromiter(map(index_of_handle.get, bys, repeat(-1)), np.int64, count)
        to_who = np.fromiter(map(index_of_handle.get, tos, repeat(-1)), np.int64, count)
        by_absent = by_who == -2
        one_of = by_absent != (to_who == -2)
        who = np.where(by_absent, to_who, by_who)
        # New spellings are hashed and indexed in the order they first appear, as line
        # by line; an invalid one (or the member's own) stays -1, so its lines are not
        # proved and `_line` explains them.
        for index in np.flatnonzero(one_of & (who == -1)).tolist():
            handle = tos[index] if bys[index] is UNSET else bys[index]
            known = index_of_handle.get(handle)
            if known is None:
                try:
                    known = self._new_counterpart(handle)
                except ValueError:
                    continue
                except _TooManyCounterparts:
                    self._too_many_counterparts(first + index)
            who[index] = known
        post_ids = list(map(_get_post, items))
        post_index: dict[Any, int] = self.post_index
        posts = np.fromiter(map(post_index.get, post_ids, repeat(-1)), np.int64, count)
        proved = (kinds >= 0) & one_of & (who >= 0)
        # Waiting for its post: maybe declared on an earlier line of this batch.
        waiting = proved & (posts == -1) & ~by_absent
        proved &= (posts == -2) | ((posts >= 0) & ~by_absent) | waiting
        if not proved.any():
            for index, raw in enumerate(lines):
                self._slow(first + index, raw)
            return
        ats = list(map(_get_at, items))
        micros, timed = fastpath.parse_times(ats)
        for index in np.flatnonzero(proved & ~timed).tolist():
            value = fastpath.exact_micros(ats[index])
            if value is None:
                proved[index] = False
            else:
                micros[index] = value
        waiting &= proved
        proved &= ~waiting
        rest = np.flatnonzero(~proved).tolist()
        if waiting.any():
            waits = set(np.flatnonzero(waiting).tolist())
            for index in rest:
                if index in waits:
                    post = post_index.get(post_ids[index])
                    if post is not None:
                        posts[index] = post
                        proved[index] = True
                        continue
                self._slow(first + index, lines[index])
        else:
            for index in rest:
                self._slow(first + index, lines[index])
        if not proved.all():
            kinds, who, by_absent, posts, micros = (
                kinds[proved],
                who[proved],
                by_absent[proved],
                posts[proved],
                micros[proved],
            )
        follows = kinds >= _KINDS
        if follows.any():
            self._follows(who[follows], kinds[follows], micros[follows])
            keep = ~follows
            kinds, who, by_absent, posts, micros = (
                kinds[keep],
                who[keep],
                by_absent[keep],
                posts[keep],
                micros[keep],
            )
        slots = who * _SLOTS + kinds * 2 + by_absent
        np.add.at(self.edge_counts, slots, 1)
        np.minimum.at(self.edge_first, slots, micros)
        np.maximum.at(self.edge_last, slots, micros)
        on_post = posts >= 0
        if on_post.any():
            pairs = (posts[on_post] * _KINDS + kinds[on_post]) << _PAIR_SHIFT | who[on_post]
            self.engaged.frombytes(pairs.tobytes())
        self.interactions += len(slots)

    def _follows(
        self, who: npt.NDArray[np.int64], kinds: npt.NDArray[np.int64], micros: fastpath.Micros
    ) -> None:
        """Proved follow lines, in line order, as `_follow` takes them."""
        times = fastpath.to_datetimes(micros)
        digests = self.digests
        into_of = (self.followers, self.following)
        for index, kind, at in zip(who.tolist(), kinds.tolist(), times, strict=True):
            into = into_of[kind - _KINDS]
            digest = digests[index]
            earlier = into.get(digest)
            if earlier is None or at < earlier:
                into[digest] = at
        earliest = times[int(micros.argmin())]
        latest = times[int(micros.argmax())]
        if self.follow_times:
            first, last = self.follow_times
            self.follow_times = [min(first, earliest), max(last, latest)]
        else:
            self.follow_times = [earliest, latest]

    def finish(self) -> Archive:
        """The Archive, or ArchiveInvalid with every error found."""
        if not self.started and not self.errors:
            self.errors.append(LineError(0, "the archive is empty"))
        if self.errors:
            raise ArchiveInvalid(self.errors[: self.max_errors], self.truncated)
        assert self.account is not None  # the first non-blank line was a valid account
        self.index_of_handle.clear()  # not needed any more; frees memory for what follows
        self.keywords.clear()  # the posts hold the strings themselves

        keys = np.array(self.digests, dtype=np.int64)  # by counterpart index
        self.index_of_digest.clear()
        size = len(self.digests) * _SLOTS
        slots = np.flatnonzero(self.edge_counts[:size])
        edge_columns = EdgeColumns(
            counterpart=keys[slots // _SLOTS],
            kind=(slots % _SLOTS) >> 1,
            given=(slots & 1).astype(np.bool_),
            count=self.edge_counts[slots],
            first_us=self.edge_first[slots],
            last_us=self.edge_last[slots],
        )
        self.edge_counts = self.edge_first = self.edge_last = np.zeros(0, np.int64)
        del slots
        first_seen: list[datetime] = []
        last_seen: list[datetime] = []
        if len(edge_columns):
            first_seen += fastpath.to_datetimes(
                edge_columns.first_us[[edge_columns.first_us.argmin()]]
            )
            last_seen += fastpath.to_datetimes(
                edge_columns.last_us[[edge_columns.last_us.argmax()]]
            )

        engaged = np.frombuffer(self.engaged, np.int64) if self.engaged else np.zeros(0, np.int64)
        post_kind = engaged >> _PAIR_SHIFT
        per_post_kind = np.bincount(post_kind, minlength=len(self.post_list) * _KINDS)
        per_post: list[list[int]] = per_post_kind.reshape(-1, _KINDS).tolist()
        for post, counts_of_post in zip(self.post_list, per_post, strict=True):
            post.counts = dict(zip(INTERACTION_KINDS, counts_of_post, strict=True))
            first_seen.append(post.at)
            last_seen.append(post.at)
        pairs = np.sort((post_kind // _KINDS) << _PAIR_SHIFT | (engaged & _PAIR_MASK))
        pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))] if len(pairs) else pairs
        del engaged, post_kind
        self.engaged = array("q")
        bounds = np.searchsorted(pairs >> _PAIR_SHIFT, np.arange(len(self.post_list) + 1))
        # One array of every post's engagers; each post's set is a view of its part.
        engagers = keys[pairs & _PAIR_MASK]
        del pairs
        starts_ends = zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)
        for post, (start, end) in zip(self.post_list, starts_ends, strict=True):
            if start < end:
                post.engagers = HandleKeys(engagers[start:end])
        del engagers
        first_seen += self.follow_times[:1]
        last_seen += self.follow_times[1:]
        return Archive(
            account=self.account,
            posts=self.posts,
            edge_columns=edge_columns,
            followers=self.followers,
            following=self.following,
            lines=self.lineno,
            interactions=self.interactions,
            bytes_read=self.source.bytes_read,
            content_sha256=self.source.sha256.hexdigest(),
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

    def _too_many_counterparts(self, lineno: int) -> NoReturn:
        limit = f"{self.max_counterparts:,}"
        self._refuse(
            lineno,
            f"more than {limit} distinct other accounts (followers, following and people "
            f"interacted with); one import takes at most {limit}",
        )

    def _too_many_posts(self) -> NoReturn:
        limit = f"{self.max_posts:,}"
        self._refuse(
            self.current_line, f"more than {limit} posts; one import takes at most {limit}"
        )

    def _too_many_keywords(self) -> NoReturn:
        limit = f"{self.max_keywords:,}"
        self._refuse(
            self.current_line,
            f"more than {limit} distinct tags and words in the posts' tags and text; one "
            f"import takes at most {limit}",
        )

    def _refuse(self, lineno: int, reason: str) -> NoReturn:
        self.started = True
        self.lineno = lineno
        self.errors.append(LineError(lineno, reason))
        raise _Refused

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
        self.current_line = lineno
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
        self.index_of_handle[UNSET] = -2

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
        # Only a valid post counts, and its keywords are taken only once it is valid.
        if len(self.post_list) >= self.max_posts:
            self._too_many_posts()
        post = PostAgg(post_id, at, self._keywords(tags), self._keywords(terms))
        self.posts[post_id] = post
        self.post_index[post_id] = len(self.post_list)
        self.post_list.append(post)

    def _keywords(self, words: list[str]) -> list[str]:
        """`words` as the archive's one copy of each: an archive of many posts that
        repeat tags or words holds each string once, not once per post."""
        known = self.keywords
        shared = [known.get(word, word) for word in words]
        for word in shared:
            if word not in known:
                if len(known) >= self.max_keywords:
                    self._too_many_keywords()
                known[word] = word
        return shared

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
        slot = who * _SLOTS + kind * 2 + (field == "to")
        micros = (at - fastpath.EPOCH) // fastpath.ONE_MICROSECOND
        self.edge_counts[slot] += 1
        if micros < self.edge_first[slot]:
            self.edge_first[slot] = micros
        if micros > self.edge_last[slot]:
            self.edge_last[slot] = micros
        if post >= 0:
            self.engaged.append((post * _KINDS + kind) << _PAIR_SHIFT | who)
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
        except _TooManyCounterparts:
            self._too_many_counterparts(self.current_line)

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
            if who >= self.max_counterparts:
                raise _TooManyCounterparts
            self.digests.append(digest)
            self.index_of_digest[digest] = who
            if (who + 1) * _SLOTS > len(self.edge_counts):
                self._grow()
        self.index_of_handle[handle] = who
        return who

    def _grow(self) -> None:
        """Room for twice as many counterparts' edge slots."""
        size = len(self.edge_counts)
        room = max(2 * size, 1024 * _SLOTS)
        for name, empty in (
            ("edge_counts", 0),
            ("edge_first", _NEVER_FIRST),
            ("edge_last", _NEVER_LAST),
        ):
            grown = np.full(room, empty, np.int64)
            grown[:size] = getattr(self, name)
            setattr(self, name, grown)
