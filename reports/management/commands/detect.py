"""Run detection over stored history (after an import or a detector change): see
outages.services.backfill and docs/detection.md. A reports command, above outages, because
the backfill is handed the diversity of the raw reports (reports.selectors)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from outages.models import Service
from outages.services.backfill import BackfillResult, detection_backfill
from reports.selectors import report_diversity


class Command(BaseCommand):
    help = (
        "Backfill detection over the stored minute buckets of [--since, --until): the incidents"
        " live detection would have recorded, with the same figures, baselines refitted from"
        " past data only. Unmoderated incidents of the range are replaced (a second run records"
        " the same ones), moderated ones are kept; no alert is sent for them. Live detection"
        " then carries on from where the backfill ended."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--backfill",
            action="store_true",
            required=True,
            help="Run over stored history (the only mode for now).",
        )
        parser.add_argument(
            "--since", required=True, type=_moment, help="Start, ISO 8601 with a UTC offset."
        )
        parser.add_argument(
            "--until",
            type=_moment,
            help="End, ISO 8601 with a UTC offset (default: now). If live detection has"
            " already scored past it, the run goes on up to the minute it reached.",
        )
        parser.add_argument("--services", help="Comma-separated slugs (default: all active).")

    def handle(
        self,
        *args: Any,
        since: datetime,
        until: datetime | None,
        services: str | None,
        **_: Any,
    ) -> None:
        ids = _service_ids(services)
        began = time.monotonic()
        bar = ProgressLine(self.stdout)
        try:
            result = detection_backfill(
                since=since,
                until=until,
                service_ids=ids,
                diversity=report_diversity,
                progress=bar.update,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        bar.close()
        self.stdout.write(summary(result, seconds=time.monotonic() - began))


def summary(result: BackfillResult, *, seconds: float) -> str:
    """What a backfill did, in one line (seed prints it too)."""
    return (
        f"Detection backfilled over {result.services} services ({result.series} series) in"
        f" {seconds:.1f} s: {result.incidents} incidents recorded, {result.replaced} earlier"
        f" ones replaced, no alert sent; live detection carries on from"
        f" {result.until:%Y-%m-%d %H:%M} UTC."
    )


class ProgressLine:
    """A progress bar on one terminal line (a line per tenth when not a terminal)."""

    def __init__(self, out: OutputWrapper, *, width: int = 30) -> None:
        self.out, self.width = out, width
        self.began = time.monotonic()
        self.tty = out.isatty()
        self.shown = -1

    def update(self, done: int, total: int) -> None:
        share = done / total if total else 1.0
        elapsed = time.monotonic() - self.began
        left = elapsed * (1 - share) / share if share else 0.0
        filled = int(share * self.width)
        line = (
            f"  [{'#' * filled}{'.' * (self.width - filled)}] {share:4.0%}"
            f"  {elapsed:4.0f} s elapsed, ~{left:.0f} s left"
        )
        if self.tty:
            self.out.write("\r" + line, ending="")
            self.out.flush()
        elif int(share * 10) > self.shown:
            self.shown = int(share * 10)
            self.out.write(line)

    def close(self) -> None:
        if self.tty:
            self.out.write("")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r}: not ISO 8601") from None
    if moment.tzinfo is None:
        raise CommandError(f"{value!r} needs a UTC offset, e.g. 2026-12-01T00:00Z")
    return moment


def _service_ids(option: str | None) -> list[int] | None:
    if not option:
        return None
    slugs = [slug.strip() for slug in option.split(",") if slug.strip()]
    found = dict(Service.objects.filter(slug__in=slugs, is_active=True).values_list("slug", "id"))
    if missing := [slug for slug in slugs if slug not in found]:
        raise CommandError(f"No active service {', '.join(missing)}.")
    return [found[slug] for slug in slugs]
