"""Our OAuth client on each Mastodon instance, registered on first use."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class MastodonApp(models.Model):
    """The client_id and secret an instance gave us (POST /api/v1/apps).

    One per instance, redirect URI and scopes: a new SITE_URL or scope set needs a new
    registration, because the instance checks both against what was registered.
    """

    domain = models.CharField(max_length=260, help_text="Normalised instance host.")
    redirect_uri = models.CharField(max_length=500)
    scopes = models.CharField(max_length=200, default="read")
    client_id = models.CharField(max_length=191)
    client_secret = models.CharField(max_length=191)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["domain", "redirect_uri", "scopes"], name="uniq_mastodon_app"
            )
        ]

    def __str__(self) -> str:
        return self.domain
