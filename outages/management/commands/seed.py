"""Create the demo services (and, in later steps, their history)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from outages.demo import DEMO_SERVICES
from outages.models import Service
from outages.services.catalogue import services_ensure


class Command(BaseCommand):
    help = "Create the demo services."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if seeded.")

    def handle(self, *args: Any, if_empty: bool, **options: Any) -> None:
        if if_empty and Service.objects.exists():
            self.stdout.write("Already seeded; skipping.")
            return
        services = services_ensure(catalogue=DEMO_SERVICES)
        self.stdout.write(f"{len(services)} services ready.")
