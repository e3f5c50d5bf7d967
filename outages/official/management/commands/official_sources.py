r"""List, add, remove and poll official status sources:

    manage.py official_sources add github statuspage \
        https://www.githubstatus.com/api/v2/summary.json --component "Git Operations"
    manage.py official_sources list
    manage.py official_sources remove 3
    manage.py official_sources poll        # poll what is due now, in this process
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from outages.models import Service
from outages.official.models import OfficialSource
from outages.official.services.poll import sources_poll
from outages.official.services.sources import source_create
from outages.official.tasks import _summaries_refresh


class Command(BaseCommand):
    help = "List, add, remove and poll the official status pages of services."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add")
        add.add_argument("service", help="the service's slug")
        add.add_argument("kind", choices=OfficialSource.Kind.values)
        add.add_argument("url")
        add.add_argument("--page-url", default="")
        add.add_argument("--component", action="append", default=[], dest="components")
        add.add_argument("--interval", type=int, default=120, help="seconds between polls")
        actions.add_parser("list")
        remove = actions.add_parser("remove")
        remove.add_argument("id", type=int)
        actions.add_parser("poll")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"_{options['action']}")(options)

    def _add(self, options: dict[str, Any]) -> None:
        service = Service.objects.filter(slug=options["service"]).first()
        if service is None:
            raise CommandError(f"service: no service with the slug {options['service']!r}")
        try:
            source = source_create(
                service=service,
                kind=options["kind"],
                url=options["url"],
                page_url=options["page_url"],
                components=options["components"],
                interval=options["interval"],
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(m)}" for field, m in exc.message_dict.items())
            ) from None
        self.stdout.write(f"added source {source.pk}: {source}")

    def _list(self, options: dict[str, Any]) -> None:
        for source in OfficialSource.objects.select_related("service").order_by("id"):
            state = f"failing: {source.last_error}" if source.failing else source.indicator
            self.stdout.write(
                f"{source.pk}\t{source.service.slug}\t{source.kind}\t{source.url}\t{state}"
            )

    def _remove(self, options: dict[str, Any]) -> None:
        deleted, _ = OfficialSource.objects.filter(pk=options["id"]).delete()
        if not deleted:
            raise CommandError(f"id: no source {options['id']}")
        self.stdout.write(f"removed source {options['id']}")

    def _poll(self, options: dict[str, Any]) -> None:
        total = 0
        while polled := sources_poll(now=timezone.now(), on_commit=_summaries_refresh):
            if not polled.claimed:
                break
            total += polled.claimed
            self.stdout.write(
                f"polled {polled.claimed}: {polled.fetched} read, "
                f"{polled.not_modified} not modified, {polled.failed} failed"
            )
        self.stdout.write(f"{total} sources polled")
