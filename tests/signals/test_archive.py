"""The signal archive reader (signals.archive): plain pytest, no database, no Django."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, BinaryIO, cast
from unittest import mock

import orjson
import pytest

from signals.archive import (
    Archive,
    ArchiveInvalid,
    LineError,
    make_hasher,
    normalise_handle,
    read_archive,
)
from signals.archive import source as archive_source


def key_of(mac: bytes) -> int:
    """The stored handle key, computed here without the code under test."""
    return int.from_bytes(mac[:8], "big", signed=True)


SECRET = b"test-secret-0123456789abcdef"
ACCOUNT: dict[str, Any] = {
    "type": "account",
    "network": "mastodon",
    "handle": "@Alice@Example.Social",
    "followers": 1200,
    "following": 310,
    "created_at": "2019-04-01T00:00:00Z",
}
POST: dict[str, Any] = {
    "type": "post",
    "id": "p1",
    "at": "2026-10-01T12:00:00Z",
    "tags": ["privacy", "python"],
    "text": "optional; used for topics, then discarded",
}
LIKE: dict[str, Any] = {
    "type": "interaction",
    "kind": "like",
    "by": "bob@other.social",
    "post": "p1",
    "at": "2026-10-01T12:05:00Z",
}
RESHARE: dict[str, Any] = {
    "type": "interaction",
    "kind": "reshare",
    "to": "dave@y.social",
    "at": "2026-10-02T08:00:00Z",
}
FOLLOWER: dict[str, Any] = {
    "type": "follower",
    "by": "carol@x.social",
    "at": "2026-09-01T00:00:00Z",
}
FOLLOWING: dict[str, Any] = {
    "type": "following",
    "of": "dave@y.social",
    "at": "2026-08-01T00:00:00Z",
}
DESIGN_EXAMPLE = [ACCOUNT, POST, LIKE, RESHARE, FOLLOWER, FOLLOWING]
# Every counterpart handle used below, in the spellings that must never come out.
HANDLES = ["bob@other.social", "dave@y.social", "carol@x.social", "Bob@Other.Social", "carol"]


def encode(*lines: dict[str, Any] | str | bytes) -> bytes:
    """An archive from dicts (JSON-encoded), str or bytes (taken as is), one a line."""
    out = []
    for line in lines:
        if isinstance(line, dict):
            out.append(orjson.dumps(line))
        elif isinstance(line, str):
            out.append(line.encode())
        else:
            out.append(line)
    return b"\n".join(out) + b"\n"


def read(data: bytes, **options: Any) -> Archive:
    return read_archive(io.BytesIO(data), secret=SECRET, **options)


def refusal(*lines: dict[str, Any] | str | bytes, **options: Any) -> list[LineError]:
    """The errors for an archive that must be refused (and nothing returned)."""
    with pytest.raises(ArchiveInvalid) as refused:
        read(encode(*lines), **options)
    return refused.value.errors


def refusal_of(data: bytes, **options: Any) -> list[LineError]:
    with pytest.raises(ArchiveInvalid) as refused:
        read(data, **options)
    return refused.value.errors


def only_error(*lines: dict[str, Any] | str | bytes, **options: Any) -> LineError:
    errors = refusal(*lines, **options)
    assert len(errors) == 1, errors
    return errors[0]


def with_(line: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**line, **changes}


def without(line: dict[str, Any], key: str) -> dict[str, Any]:
    return {name: value for name, value in line.items() if name != key}


def digest(handle: str, network: str = "mastodon") -> int:
    return key_of(hmac.new(SECRET, f"{network}:{handle}".encode(), hashlib.sha256).digest())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


# -- a valid archive --------------------------------------------------------------------


def test_it_reads_the_design_example() -> None:
    data = encode(*DESIGN_EXAMPLE)

    archive = read(data)

    assert archive.account.network == "mastodon"
    assert archive.account.handle == "alice@example.social"
    assert (archive.account.followers, archive.account.following) == (1200, 310)
    assert archive.account.created_at == datetime(2019, 4, 1, tzinfo=UTC)
    assert archive.lines == 6
    assert archive.interactions == 2
    assert archive.bytes_read == len(data)
    assert archive.content_sha256 == hashlib.sha256(data).hexdigest()
    assert archive.first_at == at("2026-08-01T00:00:00+00:00")
    assert archive.last_at == at("2026-10-02T08:00:00+00:00")


def test_it_aggregates_received_and_given_interactions_into_edges() -> None:
    bob, dave = digest("bob@other.social"), digest("dave@y.social")
    archive = read(
        encode(
            ACCOUNT,
            POST,
            LIKE,
            with_(LIKE, at="2026-10-01T11:00:00Z"),
            with_(LIKE, at="2026-10-03T00:00:00Z"),
            with_(LIKE, kind="reply"),
            RESHARE,
        )
    )

    assert set(archive.edges) == {
        (bob, "like", "in"),
        (bob, "reply", "in"),
        (dave, "reshare", "out"),
    }
    likes = archive.edges[(bob, "like", "in")]
    assert likes.counterpart == bob
    assert (likes.kind, likes.direction, likes.count) == ("like", "in", 3)
    assert likes.first_at == at("2026-10-01T11:00:00+00:00")
    assert likes.last_at == at("2026-10-03T00:00:00+00:00")
    assert archive.edges[(dave, "reshare", "out")].count == 1
    assert archive.interactions == 5


def test_it_counts_engagement_on_each_post_by_kind_and_distinct_engager() -> None:
    archive = read(
        encode(
            ACCOUNT,
            POST,
            with_(POST, id="p2"),
            LIKE,
            with_(LIKE, at="2026-10-01T13:00:00Z"),
            with_(LIKE, by="erin@x.social", kind="reply"),
            with_(LIKE, post="p2"),
            without(LIKE, "post"),
        )
    )

    first = archive.posts["p1"]
    assert first.post_id == "p1"
    assert first.counts == {"like": 2, "reshare": 0, "reply": 1, "mention": 0}
    assert first.engagers == {digest("bob@other.social"), digest("erin@x.social")}
    assert archive.posts["p2"].counts["like"] == 1
    assert archive.posts["p2"].engagers == {digest("bob@other.social")}


def test_it_keeps_the_earliest_time_of_each_follower_and_following() -> None:
    archive = read(
        encode(
            ACCOUNT,
            FOLLOWER,
            with_(FOLLOWER, at="2025-01-01T00:00:00Z"),
            with_(FOLLOWER, at="2026-12-01T00:00:00Z"),
            FOLLOWING,
        )
    )

    assert archive.followers == {digest("carol@x.social"): at("2025-01-01T00:00:00+00:00")}
    assert archive.following == {digest("dave@y.social"): at("2026-08-01T00:00:00+00:00")}


def test_it_normalises_tags_and_reduces_text_to_terms() -> None:
    post = with_(
        POST,
        tags=["#Privacy", "python", "PRIVACY", " ##Rust "],
        text="Privacy engineering with Python, and privacy again: https://example.com/privacy-talk",
    )

    archive = read(encode(ACCOUNT, post))

    kept = archive.posts["p1"]
    assert kept.tags == ["privacy", "python", "rust"]
    assert kept.terms == ["privacy", "engineering", "python"]
    assert "again" not in repr(archive)  # the text itself is gone
    assert kept.at == at("2026-10-01T12:00:00+00:00")


def test_it_takes_no_terms_from_mentions_links_or_addresses() -> None:
    text = (
        'Thanks <a href="https://x.social/@carol" class="u-url mention">@<span>carol</span></a>'
        " and @dave@y.social for reviewing, mail frank@example.org, see https://grace.example"
    )

    archive = read(encode(ACCOUNT, with_(POST, text=text)))

    assert archive.posts["p1"].terms == ["thanks", "reviewing", "mail"]


def test_it_limits_terms_to_twenty() -> None:
    # 26 distinct six-letter words, none a stop word.
    text = " ".join("".join(chr(97 + (i * 7 + j) % 26) for j in range(6)) for i in range(40))

    archive = read(encode(ACCOUNT, with_(POST, text=text)))

    assert len(archive.posts["p1"].terms) == 20


def test_it_converts_offset_times_to_utc() -> None:
    archive = read(encode(ACCOUNT, with_(FOLLOWER, at="2026-09-01T02:00:00+02:00")))

    (when,) = archive.followers.values()
    assert when == datetime(2026, 9, 1, tzinfo=UTC)
    assert when.tzinfo is UTC


def test_it_skips_blank_lines_but_counts_them() -> None:
    errors = refusal(ACCOUNT, "", "   ", "\t", with_(POST, id=""))

    assert errors == [
        LineError(5, "'id' must be a non-empty string of at most 200 printable characters")
    ]
    assert read(encode(ACCOUNT, "", POST, "  ")).lines == 4


def test_it_allows_a_hundred_blank_lines_in_a_row() -> None:
    archive = read(encode(ACCOUNT, *[""] * 50, " \t", *["\r"] * 49, POST, *[""] * 100))

    assert archive.lines == 202
    assert list(archive.posts) == [POST["id"]]


def test_it_refuses_more_than_a_hundred_blank_lines_in_a_row_at_the_line_that_passes() -> None:
    errors = refusal(ACCOUNT, with_(POST, id=""), *[""] * 60, "  ", *[""] * 60, POST)

    assert errors == [
        LineError(2, "'id' must be a non-empty string of at most 200 printable characters"),
        LineError(103, "more than 100 blank lines in a row"),
    ]


def test_it_counts_a_blank_run_across_chunk_boundaries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_source, "CHUNK_BYTES", 7)

    errors = refusal(ACCOUNT, *[""] * 101)

    assert errors == [LineError(102, "more than 100 blank lines in a row")]


def test_it_refuses_a_megabyte_gzip_of_blank_lines_in_well_under_a_second() -> None:
    # A gzip file may hold many members: a gigabyte of newlines in about a megabyte.
    data = gzip.compress(b"\n" * (1 << 20), compresslevel=9) * 1024
    assert len(data) > 1_000_000
    started = time.process_time()

    errors = refusal_of(data, max_bytes=200 * 1024 * 1024)

    assert time.process_time() - started < 0.5
    assert errors == [LineError(101, "more than 100 blank lines in a row")]


def test_it_refuses_blank_lines_after_the_account_line_just_as_fast() -> None:
    data = gzip.compress(encode(ACCOUNT, POST)) + gzip.compress(b" \r\n" * (1 << 20)) * 100
    started = time.process_time()

    errors = refusal_of(data)

    assert time.process_time() - started < 0.5
    assert errors == [LineError(103, "more than 100 blank lines in a row")]


def follower(handle: str) -> dict[str, Any]:
    return {"type": "follower", "by": handle, "at": "2026-09-01T00:00:00Z"}


def test_it_takes_up_to_max_counterparts_distinct_accounts_in_any_spelling() -> None:
    people = [follower(f"p{n}@x.social") for n in range(3)] + [follower("@P0@X.Social")]

    archive = read(
        encode(ACCOUNT, POST, *people, with_(LIKE, by="p1@x.social")), max_counterparts=3
    )

    assert len(archive.followers) == 3


@pytest.mark.parametrize("chunk", [7, 1 << 20])
def test_it_refuses_one_counterpart_more_than_max_counterparts_at_its_line(
    monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(archive_source, "CHUNK_BYTES", chunk)
    people = [follower(f"p{n}@x.social") for n in range(3)]

    errors = refusal(ACCOUNT, POST, *people, with_(LIKE, by="new@x.social"), max_counterparts=3)

    assert errors == [
        LineError(
            6,
            "more than 3 distinct other accounts (followers, following and people "
            "interacted with); one import takes at most 3",
        )
    ]


def test_it_accepts_crlf_a_byte_order_mark_and_no_final_newline() -> None:
    data = b"\xef\xbb\xbf" + encode(*DESIGN_EXAMPLE).replace(b"\n", b"\r\n").rstrip(b"\r\n")

    archive = read(data)

    assert archive.interactions == 2
    assert archive.lines == 6


def test_it_reads_the_same_archive_whatever_the_chunk_boundaries() -> None:
    data = encode(*DESIGN_EXAMPLE, with_(LIKE, kind="mention"), "", FOLLOWER)
    expected = read(data)

    for size in (1, 2, 3, 7, 64):
        with mock.patch.object(archive_source, "CHUNK_BYTES", size):
            assert read(data) == expected


def test_it_reports_progress_every_n_lines_and_at_the_end() -> None:
    calls: list[tuple[int, int]] = []
    data = encode(ACCOUNT, *[FOLLOWER] * 9)

    read(data, progress=lambda done, lines: calls.append((done, lines)), progress_every=4)

    assert [lines for _, lines in calls] == [4, 8, 10]
    assert calls[-1] == (len(data), 10)


def test_it_accepts_gzip() -> None:
    data = encode(*DESIGN_EXAMPLE)

    archive = read(gzip.compress(data))

    assert archive == read(data)
    assert archive.content_sha256 == hashlib.sha256(data).hexdigest()
    assert archive.bytes_read == len(data)


# -- handles: normalised, hashed, never kept --------------------------------------------


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("@Bob@Mastodon.Social.", "bob@mastodon.social"),
        ("  alice@example.social\n", "alice@example.social"),
        ("@Octocat", "octocat"),
        ("Alice.Bsky.Social", "alice.bsky.social"),
        ("alice.bsky.social.", "alice.bsky.social"),
        ("ana@Bücher.Example", "ana@xn--bcher-kva.example"),
    ],
)
def test_it_normalises_handles(given: str, normalised: str) -> None:
    assert normalise_handle(given) == normalised


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("", "the handle is empty"),
        ("  @ ", "the handle is empty"),
        ("bob smith", "the handle contains whitespace"),
        ("bob\u00a0smith", "the handle contains whitespace"),
        ("bob\x00", "the handle contains control or invisible characters"),
        ("bob\u200b", "the handle contains control or invisible characters"),
        ("b" * 321, "the handle is longer than 320 characters"),
        ("bob@x@y.social", "the handle contains more than one '@'"),
        ("@@bob", "the handle has nothing before '@'"),
        ("bob@", "the handle has no domain after '@'"),
        ("bob@exa..mple", "the handle's domain is not a valid domain name"),
        ("bob@" + "x" * 64 + ".social", "the handle's domain is not a valid domain name"),
    ],
)
def test_it_refuses_bad_handles_without_quoting_them(given: str, reason: str) -> None:
    with pytest.raises(ValueError) as refused:
        normalise_handle(given)

    assert str(refused.value) == reason
    if given.strip():
        assert given.strip() not in str(refused.value)


def test_the_hasher_is_hmac_sha256_of_network_and_normalised_handle() -> None:
    hash_handle = make_hasher(SECRET, "mastodon")

    expected = key_of(hmac.new(SECRET, b"mastodon:bob@other.social", hashlib.sha256).digest())
    assert hash_handle("bob@other.social") == expected
    assert hash_handle("@Bob@Other.Social.") == expected
    assert make_hasher(SECRET, "github")("bob@other.social") != expected
    assert make_hasher(b"another-secret-0123456789", "mastodon")("bob@other.social") != expected


def test_the_hasher_handles_secrets_longer_than_a_block() -> None:
    secret = bytes(range(100))

    expected = key_of(hmac.new(secret, b"x:octocat", hashlib.sha256).digest())
    assert make_hasher(secret, "x")("@OctoCat") == expected


def test_the_hasher_refuses_a_short_secret_or_an_unknown_network() -> None:
    with pytest.raises(ValueError, match="at least 16 bytes"):
        make_hasher(b"short", "mastodon")
    with pytest.raises(ValueError, match="unknown network"):
        make_hasher(SECRET, "myspace")


def test_it_hashes_counterparts_after_normalising_them() -> None:
    archive = read(
        encode(
            ACCOUNT,
            POST,
            LIKE,
            with_(LIKE, by="@BOB@other.SOCIAL."),
            with_(LIKE, by=" bob@Other.Social"),
        )
    )

    expected = key_of(hmac.new(SECRET, b"mastodon:bob@other.social", hashlib.sha256).digest())
    assert list(archive.edges) == [(expected, "like", "in")]
    assert archive.edges[(expected, "like", "in")].count == 3


def test_it_hashes_with_the_network_of_the_account_line() -> None:
    archive = read(encode(with_(ACCOUNT, network="github", handle="alice"), FOLLOWER))

    assert list(archive.followers) == [digest("carol@x.social", network="github")]


def test_it_keeps_no_counterpart_handle_anywhere_in_the_archive() -> None:
    post = with_(POST, text="Great chat with @bob@other.social and carol@x.social about privacy")

    archive = read(encode(*DESIGN_EXAMPLE[:1], post, *DESIGN_EXAMPLE[2:]))

    dump = repr(archive).lower()
    for handle in HANDLES + ["bob", "dave", "carol", "other.social", "y.social", "x.social"]:
        assert handle.lower() not in dump
    assert "alice@example.social" in dump  # the member's own handle is kept in clear


def test_no_error_message_quotes_a_counterpart_handle() -> None:
    secret_handles = ["zed@hidden.social", "quinn@hidden.social", "@xavier@hidden.social"]
    bad_lines: list[dict[str, Any] | str] = []
    for handle in secret_handles:
        bad_lines += [
            with_(LIKE, by=handle, post="nope"),
            with_(LIKE, by=handle, to=handle),
            with_(LIKE, by=handle, kind=handle),
            with_(FOLLOWER, by=handle, at=handle),
            with_(FOLLOWER, by=handle + " x"),
            with_(FOLLOWER, **{handle: 1}),
            {"type": handle},
            with_(FOLLOWING, of=handle, extra=handle),
            with_(POST, id=handle),
        ]

    with pytest.raises(ArchiveInvalid) as refused:
        read(encode(ACCOUNT, POST, *bad_lines), max_errors=100)

    text = str(refused.value) + repr(refused.value.errors)
    assert len(refused.value.errors) == len(bad_lines) - len(secret_handles)  # post ids pass
    for handle in secret_handles:
        for part in (handle, handle.lstrip("@"), handle.lstrip("@").split("@")[0]):
            assert part not in text


# -- refusals: one per kind of bad line -------------------------------------------------


def test_it_refuses_an_empty_file() -> None:
    with pytest.raises(ArchiveInvalid) as refused:
        read(b"")

    assert refused.value.errors == [LineError(0, "the archive is empty")]
    assert str(refused.value) == "the archive is empty"


def test_it_refuses_a_file_of_blank_lines() -> None:
    assert refusal("", " ") == [LineError(0, "the archive is empty")]


def test_it_refuses_a_first_line_that_is_not_the_account() -> None:
    assert only_error(POST, ACCOUNT, LIKE) == LineError(
        1, "the first line must be the account line"
    )


def test_it_refuses_a_second_account_line() -> None:
    assert only_error(ACCOUNT, POST, ACCOUNT) == LineError(
        3, "a second account line; only one is allowed, on the first line"
    )


def test_it_refuses_a_line_that_is_not_json() -> None:
    assert only_error(ACCOUNT, '{"type":"post",') == LineError(2, "not valid JSON")


def test_it_refuses_invalid_utf8() -> None:
    line = orjson.dumps(POST).replace(b"optional", b"opt\xffional")

    assert only_error(ACCOUNT, line) == LineError(2, "invalid UTF-8")


def test_it_refuses_nul_bytes() -> None:
    assert only_error(ACCOUNT, b'{"type":"post"\x00}') == LineError(2, "not valid JSON")


def test_it_refuses_deep_nesting_without_crashing() -> None:
    assert only_error(ACCOUNT, "[" * 2000 + "]" * 2000) == LineError(
        2, "not valid JSON (nested too deeply)"
    )


def test_it_refuses_numbers_too_large_for_json() -> None:
    line = '{"type":"account","followers":1e400}'
    assert only_error(ACCOUNT, POST, line) == LineError(3, "not valid JSON (a number is too large)")


@pytest.mark.parametrize(
    ("line", "kind"),
    [("[1, 2]", "an array"), ('"account"', "a string"), ("42", "a number"), ("null", "null")],
)
def test_it_refuses_a_line_that_is_not_an_object(line: str, kind: str) -> None:
    assert only_error(ACCOUNT, line) == LineError(2, f"a line must be a JSON object, not {kind}")


def test_it_refuses_a_line_without_a_type() -> None:
    assert only_error(ACCOUNT, without(POST, "type")) == LineError(2, "'type' is missing")


def test_it_refuses_a_type_that_is_not_a_string() -> None:
    assert only_error(ACCOUNT, with_(POST, type=["post"])) == LineError(
        2, "'type' must be a string"
    )


def test_it_refuses_an_unknown_type() -> None:
    assert only_error(ACCOUNT, with_(POST, type="pots")) == LineError(2, "unknown type 'pots'")


def test_it_refuses_unknown_keys() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, weight=2)) == LineError(3, "unknown key 'weight'")
    assert only_error(ACCOUNT, with_(FOLLOWER, of="x@y.z", score=1)) == LineError(
        2, "unknown keys 'of', 'score'"
    )


@pytest.mark.parametrize(
    "value",
    ["-1", "1.5", "1e3", "true", '"12"', "null", "[]", "123456789012345678901234567890"],
    ids=["negative", "float", "exponent", "boolean", "string", "null", "array", "huge"],
)
def test_it_refuses_followers_that_are_not_a_non_negative_integer(value: str) -> None:
    line = orjson.dumps(ACCOUNT).replace(b'"followers":1200', b'"followers":' + value.encode())

    assert only_error(line) == LineError(1, "'followers' must be a non-negative integer")


def test_it_refuses_counts_above_ten_billion() -> None:
    assert read(encode(with_(ACCOUNT, following=10**10))).account.following == 10**10
    assert only_error(with_(ACCOUNT, following=10**10 + 1)) == LineError(
        1, "'following' must be at most 10000000000"
    )


def test_it_refuses_an_unknown_network() -> None:
    assert only_error(with_(ACCOUNT, network="myspace")) == LineError(
        1, "'network' must be one of bluesky, github, mastodon, other, x"
    )


def test_it_refuses_an_account_without_a_handle() -> None:
    assert only_error(without(ACCOUNT, "handle")) == LineError(1, "'handle' is missing")


def test_it_refuses_an_invalid_own_handle() -> None:
    assert only_error(with_(ACCOUNT, handle="al ice")) == LineError(
        1, "'handle' is not a valid handle: the handle contains whitespace"
    )


def test_it_refuses_a_time_without_a_timezone() -> None:
    assert only_error(with_(ACCOUNT, created_at="2019-04-01T00:00:00")) == LineError(
        1, "'created_at' must include a timezone, like 2026-10-01T12:00:00Z"
    )
    assert only_error(ACCOUNT, with_(FOLLOWER, at="2026-09-01")) == LineError(
        2, "'at' must include a timezone, like 2026-10-01T12:00:00Z"
    )


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", 1700000000, None])
def test_it_refuses_a_time_that_is_not_iso_8601(value: Any) -> None:
    reason = only_error(ACCOUNT, POST, with_(LIKE, at=value)).reason
    assert reason.startswith("'at' must be an ISO 8601 date-time")


def test_it_refuses_a_time_out_of_range_once_in_utc() -> None:
    assert only_error(ACCOUNT, with_(FOLLOWER, at="0001-01-01T00:00:00+01:00")) == LineError(
        2, "'at' is out of range"
    )


def test_it_refuses_a_missing_time() -> None:
    assert only_error(ACCOUNT, POST, without(LIKE, "at")) == LineError(3, "'at' is missing")


def test_it_refuses_a_post_id_that_is_too_long_or_not_a_string() -> None:
    reason = "'id' must be a non-empty string of at most 200 printable characters"
    assert read(encode(ACCOUNT, with_(POST, id="p" * 200))).posts
    assert only_error(ACCOUNT, with_(POST, id="p" * 201)) == LineError(2, reason)
    assert only_error(ACCOUNT, with_(POST, id=7)) == LineError(2, reason)
    assert only_error(ACCOUNT, with_(POST, id="p\n1")) == LineError(2, reason)


def test_it_refuses_a_post_id_used_twice() -> None:
    assert only_error(ACCOUNT, POST, POST) == LineError(
        3, "'id' p1 is already used by an earlier post"
    )


def test_it_refuses_bad_tags() -> None:
    many = "'tags' must be a list of at most 50 strings"
    assert only_error(ACCOUNT, with_(POST, tags="privacy")) == LineError(2, many)
    assert only_error(ACCOUNT, with_(POST, tags=["t"] * 51)) == LineError(2, many)
    assert only_error(ACCOUNT, with_(POST, tags=["ok", 3])) == LineError(
        2, "'tags' item 2 must be a string of at most 100 printable characters"
    )
    assert only_error(ACCOUNT, with_(POST, tags=["t" * 101])).reason.startswith("'tags' item 1")
    assert only_error(ACCOUNT, with_(POST, tags=["ok", "#"])) == LineError(
        2, "'tags' item 2 is empty"
    )


def test_it_refuses_text_that_is_too_long_or_not_a_string() -> None:
    reason = "'text' must be a string of at most 20000 characters"
    assert read(encode(ACCOUNT, with_(POST, text="a " * 10_000))).posts
    assert only_error(ACCOUNT, with_(POST, text="a" * 20_001)) == LineError(2, reason)
    assert only_error(ACCOUNT, with_(POST, text=["a"])) == LineError(2, reason)


def test_it_refuses_an_unknown_interaction_kind() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, kind="lik")) == LineError(
        3, "unknown kind 'lik'; expected like, reshare, reply or mention"
    )
    assert only_error(ACCOUNT, POST, with_(LIKE, kind=1)) == LineError(
        3, "'kind' must be one of like, reshare, reply or mention"
    )


def test_it_refuses_a_line_with_both_by_and_to() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, to="dave@y.social")) == LineError(
        3, "interaction has both 'by' and 'to'"
    )


def test_it_refuses_an_interaction_with_neither_by_nor_to() -> None:
    assert only_error(ACCOUNT, POST, without(LIKE, "by")) == LineError(
        3, "interaction needs 'by' (received) or 'to' (given)"
    )


def test_it_refuses_a_post_on_a_given_interaction() -> None:
    assert only_error(ACCOUNT, POST, with_(RESHARE, post="p1")) == LineError(
        3, "'post' is only allowed with 'by'"
    )


def test_it_refuses_a_post_that_was_not_declared_on_an_earlier_line() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, post="p9")) == LineError(
        3, "'post' p9 was not declared on an earlier line"
    )
    assert only_error(ACCOUNT, with_(LIKE, post="p2"), with_(POST, id="p2")) == LineError(
        2, "'post' p2 was not declared on an earlier line"
    )


def test_it_refuses_a_post_reference_that_is_not_a_string() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, post=1)) == LineError(3, "'post' must be a string")


def test_it_refuses_a_counterpart_that_is_not_a_string() -> None:
    assert only_error(ACCOUNT, with_(FOLLOWER, by=["bob"])) == LineError(2, "'by' must be a string")
    assert only_error(ACCOUNT, with_(RESHARE, to=None)) == LineError(2, "'to' must be a string")


def test_it_refuses_an_invalid_counterpart_handle() -> None:
    assert only_error(ACCOUNT, with_(FOLLOWING, of="")) == LineError(
        2, "'of' is not a valid handle: the handle is empty"
    )


def test_it_refuses_a_follower_or_following_without_its_handle() -> None:
    assert only_error(ACCOUNT, without(FOLLOWER, "by")) == LineError(2, "'by' is missing")
    assert only_error(ACCOUNT, without(FOLLOWING, "of")) == LineError(2, "'of' is missing")


def test_it_refuses_the_member_as_their_own_counterpart() -> None:
    assert only_error(ACCOUNT, POST, with_(LIKE, by="alice@EXAMPLE.social.")) == LineError(
        3, "'by' is the account's own handle"
    )
    assert only_error(ACCOUNT, with_(FOLLOWING, of="@alice@example.social")) == LineError(
        2, "'of' is the account's own handle"
    )


def test_it_refuses_a_line_longer_than_the_limit_and_reads_on() -> None:
    long_text = "x" * 3_000_000  # spans several read chunks
    errors = refusal(ACCOUNT, with_(POST, text=long_text), POST, with_(POST, id=""))

    assert errors == [
        LineError(2, "the line is longer than 65536 bytes"),
        LineError(4, "'id' must be a non-empty string of at most 200 printable characters"),
    ]


def test_it_refuses_a_long_last_line_without_a_newline() -> None:
    data = encode(ACCOUNT, POST) + b"x" * 300

    with pytest.raises(ArchiveInvalid) as refused:
        read(data, max_line_bytes=200)

    assert refused.value.errors == [LineError(3, "the line is longer than 200 bytes")]


# -- collecting errors ------------------------------------------------------------------


def test_it_collects_up_to_twenty_errors_then_stops() -> None:
    with pytest.raises(ArchiveInvalid) as refused:
        read(encode(ACCOUNT, *[with_(POST, id="")] * 30))

    errors = refused.value.errors
    assert len(errors) == 20
    assert [error.line for error in errors] == list(range(2, 22))
    assert refused.value.truncated
    assert str(refused.value).endswith("; stopped after 20 errors")


def test_it_reports_every_error_in_order_with_its_line() -> None:
    with pytest.raises(ArchiveInvalid) as refused:
        read(encode(ACCOUNT, "nope", POST, with_(LIKE, post="p9"), FOLLOWER, ACCOUNT))

    assert str(refused.value) == (
        "line 2: not valid JSON; line 4: 'post' p9 was not declared on an earlier line; "
        "line 6: a second account line; only one is allowed, on the first line"
    )
    assert not refused.value.truncated


def test_max_errors_can_be_lowered() -> None:
    errors = refusal(ACCOUNT, *["nope"] * 10, max_errors=3)

    assert errors == [LineError(line, "not valid JSON") for line in (2, 3, 4)]


def test_it_keeps_checking_lines_after_a_bad_account_line() -> None:
    errors = refusal(with_(ACCOUNT, followers=-1), POST, with_(LIKE, post="p9"))

    assert [error.line for error in errors] == [1, 3]


# -- size limits and gzip ---------------------------------------------------------------


class Tripwire(io.RawIOBase):
    """A stream that fails the test if read more than `limit` bytes into."""

    def __init__(self, data: bytes, limit: int) -> None:
        self.data = data
        self.limit = limit
        self.position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        assert self.position <= self.limit, "read past the cap"
        chunk = self.data[self.position : self.position + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def big_archive(lines: int) -> bytes:
    return encode(ACCOUNT, *[with_(FOLLOWER, by=f"user{i}@x.social") for i in range(lines)])


def test_it_enforces_max_bytes_while_streaming() -> None:
    data = big_archive(100_000)  # about 7 MB
    stream = Tripwire(data, limit=1_000_000 + 1)

    with pytest.raises(ArchiveInvalid) as refused:
        read_archive(cast(BinaryIO, stream), secret=SECRET, max_bytes=1_000_000)

    assert refused.value.errors == [LineError(0, "archive is larger than 1 MB")]
    assert stream.position <= 1_000_001


def test_it_accepts_an_archive_of_exactly_max_bytes() -> None:
    data = encode(*DESIGN_EXAMPLE)

    assert read(data, max_bytes=len(data)).bytes_read == len(data)
    with pytest.raises(ArchiveInvalid) as refused:
        read(data, max_bytes=len(data) - 1)
    assert refused.value.errors == [LineError(0, f"archive is larger than {len(data) - 1:,} bytes")]


def test_it_refuses_a_gzip_bomb_as_soon_as_the_cap_is_passed() -> None:
    bomb = gzip.compress(encode(ACCOUNT) + b" " * 60_000_000, compresslevel=9)
    stream = Tripwire(bomb, limit=16 * 1024)  # 60 MB inflates from ~60 kB

    with pytest.raises(ArchiveInvalid) as refused:
        read_archive(cast(BinaryIO, stream), secret=SECRET, max_bytes=2 * 1024 * 1024)

    assert refused.value.errors == [LineError(0, "archive is larger than 2 MB once decompressed")]


def test_it_refuses_a_gzipped_archive_of_many_lines_over_the_cap() -> None:
    data = gzip.compress(big_archive(100_000))  # about 7 MB inflated
    stream = Tripwire(data, limit=len(data) // 2)

    with pytest.raises(ArchiveInvalid) as refused:
        read_archive(cast(BinaryIO, stream), secret=SECRET, max_bytes=2_000_000)

    assert refused.value.errors == [LineError(0, "archive is larger than 2 MB once decompressed")]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],
        lambda data: data[:-8] + b"\0" * 8,
        lambda data: data[:12] + b"junk" + data[16:],
        lambda data: data + b"trailing garbage",
    ],
    ids=["truncated", "bad checksum", "corrupt", "trailing garbage"],
)
def test_it_refuses_broken_gzip(damage: Callable[[bytes], bytes]) -> None:
    with pytest.raises(ArchiveInvalid) as refused:
        read(damage(gzip.compress(big_archive(2_000))))

    assert refused.value.errors[-1] == LineError(0, "the gzip data is corrupt or truncated")


class Failing(io.RawIOBase):
    def __init__(self, data: bytes) -> None:
        self.data = data

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self.data:
            raise OSError("connection reset")
        size = min(len(buffer), len(self.data), 10)
        buffer[:size] = self.data[:size]
        self.data = self.data[size:]
        return size


@pytest.mark.parametrize("compress", [False, True], ids=["plain", "gzip"])
def test_errors_from_the_stream_itself_propagate(compress: bool) -> None:
    data = encode(*DESIGN_EXAMPLE)
    stream = Failing(gzip.compress(data)[:30] if compress else data)

    with pytest.raises(OSError, match="connection reset"):
        read_archive(cast(BinaryIO, stream), secret=SECRET)


def test_it_refuses_nonsense_options() -> None:
    with pytest.raises(ValueError):
        read(b"", max_errors=0)
    with pytest.raises(ValueError, match="at least 16 bytes"):
        read_archive(io.BytesIO(b""), secret=b"short")


# -- the fast path: many lines a batch ----------------------------------------------------


def many_likes(count: int) -> list[dict[str, Any]]:
    """Valid interaction lines, enough for the batch path, from a few counterparts."""
    return [
        with_(LIKE, by=f"user{number % 7}@other.social", at=f"2026-10-01T12:{number % 60:02d}:00Z")
        for number in range(count)
    ]


def test_a_bad_line_inside_a_big_batch_is_reported_with_its_own_line() -> None:
    lines: list[dict[str, Any] | str] = [ACCOUNT, POST, *many_likes(3000)]
    lines[1500] = with_(LIKE, at="2026-10-01T12:00:00")  # no timezone
    lines[2500] = with_(LIKE, by="carol@x.social", to="dave@y.social")
    lines[2999] = "nope"

    errors = refusal(*lines)

    assert errors == [
        LineError(1501, "'at' must include a timezone, like 2026-10-01T12:00:00Z"),
        LineError(2501, "interaction has both 'by' and 'to'"),
        LineError(3000, "not valid JSON"),
    ]


def test_an_interaction_may_name_a_post_declared_earlier_in_the_same_batch_only() -> None:
    later = with_(POST, id="p2")
    errors = refusal(
        ACCOUNT,
        POST,
        *many_likes(100),
        with_(LIKE, post="p2"),
        later,
        with_(LIKE, post="p2", kind="reply"),
        *many_likes(100),
    )

    assert errors == [LineError(103, "'post' p2 was not declared on an earlier line")]


def test_a_big_batch_reads_as_line_by_line_would() -> None:
    lines = [ACCOUNT, POST, *many_likes(2000), with_(POST, id="p2"), FOLLOWER, FOLLOWING]
    lines += [with_(LIKE, post="p2", at="2026-10-03T00:00:00.250+02:00"), RESHARE]

    archive = read(encode(*lines))

    assert archive.interactions == 2002
    assert archive.posts["p1"].counts == {"like": 2000, "reshare": 0, "reply": 0, "mention": 0}
    assert archive.posts["p2"].counts == {"like": 1, "reshare": 0, "reply": 0, "mention": 0}
    assert archive.posts["p1"].engagers == {
        digest(f"user{number}@other.social") for number in range(7)
    }
    assert archive.posts["p2"].engagers == {digest("bob@other.social")}
    edge = archive.edges[(digest("user0@other.social"), "like", "in")]
    assert (edge.count, edge.first_at, edge.last_at) == (
        286,
        at("2026-10-01T12:00:00+00:00"),
        at("2026-10-01T12:59:00+00:00"),
    )
    assert archive.followers == {digest("carol@x.social"): at("2026-09-01T00:00:00+00:00")}
    assert archive.following == {digest("dave@y.social"): at("2026-08-01T00:00:00+00:00")}
    assert archive.first_at == at("2026-08-01T00:00:00+00:00")
    assert archive.last_at == at("2026-10-02T22:00:00.250+00:00")
    assert list(archive.edges)[0] == (digest("user0@other.social"), "like", "in")
    strict = read(encode(*lines), strict=True)  # every line through the field checks
    assert strict == archive and strict.edges == archive.edges


def test_a_domain_that_nameprep_turns_into_a_space_is_refused() -> None:
    # Found by the idempotence property: U+00B4 becomes a space and a combining accent.
    for handle in ("´.", "bob@´.example"):
        with pytest.raises(ValueError, match="not a valid domain name"):
            normalise_handle(handle)


def test_edge_columns_and_aggregates_convert_both_ways() -> None:
    from signals.archive import EdgeColumns

    archive = read(encode(ACCOUNT, POST, LIKE, RESHARE, with_(LIKE, at="2026-10-03T00:00:00.5Z")))
    edges = archive.edges
    assert len(edges) == 2
    again = EdgeColumns.from_aggregates(edges.values())
    assert again.aggregates() == edges
    for name in ("counterpart", "kind", "given", "count", "first_us", "last_us"):
        assert (getattr(again, name) == getattr(archive.edge_columns, name)).all(), name


# -- posts and keywords: the limits that bound an import's memory -------------------------


def test_it_takes_up_to_max_posts_posts() -> None:
    posts = [with_(POST, id=f"p{n}") for n in range(1, 4)]

    archive = read(encode(ACCOUNT, *posts, LIKE), max_posts=3)

    assert list(archive.posts) == ["p1", "p2", "p3"]


def test_it_refuses_one_post_more_than_max_posts_at_its_line_and_counts_only_valid_ones() -> None:
    posts = [with_(POST, id=f"p{n}") for n in range(1, 4)]
    invalid = with_(POST, id="")  # refused on its own, and not counted as a post

    errors = refusal(ACCOUNT, *posts, invalid, with_(POST, id="p4"), LIKE, max_posts=3)

    assert errors == [
        LineError(5, "'id' must be a non-empty string of at most 200 printable characters"),
        LineError(6, "more than 3 posts; one import takes at most 3"),
    ]


def test_it_counts_each_distinct_tag_and_term_once_against_max_keywords() -> None:
    # privacy, python, optional, used, topics, discarded ("then" is a stop word): 6.
    posts = [with_(POST, id=f"p{n}") for n in range(1, 50)]

    archive = read(encode(ACCOUNT, *posts), max_keywords=6)

    assert archive.posts["p1"].tags == ["privacy", "python"]
    assert archive.posts["p1"].terms == ["optional", "used", "topics", "discarded"]
    # Each keyword is one string, shared by every post that has it.
    assert archive.posts["p1"].tags[0] is archive.posts["p49"].tags[0]
    assert archive.posts["p2"].terms[3] is archive.posts["p30"].terms[3]


def test_it_refuses_one_distinct_keyword_more_than_max_keywords_at_its_line() -> None:
    again = with_(POST, id="p2", tags=["PYTHON", "#rust"])  # python is known; rust is new

    errors = refusal(ACCOUNT, POST, again, max_keywords=6)

    assert errors == [
        LineError(
            3,
            "more than 6 distinct tags and words in the posts' tags and text; one import "
            "takes at most 6",
        )
    ]


def test_a_run_of_letters_longer_than_a_word_is_not_a_term() -> None:
    text = "a" * 101 + " " + "b" * 100 + " short"

    archive = read(encode(ACCOUNT, with_(POST, text=text)))

    assert archive.posts["p1"].terms == ["b" * 100, "short"]


def test_engagers_are_a_set_of_handle_keys_that_compares_with_sets() -> None:
    archive = read(
        encode(ACCOUNT, POST, LIKE, with_(LIKE, kind="reply"), with_(LIKE, by="e@x.social"))
    )

    engagers = archive.posts["p1"].engagers
    assert engagers == {digest("bob@other.social"), digest("e@x.social")}
    assert len(engagers) == 2 and digest("e@x.social") in engagers and 5 not in engagers
    assert {digest("bob@other.social"), digest("e@x.social")} == engagers
