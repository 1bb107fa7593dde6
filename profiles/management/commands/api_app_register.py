"""Register a third-party app (OAuth 2 client, authorization code with PKCE)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "Register a third-party app; prints its client id (and secret, once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("name")
        parser.add_argument("redirect_uri", help="Where members are sent back (https).")
        parser.add_argument(
            "--public", action="store_true", help="A public client (no secret; PKCE only)."
        )

    def handle(self, *args: Any, name: str, redirect_uri: str, public: bool, **opts: Any) -> None:
        application = get_application_model()
        secret = "" if public else generate_client_secret()
        app = application(
            name=name,
            redirect_uris=redirect_uri,
            client_type=application.CLIENT_PUBLIC if public else application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
            client_secret=secret,
        )
        try:
            app.full_clean()
        except Exception as exc:
            raise CommandError(f"Refused: {exc}") from exc
        app.save()
        self.stdout.write(f"client_id: {app.client_id}")
        if secret:
            self.stdout.write(f"client_secret (shown once): {secret}")
