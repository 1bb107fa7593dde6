"""Handle normalisation and keyed hashing, so counterparts are never stored in clear."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from .model import MAX_HANDLE_CHARS, MIN_SECRET_BYTES, NETWORKS

_SHA256_BLOCK = 64


# Handles already in canonical form (lowercase ASCII, dot-separated parts of 1 to 63
# characters, at most one '@'): normalising them changes nothing, so the checks below are
# skipped for them. Anything else takes the full path, which decides and explains.
_PART = r"[a-z0-9_\-]{1,63}(?:\.[a-z0-9_\-]{1,63})*"
_CANONICAL = re.compile(f"{_PART}(?:@{_PART})?")


def normalise_handle(handle: str) -> str:
    """Return the canonical form of a handle, so that one person always hashes the same.

    Lowercases, strips surrounding whitespace and one leading '@'; a domain (after '@',
    or the whole handle when it has a dot, as on Bluesky) loses one trailing dot and is
    IDNA-encoded. Raises ValueError, never quoting the handle, when it is empty, holds
    whitespace or control characters, or is longer than 320 characters.
    """
    if isinstance(handle, str):
        text = handle[1:] if handle.startswith("@") else handle
        if len(text) <= MAX_HANDLE_CHARS and _CANONICAL.fullmatch(text):
            return text
    return _normalise(handle)


def _normalise(handle: str) -> str:
    if not isinstance(handle, str):
        raise ValueError("a handle must be a string")
    text = handle.strip()
    if text.startswith("@"):
        text = text[1:]
    if not text:
        raise ValueError("the handle is empty")
    if len(text) > MAX_HANDLE_CHARS:
        raise ValueError(f"the handle is longer than {MAX_HANDLE_CHARS} characters")
    if not text.isprintable():
        if any(char.isspace() for char in text):
            raise ValueError("the handle contains whitespace")
        raise ValueError("the handle contains control or invisible characters")
    if " " in text:
        raise ValueError("the handle contains whitespace")
    text = text.lower()
    if "@" in text:
        local, _, domain = text.partition("@")
        if "@" in domain:
            raise ValueError("the handle contains more than one '@'")
        if not local:
            raise ValueError("the handle has nothing before '@'")
        text = f"{local}@{_normalise_domain(domain)}"
    elif "." in text:
        text = _normalise_domain(text)
    if len(text) > MAX_HANDLE_CHARS:
        raise ValueError(f"the handle is longer than {MAX_HANDLE_CHARS} characters")
    return text


def _normalise_domain(domain: str) -> str:
    if domain.endswith("."):
        domain = domain[:-1]
    if not domain:
        raise ValueError("the handle has no domain after '@'")
    if domain.isascii():
        # What the idna codec does with an all-ASCII name, without its overhead.
        labels = domain.split(".")
        if "" in labels or max(map(len, labels)) > 63:
            raise ValueError("the handle's domain is not a valid domain name")
        return domain
    try:
        encoded = domain.encode("idna").decode("ascii")
    except UnicodeError:
        # The codec's message can quote the label, so it is not passed on.
        raise ValueError("the handle's domain is not a valid domain name") from None
    # Nameprep can turn a character into a space (U+00B4 becomes a space and an accent).
    if "" in encoded.split(".") or not encoded.isprintable() or " " in encoded:
        raise ValueError("the handle's domain is not a valid domain name")
    return encoded


def check_hash_key(secret: bytes, network: str) -> None:
    """Raise ValueError unless `secret` and `network` can key handle hashes."""
    if not isinstance(secret, bytes) or len(secret) < MIN_SECRET_BYTES:
        raise ValueError(f"the hashing secret must be at least {MIN_SECRET_BYTES} bytes")
    if network not in NETWORKS:
        raise ValueError(f"unknown network; expected one of {', '.join(sorted(NETWORKS))}")


def handle_key(digest: bytes) -> int:
    """The stored form of a keyed hash: its first 64 bits as a signed big-endian integer.

    A truncated HMAC-SHA256 (RFC 2104, section 5): it keeps less about the person than
    the whole digest, and fits a BIGINT column, so the signal tables index and join on
    integers. Two of ten million handles meet by chance with odds of about 3 in a
    million; such a pair would count as one engager. See docs/privacy.md.
    """
    return int.from_bytes(digest[:8], "big", signed=True)


class KeyedHash:
    """HMAC-SHA256(secret, "network:normalised handle"), kept as `handle_key`, uncached.

    The same bytes as `hmac.new(secret, message, "sha256").digest()`, computed from
    pre-keyed inner and outer SHA-256 states: a copy of those costs far less than
    keying a new HMAC for each of a hundred thousand handles.
    """

    __slots__ = ("_inner", "_outer", "_prefix")

    def __init__(self, secret: bytes, network: str) -> None:
        check_hash_key(secret, network)
        if len(secret) > _SHA256_BLOCK:
            secret = hashlib.sha256(secret).digest()
        key = secret.ljust(_SHA256_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(byte ^ 0x36 for byte in key))
        self._outer = hashlib.sha256(bytes(byte ^ 0x5C for byte in key))
        self._prefix = f"{network}:"

    def __call__(self, handle: str) -> int:
        inner = self._inner.copy()
        inner.update((self._prefix + normalise_handle(handle)).encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return int.from_bytes(outer.digest()[:8], "big", signed=True)


def make_hasher(secret: bytes, network: str) -> Callable[[str], int]:
    """Return a memoised `handle -> handle_key(HMAC)` function for one network.

    The cache is keyed by the handle as given and grows with the number of distinct
    handles, which is what an import needs: the same counterpart repeats a lot.
    Raises ValueError for a short secret or an unknown network.
    """
    keyed_hash = KeyedHash(secret, network)
    cache: dict[str, int] = {}

    def hash_handle(handle: str) -> int:
        digest = cache.get(handle)
        if digest is None:
            digest = cache[handle] = keyed_hash(handle)
        return digest

    return hash_handle
