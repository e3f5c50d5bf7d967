"""Send simulated reports through the real intake, for a simulated clock (see
outages.demo)."""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import Service
from reports.simulation import SCENARIOS, Summary, simulation_run

_RELATIVE = re.compile(r"^(?:now)?-(\d+)([mhd])$")


class Command(BaseCommand):
    help = (
        "Send simulated reports through the real intake (fingerprints, rate limits, dedupe,"
        " buckets), from distinct simulated reporters, on a simulated clock. Without"
        " --scenario: each service's normal traffic over the last --minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scenario", choices=sorted(SCENARIOS), help="Replay an outage.")
        parser.add_argument(
            "--minutes", type=int, help="Simulated minutes (default: the scenario's, or 60)."
        )
        parser.add_argument(
            "--services", help="Comma-separated slugs (default: the scenario's, or all active)."
        )
        parser.add_argument(
            "--rate", "--scale", dest="rate", type=float, default=1.0,
            help="Multiply every rate, spikes included (0.05 for a quick run).",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, help="Seed for a reproducible run.")
        parser.add_argument(
            "--start",
            help="Start of the simulated clock: ISO 8601 with a UTC offset, or relative to now"
            " like now-6h or now-90m (default: the scenario's real date, or now - --minutes).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        scenario = SCENARIOS[options["scenario"]] if options["scenario"] else None
        minutes = options["minutes"] or (scenario.minutes if scenario else 60)
        slugs = _slugs(options["services"], scenario.service if scenario else None)
        if options["start"]:
            start = _parse_start(options["start"], now=now)
        elif scenario:
            start = scenario.start
        else:
            start = floor_to_minute(now) - minutes * MINUTE
        if start + minutes * MINUTE > floor_to_minute(now) + MINUTE:
            raise CommandError("The simulated clock would run past now; pass an earlier --start.")
        self.stdout.write(
            f"Simulating {minutes} min from {start:%Y-%m-%d %H:%M} UTC for {', '.join(slugs)}"
            f" through the real intake (rate x{options['rate']})..."
        )
        began = time.monotonic()
        summary = simulation_run(
            slugs=slugs, start=start, minutes=minutes, rate=options["rate"],
            seed=options["seed"], scenario=scenario, progress=self._progress,
        )  # fmt: skip
        self._report(summary, elapsed=time.monotonic() - began)

    def _progress(self, at: datetime, summary: Summary) -> None:
        if at.minute % 15 == 14:
            self.stdout.write(f"  {at:%H:%M} UTC: {summary.sent} sent, {summary.counted} counted")

    def _report(self, summary: Summary, *, elapsed: float) -> None:
        rejected = ", ".join(f"{k} {v}" for k, v in summary.rejected.most_common()) or "none"
        self.stdout.write(
            f"Done in {elapsed:.1f} s: {summary.sent} sent, {summary.accepted} accepted,"
            f" {summary.counted} counted ({summary.accepted - summary.counted} repeats kept"
            f" uncounted), rejected: {rejected}."
        )
        if not summary.counted:
            return
        quarters: dict[datetime, int] = {}
        for minute, count in summary.counted_by_minute.items():
            quarter = minute.replace(minute=minute.minute - minute.minute % 15)
            quarters[quarter] = quarters.get(quarter, 0) + count
        peak_minute, peak = summary.counted_by_minute.most_common(1)[0]
        quarter, in_quarter = max(quarters.items(), key=lambda item: item[1])
        web = summary.counted_by_platform["web"] / summary.counted
        top = ", ".join(f"{c or '??'} {n}" for c, n in summary.counted_by_country.most_common(5))
        self.stdout.write(
            f"Peak minute {peak_minute:%H:%M} UTC ({peak} counted); peak quarter-hour"
            f" {quarter:%H:%M} ({in_quarter}); web {web:.0%};"
            f" {len(summary.counted_by_country)} countries, top: {top}."
        )


def _slugs(option: str | None, scenario_service: str | None) -> list[str]:
    if option:
        slugs = [slug.strip() for slug in option.split(",") if slug.strip()]
    elif scenario_service:
        slugs = [scenario_service]
    else:
        slugs = list(Service.objects.filter(is_active=True).values_list("slug", flat=True))
    known = set(
        Service.objects.filter(slug__in=slugs, is_active=True).values_list("slug", flat=True)
    )
    if missing := [slug for slug in slugs if slug not in known]:
        raise CommandError(f"No active service {', '.join(missing)} (run `manage.py seed`).")
    return slugs


def _parse_start(value: str, *, now: datetime) -> datetime:
    if match := _RELATIVE.match(value):
        unit = {"m": "minutes", "h": "hours", "d": "days"}[match[2]]
        return floor_to_minute(now - timedelta(**{unit: int(match[1])}))
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--start {value!r}: not ISO 8601 nor like now-6h") from None
    if start.tzinfo is None:
        raise CommandError("--start needs a UTC offset, e.g. 2022-12-28T23:30Z")
    return floor_to_minute(start)
