"""Input fields that take JSON's types as the schema states them.

DRF's own fields coerce: a ``CharField`` takes ``5`` as ``"5"``, a ``BooleanField`` takes
``"0"``, ``1`` or ``"yes"``, an ``IntegerField`` takes ``"7"`` or ``7.0``. The schema
promises a string, a boolean, an integer; a body with another type is a validation error
(400, naming the field), so a request means exactly what the schema says. Every writable
field of the API's input serializers is one of these.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class StrictCharField(serializers.CharField):
    default_error_messages = {"invalid": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data


class StrictIntegerField(serializers.IntegerField):
    default_error_messages = {"invalid": "Must be a whole number."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictChoiceField(serializers.ChoiceField):
    """A choice given as the string the schema lists, never a number that reads the same."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)
