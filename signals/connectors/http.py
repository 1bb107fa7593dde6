"""The connectors' HTTP client: paging, rate limits, size limits and the SSRF guard.

Plain Python on `requests`; nothing here imports Django.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NameResolutionError

from signals.connectors import parsing
from signals.connectors.errors import (
    ProviderResponseInvalid,
    ProviderUnavailable,
    RateLimited,
    ResourceGone,
    TokenRevoked,
    UnsafeHost,
)

USER_AGENT = "Influence/0.1 (+consent-first influence scoring)"
DEFAULT_RETRY_AFTER = 60.0
# A provider's reset time is trusted only this far: a hostile or broken server must
# not park a member's sync for days.
MAX_RETRY_AFTER = 3600.0
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
# Every refusal of a host says the same, so the answer tells nothing about a network.
REFUSED_MESSAGE = "We can only connect to public servers, named by their domain."


# --- rate limits ------------------------------------------------------------------


def _seconds_until(moment: datetime, current: datetime) -> float:
    return (moment - current).total_seconds()


def retry_after_seconds(headers: Mapping[str, str], current: datetime) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or HTTP date) or `X-RateLimit-Reset`.

    Retry-After wins. X-RateLimit-Reset is epoch seconds on GitHub and an ISO 8601
    timestamp on Mastodon; both are accepted. None when neither header is usable.
    """
    retry_after = (headers.get("Retry-After") or "").strip()
    if retry_after:
        try:
            return _clamp(float(retry_after))
        except ValueError:
            pass
        try:
            return _clamp(_seconds_until(parsedate_to_datetime(retry_after), current))
        except (TypeError, ValueError):
            pass
    reset = (headers.get("X-RateLimit-Reset") or "").strip()
    if reset:
        try:
            return _clamp(float(reset) - current.timestamp())
        except ValueError:
            pass
        try:
            return _clamp(_seconds_until(parsing.parse_time(reset, "X-RateLimit-Reset"), current))
        except ProviderResponseInvalid:
            pass
    return None


def _clamp(seconds: float) -> float:
    if seconds != seconds:  # NaN
        return DEFAULT_RETRY_AFTER
    return min(max(seconds, 1.0), MAX_RETRY_AFTER)


# --- instance names and the SSRF guard -------------------------------------------

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".localdomain",
    ".internal",
    ".intranet",
    ".lan",
    ".home.arpa",
    ".onion",
)


def normalise_instance(domain: str, *, allow_private: bool = False) -> str:
    """The bare, lower-case host of a Mastodon instance, from whatever the member typed.

    Accepts "mastodon.social", "https://Mastodon.Social/", "@alice@mastodon.social"
    or a profile URL. Refuses IP addresses, single-label names, localhost,
    private-use suffixes and ports unless `allow_private` (development only), all with
    the one REFUSED_MESSAGE. Raises ValueError with a message the member can read.
    """
    raw = (domain or "").strip()
    if not raw:
        raise ValueError("Enter your Mastodon server's domain, for example mastodon.social.")
    if "://" not in raw:
        if raw.count("@") and "/" not in raw:
            # A handle: "@alice@example.social" or "alice@example.social".
            raw = raw.rsplit("@", 1)[1]
        raw = "https://" + raw
    try:
        parts = urlsplit(raw)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        raise ValueError("That doesn't look like a server domain.") from None
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise ValueError("That doesn't look like a server domain.")
    host = host.rstrip(".").lower()
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("That doesn't look like a server domain.") from None

    if _is_ip_literal(host):
        if not allow_private:
            raise ValueError(REFUSED_MESSAGE)
    else:
        labels = host.split(".")
        if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
            raise ValueError("That doesn't look like a server domain.")
        private_name = (
            len(labels) < 2
            or host == "localhost"
            or host.endswith(_PRIVATE_SUFFIXES)
            or labels[-1].isdigit()
        )
        if private_name and not allow_private:
            raise ValueError(REFUSED_MESSAGE)
    if port is not None and port != 443:
        if not allow_private:
            raise ValueError(REFUSED_MESSAGE)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return f"[{host}]" if ":" in host else host


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        # inet_aton also accepts "127.1", "0x7f.1" and "2130706433": all loopback.
        socket.inet_aton(host)
        return True
    except OSError:
        return False


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _refused(reason: str) -> UnsafeHost:
    return UnsafeHost(f"refused a non-public host ({reason})", user_message=REFUSED_MESSAGE)


# --- the whole-request deadline --------------------------------------------------------

_scope = threading.local()


class _Deadline:
    """A whole-request deadline: when it passes, a timer thread shuts down every socket
    the request opened, which ends any read blocked on it, in the headers or the body.
    Socket timeouts alone bound each read, not their sum: one byte every few seconds
    would keep a request alive for ever."""

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._outer = getattr(_scope, "deadline", None)
        _scope.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _scope.deadline = self._outer

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _watch(sock: socket.socket | None) -> None:
    deadline: _Deadline | None = getattr(_scope, "deadline", None)
    if deadline is not None:
        deadline.watch(sock)


class _Watched:
    """Connection mixin: every socket a request uses is watched by its deadline."""

    sock: socket.socket | None

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _watch(self.sock)  # a kept-alive connection, reused
        super().request(*args, **kwargs)  # type: ignore[misc]


class _PublicOnly:
    """Resolves the host, refuses it if any address is not public, and only then connects,
    to the address it checked (so DNS rebinding between check and connect cannot dodge it).
    The address connected to is checked again."""

    _dns_host: str
    port: int

    def _new_conn(self) -> socket.socket:
        try:
            infos = socket.getaddrinfo(self._dns_host, self.port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise NameResolutionError(self._dns_host, self, exc) from exc  # type: ignore[arg-type]
        addresses = [info[4][0] for info in infos]
        if not addresses or not all(_public(a) for a in addresses):
            # Not an OSError on purpose: urllib3 would wrap and retry an OSError.
            raise _refused("resolved to a non-public address")
        name = self._dns_host
        self._dns_host = str(addresses[0])
        try:
            sock: socket.socket = super()._new_conn()  # type: ignore[misc]
        finally:
            self._dns_host = name
        try:
            public = _public(sock.getpeername()[0])
        except OSError:
            public = False
        if not public:
            sock.close()
            raise _refused("connected to a non-public address")
        return sock


def _public(address: object) -> bool:
    try:
        return is_public_address(str(address))
    except ValueError:
        return False


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _PublicHTTPConnection(_PublicOnly, _Watched, HTTPConnection):
    pass


class _PublicHTTPSConnection(_PublicOnly, _Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class _PublicHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PublicHTTPConnection


class _PublicHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PublicHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """Connections whose sockets the client's whole-request deadline can cut."""

    pools: dict[str, type[HTTPConnectionPool]] = {
        "http": _WatchedHTTPPool,
        "https": _WatchedHTTPSPool,
    }

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.pools)


class PublicOnlyAdapter(DeadlineAdapter):
    pools = {"http": _PublicHTTPPool, "https": _PublicHTTPSPool}


def public_session() -> requests.Session:
    """A session that connects only to public addresses (for member-chosen hosts).

    Proxy settings from the environment are ignored: through a proxy the guard
    would see the proxy's address, not the target's.
    """
    session = requests.Session()
    session.trust_env = False
    adapter = PublicOnlyAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# --- the client -------------------------------------------------------------------


@dataclass
class HttpClient:
    """One provider, one token: JSON GETs and POSTs mapped onto the ConnectorError family.

    Redirects are not followed and Link URLs must stay on `base_url`'s origin, so the
    token is never sent anywhere else. Bodies are capped in size. `timeout` bounds each
    socket operation; `deadline` (default three timeouts) bounds the whole request, from
    connecting to the last byte of the body.
    """

    provider: str
    base_url: str
    session: requests.Session
    timeout: float
    headers: dict[str, str] = field(default_factory=dict)
    deadline: float | None = None
    ratelimit_remaining: int | None = None
    truncated: bool = False

    def __post_init__(self) -> None:
        # The deadline needs connections it can cut; a session with its own (the
        # public-only one, or a test's mock) keeps them.
        for prefix in ("http://", "https://"):
            if type(self.session.get_adapter(prefix)) is HTTPAdapter:
                self.session.mount(prefix, DeadlineAdapter())

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def get(
        self,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        what: str,
    ) -> tuple[Any, requests.Response]:
        return self.send("GET", path_or_url, params=params, headers=headers, what=what)

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        what: str,
    ) -> tuple[Any, requests.Response]:
        url = path_or_url if "://" in path_or_url else self.url(path_or_url)
        self._same_origin(url, what)
        merged = {"User-Agent": USER_AGENT, **self.headers, **(headers or {})}
        seconds = self.deadline if self.deadline is not None else max(self.timeout * 3, 1.0)
        with _Deadline(seconds) as deadline:
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    data=data,
                    headers=merged,
                    timeout=self.timeout,
                    allow_redirects=False,
                    stream=True,
                )
                body = self._read(response, what, until=time.monotonic() + seconds)
            except requests.Timeout:
                raise self.unavailable(f"{what}: timed out") from None
            except requests.RequestException as exc:
                if deadline.expired:
                    raise self.unavailable(f"{what}: timed out") from None
                raise self.unavailable(f"{what}: {type(exc).__name__}") from None
            if deadline.expired:  # a body cut short by the deadline is not a body
                raise self.unavailable(f"{what}: timed out")
        self._note_remaining(response)
        self._check_status(response, body, what)
        try:
            return json.loads(body), response
        except (ValueError, RecursionError):
            raise self.invalid(f"{what}: body is not JSON") from None

    def paginate(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        max_pages: int,
        what: str,
    ) -> Iterator[list[Any]]:
        """Pages of a list endpoint, following Link rel="next" up to `max_pages`."""
        url: str | None = path
        page_params = params
        for _ in range(max_pages):
            assert url is not None
            data, response = self.get(url, params=page_params, headers=headers, what=what)
            items = parsing.need_list(data, what)
            yield items
            url = next_link(response)
            page_params = None  # the next link carries them
            if url is None or not items:
                return
        self.truncated = True

    def _same_origin(self, url: str, what: str) -> None:
        want = urlsplit(self.base_url)
        got = urlsplit(url)
        if (got.scheme, got.netloc.lower()) != (want.scheme, want.netloc.lower()):
            raise self.invalid(f"{what}: link points away from the provider")

    def _read(self, response: requests.Response, what: str, *, until: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=8192):
                size += len(chunk)
                if size > MAX_RESPONSE_BYTES:
                    raise self.invalid(f"{what}: response too large")
                if time.monotonic() > until:
                    raise self.unavailable(f"{what}: timed out")
                chunks.append(chunk)
        finally:
            response.close()
        return b"".join(chunks)

    def _note_remaining(self, response: requests.Response) -> None:
        value = response.headers.get("X-RateLimit-Remaining")
        if value is not None:
            try:
                self.ratelimit_remaining = int(float(value))
            except ValueError:
                pass

    def _check_status(self, response: requests.Response, body: bytes, what: str) -> None:
        status = response.status_code
        if 200 <= status < 300:
            return
        headers = response.headers
        label = f"{what}: HTTP {status}"
        if status in (403, 429):
            wait = retry_after_seconds(headers, parsing.now())
            exhausted = headers.get("X-RateLimit-Remaining", "").strip() == "0"
            # GitHub's secondary limits are a 403 with only a message to go on.
            secondary = status == 403 and b"rate limit" in body[:2000].lower()
            if status == 429 or exhausted or "Retry-After" in headers or secondary:
                raise RateLimited(
                    f"{label} (rate limited)",
                    retry_after=wait if wait is not None else DEFAULT_RETRY_AFTER,
                    user_message=f"{self.provider} asked us to slow down — the sync will "
                    "continue in a few minutes.",
                )
        if status == 401:
            raise TokenRevoked(
                label,
                user_message=f"{self.provider} access was revoked — reconnect your account.",
            )
        if status == 403:
            raise TokenRevoked(
                label,
                user_message=f"{self.provider} refused access to your account — reconnect "
                "it to continue.",
            )
        if status in (404, 410):
            raise ResourceGone(label, user_message=self.invalid("").user_message)
        if status >= 500:
            raise self.unavailable(label)
        raise self.invalid(label)

    def unavailable(self, message: str) -> ProviderUnavailable:
        return ProviderUnavailable(
            message,
            user_message=f"{self.provider} isn't responding right now — we'll try again later.",
        )

    def invalid(self, message: str) -> ProviderResponseInvalid:
        return ProviderResponseInvalid(
            message,
            user_message=f"{self.provider} sent a reply we couldn't read, so this sync "
            "stopped. We'll look into it.",
        )


def link(response: requests.Response, rel: str) -> str | None:
    """The absolute URL of a Link header relation ("next", "prev", "last", ...)."""
    target = response.links.get(rel, {}).get("url")
    if not target:
        return None
    return urljoin(response.url or "", target)


def next_link(response: requests.Response) -> str | None:
    return link(response, "next")
