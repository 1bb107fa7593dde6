"""Pages anyone can see: the privacy notice (receipts link here). Public profiles and the
directory show scores, so they live in scoring."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from profiles.purposes import PURPOSES


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "profiles/privacy.html", {"purposes": PURPOSES.values()})
