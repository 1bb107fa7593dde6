"""Pages anyone can see: the privacy notice (receipts link here), public profiles, directory."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from profiles.purposes import PURPOSES
from profiles.selectors import directory_members, public_profile_for_viewer
from scoring.selectors import score_components


def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "profiles/privacy.html", {"purposes": PURPOSES.values()})


def public_profile(request: HttpRequest, slug: str) -> HttpResponse:
    profile = public_profile_for_viewer(slug=slug)
    return render(
        request,
        "profiles/public_profile.html",
        {
            "profile": profile,
            "components": score_components(profile.score) if profile.score else [],
        },
    )


def directory(request: HttpRequest) -> HttpResponse:
    topic = request.GET.get("topic", "")[:100]
    page = Paginator(directory_members(topic=topic), 50).get_page(request.GET.get("page"))
    return render(request, "profiles/directory.html", {"page": page, "topic": topic})
