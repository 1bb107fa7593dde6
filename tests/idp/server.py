"""Run the test identity provider: migrate, register one client and one person, serve.

    python -m tests.idp.server PORT CLIENT_ID SECRET REDIRECT_URI EMAIL PASSWORD

Environment: IDP_DB (SQLite file), IDP_SECRET_KEY, IDP_PRIVATE_KEY (RSA, PEM). Prints
"ready" once it listens. ``IdentityProvider`` starts it from a test.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def serve(port: int, client_id: str, secret: str, redirect_uri: str, email: str, pw: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.idp.settings"
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.core.servers.basehttp import WSGIServer, run
    from django.core.wsgi import get_wsgi_application

    call_command("migrate", verbosity=0, interactive=False)
    client = Client(
        id=client_id,
        name="Influence (test)",
        secret=make_password(secret),
        scopes="openid\nprofile\nemail",
        default_scopes="openid\nprofile\nemail",
        type=Client.Type.CONFIDENTIAL,
        grant_types=Client.GrantType.AUTHORIZATION_CODE,
        response_types="code",
        skip_consent=True,
    )
    client.set_redirect_uris([redirect_uri])
    client.save()
    person = get_user_model().objects.create_user(
        username=email.split("@")[0], email=email, password=pw, first_name="Olive"
    )
    EmailAddress.objects.create(user=person, email=email, verified=True, primary=True)
    print("ready", flush=True)
    run("127.0.0.1", port, get_wsgi_application(), threading=True, server_cls=WSGIServer)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class IdentityProvider:
    """The provider as a subprocess on a free port; ``stop()`` ends it."""

    def __init__(self, *, redirect_uri: str, email: str, password: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.client_id = f"influence-{secrets.token_hex(4)}"
        self.secret = secrets.token_urlsafe(24)
        self._dir = tempfile.TemporaryDirectory(prefix="idp-")
        self.log = Path(self._dir.name) / "idp.log"
        env = {
            **os.environ,
            "IDP_DB": str(Path(self._dir.name) / "idp.sqlite3"),
            "IDP_SECRET_KEY": secrets.token_urlsafe(40),
            "IDP_PRIVATE_KEY": rsa_pem(),
        }
        env.pop("DJANGO_SETTINGS_MODULE", None)
        env.pop("DATABASE_URL", None)
        args = [str(self.port), self.client_id, self.secret, redirect_uri, email, password]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.idp.server", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"identity provider exited:\n{self.output()}")
            if b"ready" in self.log.read_bytes():
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"identity provider not up after {timeout}s:\n{self.output()}")

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._dir.cleanup()


if __name__ == "__main__":
    port, client_id, secret, redirect_uri, email, password = sys.argv[1:7]
    serve(int(port), client_id, secret, redirect_uri, email, password)
