"""The seed command: demo services, and their history written straight into minute buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Max, Min, QuerySet, Sum

from outages.demo import DEMO_SERVICES
from outages.demo_outages import HISTORY_EVERY, outages_planned
from outages.models import Incident, IncidentEvent, MinuteBucket, Service
from outages.services.backfill import WARM_UP
from reports.models import Report

pytestmark = pytest.mark.django_db
NOW = datetime(2024, 3, 6, 12, 30, 20, tzinfo=UTC)


def seed(*args: str) -> str:
    """The command without its detection over the history (tests/outages/test_backfill.py),
    which would take most of each test's time."""
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed", *args, "--no-detect", stdout=out)
    return out.getvalue()


def totals(buckets: QuerySet[MinuteBucket], field: str) -> dict[Any, int]:
    return dict(buckets.values_list(field).annotate(n=Sum("count")))


def test_it_writes_history_for_every_demo_service_straight_into_buckets():
    output = seed("--days", "1", "--seed", "1")

    buckets = MinuteBucket.objects.all()
    assert "straight into minute buckets, not through intake" in output
    assert Service.objects.count() == len(DEMO_SERVICES)
    assert set(buckets.values_list("service__slug", flat=True)) == {s.slug for s in DEMO_SERVICES}
    assert not Report.objects.exists()  # no raw reports behind the history
    span = buckets.aggregate(first=Min("minute"), last=Max("minute"))
    assert span["first"] >= NOW.replace(second=0) - timedelta(days=1)
    assert span["last"] < NOW.replace(second=0)
    assert not buckets.filter(count=0).exists()  # sparse: non-zero buckets only


def test_its_history_is_split_by_platform_problem_and_country_with_works_reports():
    seed("--days", "1", "--seed", "2")

    twitter = MinuteBucket.objects.filter(service__slug="twitter")
    platforms, countries, kinds = (totals(twitter, by) for by in ("platform", "country", "kind"))
    assert {"web", "ios", "android"} <= set(platforms)
    assert max(platforms, key=platforms.get) == "web"
    assert max(countries, key=countries.get) == "US"
    assert {"GB", "JP"} <= set(countries) and len(countries) >= 10
    assert 0.02 < kinds["works"] / kinds["problem"] < 0.15
    assert set(twitter.filter(kind="works").values_list("problem", flat=True)) == {""}
    # About the service's typical volume: 6 reports a minute at the weekly peak.
    assert 3_000 < kinds["problem"] < 9_000


def test_its_history_holds_the_past_outages_of_the_demo_schedule():
    seed("--days", "3", "--seed", "7")

    end = NOW.replace(second=0)
    start = end - timedelta(days=3)
    outages = outages_planned(anchor=start, start=start, end=end, every=HISTORY_EVERY)
    assert len(outages) >= 9  # a handful a day
    for outage in outages:
        until = min(outage.end, end)
        during = MinuteBucket.objects.filter(
            service__slug=outage.slug, kind="problem", minute__gte=outage.start, minute__lt=until
        )
        planned = sum(outage.extra[: (until - outage.start) // timedelta(minutes=1)])
        assert during.aggregate(n=Sum("count"))["n"] >= 0.8 * planned, outage
        if outage.platform:
            assert totals(during, "platform")[outage.platform] >= 0.8 * planned
        if outage.country:
            assert totals(during, "country")[outage.country] >= 0.8 * planned


def test_it_reports_its_time_and_row_count():
    output = seed("--days", "1", "--seed", "3")

    reports = MinuteBucket.objects.aggregate(n=Sum("count"))["n"]
    assert f"History written: {reports} reports in {MinuteBucket.objects.count()} buckets" in output


def test_it_leaves_minutes_that_already_have_buckets_alone():
    seed("--days", "1", "--seed", "4")
    twitter = Service.objects.get(slug="twitter")
    before = totals(MinuteBucket.objects.filter(service=twitter), "minute")

    seed("--days", "1", "--seed", "5")

    after = totals(MinuteBucket.objects.filter(service=twitter), "minute")
    assert all(after[minute] == count for minute, count in before.items())


def test_it_does_nothing_if_already_seeded_with_if_empty():
    seed("--days", "1", "--seed", "6")
    total = MinuteBucket.objects.count()

    output = seed("--if-empty")

    assert "skipping" in output
    assert MinuteBucket.objects.count() == total


def test_it_records_the_incidents_of_its_history_after_the_warm_up():
    """The detection over the history (manage.py detect --backfill): past outages are there
    from the start, as incidents. One service, nine days (eight of them the warm-up)."""
    end = NOW.replace(second=0)
    start = end - timedelta(days=9)
    scored = start + WARM_UP + timedelta(hours=1)
    outage = outages_planned(anchor=start, start=scored, end=end, every=HISTORY_EVERY)[0]
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("seed", "--days", "9", "--seed", "8", f"--services={outage.slug}", stdout=out)

    assert "Detection backfilled" in out.getvalue()
    near = (outage.start - timedelta(minutes=5), outage.start + timedelta(minutes=5))
    assert Incident.objects.filter(service__slug=outage.slug, started_at__range=near), outage
    assert not IncidentEvent.objects.filter(delivered_at__isnull=True).exists()  # no alert
