"""The allauth provider class: one provider ("mastodon"), one OAuth client per instance.

`uses_apps` is False because the client is not configured in settings or SocialApp
rows: it comes from `MastodonApp`, chosen by the instance the member typed, and is
bound to the provider for the redirect and for the callback. SocialAccount.uid is
"<account id>@<instance>", since account ids are only unique within an instance.
"""

from __future__ import annotations

from typing import Any

from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.oauth2.utils import generate_code_challenge
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from signals.providers.mastodon.models import MastodonApp
from signals.providers.mastodon.services import SCOPES, mastodon_app_find
from signals.providers.mastodon.views import (
    MAX_PENDING,
    PENDING_SESSION_KEY,
    MastodonOAuth2Adapter,
)


class MastodonAccount(ProviderAccount):
    def get_profile_url(self) -> str | None:
        url = self.account.extra_data.get("url")
        return url if isinstance(url, str) else None

    def to_str(self) -> str:
        handle = self.account.extra_data.get("handle")
        return handle if isinstance(handle, str) and handle else super().to_str()


class MastodonProvider(OAuth2Provider):
    id = "mastodon"
    name = "Mastodon"
    account_class = MastodonAccount
    oauth2_adapter_class = MastodonOAuth2Adapter
    uses_apps = False

    def __init__(self, request: HttpRequest, app: SocialApp | None = None) -> None:
        super().__init__(request, app=app)
        self.registered: MastodonApp | None = None

    def bind(self, registered: MastodonApp) -> None:
        """Use the client registered on one instance for what follows."""
        self.registered = registered
        self.app = SocialApp(
            provider=self.id,
            name=f"Mastodon ({registered.domain})",
            client_id=registered.client_id,
            secret=registered.client_secret,
            settings={"instance": registered.domain},
        )

    def get_login_url(self, request: HttpRequest, **kwargs: Any) -> str:
        # The instance form; it starts the OAuth redirect once it knows the instance.
        url = reverse("mastodon_login")
        query = {k: v for k, v in kwargs.items() if v}
        return f"{url}?{urlencode(query)}" if query else url

    def get_default_scope(self) -> list[str]:
        return SCOPES.split()

    def get_scope(self) -> list[str]:
        # Fixed: the instance refuses a scope that was not registered.
        return SCOPES.split()

    def get_scope_from_request(self, request: HttpRequest) -> list[str]:
        return self.get_scope()

    def get_auth_params(self) -> dict[str, Any]:
        return dict(self.get_settings().get("AUTH_PARAMS", {}))

    def get_auth_params_from_request(self, request: HttpRequest, action: Any) -> dict[str, Any]:
        return self.get_auth_params()

    def get_pkce_params(self) -> dict[str, Any]:
        # Off by default: Mastodon accepts PKCE only from 4.3 on.
        if self.get_settings().get("OAUTH_PKCE_ENABLED", False):
            return generate_code_challenge()
        return {}

    def get_oauth2_adapter(self, request: HttpRequest) -> MastodonOAuth2Adapter:
        adapter = MastodonOAuth2Adapter(request)
        adapter.use(self.registered)
        return adapter

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        """To the instance's authorize page; without a registered instance, to the form."""
        instance = kwargs.get("instance")
        registered = mastodon_app_find(domain=instance) if isinstance(instance, str) else None
        if registered is None:
            return HttpResponseRedirect(
                self.get_login_url(request, process=process, next=next_url or "")
            )
        self.bind(registered)
        return super().redirect(request, process, next_url, data, **kwargs)

    def stash_redirect_state(
        self,
        request: HttpRequest,
        process: Any,
        next_url: str | None = None,
        data: Any = None,
        state_id: str | None = None,
        **kwargs: Any,
    ) -> str:
        state_id = super().stash_redirect_state(
            request, process, next_url, data, state_id=state_id, **kwargs
        )
        pending = dict(request.session.get(PENDING_SESSION_KEY) or {})
        pending[state_id] = kwargs["instance"]
        request.session[PENDING_SESSION_KEY] = dict(list(pending.items())[-MAX_PENDING:])
        return state_id

    def extract_uid(self, data: dict[str, Any]) -> str:
        return f"{data['id']}@{data['instance']}"

    def extract_extra_data(self, data: dict[str, Any]) -> dict[str, Any]:
        # Only what identifies the member's own account; never their followers or posts.
        return {key: data[key] for key in ("id", "username", "acct", "handle", "url", "instance")}

    def extract_common_fields(self, data: dict[str, Any]) -> dict[str, Any]:
        # Mastodon does not share an email address; the sign-up form asks for one.
        return {}


provider_classes = [MastodonProvider]
