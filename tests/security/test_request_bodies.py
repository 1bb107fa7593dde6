"""Finding 11: anonymous uploads. A body over its view's limit is refused from its
Content-Length (413) before a byte of it is read; a body that lies about its length is
never read past the limit; a body that trickles in is cut at a deadline (408). Only the
import upload view, for a signed-in member, takes large bodies."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from profiles.models import User

pytestmark = pytest.mark.django_db

BIG = 5 * 1024 * 1024
BOUNDARY = "BoUnDaRy"


class CountingInput(io.RawIOBase):
    """A request body that counts how much of it the server read, optionally slowly."""

    def __init__(self, data: bytes, *, pause: float = 0.0) -> None:
        self.source = io.BytesIO(data)
        self.read_bytes = 0
        self.pause = pause

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.pause:
            time.sleep(self.pause)
            size = 1024 if size is None or size < 0 else min(size, 1024)
        chunk = self.source.read(size)
        self.read_bytes += len(chunk)
        return chunk

    def readline(self, size: int = -1) -> bytes:  # type: ignore[override]
        line = self.source.readline(size)
        self.read_bytes += len(line)
        return line


def multipart(size: int, field: str = "file") -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + b"x" * size
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


def post(client: Client, path: str, body: CountingInput, length: int | None) -> Any:
    extra: dict[str, Any] = {
        "wsgi.input": body,
        "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
    }
    if length is not None:
        extra["CONTENT_LENGTH"] = str(length)
    return client.generic("POST", path, b"", **extra)


@pytest.fixture
def upload_dir(settings, tmp_path: Path) -> Path:
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    return tmp_path


@pytest.mark.parametrize("name", ["receipt_verify", "account_login"])
def test_an_oversized_anonymous_body_is_refused_before_it_is_read(
    client: Client, upload_dir: Path, name: str
) -> None:
    data = multipart(BIG)
    body = CountingInput(data)

    response = post(client, reverse(name), body, len(data))

    assert response.status_code == 413
    assert body.read_bytes == 0
    assert list(upload_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["receipt_verify", "account_login"])
def test_a_body_that_lies_about_its_length_is_not_read_past_the_limit(
    client: Client, upload_dir: Path, name: str
) -> None:
    body = CountingInput(multipart(BIG))

    response = post(client, reverse(name), body, 1000)  # claims 1000 bytes, sends 5 MB

    assert response.status_code in (200, 400, 403)
    assert body.read_bytes <= 1000
    assert list(upload_dir.iterdir()) == []


def test_a_body_without_a_length_is_not_read(client: Client, upload_dir: Path) -> None:
    body = CountingInput(multipart(BIG))
    post(client, reverse("receipt_verify"), body, None)
    assert body.read_bytes == 0


def test_a_trickling_body_is_cut_at_the_deadline(client: Client, settings) -> None:
    settings.REQUEST_BODY_SECONDS = 1
    data = multipart(200 * 1024)
    body = CountingInput(data, pause=0.2)  # 1 KiB every 0.2 s: 40 s in all

    started = time.monotonic()
    response = post(client, reverse("receipt_verify"), body, len(data))

    assert response.status_code == 408
    assert time.monotonic() - started < 3


def test_a_signed_in_member_may_send_a_large_archive_to_the_import_view(
    client: Client, alice: User, upload_dir: Path
) -> None:
    client.force_login(alice)
    data = multipart(2 * settings.REQUEST_MAX_BYTES, field="archive")
    body = CountingInput(data)

    response = post(client, reverse("import_new"), body, len(data))

    assert response.status_code != 413, response.status_code
    assert body.read_bytes == len(data), (response.status_code, response.content[:300])


def test_the_import_view_is_not_a_large_door_for_anonymous_posts(
    client: Client, upload_dir: Path
) -> None:
    data = multipart(2 * 1024 * 1024, field="archive")
    body = CountingInput(data)

    response = post(client, reverse("import_new"), body, len(data))

    assert response.status_code == 413
    assert body.read_bytes == 0
