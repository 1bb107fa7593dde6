"""Property tests for the archive reader: generated valid archives round-trip exactly, and
one hostile line anywhere is refused with its own line number and nothing else."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signals.archive import (
    INTERACTION_KINDS,
    NETWORKS,
    ArchiveInvalid,
    checks,
    fastpath,
    normalise_handle,
    read_archive,
)
from signals.archive import source as archive_source
from signals.archive.source import BOM


def key_of(mac: bytes) -> int:
    """The stored handle key, computed here without the code under test."""
    return int.from_bytes(mac[:8], "big", signed=True)


SECRET = b"property-secret-0123456789abcdef"
OWN = "member@home.example"
MAX_LINE = 4096
# Domains as written -> as normalised (IDNA).
DOMAINS = {
    "x.social": "x.social",
    "Y.Example": "y.example",
    "bücher.example": "xn--bcher-kva.example",
}
BASE = datetime(2026, 1, 1, tzinfo=UTC)
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass
class Expected:
    """What the reader must produce, computed independently of it."""

    network: str
    lines: list[bytes] = field(default_factory=list)
    edges: dict[tuple[int, str, str], list[Any]] = field(default_factory=dict)
    post_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    engagers: dict[str, set[int]] = field(default_factory=dict)
    followers: dict[int, datetime] = field(default_factory=dict)
    following: dict[int, datetime] = field(default_factory=dict)
    times: list[datetime] = field(default_factory=list)
    interactions: int = 0
    handles: set[str] = field(default_factory=set)  # every spelling written

    def digest(self, canonical: str) -> int:
        message = f"{self.network}:{canonical}".encode()
        return key_of(hmac.new(SECRET, message, hashlib.sha256).digest())


locals_ = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
counterparts = st.tuples(locals_, st.sampled_from(sorted(DOMAINS)))


@st.composite
def spelling(draw: st.DrawFn, local: str, domain: str) -> str:
    """One of the ways a counterpart may be written; all normalise to the same handle."""
    text = f"{local}@{domain}"
    if draw(st.booleans()):
        text = "".join(c.upper() if draw(st.booleans()) else c for c in text)
    if draw(st.booleans()):
        text = "@" + text
    if draw(st.booleans()):
        text += "."
    return text


@st.composite
def moments(draw: st.DrawFn) -> tuple[str, datetime]:
    """A time as written (Z or an offset, with or without microseconds) and in UTC."""
    at = BASE + timedelta(seconds=draw(st.integers(-(10**8), 10**8)))
    if draw(st.booleans()):
        at += timedelta(microseconds=draw(st.integers(1, 999_999)))
    offset = draw(st.sampled_from([0, 0, 60, -300, 330]))
    if offset:
        written = at.astimezone(timezone(timedelta(minutes=offset))).isoformat()
    else:
        written = at.isoformat().replace("+00:00", "Z")
    return written, at


@st.composite
def archives(draw: st.DrawFn) -> Expected:
    """A valid archive and the aggregates it must produce."""
    network = draw(st.sampled_from(sorted(NETWORKS)))
    expected = Expected(network)
    account = {
        "type": "account",
        "network": network,
        "handle": draw(st.sampled_from([OWN, "@Member@Home.Example", "member@home.example."])),
        "followers": draw(st.integers(0, 10**10)),
        "following": draw(st.integers(0, 10**10)),
        "created_at": "2019-04-01T00:00:00+00:00",
    }
    expected.lines.append(orjson.dumps(account))
    people = draw(st.lists(counterparts, min_size=1, max_size=8, unique=True))
    posts: list[str] = []
    for _ in range(draw(st.integers(0, 40))):
        what = draw(st.sampled_from(["post", "interaction", "interaction", "follow", "blank"]))
        if what == "blank":
            expected.lines.append(draw(st.sampled_from([b"", b"  ", b"\t", b"\r"])))
            continue
        written, at = draw(moments())
        expected.times.append(at)
        if what == "post":
            post_id = f"p{len(posts)}"
            posts.append(post_id)
            line: dict[str, Any] = {"type": "post", "id": post_id, "at": written}
            if draw(st.booleans()):
                line["tags"] = draw(
                    st.lists(st.sampled_from(["python", "#Python", "rust"]), max_size=50)
                )
            if draw(st.booleans()):
                line["text"] = draw(st.text(max_size=200))
            expected.post_counts[post_id] = dict.fromkeys(INTERACTION_KINDS, 0)
            expected.engagers[post_id] = set()
            expected.lines.append(orjson.dumps(line))
            continue
        local, domain = draw(st.sampled_from(people))
        canonical = expected.digest(f"{local}@{DOMAINS[domain]}")
        handle = draw(spelling(local, domain))
        expected.handles.add(handle)
        if what == "follow":
            into, kind = draw(
                st.sampled_from(
                    [(expected.followers, "follower"), (expected.following, "following")]
                )
            )
            key = "by" if kind == "follower" else "of"
            into[canonical] = min(into.get(canonical, at), at)
            expected.lines.append(orjson.dumps({"type": kind, key: handle, "at": written}))
            continue
        kind = draw(st.sampled_from(INTERACTION_KINDS))
        direction = draw(st.sampled_from(["in", "out"]))
        line = {"type": "interaction", "kind": kind}
        line["by" if direction == "in" else "to"] = handle
        if direction == "in" and posts and draw(st.booleans()):
            post_id = draw(st.sampled_from(posts))
            line["post"] = post_id
            expected.post_counts[post_id][kind] += 1
            expected.engagers[post_id].add(canonical)
        line["at"] = written
        expected.lines.append(orjson.dumps(line))
        expected.interactions += 1
        edge = expected.edges.setdefault((canonical, kind, direction), [0, at, at])
        edge[0] += 1
        edge[1], edge[2] = min(edge[1], at), max(edge[2], at)
    return expected


def archive_bytes(lines: list[bytes]) -> bytes:
    return b"\n".join(lines) + b"\n"


def read(data: bytes) -> Any:
    return read_archive(io.BytesIO(data), secret=SECRET, max_line_bytes=MAX_LINE)


@PROPERTY_SETTINGS
@given(archives())
def test_valid_archives_round_trip_exactly(expected: Expected) -> None:
    data = archive_bytes(expected.lines)

    archive = read(data)

    assert archive.account.handle == OWN
    assert archive.lines == len(expected.lines)
    assert archive.interactions == expected.interactions
    assert {key: [e.count, e.first_at, e.last_at] for key, e in archive.edges.items()} == (
        expected.edges
    )
    assert {key: post.counts for key, post in archive.posts.items()} == expected.post_counts
    assert {key: post.engagers for key, post in archive.posts.items()} == expected.engagers
    assert archive.followers == expected.followers
    assert archive.following == expected.following
    assert archive.first_at == min(expected.times, default=None)
    assert archive.last_at == max(expected.times, default=None)
    assert archive.content_sha256 == hashlib.sha256(data).hexdigest()
    dump = repr(archive)
    for handle in expected.handles:
        assert handle not in dump


@PROPERTY_SETTINGS
@given(archives(), st.sampled_from([1, 5, 64]), st.booleans())
def test_chunk_boundaries_and_gzip_change_nothing(
    expected: Expected, chunk: int, compress: bool
) -> None:
    data = archive_bytes(expected.lines)
    plain = read(data)

    with mock.patch.object(archive_source, "CHUNK_BYTES", chunk):
        again = read(gzip.compress(data) if compress else data)

    assert again == plain


# -- hostile lines ------------------------------------------------------------------------

OWN_SPELLINGS = (OWN, "@Member@HOME.example.", " member@home.example ")


def is_one_of(value: object, names: Collection[str]) -> bool:
    return isinstance(value, str) and value in names


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
not_strings = json_values.filter(lambda value: not isinstance(value, str))
bad_handles = st.one_of(
    not_strings,
    st.sampled_from(["", "  ", "a b", "bob\x00", "@@x", "bob@", "x@y@z", "b" * 321, "a@x..y"]),
    st.sampled_from(OWN_SPELLINGS),  # the member as their own counterpart
)
bad_times = st.one_of(
    not_strings,
    st.sampled_from(["", "yesterday", "2026-01-01", "2026-01-01T00:00:00", "2026-02-30T00:00Z"]),
    st.sampled_from(["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "x" * 100]),
)
bad_counts = st.one_of(
    st.integers(max_value=-1),
    st.integers(min_value=10**10 + 1, max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)
bad_tags = st.one_of(
    json_values.filter(lambda value: not isinstance(value, list)),
    st.lists(st.just("ok"), min_size=51, max_size=60),
    st.lists(not_strings, min_size=1, max_size=3),
    st.sampled_from([["#"], ["ok", ""], ["t" * 101], ["a\x00b"]]),
)
VALID: dict[str, dict[str, Any]] = {
    "account": {
        "type": "account",
        "network": "other",
        "handle": OWN,
        "followers": 1,
        "following": 2,
        "created_at": "2020-01-01T00:00:00Z",
    },
    "post": {
        "type": "post",
        "id": "fresh",
        "at": "2026-01-01T00:00:00Z",
        "tags": ["a"],
        "text": "t",
    },
    "interaction": {
        "type": "interaction",
        "kind": "like",
        "by": "new@x.social",
        "at": "2026-01-01T00:00:00Z",
    },
    "follower": {"type": "follower", "by": "new@x.social", "at": "2026-01-01T00:00:00Z"},
    "following": {"type": "following", "of": "new@x.social", "at": "2026-01-01T00:00:00Z"},
}
BAD_VALUES: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "account": {
        "network": json_values.filter(lambda value: not is_one_of(value, NETWORKS)),
        "handle": bad_handles.filter(lambda value: not is_one_of(value, OWN_SPELLINGS)),
        "followers": bad_counts,
        "following": bad_counts,
        "created_at": bad_times,
    },
    "post": {
        "id": st.one_of(not_strings, st.just(""), st.just("p" * 201), st.just("p\n1")),
        "at": bad_times,
        "tags": bad_tags,
        "text": st.one_of(not_strings, st.just("a" * 20_001)),
    },
    "interaction": {
        "kind": json_values.filter(lambda value: not is_one_of(value, INTERACTION_KINDS)),
        "by": bad_handles,
        "post": st.one_of(not_strings, st.just("undeclared")),
        "at": bad_times,
    },
    "follower": {"by": bad_handles, "at": bad_times},
    "following": {"of": bad_handles, "at": bad_times},
}
ALL_KEYS = {key for line in VALID.values() for key in line} | {"to", "post"}
REQUIRED = {
    "account": ["type", "network", "handle", "followers", "following", "created_at"],
    "post": ["type", "id", "at"],
    "interaction": ["type", "kind", "by", "at"],
    "follower": ["type", "by", "at"],
    "following": ["type", "of", "at"],
}


@st.composite
def wrongly_typed_lines(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(sorted(VALID)))
    line = dict(VALID[kind])
    how = draw(st.sampled_from(["value", "missing", "extra", "both", "type"]))
    if how == "value":
        name = draw(st.sampled_from(sorted(BAD_VALUES[kind])))
        line[name] = draw(BAD_VALUES[kind][name])
    elif how == "missing":
        del line[draw(st.sampled_from(REQUIRED[kind]))]
    elif how == "extra":
        extra = draw(st.text(min_size=1, max_size=8).filter(lambda key: key not in ALL_KEYS))
        line[extra] = draw(json_values)
    elif how == "both":
        line = {**VALID["interaction"], "to": "other@x.social"}
    else:
        line["type"] = draw(json_values.filter(lambda value: not is_one_of(value, VALID)))
    return orjson.dumps(line)


def printable_json(draw: st.DrawFn) -> bytes:
    return orjson.dumps(draw(st.sampled_from(list(VALID.values()))))


@st.composite
def truncated_lines(draw: st.DrawFn) -> bytes:
    line = printable_json(draw)
    return line[: draw(st.integers(1, len(line) - 1))]


@st.composite
def invalid_utf8_lines(draw: st.DrawFn) -> bytes:
    line = printable_json(draw)
    at = draw(st.integers(0, len(line) - 1))
    return (
        line[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80"])) + line[at:]
    )


garbage = st.binary(min_size=1, max_size=300).filter(
    # Not blank, even once a byte order mark at the very start of the file is dropped.
    lambda line: b"\n" not in line and line.removeprefix(BOM).strip(b" \t\r") != b""
)
hostile = st.one_of(
    st.sampled_from(
        [
            b'{"type":"account","followers":1e999}',
            b'{"type":"post","id":"p1","at":"2026-01-01T00:00:00Z","tags":['
            + b"[" * 5000
            + b"]" * 5000
            + b"]}",
            b"[" * 3000 + b"]" * 3000,
            b"[" * 1100 + b"]" * 1100,
            b'{"type":"post\x00","id":"p"}',
            b'{"type":"post","id":"p\\u0000","at":"2026-01-01T00:00:00Z"}',
            b"\x00" * 10,
            b'{"type":"follower","by":"x@y.social","at":"2026-01-01T00:00:00Z"}' + b" " * MAX_LINE,
            b"{" * MAX_LINE + b"}",
            b"\xef\xbb\xbf{}",
            b'"just a string"',
            b"123456789012345678901234567890",
        ]
    ),
    st.integers(min_value=MAX_LINE + 1, max_value=3 * MAX_LINE).map(lambda size: b"x" * size),
)
bad_lines = st.one_of(
    garbage, truncated_lines(), wrongly_typed_lines(), invalid_utf8_lines(), hostile
)


@PROPERTY_SETTINGS
@given(archives(), bad_lines, st.data())
def test_one_bad_line_anywhere_is_refused_with_its_own_line_number(
    expected: Expected, bad: bytes, data: st.DataObject
) -> None:
    position = data.draw(st.integers(0, len(expected.lines)), label="position")
    lines = expected.lines[:position] + [bad] + expected.lines[position:]

    try:
        read(archive_bytes(lines))
    except ArchiveInvalid as refused:
        assert [error.line for error in refused.errors] == [position + 1], refused.errors
        text = str(refused)
        for handle in expected.handles | {"new@x.social", "other@x.social"}:
            assert handle not in text
    else:
        raise AssertionError(f"line {position + 1} was accepted: {bad[:200]!r}")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise_anything_but_archive_invalid(data: bytes) -> None:
    try:
        read(data)
    except ArchiveInvalid as refused:
        assert 1 <= len(refused.errors) <= 20
        assert all(error.line >= 0 and error.reason for error in refused.errors)


HANDLE_REASONS = {
    "the handle is empty",
    "the handle is longer than 320 characters",
    "the handle contains whitespace",
    "the handle contains control or invisible characters",
    "the handle contains more than one '@'",
    "the handle has nothing before '@'",
    "the handle has no domain after '@'",
    "the handle's domain is not a valid domain name",
}


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=400))
def test_normalising_a_handle_is_idempotent_or_refused_with_value_error(text: str) -> None:
    try:
        once = normalise_handle(text)
    except ValueError as refused:
        assert str(refused) in HANDLE_REASONS
        return
    assert normalise_handle(once) == once
    assert once == once.strip() and once and len(once) <= 320
    assert not any(char.isspace() for char in once)


# -- the fast path agrees with reading line by line ----------------------------------------


def outcome(data: bytes, *, strict: bool = False) -> tuple[Any, ...]:
    """Everything observable about reading `data`, dict orders included."""
    seen: list[tuple[int, int]] = []
    try:
        archive = read_archive(
            io.BytesIO(data),
            secret=SECRET,
            max_line_bytes=MAX_LINE,
            progress=lambda done, lines: seen.append((done, lines)),
            progress_every=3,
            strict=strict,
        )
    except ArchiveInvalid as refused:
        return ("refused", refused.errors, refused.truncated, seen)
    return (
        archive,
        archive.edges,
        list(archive.edges),
        list(archive.followers),
        list(archive.following),
        list(archive.posts),
        seen,
    )


@PROPERTY_SETTINGS
@given(
    archives(),
    st.lists(bad_lines, max_size=3),
    st.sampled_from([7, 64, 1 << 20]),
    st.data(),
)
def test_the_fast_path_reads_exactly_what_line_by_line_reads(
    expected: Expected, bad: list[bytes], chunk: int, data: st.DataObject
) -> None:
    lines = list(expected.lines)
    for line in bad:
        lines.insert(data.draw(st.integers(0, len(lines)), label="position"), line)
    raw = archive_bytes(lines)

    with mock.patch.object(archive_source, "CHUNK_BYTES", chunk):
        fast = outcome(raw)
        slow = outcome(raw, strict=True)

    assert fast == slow


@st.composite
def time_strings(draw: st.DrawFn) -> str:
    """Near misses and hits of the spellings the fast path reads in bulk."""
    numbers = (
        draw(st.integers(0, 10_000)),
        draw(st.integers(0, 13)),
        draw(st.integers(0, 32)),
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
        draw(st.integers(0, 61)),
    )
    text = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}".format(*numbers)
    text += draw(st.sampled_from(["", ".123", ".000000", ".999999", ".5", ".1234567"]))
    text += draw(
        st.sampled_from(
            ["Z", "+00:00", "-00:00", "+05:30", "-23:59", "+24:00", "+01:60", "z", "", "+0530"]
        )
    )
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from("0123456789-:T.Z+, x\u00e9\u0663")) + text[at + 1 :]
    return text


@settings(max_examples=1000, deadline=None)
@given(st.lists(time_strings(), min_size=1, max_size=12))
def test_times_read_in_bulk_mean_what_checks_timestamp_says(values: list[str]) -> None:
    micros, parsed = fastpath.parse_times(values)

    for value, value_micros, read_in_bulk in zip(
        values, micros.tolist(), parsed.tolist(), strict=True
    ):
        exact = fastpath.exact_micros(value)
        if read_in_bulk:
            assert exact == value_micros, value
        if exact is not None:
            assert fastpath.to_datetimes(np.array([exact], np.int64)) == [
                checks.timestamp(value, "at")
            ]


def test_the_usual_spellings_of_a_time_are_read_in_bulk() -> None:
    values = [
        "2026-10-01T12:00:00Z",
        "2024-02-29T23:59:59.123Z",
        "2026-10-01T12:00:00.123456Z",
        "2026-10-01T14:00:00+02:00",
        "2026-10-01T12:00:00.500-05:30",
        "0001-01-01T00:00:00.000001+00:00",
        "9999-12-31T23:59:59.999999Z",
    ]

    micros, parsed = fastpath.parse_times(values)

    assert parsed.all()
    assert micros.tolist() == [fastpath.exact_micros(value) for value in values]


def test_times_the_bulk_reader_must_leave_alone() -> None:
    values = [
        "2025-02-29T00:00:00Z",  # not a leap year
        "2026-10-01T24:00:00Z",
        "2026-10-01T12:00:60Z",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+00:01",  # before year 1 once in UTC
        "9999-12-31T23:59:59-00:01",  # after 9999 once in UTC
        "2026-10-01T12:00:00+24:00",
        "2026-10-01T12:00:00,05:00",
        "2026-10-01 12:00:00Z",  # fine for fromisoformat, left to it
    ]

    micros, parsed = fastpath.parse_times(values)

    assert not parsed.any()
    assert [fastpath.exact_micros(value) is None for value in values] == [
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        True,
        False,
    ]


line_bytes = st.sampled_from(
    [orjson.dumps(VALID[kind]) for kind in ("interaction", "follower", "following")]
    + [
        b'{"type":"interaction","kind":"reply","to":"x@y.social","at":"2026-01-01T00:00:00Z"}',
        b'{"type":"interaction","kind":"like","by":"x@y.social","post":"p1",'
        b'"at":"2026-01-01T00:00:00Z"}',
    ]
)


@settings(max_examples=2000, deadline=None)
@given(
    line_bytes,
    st.lists(
        st.tuples(
            st.integers(0, 200),
            st.integers(0, 2),
            st.sampled_from(
                list(b'{}[]:,"\\ \t\r\x00\x0cnulltrue0123456789.eE+-ubytoxpkat\xc3\xff')
            ),
        ),
        max_size=4,
    ),
)
def test_msgspec_decodes_a_line_only_as_orjson_does(
    line: bytes, edits: list[tuple[int, int, int]]
) -> None:
    mutated = bytearray(line)
    for at, how, byte in edits:
        at = min(at, len(mutated))
        if how == 0:
            mutated.insert(at, byte)
        elif how == 1 and at < len(mutated):
            mutated[at] = byte
        elif at < len(mutated):
            del mutated[at]
    decoded = fastpath.decode_or_unread(bytes(mutated))
    if decoded is fastpath.UNREAD or isinstance(decoded, fastpath.Post):
        return
    as_orjson = orjson.loads(bytes(mutated))  # must not raise
    assert type(as_orjson) is dict
    fields = {
        name: getattr(decoded, name)
        for name in ("kind", "at", "by", "to", "post")
        if type(getattr(decoded, name)) is str
    }
    if isinstance(decoded, fastpath.Interaction):
        assert as_orjson == {"type": "interaction", **fields}
    else:
        type_, key = (
            ("follower", "by") if isinstance(decoded, fastpath.Follower) else ("following", "of")
        )
        assert as_orjson == {"type": type_, key: fields["by"], "at": fields["at"]}


@PROPERTY_SETTINGS
@given(
    st.text(alphabet="aZ09_-.@ \t\u00e9\u200b", max_size=80)
    | st.from_regex(r"@?[a-z0-9_\-]{1,70}(\.[a-z0-9_\-]{0,64}){0,3}(@[a-z0-9\-.]{0,70})?\.?")
)
def test_the_canonical_shortcut_changes_no_result(text: str) -> None:
    from signals.archive import handles

    def full(value: str) -> str | Exception:
        try:
            return handles._normalise(value)
        except ValueError as refused:
            return refused

    def shortcut(value: str) -> str | Exception:
        try:
            return handles.normalise_handle(value)
        except ValueError as refused:
            return refused

    expected, got = full(text), shortcut(text)
    if isinstance(expected, Exception):
        assert isinstance(got, ValueError) and str(got) == str(expected)
    else:
        assert got == expected
