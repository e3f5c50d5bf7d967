"""`manage.py roles sync | grant USER ROLE [--create] | totp-add USER`: the moderation roles.

What it changes is audited with "command line" as the actor (moderation/roles.py)."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from common.audit import COMMAND_LINE
from moderation.roles import ROLE_GROUPS, role_grant, roles_sync, totp_device_add


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
            for role in roles_sync(audit_as=COMMAND_LINE):
                skipped = f" (not defined yet: {', '.join(role.missing)})" if role.missing else ""
                self.stdout.write(f"{role.group}: {role.permissions} permissions{skipped}")
        elif action == "grant":
            username, prompt = options["username"], not options["no_input"]
            new = bool(options["create"]) and not self._exists(username)
            password = self._password(username, prompt=prompt) if new else None
            self._grant(username, options["role"], password=password)
        elif action == "totp-add":
            user = self._user(options["username"])
            device = totp_device_add(user=user, name=options["name"], actor=COMMAND_LINE)
            self.stdout.write(
                "Add this to the authenticator app (keep it secret):\n" + device.config_url
            )

    def _grant(self, username: str, role: str, *, password: str | None) -> None:
        """The role, to the account made here first when given its password: both in one
        transaction with their audit entry (no account is left made but without its role)."""
        with transaction.atomic():
            roles_sync(audit_as=COMMAND_LINE)
            user = self._user(username) if password is None else self._new(username, password)
            role_grant(user=user, role=role, actor=COMMAND_LINE, created=password is not None)
        if password is not None:
            self.stdout.write(f"Account {username} created.")
        self.stdout.write(f"{username} is now in {ROLE_GROUPS[role]}")

    def _exists(self, username: str) -> bool:
        model = get_user_model()
        return model.objects.filter(**{model.USERNAME_FIELD: username}).exists()

    def _password(self, username: str, *, prompt: bool) -> str:
        """A new account's password, asked twice (or read from ROLES_PASSWORD with --no-input)
        and checked by the site's validators, before anything is written."""
        model = get_user_model()
        password = os.environ.get("ROLES_PASSWORD", "")
        if prompt:
            password = getpass.getpass(f"Password for {username}: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ; nothing was created.")
        if not password:
            raise CommandError("No password given (set ROLES_PASSWORD with --no-input).")
        try:
            validate_password(password, model(**{model.USERNAME_FIELD: username}))
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        return password

    def _new(self, username: str, password: str):  # type: ignore[no-untyped-def]
        model = get_user_model()
        user = model(**{model.USERNAME_FIELD: username})
        user.set_password(password)
        user.save()
        return user

    def _user(self, username: str):  # type: ignore[no-untyped-def]
        try:
            return get_user_model().objects.get_by_natural_key(username)
        except get_user_model().DoesNotExist:
            raise CommandError(
                f"No account named {username!r} (add --create to make one)."
            ) from None
