"""Erase a commenter's data on request: `manage.py comments_erase EMAIL --actor USERNAME`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from comments.services import comments_erase_by_email


class Command(BaseCommand):
    help = "Delete every comment posted with this e-mail address (any case), audited."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument(
            "--actor", required=True, help="username of the staff member handling the request"
        )

    def handle(self, *args: Any, email: str, actor: str, **options: Any) -> None:
        try:
            user = get_user_model().objects.get(username=actor, is_staff=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"--actor: no staff user named {actor!r}") from None
        if "@" not in email:
            raise CommandError(f"email: {email!r} is not an e-mail address")
        erased = comments_erase_by_email(actor=user, email=email)
        self.stdout.write(f"{erased} comment(s) erased for that address.")
