"""Request body limits, enforced before any view, form or CSRF check reads a body.

Every request may carry at most ``REQUEST_MAX_BYTES``; the views in ``LARGE_BODY_VIEWS``
(the archive upload) may carry their own limit, and only for a signed-in member. A body
over its limit by its Content-Length is answered 413 without reading a byte. Django never
reads past Content-Length (nor anything without one), so a lying length gets no further.
A bounded body is read here, in chunks, against ``REQUEST_BODY_SECONDS`` (408 when a
client trickles it), and kept in memory: its file parts are never written to disk.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import MemoryFileUploadHandler
from django.http import HttpRequest, HttpResponse
from django.urls import Resolver404, resolve

CHUNK = 64 * 1024


def _limit(request: HttpRequest) -> tuple[int, bool]:
    """The body limit for this request, and whether it is a large-body view's."""
    try:
        name = resolve(request.path_info).url_name
    except Resolver404:
        name = None
    large = settings.LARGE_BODY_VIEWS.get(name or "")
    if large is not None and request.user.is_authenticated:
        return int(large), True
    return int(settings.REQUEST_MAX_BYTES), False


class InMemoryUploadHandler(MemoryFileUploadHandler):
    """Keeps file parts in memory: the whole body is already within REQUEST_MAX_BYTES."""

    def handle_raw_input(self, *args: Any, **kwargs: Any) -> None:
        super().handle_raw_input(*args, **kwargs)
        self.activated = True


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if not length:
            # No body (every page view): no limit to find, which would resolve the URL
            # a second time and, for a large-body view, load the session's member.
            return self.get_response(request)
        limit, large = _limit(request)
        if length > limit:
            return HttpResponse("Request body too large.", status=413, content_type="text/plain")
        if not large and length:
            request.upload_handlers = [InMemoryUploadHandler(request)]
            if not _read_in_time(request, length):
                return HttpResponse("Request body too slow.", status=408, content_type="text/plain")
        return self.get_response(request)


def _read_in_time(request: HttpRequest, length: int) -> bool:
    """Read the (bounded) body now, giving up past REQUEST_BODY_SECONDS."""
    sock = request.META.get("gunicorn.socket")
    if sock is not None:  # each read may wait at most the deadline, too
        sock.settimeout(float(settings.REQUEST_BODY_SECONDS))
    until = time.monotonic() + float(settings.REQUEST_BODY_SECONDS)
    chunks: list[bytes] = []
    received = 0
    try:
        while received < length:
            chunk = request.read(min(CHUNK, length - received))
            if not chunk:
                break
            chunks.append(chunk)
            received += len(chunk)
            if time.monotonic() > until:
                return False
    except OSError:  # includes a socket timeout
        return False
    # What Django's HttpRequest.body does once read: later reads come from memory.
    request._body = b"".join(chunks)  # type: ignore[attr-defined]
    request._stream = io.BytesIO(request._body)  # type: ignore[attr-defined]
    return True
