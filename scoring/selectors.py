"""Reads about signals and scores. Protected objects are fetched only through these."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from profiles.models import User
from profiles.purposes import Purpose
from profiles.selectors import (
    consent_active_on,
    has_active_consent,
    users_with_active_consent,
    with_active_consent,
    with_consent_state,
)
from scoring.model.topics import normalise
from scoring.models import GamingFlag, Score, ScoringRun, Topic, TopicStatus

COMPONENT_LABELS = {
    "base": "Base",
    "reach": "Reach",
    "engagement": "Engagement",
    "amplification": "Amplification",
    "network": "Trusted network",
    "penalties": "Penalties",
}


@dataclass(frozen=True)
class Component:
    key: str
    label: str
    points: Decimal


def current_score(*, member: User) -> Score | None:
    return Score.objects.filter(user=member).first()


def score_components(score: Score) -> list[Component]:
    return [
        Component(key=k, label=COMPONENT_LABELS.get(k, k.title()), points=Decimal(v))
        for k, v in score.components.items()
    ]


def member_topics(*, member: User) -> QuerySet[Topic]:
    return Topic.objects.filter(user=member).order_by("status", "-score", "label")


def member_flags(*, member: User) -> QuerySet[GamingFlag]:
    return GamingFlag.objects.filter(user=member).order_by("kind")


def score_run(score: Score) -> ScoringRun | None:
    return ScoringRun.objects.filter(pk=score.run_id).first()


FLAG_TEXTS = {
    "follower_burst": (
        "Follower burst without engagement",
        "Many new followers arrived in a short time without engaging with your posts. "
        "Followers like these count for less until they engage.",
    ),
    "engagement_ring": (
        "Engagement ring",
        "A small group engages densely with each other, including you. Engagement from "
        "inside the group is discounted.",
    ),
    "low_trust_engagement": (
        "Engagement from low-trust accounts",
        "A high share of your engagement comes from accounts with no trust path to "
        "established members. It counts for less.",
    ),
}


# --- Public profile and directory (invariant 5) -----------------------------------------
#
# What anyone may see of a member is decided here, and only here: the page, the badge, the
# directory and the settings preview all go through these functions.


def public_topics() -> QuerySet[Topic]:
    """Topics anyone may see: approved by the member themselves (invariant 4).

    FREEZE: a topic under an open dispute is hidden publicly (issue 10); exclude it here,
    the one place every public read of topics goes through.
    """
    return Topic.objects.filter(status=TopicStatus.APPROVED).order_by("-score", "label")


def public_scores() -> QuerySet[Score]:
    """Scores anyone may see.

    FREEZE: a score under an open dispute is hidden from the public page, the badge and
    the directory (issue 10); exclude it here.
    """
    return Score.objects.all()


@dataclass(frozen=True)
class PublicLink:
    provider: str
    label: str
    url: str


@dataclass(frozen=True)
class PublicProfile:
    member: User
    handle: str
    display_name: str
    bio: str
    links: list[PublicLink]
    score: Score | None  # shown only under scoring consent too
    verified_sources: int
    topics: list[str]  # approved by the member (invariant 4)
    live: bool = True  # False only in the member's own preview, without consent

    @property
    def score_basis(self) -> str:
        if self.verified_sources:
            n = self.verified_sources
            return f"verified sources ({n} connected account{'s' if n != 1 else ''})"
        return "self-reported data (no verified source yet)"


PROVIDER_NAMES = {"github": "GitHub", "mastodon": "Mastodon"}


def public_link(account: object) -> PublicLink | None:
    """A link to a verified account from what its provider told us at sign-in; None when
    the provider gave no https address. No network and no query."""
    provider = str(getattr(account, "provider", ""))
    data = getattr(account, "extra_data", None) or {}
    if provider == "github":
        login = str(data.get("login") or "")
        url = str(data.get("html_url") or (f"https://github.com/{login}" if login else ""))
        label = login
    else:
        url = str(data.get("url") or data.get("html_url") or data.get("profile") or "")
        label = str(data.get("handle") or data.get("acct") or data.get("username") or "")
    if not url.startswith("https://"):
        return None
    name = PROVIDER_NAMES.get(provider, provider.title())
    return PublicLink(provider=name, label=label or url.removeprefix("https://"), url=url)


def _public_members() -> QuerySet[User]:
    from profiles.models import ProfileLink
    from signals.models import Source

    verified = (
        Source.objects.filter(user=OuterRef("pk"), verified=True)
        .order_by()
        .values("user")
        .annotate(n=Count("pk"))
        .values("n")
    )
    members = with_consent_state(User.objects.filter(is_active=True), Purpose.PUBLIC_PROFILE)
    members = with_consent_state(members, Purpose.SCORING)
    return members.annotate(
        verified_sources=Coalesce(Subquery(verified, output_field=IntegerField()), 0)
    ).prefetch_related(
        Prefetch(
            "profile_links",
            ProfileLink.objects.select_related("social_account").order_by("id"),
            to_attr="shown_links",
        )
    )


def _public_profile(member: User, *, live: bool) -> PublicProfile:
    score, topics = None, []
    if consent_active_on(member, Purpose.SCORING):
        score = public_scores().filter(user=member).first()
        topics = list(public_topics().filter(user=member).values_list("label", flat=True))
    links = [public_link(link.social_account) for link in getattr(member, "shown_links", [])]
    return PublicProfile(
        member=member,
        handle=member.handle or "",
        display_name=member.display_name,
        bio=member.bio,
        links=[link for link in links if link],
        score=score,
        verified_sources=getattr(member, "verified_sources", 0),
        topics=topics,
        live=live,
    )


def public_profile_for_viewer(*, handle: str) -> PublicProfile:
    """A member's public page, for anyone: only while they grant ``public_profile`` under the
    current policy. Anything else (no such handle, no consent, paused) is the same 404.
    A constant number of queries, whatever the member holds.
    """
    member = _public_members().filter(handle=handle.lower()).first()
    if member is None:
        raise Http404("No such page.")
    if not consent_active_on(member, Purpose.PUBLIC_PROFILE):
        raise Http404("No such page.")
    return _public_profile(member, live=True)


def public_profile_preview(*, member: User) -> PublicProfile:
    """Exactly what others would see of the member, for their own settings page; ``live``
    says whether others see it now (a handle and the ``public_profile`` consent)."""
    loaded = _public_members().get(pk=member.pk)
    live = bool(loaded.handle) and consent_active_on(loaded, Purpose.PUBLIC_PROFILE)
    return _public_profile(loaded, live=live)


def public_handle_moved(*, handle: str) -> str | None:
    """The current handle of the member who gave up ``handle`` within the hold period, if
    their page is public now; else None (the old address then 404s like any other)."""
    from profiles.models import RetiredHandle

    retired = (
        RetiredHandle.objects.filter(handle=handle.lower(), available_at__gt=timezone.now())
        .select_related("user")
        .first()
    )
    if retired is None or not retired.user.handle or not retired.user.is_active:
        return None
    if not has_active_consent(user_id=retired.user_id, purpose=Purpose.PUBLIC_PROFILE):
        return None
    return retired.user.handle


def public_handle_for_slug(*, slug: str) -> str | None:
    """The handle behind an old random address (/people/<slug>/), if its page is public."""
    member = User.objects.filter(public_slug=slug, is_active=True, handle__isnull=False).first()
    if member is None or not member.handle:
        return None
    if not has_active_consent(user_id=member.pk, purpose=Purpose.PUBLIC_PROFILE):
        return None
    return member.handle


def directory_query(raw: str) -> tuple[str, str]:
    """Split a directory search into (kind, term): "@ali" searches handles, anything else
    topics ("#Privacy" finds "privacy"); ("", "") when empty."""
    text = (raw or "").strip()[:100]
    if text.startswith("@"):
        return "handle", text[1:].strip().lower()
    if text.lstrip("#").strip():
        return "topic", text
    return "", ""


def directory_members(*, query: str = "") -> QuerySet[User]:
    """Members listed in the directory: those who grant ``discovery`` now and chose a
    handle. A topic search keeps those with that approved topic, best topic score first;
    a handle search matches the start of handles.

    Each member carries ``has_public_page`` (the directory links only to pages that
    answer) and ``approved_topics`` (their public topics).
    """
    listed = users_with_active_consent(Purpose.DISCOVERY).filter(handle__isnull=False)
    kind, term = directory_query(query)
    order: list[Any] = ["handle"]
    if kind == "handle":
        listed = listed.filter(handle__startswith=term) if term else listed.none()
    elif kind == "topic":
        labels = {normalise(term), term.strip().lstrip("#").strip().lower()}
        matching = public_topics().filter(user=OuterRef("pk"), label__in=labels)
        listed = listed.annotate(
            topic_score=Subquery(matching.order_by("-score").values("score")[:1])
        ).filter(topic_score__isnull=False)
        order = [F("topic_score").desc(), "handle"]
    public = with_active_consent(User.objects.all(), Purpose.PUBLIC_PROFILE)
    return (
        listed.annotate(has_public_page=Exists(public.filter(pk=OuterRef("pk"))))
        .prefetch_related(Prefetch("topics", public_topics(), to_attr="approved_topics"))
        .order_by(*order, "id")
    )
