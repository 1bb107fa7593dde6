"""Bytes from the caller's stream to lines: gzip detection, size caps, line splitting.

Nothing here holds more than one chunk plus one line; a line longer than the limit is
skipped as it streams past, never assembled.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import zlib
from collections.abc import Iterator
from typing import BinaryIO, Final

CHUNK_BYTES: Final = 1 << 20
MB: Final = 1 << 20
GZIP_MAGIC: Final = b"\x1f\x8b"
BOM: Final = b"\xef\xbb\xbf"
# Stands in for an over-long line: no real line can be a newline, lines are split on it.
TOO_LONG: Final = b"\n"


class SourceProblem(Exception):
    """A whole-file problem found while reading (size, gzip); `reason` is for people."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Source:
    """Yields chunks of decompressed bytes, enforcing `max_bytes` on the bytes read and,
    for gzip, on the decompressed bytes as well, stopping as soon as it is passed."""

    def __init__(self, stream: BinaryIO, max_bytes: int | None) -> None:
        self.stream = stream
        self.max_bytes = max_bytes
        self.raw_read = 0
        self.bytes_read = 0  # decompressed
        self.gzipped = False
        self.stream_failed = False  # so a stream's own OSError is not taken for bad gzip
        self.sha256 = hashlib.sha256()  # of the decompressed bytes

    def chunks(self) -> Iterator[bytes]:
        # A small first read: if this is gzip, no more compressed bytes are taken than
        # decompression asks for.
        head = b""
        while len(head) < len(BOM):
            more = self.read_raw(len(BOM) - len(head))
            if not more:
                break
            head += more
        if head.startswith(GZIP_MAGIC):
            self.gzipped = True
            yield from self._gunzip(head)
            return
        data = head
        while data:
            self._count(data)
            yield data
            data = self.read_raw(CHUNK_BYTES)

    def read_raw(self, size: int) -> bytes:
        if self.max_bytes is not None:
            # One byte past the cap is enough to know that it was passed.
            size = min(size, self.max_bytes + 1 - self.raw_read)
            if size <= 0:
                raise SourceProblem(self._too_large())
        try:
            data = self.stream.read(size)
        except BaseException:
            self.stream_failed = True
            raise
        if not data:
            return b""
        self.raw_read += len(data)
        if self.max_bytes is not None and self.raw_read > self.max_bytes:
            raise SourceProblem(self._too_large())
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
                if self.stream_failed:
                    raise
                raise SourceProblem("the gzip data is corrupt or truncated") from None
            if not data:
                return
            self._count(data)
            yield data

    def _count(self, data: bytes) -> None:
        self.bytes_read += len(data)
        if self.max_bytes is not None and self.bytes_read > self.max_bytes:
            raise SourceProblem(self._too_large())
        self.sha256.update(data)

    def _too_large(self) -> str:
        assert self.max_bytes is not None
        size = format_size(self.max_bytes)
        if self.gzipped:
            return f"archive is larger than {size} once decompressed"
        return f"archive is larger than {size}"


class _Rewound:
    """The compressed stream with its already-read head put back in front."""

    def __init__(self, head: bytes, source: Source) -> None:
        self.head = head
        self.source = source

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = CHUNK_BYTES
        if self.head:
            data, self.head = self.head[:size], self.head[size:]
            return data
        return self.source.read_raw(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("the archive stream is read once, forwards")


def format_size(size: int) -> str:
    """50 * 2**20 or 50_000_000 -> "50 MB"; any other size in bytes, exactly."""
    for unit in (MB, 1_000_000):
        if size >= unit and size % unit == 0:
            return f"{size // unit} MB"
    return f"{size:,} bytes"


def line_batches(chunks: Iterator[bytes], max_line_bytes: int) -> Iterator[list[bytes]]:
    """Yield each chunk's complete lines, without their newlines; a final line without
    one comes last. A line longer than `max_line_bytes` comes as `TOO_LONG`. A UTF-8
    byte order mark at the very start is dropped.
    """
    carry = b""
    skipping = False  # inside an over-long line
    first = True
    for chunk in chunks:
        if first:
            first = False
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM) :]
        parts = chunk.split(b"\n")
        tail = parts.pop()
        if parts:
            if skipping:
                parts[0] = TOO_LONG
                skipping = False
            elif carry:
                parts[0] = carry + parts[0]
            if max(map(len, parts)) > max_line_bytes:
                parts = [TOO_LONG if len(part) > max_line_bytes else part for part in parts]
            carry = tail
            yield parts
        elif not skipping:
            carry += tail
        if not skipping and len(carry) > max_line_bytes:
            carry = b""
            skipping = True
    if skipping:
        yield [TOO_LONG]
    elif carry:
        yield [carry]
