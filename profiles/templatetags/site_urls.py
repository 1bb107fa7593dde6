"""``{% site_url 'name' %}``: ``{% url 'name' %}`` for the site's fixed addresses (no
arguments), reversed once per process instead of on every page (issue 13: base.html's
navigation reversed about ten of them on every signed-in page, about 1 ms)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=256)
def _reversed(name: str, urlconf: str | None, prefix: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def site_url(name: str) -> str:
    """The address of the named URL pattern, which takes no arguments."""
    return _reversed(name, get_urlconf(), get_script_prefix())
