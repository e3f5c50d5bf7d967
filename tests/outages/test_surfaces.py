"""Every surface tells the same figures for one service and window: one history (a week of
usual traffic, then an outage scored minute by minute by the real detection pass), then every
page and API asked over HTTP, on a held clock.

Over 300 lines: one history compared on every surface, figure by figure.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import time_machine
from django.db import transaction
from django.db.models import Sum

from outages import charts, figures
from outages.detection.timebuckets import MINUTE, floor_to
from outages.incident_rules import Diversity
from outages.models import Incident, MinuteBucket, ServiceStatus
from outages.services import status as status_module
from outages.services.baselines import baselines_fit
from outages.services.buckets import BucketKey, bucket_increment
from outages.services.detection import detection_pass
from outages.services.series import SeriesKey
from outages.services.status import statuses_rebuild, statuses_store
from outages.summaries import about
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

# A Wednesday evening, 7 minutes into a quarter: the 24-hour series then covers the
# sparkline's first quarter in full.
NOW = datetime(2026, 11, 18, 20, 7, 30, tzinfo=UTC)
UNTIL = figures.as_of(NOW)  # 20:06, the last complete minute
OUTAGE = 30  # minutes, ending with UNTIL
# Usual traffic: (platform, country) -> reports per minute.
MIX = {("web", "US"): 1.2, ("ios", "US"): 0.5, ("web", "FR"): 0.5, ("android", "FR"): 0.3}


def diverse(service_id: int, since: datetime, until: datetime) -> Diversity:
    return Diversity(
        reports=500, reporters=480, networks=400, top_network_share=0.01, top_origin_share=0.0
    )


def _write(increments: dict[BucketKey, int]) -> None:
    with transaction.atomic():
        bucket_increment(increments=increments)


def _usual_week(service_id: int, *, end: datetime) -> None:
    rng = np.random.default_rng(3)
    start = end - timedelta(days=7)
    increments = {}
    for (platform, country), rate in MIX.items():
        counts = rng.poisson(rate, 7 * 1440)
        for i in np.flatnonzero(counts):
            minute = start + int(i) * MINUTE
            increments[BucketKey(service_id, minute, "problem", platform, "login", country)] = int(
                counts[i]
            )
    _write(increments)


def _outage_minute(service_id: int, minute: datetime, i: int) -> None:
    """A rise and fall over OUTAGE minutes, mostly web from the US, some from France, and a
    few "works for me"."""
    size = 8 * min(i + 1, OUTAGE - i)
    _write(
        {
            BucketKey(service_id, minute, "problem", "web", "login", "US"): size,
            BucketKey(service_id, minute, "problem", "ios", "login", "FR"): size // 4,
            BucketKey(service_id, minute, "works", "web", "", "US"): 2,
        }
    )


@pytest.fixture
def history():  # type: ignore[no-untyped-def]
    service = ServiceFactory(slug="chirp", name="Chirp")
    first = UNTIL - (OUTAGE - 1) * MINUTE
    _usual_week(service.id, end=first)
    baselines_fit(now=first)
    for i in range(OUTAGE):  # beat's pass a few seconds after each minute ends
        minute = first + i * MINUTE
        _outage_minute(service.id, minute, i)
        detection_pass(now=minute + MINUTE + timedelta(seconds=5), diversity=diverse)
    with time_machine.travel(NOW, tick=False):
        yield service, Incident.objects.get(service=service)


def _number(text: str) -> int:
    return int(re.sub(r"[^\d]", "", text))


def _attr(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return html.unescape(found.group(1))


def _rolling(counts: list[int]) -> list[int]:
    """The 15-minute count ending at each minute (from the 15th on)."""
    return [sum(counts[i - 14 : i + 1]) for i in range(14, len(counts))]


def test_every_surface_tells_the_same_figures(client, history):
    service, incident = history
    slug = service.slug
    api = client.get(f"/api/v1/services/{slug}").json()["status"]
    minutes = client.get(f"/api/v1/services/{slug}/series?range=24h").json()["points"]
    quarters = client.get(f"/api/v1/services/{slug}/series?range=7d").json()["points"]
    us_minutes = client.get(f"/api/v1/services/{slug}/series?range=24h&country=US").json()
    download = client.get(f"/s/{slug}/series.json").json()["points"]
    live = client.get(f"/s/{slug}/live.json").json()
    page = client.get(f"/s/{slug}/").content.decode()
    home = client.get("/").content.decode()
    region = client.get("/region/US/").content.decode()
    embed = client.get(f"/embed/{slug}/").content.decode()
    badge = client.get(f"/badge/{slug}.json").json()
    incident_page = client.get(f"/incidents/{incident.pk}/").content.decode()
    incident_api = client.get(f"/api/v1/incidents/{incident.pk}").json()
    breakdowns = client.get(f"/api/v1/services/{slug}/breakdowns?range=24h").json()

    # The level.
    assert incident.visibility == Incident.Visibility.PUBLIC and incident.status == "open"
    level = incident.level
    assert api["level"] == live["level"] == level
    assert f'data-status-level="{level}"' in page
    assert f'data-level="{level}"' in embed
    assert badge["message"] == {1: "possible problems", 2: "problems"}[level]
    home_row = _attr(home, r'(<tr class="level-\d">\s*<td><a href="/s/chirp/">.*?</tr>)')
    assert f'class="level-{level}"' in home_row

    # The 15-minute count: the 15 minutes ending with the last complete one, which the series
    # shows before its partial point (the minute in progress).
    assert minutes[-1]["partial"] and minutes[-1]["time"].startswith("2026-11-18T20:07")
    recent = sum(point["reports"] for point in minutes[-16:-1])
    assert recent > 15 * sum(MIX.values()) * 3  # the outage, not the usual traffic
    assert api["reports_15min"] == live["problems"] == recent
    assert _number(_attr(page, r'data-live="problems">([^<]+)<')) == recent
    assert int(_attr(home_row, r'data-count="recent" data-value="(\d+)"')) == recent
    assert [p["reports"] for p in download] == [p["reports"] for p in minutes]
    # The region row counts that country's reports over the same minutes.
    us_recent = sum(point["reports"] for point in us_minutes["points"][-16:-1])
    region_row = _attr(region, r'<a href="/s/chirp/">Chirp</a></th>\s*(<td[^>]*>)')
    assert int(_attr(region_row, r'data-value="(\d+)"')) == us_recent
    assert 0 < us_recent < recent

    # The sparkline: quarter-hours, the last one still filling; the 7-day series' last 96.
    line = api["sparkline"]
    assert line == [point["reports"] for point in quarters[-96:]]
    assert api["sparkline_start"].startswith("2026-11-17T20:15")
    assert min(line[:-3]) > 0  # the usual history reaches its left edge
    assert charts.sparkline_points(line) in home_row
    expected = api["expected_15min"]
    top = max([*line, expected + 2 * expected**0.5, 1])
    assert charts.sparkline_points(line, width=240, height=40, top=top) in embed

    # The 24 h count: the sparkline's sum, the bucket total over its quarters, the 24-hour
    # breakdown's total.
    day = sum(line)
    first_quarter = datetime.fromisoformat(api["sparkline_start"])
    stored = MinuteBucket.objects.filter(
        service=service, kind="problem", minute__gte=first_quarter, minute__lte=UNTIL
    ).aggregate(total=Sum("count"))["total"]
    assert api["reports_24h"] == stored == day == breakdowns["total"]
    assert _number(_attr(page, r'data-count="day">([^<]+)<')) == day
    assert int(_attr(home_row, r'data-count="day" data-value="(\d+)"')) == day
    assert f"{day} problem reports in the last 24 hours" in embed
    per_minute = sum(
        point["reports"]
        for point in minutes[:-1]
        if datetime.fromisoformat(point["time"]) >= first_quarter
    )
    assert per_minute == day

    # The incident's peak per 15 minutes: the highest 15-minute count any page showed while
    # it was open; peak / typical against the series' expected values over those minutes.
    start = datetime.fromisoformat(incident_api["started_at"])
    times = [datetime.fromisoformat(point["time"]) for point in minutes]
    first = times.index(start) - 14
    counts = [point["reports"] for point in minutes[first:-1]]
    peak = max(_rolling(counts))
    assert incident_api["peak_quarter_count"] == incident.peak_quarter_count == peak
    assert peak >= recent
    best = first + _rolling(counts).index(peak)
    typical = sum(point["expected"] for point in minutes[best : best + 15])
    said = _attr(incident_page, r'data-count="peak-ratio">([\d.,]+)×<')
    assert said == _attr(page, r'data-count="peak-ratio">([^<]+)<')  # the same text
    ratio = float(said.replace(",", ""))
    assert ratio == pytest.approx(peak / typical, abs=0.1 if ratio < 10 else 0.5)
    assert ratio > 3
    assert f"Reports peaked at about {about(peak)} per 15 minutes" in incident_page
    assert _attr(page, r'data-count="peak">([^<]+)<') == about(peak)
    middle = datetime.fromisoformat(incident_api["peak_quarter_at"])
    assert middle == times[best] + 7 * MINUTE


def test_a_sparkline_shows_history_written_before_the_first_pass(history):
    """The seeded week reaches the summary: its quarters are the buckets' sums."""
    service, _ = history
    line = figures.sparklines(service_ids=[service.id], until=UNTIL)[service.id]
    status = ServiceStatus.objects.get(service=service)
    assert status.sparkline == line
    assert status.sparkline_end == figures.spark_end(UNTIL)


def test_history_written_behind_the_pass_reaches_the_summary_once_rebuilt(history):
    """A replay or a backfill writes minutes the pass has already scored; a rebuild of the
    summaries counts them."""
    service, _ = history
    hours_ago = UNTIL - timedelta(hours=5)
    _write({BucketKey(service.id, hours_ago, "problem", "web", "login", "US"): 500})
    before = ServiceStatus.objects.get(service=service).sparkline

    assert statuses_rebuild(now=NOW, service_ids=[service.id]) == 1

    after = ServiceStatus.objects.get(service=service)
    slot = int(
        (floor_to(hours_ago, figures.QUARTER) - figures.spark_start(UNTIL)) // figures.QUARTER
    )
    assert after.sparkline[slot] == before[slot] + 500
    recent = figures.recent_counts(until=UNTIL, service_ids=[service.id], kind="problem")
    assert after.recent == recent[service.id]["problem"]


def test_a_quiet_services_stored_sparkline_moves_with_the_clock():
    end = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    line = list(range(96))
    assert figures.sparkline_shift(line, end, end + 14 * MINUTE) == line
    assert figures.sparkline_shift(line, end, end + 15 * MINUTE) == [*range(1, 96), 0]
    assert figures.sparkline_shift(line, end, end + timedelta(days=1)) == [0] * 96
    assert figures.sparkline_shift([1, 2], end, end) == [0] * 96


def test_a_short_incident_s_peak_counts_the_15_minutes_ending_at_its_minutes():
    start = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    per_minute = {start - 14 * MINUTE + i * MINUTE: 10 for i in range(14)} | {start: 50}
    peak = figures.peak_quarter(per_minute, start=start, end=start + MINUTE)
    assert (peak.count, peak.start, peak.middle) == (190, start - 14 * MINUTE, start - 7 * MINUTE)


def _store_pass(service_id: int, *, until: datetime) -> None:
    """statuses_store as a pass scoring up to `until` calls it (its 45 minutes, quiet)."""
    times = (until - 45 * MINUTE).timestamp() + 60.0 * np.arange(46)
    statuses_store(
        keys=[SeriesKey(service_id, "", "")],
        values=np.zeros((1, 46)),
        expected=np.ones((1, 46)),
        dispersion=np.full((1, 6), 0.1),
        times=times,
    )


def test_a_pass_over_an_earlier_minute_leaves_a_newer_summary_alone(history):
    service, _ = history
    before = ServiceStatus.objects.get(service=service)

    _store_pass(service.id, until=UNTIL - timedelta(hours=3))

    after = ServiceStatus.objects.get(service=service)
    assert (after.sparkline, after.sparkline_end, after.recent) == (
        before.sparkline,
        before.sparkline_end,
        before.recent,
    )


def test_a_pass_after_a_gap_counts_the_quarters_it_did_not_see(history):
    service, _ = history
    ServiceStatus.objects.filter(service=service).update(
        sparkline_end=figures.spark_end(UNTIL) - 4 * figures.QUARTER
    )
    _write({BucketKey(service.id, UNTIL - timedelta(hours=3), "problem", "web", "login", "US"): 7})

    _store_pass(service.id, until=UNTIL + 5 * MINUTE)

    status = ServiceStatus.objects.get(service=service)
    until = UNTIL + 5 * MINUTE
    assert status.sparkline == figures.sparklines(service_ids=[service.id], until=until)[service.id]


def test_a_pass_rebuilds_a_bounded_number_of_sparklines_and_the_next_one_the_rest(monkeypatch):
    monkeypatch.setattr(status_module, "REBUILDS_PER_PASS", 1)
    first, second = ServiceFactory(), ServiceFactory()
    for service in (first, second):
        _write({BucketKey(service.id, UNTIL - timedelta(hours=2), "problem", "web", "", "US"): 4})
    keys = [SeriesKey(first.id, "", ""), SeriesKey(second.id, "", "")]
    times = (UNTIL - 45 * MINUTE).timestamp() + 60.0 * np.arange(46)

    def one_pass() -> dict[int, tuple[int, datetime | None]]:
        statuses_store(
            keys=keys,
            values=np.zeros((2, 46)),
            expected=np.ones((2, 46)),
            dispersion=np.full((2, 6), 0.1),
            times=times,
        )
        rows = ServiceStatus.objects.values_list("service_id", "sparkline", "sparkline_end")
        return {service_id: (sum(line), end) for service_id, line, end in rows}

    assert one_pass() == {first.id: (4, figures.spark_end(UNTIL)), second.id: (0, None)}
    assert one_pass()[second.id] == (4, figures.spark_end(UNTIL))
