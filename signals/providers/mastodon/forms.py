from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from signals.connectors.http import normalise_instance


class InstanceForm(forms.Form):
    instance = forms.CharField(
        label="Your Mastodon server",
        max_length=300,
        help_text="The part after the second @ of your handle, for example mastodon.social.",
        error_messages={"required": "Enter your Mastodon server's domain."},
        widget=forms.TextInput(attrs={"placeholder": "mastodon.social", "autocomplete": "url"}),
    )

    def clean_instance(self) -> str:
        try:
            return normalise_instance(self.cleaned_data["instance"])
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
