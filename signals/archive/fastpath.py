"""Batch helpers for the reader's fast path: typed line decoding and vectorised times.

Nothing here decides that a line is wrong: it only proves lines right. Whatever it cannot
prove goes to the reader's line-by-line checks, which explain the problem, so error
messages and line numbers do not depend on this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from itertools import repeat
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt
from msgspec import UNSET, UnsetType

from . import checks

Micros = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND: Final = timedelta(microseconds=1)
# 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z, in microseconds since EPOCH.
MIN_MICROS: Final = -62_135_596_800_000_000
MAX_MICROS: Final = 253_402_300_800_000_000 - 1


class Interaction(
    msgspec.Struct,
    tag_field="type",
    tag="interaction",
    forbid_unknown_fields=True,
    gc=False,
):
    """An interaction line whose keys are known and whose values are all strings."""

    kind: str
    at: str
    by: str | UnsetType = UNSET
    to: str | UnsetType = UNSET
    post: str | UnsetType = UNSET


class _Mark:
    """A `kind` no JSON value can be: marks follow lines."""

    __slots__ = ()


FOLLOWER: Final = _Mark()
FOLLOWING: Final = _Mark()

# Every other line decodes to an object with the same attributes, so a batch is read
# column by column whatever its lines are. `kind` None marks a line that is no
# interaction nor follow line: the reader leaves it to the line-by-line path. Follow
# lines carry their handle as `by`, so it is hashed and indexed in line order with the
# others, and a mark as `kind`.


class Post(msgspec.Struct, tag_field="type", tag="post", gc=False):
    kind = None
    at = ""
    by = UNSET
    to = UNSET
    post = UNSET


class _Account(msgspec.Struct, tag_field="type", tag="account", gc=False):
    kind = None
    at = ""
    by = UNSET
    to = UNSET
    post = UNSET


class Follower(
    msgspec.Struct, tag_field="type", tag="follower", forbid_unknown_fields=True, gc=False
):
    by: str
    at: str
    kind = FOLLOWER
    to = UNSET
    post = UNSET


class Following(
    msgspec.Struct, tag_field="type", tag="following", forbid_unknown_fields=True, gc=False
):
    by: str = msgspec.field(name="of")
    at: str = msgspec.field()
    kind = FOLLOWING
    to = UNSET
    post = UNSET


class _Unread:
    """Stands in for a line msgspec refused (not JSON, blank, not an object, ...)."""

    __slots__ = ()
    kind = None
    at = ""
    by = UNSET
    to = UNSET
    post = UNSET


UNREAD: Final = _Unread()
_decoder = msgspec.json.Decoder(Interaction | Post | _Account | Follower | Following)
decode_line: Final = _decoder.decode
# A line msgspec cannot decode (or nests too deeply) goes to the line-by-line path.
DECODE_ERRORS: Final = (msgspec.DecodeError, RecursionError)


def decode_or_unread(line: bytes) -> object:
    """The decoded line, or UNREAD when msgspec refuses it."""
    try:
        return decode_line(line)
    except DECODE_ERRORS:
        return UNREAD


# Time layouts read in bulk, by string length: (fraction digits, has a +HH:MM offset).
# Any other spelling is checked one string at a time with checks.timestamp.
_LAYOUTS: Final[dict[int, tuple[int, bool]]] = {
    20: (0, False),  # 2026-10-01T12:00:00Z
    24: (3, False),  # 2026-10-01T12:00:00.123Z
    27: (6, False),  # 2026-10-01T12:00:00.123456Z
    25: (0, True),  # 2026-10-01T12:00:00+02:00
    29: (3, True),  # 2026-10-01T12:00:00.123+02:00
    32: (6, True),  # 2026-10-01T12:00:00.123456+02:00
}
_DATE_LITERALS: Final = ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"))
_DAYS_IN_MONTH: Final = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], np.int64)


def exact_micros(value: str) -> int | None:
    """Microseconds since EPOCH exactly as checks.timestamp reads `value`, or None if it
    would refuse it."""
    try:
        at = checks.timestamp(value, "at")
    except checks.Bad:
        return None
    return (at - EPOCH) // ONE_MICROSECOND


def parse_times(values: list[str]) -> tuple[Micros, Mask]:
    """Microseconds since EPOCH (UTC) for each string, and which ones were read.

    Reads in bulk only strict RFC 3339 spellings (`YYYY-MM-DDTHH:MM:SS`, optional 3 or 6
    fraction digits, then `Z` or `+HH:MM`/`-HH:MM`) that name a real, in-range time;
    every one of them means to checks.timestamp exactly what it means here. The rest
    (mask False) is left to `exact_micros`.
    """
    count = len(values)
    micros = np.zeros(count, np.int64)
    parsed = np.zeros(count, np.bool_)
    if not count:
        return micros, parsed
    lengths = np.fromiter(map(len, values), np.int64, count)
    shortest, longest = int(lengths.min()), int(lengths.max())
    spread = [shortest] if shortest == longest else np.unique(lengths).tolist()
    for length in spread:
        layout = _LAYOUTS.get(length)
        if layout is None:
            continue
        if shortest == longest:
            where = None
            chosen = values
        else:
            where = np.flatnonzero(lengths == length)
            chosen = list(map(values.__getitem__, where.tolist()))
        text = "".join(chosen)
        if not text.isascii():
            if where is None:
                where = np.arange(count)
            keep = [value.isascii() for value in chosen]
            where = where[np.array(keep, np.bool_)]
            chosen = [value for value, ascii in zip(chosen, keep, strict=True) if ascii]
            if not chosen:
                continue
            text = "".join(chosen)
        grid = np.frombuffer(text.encode("ascii"), np.uint8).reshape(-1, length)
        values_here, parsed_here = _read_grid(grid, *layout)
        if where is None:
            micros, parsed = values_here, parsed_here
        else:
            micros[where] = values_here
            parsed[where] = parsed_here
    return micros, parsed


def _pattern(length: int, fraction: int, offset: bool) -> tuple[npt.NDArray[np.uint8], ...]:
    """Per column of a layout: the lowest and highest byte allowed."""
    low = bytearray(b"0" * length)
    high = bytearray(b"9" * length)
    literals = list(_DATE_LITERALS)
    position = 19
    if fraction:
        literals.append((position, "."))
        position += 1 + fraction
    if offset:
        literals.append((position + 3, ":"))
        low[position], high[position] = ord("+"), ord("-")  # ',' is refused apart
    else:
        literals.append((position, "Z"))
    for column, char in literals:
        low[column] = high[column] = ord(char)
    return np.frombuffer(bytes(low), np.uint8), np.frombuffer(bytes(high), np.uint8)


_PATTERNS: Final = {length: _pattern(length, *layout) for length, layout in _LAYOUTS.items()}


def _read_grid(grid: npt.NDArray[np.uint8], fraction: int, offset: bool) -> tuple[Micros, Mask]:
    low, high = _PATTERNS[grid.shape[1]]
    good = np.asarray(((grid >= low) & (grid <= high)).all(axis=1), np.bool_)
    position = 19 + (1 + fraction if fraction else 0)

    def number(first: int, width: int) -> Micros:
        value = grid[:, first].astype(np.int64) - ord("0")
        for column in range(first + 1, first + width):
            value = value * 10 + grid[:, column] - ord("0")
        return value

    year, month, day = number(0, 4), number(5, 2), number(8, 2)
    hour, minute, second = number(11, 2), number(14, 2), number(17, 2)
    good &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1)
    good &= (hour <= 23) & (minute <= 59) & (second <= 59)
    month = np.where(good, month, 1)
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    good &= day <= _DAYS_IN_MONTH[month] + (leap & (month == 2))
    # Days since 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's
    # days_from_civil); rows already refused give some number, unused.
    shifted = year - (month <= 2)
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * ((month + 9) % 12) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    seconds = days * 86_400 + hour * 3_600 + minute * 60 + second
    if offset:
        sign_char = grid[:, position]
        good &= sign_char != ord(",")
        offset_hours, offset_minutes = number(position + 1, 2), number(position + 4, 2)
        good &= (offset_hours <= 23) & (offset_minutes <= 59)
        sign = np.where(sign_char == ord("-"), -1, 1)
        seconds = seconds - sign * (offset_hours * 3_600 + offset_minutes * 60)
    micros = seconds * 1_000_000
    if fraction:
        micros = micros + number(20, fraction) * 10 ** (6 - fraction)
    good &= (micros >= MIN_MICROS) & (micros <= MAX_MICROS)
    return np.where(good, micros, 0), good


def to_micros(values: Iterable[datetime]) -> Micros:
    """Microseconds since EPOCH for aware datetimes, exactly (the inverse of
    `to_datetimes`)."""
    return np.fromiter(((value - EPOCH) // ONE_MICROSECOND for value in values), np.int64)


def to_datetimes(micros: Micros) -> list[datetime]:
    """Aware UTC datetimes for microseconds since EPOCH (years 1 to 9999)."""
    result: list[datetime] = []
    step = 1 << 16  # bounds the naive datetimes held at once
    for start in range(0, len(micros), step):
        naive = micros[start : start + step].astype("datetime64[us]").tolist()
        result += map(datetime.combine, naive, map(datetime.time, naive), repeat(UTC))
    return result
