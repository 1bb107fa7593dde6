"""Outbound HTTP to hosts a member chose (finding 5 and the SSRF bullet of issue 13):
refuse private addresses before connecting, with one message for every refusal, and hold
every request to a whole-request deadline, however slowly a server drips its bytes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import requests

from signals.connectors.errors import ProviderUnavailable, UnsafeHost
from signals.connectors.http import REFUSED_MESSAGE, HttpClient, normalise_instance, public_session

# --- SSRF: resolve first, refuse before connecting ---------------------------------------


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on loopback that never accepts by itself: any connection made
    to it waits in its backlog, where the test can see it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    try:
        yield sock
    finally:
        sock.close()


def connections_made(listener: socket.socket) -> int:
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_private_address_is_refused_before_any_connection(
    listener: socket.socket, host: str
) -> None:
    port = listener.getsockname()[1]
    with pytest.raises(UnsafeHost) as refused:
        public_session().get(f"http://{host}:{port}/", timeout=2)

    time.sleep(0.1)
    assert connections_made(listener) == 0
    assert refused.value.user_message == REFUSED_MESSAGE


def test_the_control_a_plain_socket_connection_is_seen(listener: socket.socket) -> None:
    # Shows the listener does see a connection, so the test above can fail.
    socket.create_connection(listener.getsockname(), timeout=2).close()
    time.sleep(0.1)
    assert connections_made(listener) == 1


@pytest.mark.parametrize(
    "typed",
    ["10.0.0.5", "8.8.8.8", "localhost", "mastodon.local", "db.internal", "mastodon.social:8080"],
)
def test_every_refusal_says_the_same_thing(typed: str) -> None:
    with pytest.raises(ValueError) as refused:
        normalise_instance(typed)
    assert str(refused.value) == REFUSED_MESSAGE


# --- The whole-request deadline ------------------------------------------------------------


def drip_server(respond: Callable[[socket.socket], None]) -> Iterator[str]:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.recv(65536)
                try:
                    respond_until(conn, respond, stop)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def respond_until(
    conn: socket.socket, respond: Callable[[socket.socket], None], stop: threading.Event
) -> None:
    conn.settimeout(1)
    respond(conn)


def drip(conn: socket.socket, data: bytes, every: float) -> None:
    for i in range(len(data)):
        conn.sendall(data[i : i + 1])
        time.sleep(every)


@pytest.fixture
def slow_body() -> Iterator[str]:
    """Headers at once, then a 40-byte body, one byte every 0.25 s (10 s in all)."""

    def respond(conn: socket.socket) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 40\r\n\r\n"
        )
        drip(conn, b'{"a": "' + b"x" * 31 + b'"}', 0.25)

    yield from drip_server(respond)


@pytest.fixture
def slow_headers() -> Iterator[str]:
    """The status line and headers themselves, one byte every 0.25 s."""

    def respond(conn: socket.socket) -> None:
        drip(conn, b"HTTP/1.1 200 OK\r\nX-Padding: " + b"p" * 40 + b"\r\n\r\n{}", 0.25)

    yield from drip_server(respond)


def client_for(base_url: str) -> HttpClient:
    # Each socket read may wait 1 s; the whole request gets 2 s.
    return HttpClient(
        provider="Slow", base_url=base_url, session=requests.Session(), timeout=1, deadline=2
    )


@pytest.mark.parametrize("server", ["slow_body", "slow_headers"])
def test_a_server_dripping_bytes_cannot_hold_a_request_past_its_deadline(
    server: str, request: pytest.FixtureRequest
) -> None:
    base_url = request.getfixturevalue(server)
    started = time.monotonic()
    with pytest.raises(ProviderUnavailable, match="timed out"):
        client_for(base_url).get("/", what="GET /")
    assert time.monotonic() - started < 3.5
