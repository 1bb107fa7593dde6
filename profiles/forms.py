from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import HttpRequest

from profiles.purposes import OPTIONAL_PURPOSES, PURPOSES, Purpose


def consent_field_name(purpose: str) -> str:
    return f"consent_{purpose}"


class ConsentSignupForm(forms.Form):
    """The consent step, part of every sign-up form: each purpose unticked, terms required.

    allauth mixes this into its sign-up forms; the answers are recorded by the adapter
    in the same transaction that creates the member.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["age_confirmed"] = forms.BooleanField(
            required=True,
            label=f"I am at least {settings.MINIMUM_AGE} years old.",
            error_messages={
                "required": f"You must be at least {settings.MINIMUM_AGE} years old to sign up."
            },
        )
        terms = PURPOSES[Purpose.TERMS]
        self.fields[consent_field_name(Purpose.TERMS)] = forms.BooleanField(
            required=True,
            label=terms.text,
            error_messages={"required": "You must accept the terms of the account to sign up."},
        )
        for purpose in OPTIONAL_PURPOSES:
            self.fields[consent_field_name(purpose.purpose)] = forms.BooleanField(
                required=False, initial=False, label=purpose.text
            )

    def granted_purposes(self) -> list[str]:
        return [p for p in PURPOSES if self.cleaned_data.get(consent_field_name(p))]

    def consent_fields(self) -> list[tuple[Any, Any]]:
        """(purpose text, bound field) pairs, in the order shown."""
        return [(PURPOSES[p], self[consent_field_name(p)]) for p in PURPOSES]

    def signup(self, request: HttpRequest, user: Any) -> None:
        """Required by allauth; consent is recorded by the adapter when the user is saved."""


class ReconsentForm(forms.Form):
    """One yes-or-no question per purpose whose policy changed; nothing is preselected."""

    def __init__(self, *args: Any, waiting: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.waiting = waiting
        for state in waiting:
            text = state.purpose
            yes, no = (
                ("I accept the new terms", "I do not accept them")
                if text.required
                else ("Yes, continue", "No, stop")
            )
            self.fields[consent_field_name(text.purpose)] = forms.ChoiceField(
                choices=[("yes", yes), ("no", no)],
                widget=forms.RadioSelect,
                label=text.title,
                error_messages={"required": f"Answer “{text.title}”."},
            )

    def answers(self) -> dict[str, bool]:
        return {
            s.purpose.purpose: self.cleaned_data[consent_field_name(s.purpose.purpose)] == "yes"
            for s in self.waiting
        }

    def questions(self) -> list[tuple[Any, Any]]:
        """(consent state, bound field) pairs, in the order shown."""
        return [(s, self[consent_field_name(s.purpose.purpose)]) for s in self.waiting]


class ReceiptVerifyForm(forms.Form):
    """A receipt to check: pasted, or the JSON file downloaded from the consent centre."""

    MAX_BYTES = 1024 * 1024

    receipt = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Paste a receipt (the JWS, or the JSON file's content)",
    )
    file = forms.FileField(required=False, label="Or choose a receipt file")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        text = data.get("receipt") or ""
        upload = data.get("file")
        if upload is not None:
            if upload.size > self.MAX_BYTES:
                raise forms.ValidationError("That file is too large to be a receipt file.")
            text = upload.read().decode("utf-8", errors="replace")
        from profiles.receipts import receipt_tokens

        tokens = receipt_tokens(text)
        if not tokens:
            raise forms.ValidationError("Paste a receipt or choose a receipt file.")
        data["tokens"] = tokens
        return data


class AccountDeleteForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label="I understand: my account and everything held about me are deleted now, for good.",
        error_messages={"required": "Tick the box to confirm that you want to delete everything."},
    )
