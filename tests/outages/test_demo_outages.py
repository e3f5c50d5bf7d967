"""The demo's outage schedule: pure, the same whoever asks, and varied like real outages."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from outages.demo import DEMO_SERVICES, DEPENDENTS, service_profile
from outages.demo_outages import (
    FLOOR_PEAK,
    HISTORY_EVERY,
    DemoOutage,
    outages_planned,
)
from outages.detection.synthetic import audience_rates

ANCHOR = datetime(2026, 11, 18, 9, 41, 27, tzinfo=UTC)
CATEGORIES = {entry.slug: entry.category.value for entry in DEMO_SERVICES}


def week(anchor: datetime = ANCHOR) -> list[DemoOutage]:
    return outages_planned(anchor=anchor, start=anchor, end=anchor + timedelta(days=7))


def starts_of_epochs(outages: list[DemoOutage]) -> list[datetime]:
    """One start per outage or cascade (a cascade's dependents follow their origin)."""
    return sorted({o.start for o in outages if not o.cascade})


def test_the_first_outage_starts_within_three_minutes_on_a_well_known_service():
    first, *_ = outages_planned(anchor=ANCHOR, start=ANCHOR, end=ANCHOR + timedelta(minutes=3))

    assert ANCHOR < first.start <= ANCHOR + timedelta(minutes=3)
    assert next(s for s in DEMO_SERVICES if s.slug == first.slug).peak_per_minute >= 2
    assert first.minutes >= 30
    assert (first.platform, first.country, first.cascade) == ("", "", "")
    assert first.peak >= 40 * usual_at_start(first)


def test_any_window_gets_the_outages_the_whole_schedule_has_there():
    whole = outages_planned(anchor=ANCHOR, start=ANCHOR, end=ANCHOR + timedelta(hours=6))
    middle = ANCHOR + timedelta(hours=2, minutes=7)
    window = outages_planned(anchor=ANCHOR, start=middle, end=middle + timedelta(seconds=10))

    assert window == [
        o for o in whole if o.start < middle + timedelta(seconds=10) and o.end > middle
    ]
    later = outages_planned(
        anchor=ANCHOR, start=ANCHOR + timedelta(days=300), end=ANCHOR + timedelta(days=300, hours=1)
    )
    assert later  # a year on, still one every few minutes, each computed on its own


def test_the_schedule_depends_on_its_anchor_only():
    assert week() == week()
    other = week(ANCHOR + timedelta(minutes=1))
    assert [(o.slug, o.shape) for o in other] != [(o.slug, o.shape) for o in week()]
    assert not outages_planned(anchor=ANCHOR, start=ANCHOR - timedelta(days=1), end=ANCHOR)


def test_an_outage_starts_every_10_to_20_minutes_on_average():
    starts = starts_of_epochs(week())
    gaps = np.diff([s.timestamp() for s in starts]) / 60

    # One outage per 15-minute epoch, placed within it: what can go wrong is the placing.
    assert gaps.min() >= 5 and gaps.max() <= 25
    assert gaps.std() > 2  # not a fixed beat


def test_outages_vary_in_shape_size_duration_and_reach():
    outages = week()
    shapes = Counter(o.shape for o in outages)
    ratios = [o.peak / usual_at_start(o) for o in outages]

    assert set(shapes) == {"sharp", "ramp", "plateau", "waves"}
    assert min(shapes.values()) > len(outages) / 10
    assert min(o.minutes for o in outages) <= 10 and max(o.minutes for o in outages) >= 55
    assert all(6 <= o.minutes <= 60 for o in outages)
    assert min(ratios) < 5 and max(ratios) > 80
    assert all(o.peak >= FLOOR_PEAK for o in outages)  # big enough to be an incident
    assert sum(bool(o.platform) for o in outages) > len(outages) / 20
    assert sum(bool(o.country) for o in outages) > len(outages) / 20
    assert {o.slug for o in outages} == set(CATEGORIES)


def test_cascades_spread_from_a_provider_to_services_that_depend_on_it():
    outages = week()
    cascaded = [o for o in outages if o.cascade]

    assert cascaded
    for dependent in cascaded:
        origin = next(
            o
            for o in outages
            if o.slug == dependent.cascade
            and not o.cascade
            and timedelta(0) < dependent.start - o.start <= timedelta(minutes=4)
        )
        assert dependent.slug in DEPENDENTS[origin.slug]


def test_an_outage_reports_the_problems_of_its_category_and_its_reach():
    for outage in week():
        profile = service_profile(slug=outage.slug, category=CATEGORIES[outage.slug])
        problems = outage.mixes.problems
        assert problems.names == profile.problems.names
        assert problems.shares.max() >= 0.45  # one thing breaks first
        platforms = dict(
            zip(outage.mixes.platforms.names, outage.mixes.platforms.shares, strict=True)
        )
        countries = dict(
            zip(outage.mixes.countries.names, outage.mixes.countries.shares, strict=True)
        )
        if outage.platform:
            assert platforms[outage.platform] == 1.0
        else:
            assert platforms == pytest.approx(
                dict(zip(profile.platforms.names, profile.platforms.shares, strict=True))
            )
        if outage.country:
            assert countries[outage.country] == 1.0
        else:
            assert sum(share > 0 for share in countries.values()) >= 10


def test_its_rates_add_up_to_its_extra_reports_minute_by_minute():
    outage = week()[3]
    rates = outage.rates(outage.start - timedelta(minutes=2), outage.minutes + 4)

    assert rates.shape == (len(outage.mixes.countries.names), outage.minutes + 4)
    per_minute = rates.sum(axis=0)
    assert per_minute[:2].tolist() == [0, 0] and per_minute[-2:].tolist() == [0, 0]
    assert per_minute[2:-2] == pytest.approx(outage.extra)


def test_the_history_has_a_handful_of_outages_a_day():
    outages = outages_planned(
        anchor=ANCHOR, start=ANCHOR, end=ANCHOR + timedelta(days=14), every=HISTORY_EVERY
    )

    assert 3 * 14 <= len(starts_of_epochs(outages)) <= 8 * 14


def usual_at_start(outage: DemoOutage) -> float:
    profile = service_profile(slug=outage.slug, category=CATEGORIES[outage.slug])
    rates = audience_rates(
        outage.start, 1, peak_per_minute=profile.peak_per_minute, audience=profile.audience
    )[:, 0]
    return float(rates.sum())
