"""The load scenario (issue 13), run by ``benchmarks/load.py`` (which seeds the members and
starts the servers) or by hand:

    LOAD_POPULATION=var/load/population.json LOAD_MEMBER_USERS=40 \\
        .venv/bin/locust -f benchmarks/locust/locustfile.py --headless --host http://127.0.0.1:8000

``Member``: one virtual user per seeded member, so each has its own pending-import slot and
consents. It signs in (through allauth's form with CSRF for the first ``form_signins``, with
the session made in setup for the rest: allauth allows 30 sign-ins a minute per address),
then views the dashboard, topics and others' public profiles, uploads a small archive (the
one-pending-import refusal is an expected answer) and withdraws or grants its directory
consent. ``Visitor``: anonymous, browses the directory, searches it, and views public
profiles and badges. Every user runs one task a second.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from http.cookiejar import Cookie
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from locust import FastHttpUser, constant_throughput, task

POPULATION: dict[str, Any] = json.loads(Path(os.environ["LOAD_POPULATION"]).read_text())
MEMBERS: list[dict[str, str]] = POPULATION["members"]
HANDLES = [m["handle"] for m in MEMBERS]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
PENDING = "You already have an import waiting or running"
_numbers = itertools.count()


def archive_for(handle: str) -> bytes:
    """A small archive in the documented format, claiming the member's own handle, with
    times relative to now."""
    now = datetime.now(UTC)

    def at(hours: float) -> str:
        return (now - timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")

    lines: list[dict[str, Any]] = [
        {
            "type": "account",
            "network": "mastodon",
            "handle": f"{handle}@load.example",
            "followers": 120,
            "following": 31,
            "created_at": at(24 * 400),
        },  # fmt: skip
    ]
    for p in range(5):
        lines.append({"type": "post", "id": f"p{p}", "at": at(48 + p),
                      "tags": ["privacy", "python"], "text": "Load test post"})  # fmt: skip
        for k in range(4):
            lines.append({"type": "interaction", "kind": "like", "by": f"fan{k}@other.example",
                          "post": f"p{p}", "at": at(47 + p)})  # fmt: skip
    lines.append({"type": "follower", "by": "fan1@other.example", "at": at(24 * 30)})
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body and its content type, as a browser sends a form with a
    file (the fast client takes bytes, not files)."""
    boundary = f"----load{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, (filename, content, content_type) in files.items():
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def session_cookie(name: str, value: str, host: str) -> Cookie:
    """The session made in setup, as the cookie the server would have set."""
    return Cookie(
        version=0, name=name, value=value, port=None, port_specified=False, domain=host,
        domain_specified=False, domain_initial_dot=False, path="/", path_specified=True,
        secure=False, expires=None, discard=True, comment=None, comment_url=None,
        rest={"HttpOnly": ""},
    )  # fmt: skip


class Member(FastHttpUser):
    fixed_count = int(os.environ.get("LOAD_MEMBER_USERS", len(MEMBERS)))
    wait_time = constant_throughput(1)

    def on_start(self) -> None:
        n = next(_numbers)
        self.member = MEMBERS[n % len(MEMBERS)]
        self.others = [h for h in HANDLES if h != self.member["handle"]] or HANDLES
        self.in_directory = True  # the seed grants it
        self.job: str | None = None
        if n >= POPULATION["form_signins"] or not self.sign_in():
            host = urlsplit(str(self.host)).hostname or "127.0.0.1"
            cookie = session_cookie(POPULATION["session_cookie"], self.member["session"], host)
            self.client.cookiejar.set_cookie(cookie)

    def page(self, path: str, name: str) -> None:
        """A page that must answer 200 itself: a redirect (to the sign-in page, say) fails."""
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200:
                where = response.headers.get("Location", "")
                response.failure(f"answered {response.status_code} {where}".strip())

    def csrf_from(self, path: str, name: str) -> str | None:
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as response:  # fmt: skip
            match = CSRF.search(response.text or "")
            if response.status_code != 200 or not match:
                response.failure(f"{response.status_code}, no CSRF token in the form")
                return None
            return match.group(1)

    def sign_in(self) -> bool:
        token = self.csrf_from("/accounts/login/", "/accounts/login/")
        if token is None:
            return False
        data = {"login": self.member["email"], "password": POPULATION["password"],
                "csrfmiddlewaretoken": token}  # fmt: skip
        with self.client.post("/accounts/login/", data=data, name="/accounts/login/",
                              allow_redirects=False, catch_response=True) as response:  # fmt: skip
            where = response.headers.get("Location", "")
            if response.status_code != 302 or "/accounts/" in where:
                response.failure(f"sign-in answered {response.status_code} to {where!r}")
                return False
        return True

    @task(4)
    def dashboard(self) -> None:
        self.page("/dashboard/", "/dashboard/")

    @task(2)
    def topics(self) -> None:
        self.page("/topics/", "/topics/")

    @task(2)
    def public_profile(self) -> None:
        self.page(f"/@{random.choice(self.others)}", "/@[handle] (signed in)")

    @task(1)
    def upload(self) -> None:
        token = self.csrf_from("/imports/new/", "/imports/new/")
        if token is None:
            return
        body, content_type = multipart(
            {"csrfmiddlewaretoken": token},
            {"archive": ("load.jsonl", archive_for(self.member["handle"]), "application/x-ndjson")},
        )
        # The fast client sends bytes as they are (its docstring; the annotation says str).
        with self.client.post("/imports/new/", data=body, headers={"Content-Type": content_type},  # type: ignore[arg-type]
                              name="/imports/new/", allow_redirects=False,
                              catch_response=True) as response:  # fmt: skip
            where = response.headers.get("Location", "")
            if response.status_code == 302 and where.startswith("/imports/"):
                self.job = where.strip("/").split("/")[1]
            elif response.status_code == 400 and PENDING in response.text:
                response.success()  # one pending import per member: the expected refusal
            else:
                response.failure(f"upload answered {response.status_code} to {where!r}")
                return
        if self.job:
            path, name = f"/imports/{self.job}/status/", "/imports/[id]/status/"
            with self.client.get(path, name=name, allow_redirects=False,
                                 catch_response=True) as response:  # fmt: skip
                if response.status_code != 200 or '"status"' not in response.text:
                    response.failure(f"status answered {response.status_code}")

    @task(1)
    def consent_change(self) -> None:
        token = self.csrf_from("/consent/", "/consent/")
        if token is None:
            return
        action = "withdraw" if self.in_directory else "grant"
        with self.client.post("/consent/discovery/", name="/consent/discovery/",
                              data={"action": action, "csrfmiddlewaretoken": token},
                              allow_redirects=False, catch_response=True) as response:  # fmt: skip
            if response.status_code != 302 or response.headers.get("Location") != "/consent/":
                response.failure(f"consent change answered {response.status_code}")
                return
        # The centre shows what was done; an error message there means the change failed.
        said = "Withdrawn: Topic directory" if self.in_directory else "Granted: Topic directory"
        with self.client.get("/consent/", name="/consent/", allow_redirects=False,
                             catch_response=True) as response:  # fmt: skip
            if response.status_code != 200 or said not in response.text:
                response.failure(f"the consent centre did not say {said!r}")
                return
        self.in_directory = not self.in_directory


class Visitor(FastHttpUser):
    wait_time = constant_throughput(1)

    @task(3)
    def directory(self) -> None:
        self.client.get("/people/", name="/people/")

    @task(2)
    def directory_search(self) -> None:
        topic = random.choice(POPULATION["topics"])
        self.client.get(f"/people/?q={topic}", name="/people/?q=[topic]")

    @task(3)
    def public_profile(self) -> None:
        self.client.get(f"/@{random.choice(HANDLES)}", name="/@[handle]")

    @task(3)
    def badge(self) -> None:
        self.client.get(f"/@{random.choice(HANDLES)}/badge.svg", name="/@[handle]/badge.svg")
