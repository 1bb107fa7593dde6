"""manage.py grant_staff EMAIL [--superuser | --revoke]: promote a member who signed up."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from profiles.services.members import MemberError, member_staff_set


class Command(BaseCommand):
    help = (
        "Give a member who signed up (with consent) access to the admin, or take it away. "
        "Influence never creates accounts for anyone, so there is no createsuperuser."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--superuser", action="store_true", help="all permissions")
        parser.add_argument("--revoke", action="store_true", help="take staff access away")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            member = member_staff_set(
                email=options["email"], staff=not options["revoke"], superuser=options["superuser"]
            )
        except MemberError as exc:
            raise CommandError(str(exc)) from exc
        role = "superuser" if member.is_superuser else "staff" if member.is_staff else "member"
        self.stdout.write(f"{member.email} is now {role}.")
