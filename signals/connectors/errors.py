"""The connectors' errors. Messages name endpoints and status codes only, never a
counterpart's handle, a response body or a token, so they are safe to log and to hand to
Celery."""

from __future__ import annotations

from typing import Any


class ConnectorError(Exception):
    """A sync or registration that failed; `user_message` is plain words for the member."""

    user_message: str = "Something went wrong while syncing — we'll try again later."
    retryable: bool = False

    def __init__(self, message: str = "", *, user_message: str | None = None) -> None:
        super().__init__(message)
        if user_message is not None:
            self.user_message = user_message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments break Exception's default pickling (Celery pickles
        # or re-raises exceptions across processes); restore from attributes instead.
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


def _rebuild_error(
    cls: type[ConnectorError], args: tuple[Any, ...], state: dict[str, Any]
) -> ConnectorError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class TokenRevoked(ConnectorError):
    """401, or 403 that is not a rate limit: the member must reconnect."""


class RateLimited(ConnectorError):
    """The provider asked us to wait `retry_after` seconds before the next request."""

    retryable = True

    def __init__(
        self, message: str = "", *, retry_after: float, user_message: str | None = None
    ) -> None:
        super().__init__(message, user_message=user_message)
        self.retry_after = retry_after


class ProviderUnavailable(ConnectorError):
    """5xx, timeout or connection failure; worth retrying later."""

    retryable = True


class ProviderResponseInvalid(ConnectorError):
    """A reply that is not what the provider documents; retrying will not help."""


class ResourceGone(ProviderResponseInvalid):
    """404/410 on one item (a repository or status deleted mid-sync); callers may skip it."""


class UnsafeHost(ProviderResponseInvalid):
    """The host resolved to a private, loopback or otherwise non-public address."""


class RegistrationRefused(ConnectorError):
    """A Mastodon instance would not register our OAuth client (POST /api/v1/apps)."""
