"""Registering our OAuth client on a Mastodon instance, once per instance."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.urls import reverse

from signals.connectors.errors import ConnectorError, RegistrationRefused
from signals.connectors.http import normalise_instance
from signals.connectors.mastodon import mastodon_register_app
from signals.providers.mastodon.models import MastodonApp

log = logging.getLogger(__name__)

# Everything the connector reads (accounts, statuses, notifications, follows) is under
# "read"; nothing is ever written to the member's account.
SCOPES = "read"
CLIENT_NAME = "Influence"
# An instance whose registration failed is not called again for this long (negative cache):
# the same answer is given from the cache.
FAILED_SECONDS = 900


def callback_url() -> str:
    """The redirect URI registered on every instance: fixed, so one registration serves."""
    return settings.SITE_URL + reverse("mastodon_callback")


def mastodon_app_find(*, domain: str) -> MastodonApp | None:
    """The registration for an already normalised domain, under the current SITE_URL."""
    return MastodonApp.objects.filter(
        domain=domain, redirect_uri=callback_url(), scopes=SCOPES
    ).first()


def mastodon_app_ensure(*, instance: str) -> MastodonApp:
    """Our client on `instance` (as the member typed it), registering it on first use.

    Raises ValueError (plain words) for a domain we will not contact, and
    RegistrationRefused, RateLimited or ProviderUnavailable from the registration; their
    `user_message` is for the member. A failure is remembered for FAILED_SECONDS and given
    again without calling the instance. The HTTP call runs outside any transaction; two
    members racing on a new instance both register, and the first row stored wins.
    """
    domain = normalise_instance(instance)
    existing = mastodon_app_find(domain=domain)
    if existing is not None:
        return existing
    failed_key = f"mastodon-register-failed:{domain}"
    failed = cache.get(failed_key)
    if isinstance(failed, str):
        raise RegistrationRefused("POST /api/v1/apps: failed recently", user_message=failed)
    try:
        credentials = mastodon_register_app(
            instance=domain,
            redirect_uri=callback_url(),
            client_name=CLIENT_NAME,
            website=settings.SITE_URL,
            scopes=SCOPES,
        )
    except ConnectorError as exc:
        cache.set(failed_key, exc.user_message, timeout=FAILED_SECONDS)
        raise
    try:
        with transaction.atomic():
            app = MastodonApp.objects.create(
                domain=domain,
                redirect_uri=callback_url(),
                scopes=SCOPES,
                client_id=credentials["client_id"],
                client_secret=credentials["client_secret"],
            )
    except IntegrityError:
        found = mastodon_app_find(domain=domain)
        assert found is not None
        return found
    log.info("registered an OAuth client on a Mastodon instance (app %s)", app.pk)
    return app
