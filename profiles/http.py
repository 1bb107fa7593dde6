from __future__ import annotations

from django.http import HttpRequest

from profiles.models import User


def request_member(request: HttpRequest) -> User:
    """The signed-in member of a request behind @login_required."""
    user = request.user
    assert isinstance(user, User), "view must be behind login_required"
    return user
