"""Create the demo services and write their recent history straight into the minute buckets.

The history is synthetic (outages.detection.synthetic, with each service's profile from
outages.demo, and past outages from the schedule of outages.demo_outages anchored at the
history's start) and bulk-inserted: it never goes through intake, so there are no
raw reports behind it. Live and simulated traffic (`manage.py simulate`) does go through intake.
A reports command, like `detect`, because its backfill is handed reports' diversity selector.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from outages.demo import DEMO_SERVICES, Profile, service_profile
from outages.demo_outages import HISTORY_EVERY, Mixes, outages_planned
from outages.detection import synthetic
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import MinuteBucket, Service
from outages.services.backfill import detection_backfill
from outages.services.baselines import baselines_fit
from outages.services.catalogue import services_ensure
from outages.vocabulary import Kind
from reports.management.commands.detect import ProgressLine, summary
from reports.selectors import report_diversity

_CHUNK = 1000  # rows per INSERT: 7,000 parameters, under SQLite's and PostgreSQL's limits
# (service_id, minute as the database adapts it, kind, platform, problem, country, count)
_Row = tuple[int, str | None, str, str, str, str, int]


class Command(BaseCommand):
    help = (
        "Create the demo services, then write --days of per-minute report history for each"
        " straight into the minute buckets (a fast bulk insert, not through intake: there are"
        " no raw reports behind it). Minutes that already have buckets are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if seeded.")
        parser.add_argument("--days", type=int, default=14, help="Days of history (14).")
        parser.add_argument("--seed", type=int, help="Seed for reproducible history.")
        parser.add_argument(
            "--until",
            type=datetime.fromisoformat,
            help="End of the history, ISO 8601 with a UTC offset (default: now).",
        )
        parser.add_argument("--services", help="Comma-separated slugs (default: all demo ones).")
        parser.add_argument(
            "--no-outages", action="store_true", help="Usual traffic only, no past outages."
        )
        parser.add_argument(
            "--no-detect",
            action="store_true",
            help="History and baselines only: no detection over the history (run"
            " `manage.py detect --backfill` later).",
        )

    def handle(
        self,
        *args: Any,
        if_empty: bool,
        days: int,
        seed: int | None,
        until: datetime | None = None,
        services: str | None = None,
        no_outages: bool = False,
        no_detect: bool = False,
        **_: Any,
    ) -> None:
        if if_empty and Service.objects.exists():
            self.stdout.write("Already seeded; skipping.")
            return
        began = time.monotonic()
        slugs = set(services.split(",")) if services else None
        catalogue = [entry for entry in DEMO_SERVICES if slugs is None or entry.slug in slugs]
        if slugs and len(catalogue) != len(slugs):
            raise CommandError(f"Unknown demo services in {services!r}.")
        ready = services_ensure(catalogue=catalogue)
        self.stdout.write(f"{len(ready)} services ready.")
        end = floor_to_minute(until or timezone.now())
        start = end - timedelta(days=days)
        self.stdout.write(
            f"Writing {days} days of history ({start:%Y-%m-%d %H:%M} to {end:%H:%M} UTC)"
            " straight into minute buckets, not through intake..."
        )
        rng = np.random.default_rng(seed)
        rows = reports = 0
        for service in ready:
            profile = service_profile(slug=service.slug, category=service.category)
            with transaction.atomic():
                written, counted = _write_history(
                    service, profile, start=start, end=end, rng=rng, outages=not no_outages
                )
            rows, reports = rows + written, reports + counted
            self.stdout.write(f"  {service.slug}: {counted} reports in {written} buckets")
        self.stdout.write(
            f"History written: {reports} reports in {rows} buckets,"
            f" {time.monotonic() - began:.1f} s."
        )
        fitted = baselines_fit(now=end, service_ids=[service.id for service in ready])
        self.stdout.write(
            f"Baselines fitted for {fitted} series, {time.monotonic() - began:.1f} s."
        )
        if no_detect:
            self.stdout.write(f"Seeded in {time.monotonic() - began:.1f} s (no detection).")
            return
        # The incidents the product would have recorded over that history (after its warm-up),
        # with no alert sent; live detection carries on from `end`.
        self.stdout.write("Detecting incidents in the history (manage.py detect --backfill)...")
        detected = time.monotonic()
        bar = ProgressLine(self.stdout)
        result = detection_backfill(
            since=start,
            until=end,
            service_ids=[service.id for service in ready],
            diversity=report_diversity,
            progress=bar.update,
        )
        bar.close()
        self.stdout.write(summary(result, seconds=time.monotonic() - detected))
        self.stdout.write(f"Seeded in {time.monotonic() - began:.1f} s.")


def _write_history(
    service: Service,
    profile: Profile,
    *,
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
    outages: bool = True,
) -> tuple[int, int]:
    """Bulk-insert synthetic buckets for the minutes of [start, end) that have none yet: the
    service's usual reports, and (unless `outages` is False) those of its past outages, with
    their own mixes, from the demo's schedule anchored at `start`.

    Returns (buckets written, reports they count).
    """
    minutes = int((end - start).total_seconds() // 60)
    labels = [
        connection.ops.adapt_datetimefield_value(start + timedelta(minutes=i))
        for i in range(minutes)
    ]
    taken = _minutes_with_buckets(service.id, start=start, end=end)
    rates = synthetic.audience_rates(
        start, minutes, peak_per_minute=profile.peak_per_minute, audience=profile.audience
    )
    past = [
        outage
        for outage in outages_planned(anchor=start, start=start, end=end, every=HISTORY_EVERY)
        if outages and outage.slug == service.slug
    ]
    countries, platforms = profile.countries.names, profile.platforms.names
    rows: list[_Row] = []
    for kind, share in ((Kind.PROBLEM, 1.0), (Kind.WORKS, profile.works_share)):
        works = kind == Kind.WORKS
        parts = [_Part(rates * share, profile, 0)] + [
            _Part(
                outage.rates(outage.start, outage.minutes)
                * (outage.mixes.works_share if works else 1),
                outage.mixes,
                int((outage.start - start) // MINUTE),
            )
            for outage in past
        ]
        columns = _buckets(rng, parts, minutes=minutes, works=works)
        keep = ~np.isin(columns[0], taken)
        problems = ("",) if works else profile.problems.names
        rows += [
            (service.id, labels[m], kind.value, platforms[p], problems[q], countries[c], n)
            for m, c, p, q, n in zip(*(column[keep].tolist() for column in columns), strict=True)
        ]
    _insert(rows)
    return len(rows), sum(row[-1] for row in rows)


def _insert(rows: list[_Row]) -> None:
    """Multi-row INSERTs; a bucket that exists (written meanwhile by intake) is left alone."""
    table = MinuteBucket._meta.db_table
    with connection.cursor() as cursor:
        for first in range(0, len(rows), _CHUNK):
            chunk = rows[first : first + _CHUNK]
            cursor.execute(
                f"INSERT INTO {table} (service_id, minute, kind, platform, problem, country, count)"  # noqa: S608
                f" VALUES {', '.join(['(%s, %s, %s, %s, %s, %s, %s)'] * len(chunk))}"
                " ON CONFLICT (service_id, minute, kind, platform, problem, country) DO NOTHING",
                [value for row in chunk for value in row],
            )


class _Part(NamedTuple):
    """Expected reports per (country, minute) from minute `first` of the history, and the
    mixes that split them (names in the service profile's order)."""

    rates: np.ndarray
    mixes: Profile | Mixes
    first: int


def _buckets(
    rng: np.random.Generator, parts: list[_Part], *, minutes: int, works: bool
) -> tuple[np.ndarray, ...]:
    """Poisson reports per (country, minute) of every part, each given a platform and a problem
    by its part's mixes, summed by (minute, country, platform, problem) within the history's
    `minutes`: five columns sorted by minute, non-zero counts."""
    mixes = parts[0].mixes
    countries = len(mixes.countries.names)
    platforms, problems = len(mixes.platforms.names), len(mixes.problems.names)
    keys = []
    for part in parts:
        span = part.rates.shape[1]
        per_cell = rng.poisson(part.rates).ravel()
        cell = np.repeat(np.arange(per_cell.size), per_cell)
        platform = part.mixes.platforms.sample(rng, cell.size)
        problem = (
            np.zeros(cell.size, dtype=np.int64)
            if works
            else part.mixes.problems.sample(rng, cell.size)
        )
        minute, country = cell % span + part.first, cell // span
        inside = (minute >= 0) & (minute < minutes)
        key = ((minute * countries + country) * platforms + platform) * problems + problem
        keys.append(key[inside])
    key, count = np.unique(np.concatenate(keys), return_counts=True)
    key, problem = np.divmod(key, problems)
    key, platform = np.divmod(key, platforms)
    minute, country = np.divmod(key, countries)
    return minute, country, platform, problem, count


def _minutes_with_buckets(service_id: int, *, start: datetime, end: datetime) -> np.ndarray:
    existing = (
        MinuteBucket.objects.filter(service_id=service_id, minute__gte=start, minute__lt=end)
        .values_list("minute", flat=True)
        .distinct()
    )
    return np.array([int((m - start).total_seconds() // 60) for m in existing], dtype=np.int64)
