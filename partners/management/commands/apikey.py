"""`manage.py apikey create --name ... --email ... [--rate 6000/hour]` and
`manage.py apikey revoke <prefix>`, audited with "command line" as the actor."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from common.audit import COMMAND_LINE
from partners.services import apikey_create, apikey_revoke


class Command(BaseCommand):
    help = "Create or revoke a partner API key."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Make a key; prints it once.")
        create.add_argument("--name", required=True)
        create.add_argument("--email", required=True)
        create.add_argument("--rate", default="", help="e.g. 6000/hour (the default)")
        revoke = actions.add_parser("revoke", help="Revoke a key by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "create":
                key, raw = apikey_create(
                    name=options["name"],
                    contact_email=options["email"],
                    rate=options["rate"],
                    actor=COMMAND_LINE,
                )
                self.stdout.write(f"Key {key.prefix} for {key.name}, {key.rate}:")
                self.stdout.write(raw)
                self.stderr.write("Copy it now: it is not stored and will not be shown again.")
            else:
                key = apikey_revoke(prefix=options["prefix"], actor=COMMAND_LINE)
                self.stdout.write(f"Revoked {key.prefix} ({key.name}) at {key.revoked_at}.")
        except ValidationError as invalid:
            problems = "; ".join(
                f"{field}: {' '.join(why)}" for field, why in invalid.message_dict.items()
            )
            raise CommandError(problems) from None
