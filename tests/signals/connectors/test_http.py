"""Shared connector plumbing: instance names, the SSRF guard, HTML to text, body limits."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
import requests
import responses

from signals.connectors import http as connector_http
from signals.connectors.errors import ProviderResponseInvalid, UnsafeHost
from signals.connectors.http import HttpClient, normalise_instance, public_session
from signals.connectors.parsing import html_to_text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "mastodon.social"),
        ("https://Mastodon.Social/", "mastodon.social"),
        ("  mastodon.social.  ", "mastodon.social"),
        ("https://mastodon.social:443", "mastodon.social"),
        ("https://mastodon.social/@alice", "mastodon.social"),
        ("@alice@Mastodon.Social", "mastodon.social"),
        ("alice@fosstodon.org", "fosstodon.org"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_it_normalises_what_members_type(typed: str, expected: str) -> None:
    assert normalise_instance(typed) == expected


@pytest.mark.parametrize(
    "junk",
    [
        "",
        "   ",
        "not a domain",
        "ftp://mastodon.social",
        "mastodon..social",
        "-bad-.example",
        "https://user:secret@mastodon.social",
        "https://",
        "mastodon_social.example",
    ],
)
def test_it_refuses_junk_with_a_clear_message(junk: str) -> None:
    with pytest.raises(ValueError, match=r"(domain|server)"):
        normalise_instance(junk)


@pytest.mark.parametrize(
    "private",
    [
        "localhost",
        "http://localhost:3000",
        "127.0.0.1",
        "[::1]",
        "http://[::ffff:127.0.0.1]/",
        "10.0.0.5",
        "192.168.1.10",
        "169.254.169.254",
        "8.8.8.8",  # any IP literal: members name servers by domain
        "2130706433",  # 127.0.0.1 in decimal
        "0x7f.1",
        "127.1",
        "1.2.3.4.5",  # a numeric top-level label is never a public name
        "intranet",
        "mastodon.local",
        "db.internal",
        "printer.home.arpa",
        "mastodon.social:8080",
    ],
)
def test_it_refuses_private_hosts_by_default(private: str) -> None:
    with pytest.raises(ValueError):
        normalise_instance(private)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("localhost:3000", "localhost:3000"),
        ("http://127.0.0.1:3000/", "127.0.0.1:3000"),
        ("[::1]:3000", "[::1]:3000"),
        ("mastodon.local", "mastodon.local"),
    ],
)
def test_private_hosts_are_allowed_only_when_asked(typed: str, expected: str) -> None:
    assert normalise_instance(typed, allow_private=True) == expected


class _Handler(http.server.BaseHTTPRequestHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def loopback_server() -> Iterator[int]:
    _Handler.hits = 0
    server = http.server.HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_the_public_session_will_not_connect_to_a_private_address(
    loopback_server: int, host: str
) -> None:
    # "localhost" stands for any public-looking name that resolves somewhere private
    # (DNS rebinding): the check is on the address actually connected to.
    with pytest.raises(UnsafeHost):
        public_session().get(f"http://{host}:{loopback_server}/", timeout=2)

    assert _Handler.hits == 0


def test_a_plain_session_reaches_the_same_server(loopback_server: int) -> None:
    # The control for the test above: the server is there and answers.
    response = requests.get(f"http://127.0.0.1:{loopback_server}/", timeout=2)

    assert response.status_code == 200
    assert _Handler.hits == 1


def test_status_html_becomes_text_without_mentions() -> None:
    html = (
        '<p>Hi <span class="h-card"><a href="https://x.social/@bob" class="u-url mention">'
        "@<span>bob</span></a></span> &amp; all!<br>Read "
        '<a href="https://example.com/a/very/long/path"><span class="invisible">https://</span>'
        '<span class="ellipsis">example.com/a/very</span><span class="invisible">/long/path'
        '</span></a></p><p><a href="https://m.example/tags/Privacy" class="mention hashtag" '
        'rel="tag">#<span>Privacy</span></a></p>'
    )

    assert html_to_text(html) == "Hi & all!\nRead example.com/a/very\n#Privacy"


def test_an_oversized_body_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(connector_http, "MAX_RESPONSE_BYTES", 1000)
    client = HttpClient(
        provider="Test", base_url="https://api.example", session=requests.Session(), timeout=5
    )
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.example/big", body="[" + "1," * 2000 + "1]")

        with pytest.raises(ProviderResponseInvalid, match="too large"):
            client.get("/big", what="GET /big")


def test_deeply_nested_json_is_refused_not_crashed() -> None:
    client = HttpClient(
        provider="Test", base_url="https://api.example", session=requests.Session(), timeout=5
    )
    with responses.RequestsMock() as rsps:
        rsps.get("https://api.example/deep", body="[" * 100_000 + "]" * 100_000)

        with pytest.raises(ProviderResponseInvalid):
            client.get("/deep", what="GET /deep")
