"""Public pages: a member's page at /@<handle>, its badge, the directory, and the member's
own settings for them (with a preview of exactly what others see).

The page body and the badge are cached (``profiles.public_cache``) and cleared by every
service that changes what they show; a visitor's hit costs no query.
"""

from __future__ import annotations

import hashlib
from typing import Any

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from profiles.http import request_member
from profiles.public_cache import directory_cache_version, public_cache_get, public_cache_set
from profiles.services.handles import HandleError, handle_set, profile_update
from scoring import selectors
from scoring.badges import badge_svg

DIRECTORY_PER_PAGE = 20


def _page_parts(profile: selectors.PublicProfile) -> dict[str, str]:
    body = render_to_string(
        "scoring/_public_profile_body.html",
        {
            "profile": profile,
            "components": selectors.score_components(profile.score) if profile.score else [],
        },
    )
    name = profile.display_name or f"@{profile.handle}"
    return {"title": f"{name} (@{profile.handle})", "body": body}


def _read_and_cache(canonical: str) -> tuple[dict[str, str], str]:
    """Read a member's public page once and cache both what the page and the badge show
    (their entries are cleared together), so that after a change the next visitor of
    either pays for one read. Raises Http404 when the page is not public."""
    profile = selectors.public_profile_for_viewer(handle=canonical)
    parts = _page_parts(profile)
    svg = badge_svg(value=profile.score.value if profile.score else None)
    public_cache_set("page", canonical, parts)
    public_cache_set("badge", canonical, svg)
    return parts, svg


def _moved_or_404(handle: str, name: str) -> HttpResponse:
    moved = selectors.public_handle_moved(handle=handle)
    if moved is None:
        raise Http404("No such page.")
    return redirect(name, handle=moved)


def _anonymous(request: HttpRequest) -> bool:
    """A visitor whose page is the same as every other signed-out visitor's: not signed in
    and no message waiting to be shown."""
    return not request.user.is_authenticated and not len(messages.get_messages(request))


def public_profile(request: HttpRequest, handle: str) -> HttpResponse:
    canonical = handle.lower()
    if canonical != handle:
        return redirect("public_profile", handle=canonical, permanent=True)
    anonymous = _anonymous(request)
    if anonymous:
        # Most visitors: the whole page from the cache, no query and no template.
        html: Any = public_cache_get("anonymous", canonical)
        if html is not None:
            return HttpResponse(html)
    parts: Any = public_cache_get("page", canonical)
    if parts is None:
        try:
            parts, _ = _read_and_cache(canonical)
        except Http404:
            return _moved_or_404(canonical, "public_profile")
    response = render(
        request,
        "scoring/public_profile.html",
        {"title": parts["title"], "body": mark_safe(parts["body"])},  # rendered by us above
    )
    if anonymous:
        public_cache_set("anonymous", canonical, response.content.decode())
    return response


def public_badge(request: HttpRequest, handle: str) -> HttpResponse:
    canonical = handle.lower()
    svg: Any = public_cache_get("badge", canonical)
    if svg is None:
        try:
            _, svg = _read_and_cache(canonical)
        except Http404:
            return _moved_or_404(canonical, "public_badge")
    response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["Cache-Control"] = f"public, max-age={settings.PUBLIC_BADGE_MAX_AGE}"
    return response


def public_profile_legacy(request: HttpRequest, slug: str) -> HttpResponse:
    """The random address public pages had before handles: it redirects to /@<handle> while
    the page is public, and is the same 404 otherwise."""
    handle = selectors.public_handle_for_slug(slug=slug)
    if handle is None:
        raise Http404("No such page.")
    return redirect("public_profile", handle=handle, permanent=True)


def directory(request: HttpRequest) -> HttpResponse:
    query = (request.GET.get("q") or request.GET.get("topic") or "")[:100]
    page_number = request.GET.get("page") or "1"
    # Signed-out visitors share one cached page per (query, page); only plain page numbers
    # are cached, so odd parameters cannot fill the cache.
    key = ""
    if _anonymous(request) and page_number.isdigit() and len(page_number) <= 6:
        digest = hashlib.sha256(f"{query}\0{page_number}".encode()).hexdigest()[:32]
        key = f"{directory_cache_version()}:{digest}"
        html: Any = public_cache_get("directory", key)
        if html is not None:
            return HttpResponse(html)
    page = selectors.directory_page(
        query=query, page_number=page_number, per_page=DIRECTORY_PER_PAGE
    )
    response = render(request, "scoring/directory.html", {"page": page, "query": query})
    if key:
        public_cache_set("directory", key, response.content.decode())
    return response


@login_required
def profile_settings(request: HttpRequest) -> HttpResponse:
    member = request_member(request)
    error, status = "", 200
    if request.method == "POST":
        try:
            if request.POST.get("form") == "handle":
                handle_set(member=member, handle=request.POST.get("handle", ""))
                messages.success(request, f"Your handle is now @{member.handle}.")
            else:
                ids = [int(i) for i in request.POST.getlist("show") if i.isdigit()]
                profile_update(
                    member=member,
                    display_name=request.POST.get("display_name", ""),
                    bio=request.POST.get("bio", ""),
                    shown_account_ids=ids,
                )
                messages.success(request, "Your public profile is saved.")
            return redirect("profile_settings")
        except HandleError as exc:
            error, status = str(exc), 400
    preview = selectors.public_profile_preview(member=member)
    shown = {link.social_account.pk for link in getattr(preview.member, "shown_links", [])}
    accounts = SocialAccount.objects.filter(user=member).order_by("provider", "pk")
    rows = [(a, selectors.public_link(a), a.pk in shown) for a in accounts]
    embed = ""
    if preview.live:
        page = f"{settings.SITE_URL}{reverse('public_profile', args=[preview.handle])}"
        badge = f"{settings.SITE_URL}{reverse('public_badge', args=[preview.handle])}"
        embed = (
            f'<a href="{page}"><img src="{badge}" alt="Influence score of @{preview.handle}"></a>'
        )
    return render(
        request,
        "scoring/profile_settings.html",
        {
            "member": member,
            "preview": preview,
            "preview_body": mark_safe(_page_parts(preview)["body"]) if preview.handle else "",
            "accounts": rows,
            "embed": embed,
            "error": error,
            "posted": request.POST if error else None,
            "release_days": settings.HANDLE_RELEASE_DAYS,
        },
        status=status,
    )
