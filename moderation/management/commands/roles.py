"""`manage.py roles sync | grant USER ROLE [--create] | totp-add USER`: the moderation roles."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation.roles import ADMINISTRATORS, MODERATORS, roles_sync

ROLE_GROUPS = {"moderator": MODERATORS, "administrator": ADMINISTRATORS}


class Command(BaseCommand):
    help = "Keep the Moderators and Administrators groups in step, grant a role, add a TOTP device."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync", help="Create both groups and set their permissions (idempotent).")
        grant = sub.add_parser("grant", help="Give an account a role (and admin access).")
        grant.add_argument("username")
        grant.add_argument("role", choices=sorted(ROLE_GROUPS))
        grant.add_argument(
            "--create",
            action="store_true",
            help="Create the account if it does not exist; asks for its password (or reads"
            " ROLES_PASSWORD with --no-input).",
        )
        grant.add_argument("--no-input", action="store_true", help="Never prompt.")
        totp = sub.add_parser("totp-add", help="Add a TOTP device; prints its otpauth:// URL.")
        totp.add_argument("username")
        totp.add_argument("--name", default="authenticator")

    def handle(self, *args: object, action: str, **options: str) -> None:
        if action == "sync":
            for role in roles_sync():
                skipped = f" (not defined yet: {', '.join(role.missing)})" if role.missing else ""
                self.stdout.write(f"{role.group}: {role.permissions} permissions{skipped}")
            return
        if action == "grant" and options["create"]:
            self._create(options["username"], prompt=not options["no_input"])
        user = self._user(options["username"])
        if action == "grant":
            roles_sync()
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(Group.objects.get(name=ROLE_GROUPS[options["role"]]))
            self.stdout.write(f"{user.get_username()} is now in {ROLE_GROUPS[options['role']]}")
        elif action == "totp-add":
            device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)
            self.stdout.write(
                "Add this to the authenticator app (keep it secret):\n" + device.config_url
            )

    def _create(self, username: str, *, prompt: bool) -> None:
        """A new account with a password checked by the site's validators; an existing one is
        left as it is (granting a role twice is harmless)."""
        model = get_user_model()
        if model.objects.filter(**{model.USERNAME_FIELD: username}).exists():
            return
        password = os.environ.get("ROLES_PASSWORD", "")
        if prompt:
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        if not password:
            raise CommandError("No password given (set ROLES_PASSWORD with --no-input).")
        user = model(**{model.USERNAME_FIELD: username})
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        user.set_password(password)
        user.save()
        self.stdout.write(f"Account {username} created.")

    def _user(self, username: str):  # type: ignore[no-untyped-def]
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No account named {username!r} (add --create to make one)."
            ) from None
