"""Create the demo services and write their recent history straight into the minute buckets.

The history is synthetic (outages.detection.synthetic, with each service's profile from
outages.demo) and bulk-inserted: it never goes through intake, so there are no
raw reports behind it. Live and simulated traffic (`manage.py simulate`) does go through intake.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from outages.demo import DEMO_SERVICES, Profile, service_profile
from outages.detection import synthetic
from outages.detection.timebuckets import floor_to_minute
from outages.models import MinuteBucket, Service
from outages.services.baselines import baselines_fit
from outages.services.catalogue import services_ensure
from outages.vocabulary import Kind

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
            "--until", type=datetime.fromisoformat,
            help="End of the history, ISO 8601 with a UTC offset (default: now).",
        )  # fmt: skip
        parser.add_argument("--services", help="Comma-separated slugs (default: all demo ones).")

    def handle(
        self, *args: Any, if_empty: bool, days: int, seed: int | None,
        until: datetime | None = None, services: str | None = None, **_: Any,
    ) -> None:  # fmt: skip
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
                written, counted = _write_history(service, profile, start=start, end=end, rng=rng)
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


def _write_history(
    service: Service, profile: Profile, *, start: datetime, end: datetime,
    rng: np.random.Generator,
) -> tuple[int, int]:  # fmt: skip
    """Bulk-insert synthetic buckets for the minutes of [start, end) that have none yet.

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
    countries, platforms = profile.countries.names, profile.platforms.names
    rows: list[_Row] = []
    for kind, share in ((Kind.PROBLEM, 1.0), (Kind.WORKS, profile.works_share)):
        columns = _buckets(rng, rates * share, profile, works=kind == Kind.WORKS)
        keep = ~np.isin(columns[0], taken)
        problems = ("",) if kind == Kind.WORKS else profile.problems.names
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


def _buckets(
    rng: np.random.Generator, rates: np.ndarray, profile: Profile, *, works: bool
) -> tuple[np.ndarray, ...]:
    """Poisson reports per (country, minute), each given a platform and a problem, summed by
    (minute, country, platform, problem): five columns sorted by minute, non-zero counts."""
    countries, minutes = rates.shape
    per_cell = rng.poisson(rates).ravel()
    cell = np.repeat(np.arange(per_cell.size), per_cell)
    platforms, problems = len(profile.platforms.names), len(profile.problems.names)
    platform = profile.platforms.sample(rng, cell.size)
    problem = (
        np.zeros(cell.size, dtype=np.int64) if works else profile.problems.sample(rng, cell.size)
    )
    minute, country = cell % minutes, cell // minutes
    key = ((minute * countries + country) * platforms + platform) * problems + problem
    key, count = np.unique(key, return_counts=True)
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
