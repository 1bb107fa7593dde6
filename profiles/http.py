from __future__ import annotations

from django.http import HttpRequest
from rest_framework.request import Request

from profiles.models import User


def request_member(request: HttpRequest | Request) -> User:
    """The signed-in member of a page behind @login_required, or of an API call behind
    IsAuthenticated (the API's default permission)."""
    user = request.user
    assert isinstance(user, User), "view must require a signed-in member"
    return user
