"""allauth customisation: every sign-up path records consent with the new member, atomically."""

from __future__ import annotations

import secrets
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.http import HttpRequest

from profiles.services import consents_record_signup


class AccountAdapter(DefaultAccountAdapter):
    def send_account_already_exists_mail(self, email: str) -> None:
        """A sign-up with an address that has an account: allauth sends this mail instead
        of creating anyone. Hash a password anyway, as a new sign-up does, so the time
        taken does not tell whether the address is a member (finding 9)."""
        make_password(secrets.token_urlsafe(24))
        super().send_account_already_exists_mail(email)

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        with transaction.atomic():
            user = super().save_user(request, user, form, commit=commit)
            if commit:
                consents_record_signup(user=user, granted=form.granted_purposes())
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_auto_signup_allowed(self, request: HttpRequest, sociallogin: Any) -> bool:
        # Social sign-up always stops at the consent step; no user row exists before it.
        return False

    def save_user(self, request: HttpRequest, sociallogin: Any, form: Any = None) -> Any:
        if form is None:
            # Auto sign-up is off, so a social sign-up always comes through the consent form.
            raise PermissionError("Social sign-up needs the consent step.")
        # allauth saves the user through AccountAdapter.save_user, which records the
        # consent step's answers; one transaction holds the member, the answers and the
        # provider account together.
        with transaction.atomic():
            return super().save_user(request, sociallogin, form=form)
