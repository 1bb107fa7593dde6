"""manage.py grant_staff EMAIL [--moderator | --superuser | --revoke]: give a member who
signed up a staff role, or take it away. Audited; the only way staff flags change."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.services.members import MemberError, member_staff_set


class Command(BaseCommand):
    help = (
        "Give a member who signed up (with consent) a staff role, or take it away. "
        "Influence never creates accounts for anyone, so there is no createsuperuser. "
        "Staff must set up two-factor sign-in (TOTP) before any admin page opens."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        role = parser.add_mutually_exclusive_group()
        role.add_argument(
            "--moderator",
            action="store_true",
            help="the Moderators group: disputes, the deny-list and flags, nothing else",
        )
        role.add_argument("--superuser", action="store_true", help="all permissions")
        role.add_argument("--revoke", action="store_true", help="take every staff role away")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            member = member_staff_set(
                email=options["email"],
                staff=not options["revoke"],
                superuser=options["superuser"],
                moderator=options["moderator"],
            )
        except MemberError as exc:
            raise CommandError(str(exc)) from exc
        if member.is_superuser:
            role = "superuser"
        elif options["moderator"]:
            role = "moderator"
        else:
            role = "staff" if member.is_staff else "member"
        self.stdout.write(f"{member.email} is now {role}.")
