"""The member's public identity: handle, display name, bio and which verified accounts their
public page links to. Only the member changes these; nothing reserves a handle for anyone
else (invariant 1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from profiles.models import ProfileLink, RetiredHandle, User
from profiles.public_cache import public_cache_clear_handles

HANDLE_MIN, HANDLE_MAX = 3, 30
HANDLE_PATTERN = re.compile(r"^[a-z0-9_]+$")
BIO_MAX = 160
DISPLAY_NAME_MAX = 80

# Words that would read as the site speaking, or that collide with its own pages.
RESERVED_HANDLES = frozenset(
    """
    about account accounts admin administrator api app badge contact dashboard directory
    docs export help home imports influence info legal login logout mail me members
    moderation moderator moderators mod mods new notifications official people privacy
    profile profiles root security settings signin signout signup sources static staff
    status support system team terms topics user users verify webmaster www null none
    undefined anonymous everyone
    """.split()
)


class HandleError(Exception):
    """A handle or profile change that cannot be made; the message is for the member."""


def handle_normalise(raw: str) -> str:
    """The canonical form of a handle as typed ("@Alice_1" -> "alice_1"), or HandleError
    saying what is wrong with it."""
    handle = (raw or "").strip().removeprefix("@").lower()
    if not handle:
        raise HandleError("Choose a handle.")
    if not (HANDLE_MIN <= len(handle) <= HANDLE_MAX):
        raise HandleError(f"A handle has {HANDLE_MIN} to {HANDLE_MAX} characters.")
    if not HANDLE_PATTERN.match(handle):
        raise HandleError("A handle has only letters a to z, digits and underscores (_).")
    if handle.isdigit():
        raise HandleError("A handle needs at least one letter.")
    if handle in RESERVED_HANDLES:
        raise HandleError(f"“{handle}” is reserved; choose another handle.")
    return handle


def _taken(handle: str, *, member: User, now: datetime) -> bool:
    if User.objects.filter(handle=handle).exclude(pk=member.pk).exists():
        return True
    return (
        RetiredHandle.objects.filter(handle=handle, available_at__gt=now)
        .exclude(user=member)
        .exists()
    )


@transaction.atomic
def handle_set(*, member: User, handle: str) -> User:
    """Give the member this handle. Their old one stays reserved for them (and redirects)
    for ``HANDLE_RELEASE_DAYS``; they may take it back meanwhile, nobody else may."""
    new = handle_normalise(handle)
    locked = User.objects.select_for_update().get(pk=member.pk)
    if locked.handle == new:
        return locked
    now = timezone.now()
    # A handle whose hold ran out is free again: forget the hold.
    RetiredHandle.objects.filter(handle=new, available_at__lte=now).delete()
    if _taken(new, member=locked, now=now):
        raise HandleError(f"“{new}” is taken; choose another handle.")
    RetiredHandle.objects.filter(handle=new, user=locked).delete()  # taking back their own
    old = locked.handle
    if old:
        RetiredHandle.objects.update_or_create(
            handle=old,
            defaults={
                "user": locked,
                "retired_at": now,
                "available_at": now + timedelta(days=settings.HANDLE_RELEASE_DAYS),
            },
        )
    locked.handle = new
    try:
        with transaction.atomic():
            locked.save(update_fields=["handle"])
    except IntegrityError:  # another member took it at the same moment
        raise HandleError(f"“{new}” is taken; choose another handle.") from None
    public_cache_clear_handles([old, new])
    member.handle = new
    return locked


@transaction.atomic
def profile_update(
    *, member: User, display_name: str, bio: str, shown_account_ids: Iterable[int]
) -> User:
    """Set the display name, bio and the verified accounts shown on the public page. Only
    the member's own connected accounts can be shown; anything else refuses the whole change."""
    display_name = " ".join((display_name or "").split())
    bio = (bio or "").strip()
    if len(display_name) > DISPLAY_NAME_MAX:
        raise HandleError(f"Keep the display name under {DISPLAY_NAME_MAX} characters.")
    if len(bio) > BIO_MAX:
        raise HandleError(f"Keep the bio under {BIO_MAX} characters.")
    wanted = {int(i) for i in shown_account_ids}
    own = set(SocialAccount.objects.filter(user=member).values_list("pk", flat=True))
    if wanted - own:
        raise HandleError("You can show only accounts you connected yourself.")
    locked = User.objects.select_for_update().get(pk=member.pk)
    locked.display_name = display_name
    locked.bio = bio
    locked.save(update_fields=["display_name", "bio"])
    ProfileLink.objects.filter(user=locked).exclude(social_account_id__in=wanted).delete()
    held = set(ProfileLink.objects.filter(user=locked).values_list("social_account_id", flat=True))
    ProfileLink.objects.bulk_create(
        [ProfileLink(user=locked, social_account_id=i) for i in sorted(wanted - held)]
    )
    public_cache_clear_handles([locked.handle])
    member.display_name, member.bio = display_name, bio
    return locked


def retired_handles_prune(*, now: datetime | None = None) -> int:
    """Forget holds that ran out (beat, daily): the handle is free again either way, and the
    member's old handle is no longer kept. Returns how many went."""
    return RetiredHandle.objects.filter(available_at__lte=now or timezone.now()).delete()[0]
