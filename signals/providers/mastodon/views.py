"""The OAuth2 adapter, client and views for Mastodon, with per-instance endpoints.

Every request to an instance goes through the connectors' `HttpClient` on a
`public_session()`: the host is one the member typed, so it must not reach private
addresses, follow redirects or hand back an unbounded body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.helpers import render_authentication_error
from allauth.socialaccount.models import SocialApp, SocialLogin, SocialToken
from allauth.socialaccount.providers.base import ProviderException
from allauth.socialaccount.providers.base.constants import AuthProcess
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from signals.connectors.errors import ConnectorError, RateLimited
from signals.connectors.http import HttpClient, normalise_instance, public_session
from signals.connectors.parsing import need_dict, need_str
from signals.providers.mastodon.forms import InstanceForm
from signals.providers.mastodon.models import MastodonApp
from signals.providers.mastodon.services import (
    SCOPES,
    callback_url,
    mastodon_app_ensure,
    mastodon_app_find,
)

if TYPE_CHECKING:
    from signals.providers.mastodon.provider import MastodonProvider

# state id -> instance, so the callback knows which instance's client to use before
# allauth's own state (kept under the provider id, "mastodon") is unstashed.
PENDING_SESSION_KEY = "mastodon_pending_states"
MAX_PENDING = 10
TIMEOUT = 10.0
# Registering on an instance we do not know yet costs an outbound call, on an anonymous
# POST: at most REGISTER_LIMIT of those per client address in REGISTER_WINDOW seconds.
REGISTER_LIMIT = 10
REGISTER_WINDOW = 600


def instance_client(domain: str) -> HttpClient:
    return HttpClient(
        provider=f"Mastodon ({domain})",
        base_url=f"https://{domain}",
        session=public_session(),
        timeout=TIMEOUT,
        headers={"Accept": "application/json"},
    )


class MastodonOAuth2Client(OAuth2Client):
    domain = ""

    def get_access_token(
        self, code: str, pkce_code_verifier: str | None = None, extra_data: Any = None
    ) -> dict[str, Any]:
        """POST /oauth/token on the instance; OAuth2Error (no body quoted) on any failure."""
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": self.consumer_key,
            "client_secret": self.consumer_secret,
            "redirect_uri": self.callback_url,
            "scope": SCOPES,
        }
        if pkce_code_verifier:
            data["code_verifier"] = pkce_code_verifier
        try:
            body, _ = instance_client(self.domain).send(
                "POST", "/oauth/token", data=data, what="POST /oauth/token"
            )
        except ConnectorError as exc:
            raise OAuth2Error(exc.user_message) from None
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise OAuth2Error("The Mastodon server sent no access token.")
        return body


class MastodonOAuth2Adapter(OAuth2Adapter):
    provider_id = "mastodon"
    client_class = MastodonOAuth2Client
    authorize_url = ""
    access_token_url = ""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.registered: MastodonApp | None = None

    def use(self, registered: MastodonApp | None) -> None:
        """Point the adapter at one instance's endpoints and registered client."""
        self.registered = registered
        if registered is not None:
            self.authorize_url = f"https://{registered.domain}/oauth/authorize"
            self.access_token_url = f"https://{registered.domain}/oauth/token"

    def get_provider(self) -> MastodonProvider:
        provider: MastodonProvider = super().get_provider()
        if self.registered is not None:
            provider.bind(self.registered)
        return provider

    def get_callback_url(self, request: HttpRequest, app: SocialApp) -> str:
        # What was registered on the instance, whatever host this request came in on.
        return callback_url()

    def get_client(self, request: HttpRequest, app: SocialApp) -> OAuth2Client:
        client = super().get_client(request, app)
        assert isinstance(client, MastodonOAuth2Client) and self.registered is not None
        client.domain = self.registered.domain
        return client

    def complete_login(
        self, request: HttpRequest, app: SocialApp, token: SocialToken, **kwargs: Any
    ) -> SocialLogin:
        """Who the token belongs to (GET /api/v1/accounts/verify_credentials)."""
        assert self.registered is not None
        domain = self.registered.domain
        what = "GET /api/v1/accounts/verify_credentials"
        try:
            data, _ = instance_client(domain).get(
                "/api/v1/accounts/verify_credentials",
                headers={"Authorization": f"Bearer {token.token}"},
                what=what,
            )
            me = need_dict(data, "account")
            account_id = need_str(me, "id", "account")
            username = need_str(me, "username", "account")
            acct = need_str(me, "acct", "account").lstrip("@")
        except ConnectorError as exc:
            raise ProviderException(exc.user_message) from None
        url = me.get("url")
        return self.get_provider().sociallogin_from_response(
            request,
            {
                "id": account_id,
                "username": username,
                "acct": acct,
                "handle": acct if "@" in acct else f"{acct}@{domain}",
                "url": url if isinstance(url, str) else "",
                "instance": domain,
            },
        )


def mastodon_login_start(
    request: HttpRequest, *, instance: str, process: str, next_url: str | None
) -> HttpResponse:
    """Register on `instance` if needed, then redirect to its authorize page.

    Raises ValueError or ConnectorError (both with words for the member) when the
    instance cannot be used; the caller shows them next to its form.
    """
    if mastodon_app_find(domain=normalise_instance(instance)) is None:
        registration_allow(request)
    registered = mastodon_app_ensure(instance=instance)
    provider = get_adapter(request).get_provider(request, "mastodon")
    return provider.redirect(request, process, next_url=next_url, instance=registered.domain)


def registration_allow(request: HttpRequest) -> None:
    """Count one registration for the client's address; RateLimited past the limit."""
    key = f"mastodon-register:{request.META.get('REMOTE_ADDR', '')}"
    cache.add(key, 0, timeout=REGISTER_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=REGISTER_WINDOW)
        count = 1
    if count > REGISTER_LIMIT:
        raise RateLimited(
            "mastodon registration: rate limited",
            retry_after=float(REGISTER_WINDOW),
            user_message="Too many new servers from your address; try again in a few minutes.",
        )


@login_not_required
@require_http_methods(["GET", "POST"])
def oauth2_login(request: HttpRequest) -> HttpResponse:
    """The instance form (GET), then registration and the redirect to the instance (POST)."""
    wanted = request.POST.get("process") or request.GET.get("process")
    process = AuthProcess.CONNECT if wanted == AuthProcess.CONNECT else AuthProcess.LOGIN
    next_url = get_next_redirect_url(request) or ""
    form = InstanceForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            return mastodon_login_start(
                request,
                instance=form.cleaned_data["instance"],
                process=process,
                next_url=next_url or None,
            )
        except ValueError as exc:
            form.add_error("instance", str(exc))
        except ConnectorError as exc:
            form.add_error("instance", exc.user_message)
            status = 429 if isinstance(exc, RateLimited) else 200
    return render(
        request,
        "mastodon/login.html",
        {"form": form, "process": process, "next": next_url},
        status=status,
    )


class MastodonCallbackView(OAuth2CallbackView):
    adapter: MastodonOAuth2Adapter

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        state_id = request.GET.get("state", "")
        pending = dict(request.session.get(PENDING_SESSION_KEY) or {})
        domain = pending.pop(state_id, None)
        request.session[PENDING_SESSION_KEY] = pending
        registered = mastodon_app_find(domain=domain) if isinstance(domain, str) else None
        if registered is None:
            # No sign-in started from this browser for that state: refuse before any
            # request to an instance.
            return render_authentication_error(request, self.adapter.get_provider())
        self.adapter.use(registered)
        response: HttpResponse = super().dispatch(request, *args, **kwargs)
        return response


oauth2_callback = MastodonCallbackView.adapter_view(MastodonOAuth2Adapter)
