"""`manage.py retention`: run the privacy retention job now (beat runs it every hour)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from reports.privacy import privacy_retention


class Command(BaseCommand):
    help = (
        "Delete raw reports older than REPORT_RETENTION_DAYS (their minute buckets stay), "
        "destroy fingerprint salts older than 48 hours and old admin login records."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=settings.REPORT_RETENTION_DAYS)

    def handle(self, *args: object, days: int, **options: object) -> None:
        found = privacy_retention(now=timezone.now(), days=days)
        self.stdout.write(
            f"deleted {found.reports} raw reports older than {days} days, "
            f"{found.salts} salts, {found.login_records} login records"
        )
