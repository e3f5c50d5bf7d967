"""Chart figures read at a glance: display buckets per range, whole-report y ticks, the
incident's start and peak marked, and every text in the page's language."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.utils import translation

from outages import charts
from outages.selectors import BandSeries

START = datetime(2026, 11, 18, 10, 2, tzinfo=UTC)  # not on a 5-minute boundary


def _minutes(counts: list[int]) -> BandSeries:
    size = len(counts)
    return BandSeries(
        times=[START + timedelta(minutes=i) for i in range(size)],
        counts=counts,
        expected=[1.0] * size,
        lower=[0.5] * size,
        upper=[2.0] * size,
        resolution=timedelta(minutes=1),
    )


def test_a_day_of_minutes_is_drawn_per_five_clock_minutes_without_a_partial_first_bucket():
    shown = charts.display_series(_minutes([1] * 13))  # 10:02 to 10:14

    assert shown.resolution == timedelta(minutes=5)
    assert shown.times == [START.replace(minute=5), START.replace(minute=10)]
    assert shown.counts == [5, 5]  # 10:02-10:04 left out: it would read as a dip
    assert (shown.expected, shown.lower, shown.upper) == ([5.0, 5.0], [2.5, 2.5], [10.0, 10.0])


def test_a_series_without_a_baseline_keeps_none_in_its_band():
    series = _minutes([0] * 10)
    blank = BandSeries(
        series.times, series.counts, [None] * 10, [None] * 10, [None] * 10, series.resolution
    )
    assert charts.display_series(blank).upper == [None, None]


def test_a_tiny_service_gets_whole_report_ticks():
    assert charts.integer_ticks(1)["dtick"] == 1
    assert charts.integer_ticks(1.5)["dtick"] == 1
    assert charts.integer_ticks(92)["dtick"] == 20
    assert charts.integer_ticks(3000)["dtick"] == 1000
    assert charts.integer_ticks(7)["tickformat"] == ",d"


def test_an_open_incident_is_shaded_with_its_start_and_peak_marked():
    counts = [0] * 30
    counts[20] = 9
    incident = charts.Shade(START + timedelta(minutes=15), None, 2, START + timedelta(minutes=20))

    figure = charts.band_chart(_minutes(counts), title="t", incidents=[incident])

    rect, line = figure["layout"]["shapes"]
    assert rect["x0"] == line["x0"] == (START + timedelta(minutes=15)).isoformat()
    assert rect["x1"] == START.replace(minute=35).isoformat()  # open: to the chart's end
    (peak,) = [t for t in figure["data"] if t.get("uid") == "peak"]
    assert peak["x"] == [START.replace(minute=20).isoformat()] and peak["y"] == [9]


def test_an_incident_outside_the_range_is_not_drawn():
    old = charts.Shade(START - timedelta(days=2), START - timedelta(days=1), 2, None)
    figure = charts.band_chart(_minutes([0] * 10), title="t", incidents=[old])
    assert figure["layout"]["shapes"] == [] and figure["layout"]["annotations"] == []


def test_french_charts_carry_no_english_text():
    english = re.compile(r"\b(reports?|problem|typical|per|hour|start|peak)\b", re.I)
    incident = charts.Shade(START + timedelta(minutes=5), None, 2, START + timedelta(minutes=6))
    with translation.override("fr"):
        band = charts.band_chart(_minutes([1] * 20), title="t", incidents=[incident])
        spike = charts.spike_chart([(START, 1), (START + timedelta(minutes=1), 2)], title="t")
        world = charts.country_map({"FR": 3}, title="t", topojson_url="/t/")
    texts = [
        str(value)
        for figure in (band, spike, world)
        for item in (
            *figure["data"],
            figure["layout"].get("yaxis", {}).get("title", {}),
            *figure["layout"].get("annotations", []),
        )
        for key, value in item.items()
        if key in {"name", "hovertemplate", "text"}
    ]
    assert texts and [t for t in texts if english.search(re.sub(r"%\{[^}]*\}", "", t))] == []
    assert "Signalements de problèmes par tranche de 5 min" in texts
