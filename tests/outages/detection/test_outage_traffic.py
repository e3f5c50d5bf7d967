"""The outage-traffic benchmark: a labelled draw is repeatable and varied, and its event
metrics count caught outages, clear ones and false alarms as documented."""

from __future__ import annotations

import numpy as np

from outages.detection import outage_traffic as ot


def small(seed: int = 3) -> ot.Traffic:
    return ot.traffic(seed, services=12, weeks=3, history_weeks=1)


def test_a_draw_repeats_for_its_seed_and_spans_tiny_to_large_services():
    first, again, other = small(), small(), small(4)

    assert np.array_equal(first.counts, again.counts, equal_nan=True)
    assert not np.array_equal(first.counts, other.counts, equal_nan=True)
    assert 0.05 <= first.peaks.min() and first.peaks.max() <= 40.0
    assert np.isnan(first.counts).any() and (np.nan_to_num(first.counts) == 0).any()


def test_outages_are_labelled_with_shapes_sizes_and_clarity():
    data = ot.traffic(5, services=40, weeks=3, history_weeks=1)
    judged = [o for o in data.outages if o.judged]

    assert judged and all(o.onset >= data.judged_from for o in judged)
    assert all(2.5 <= o.ratio <= 300 and 6 <= o.end - o.onset <= 360 for o in judged)
    assert {o.shape for o in judged} == set(ot.SHAPES)
    clear = [o for o in judged if o.clear]
    assert clear and all(o.reports >= ot.CLEAR_REPORTS for o in clear)


def test_an_alert_from_10_minutes_before_to_an_hour_after_the_onset_catches_it():
    data = small()
    outage = next(o for o in data.outages if o.judged)
    early = ot.AlertSpan(outage.service, outage.onset - 10, outage.onset + 5)
    late = ot.AlertSpan(outage.service, outage.onset + 61, outage.onset + 70)

    assert ot.judge(data, [early]).caught == 1
    verdict = ot.judge(data, [late])
    assert verdict.caught == 0
    assert verdict.false_alarms == (0 if late.start <= outage.end else 1)


def test_an_alert_overlapping_no_outage_is_a_false_alarm_per_service_week():
    data = small()
    busy = {(o.service, m) for o in data.outages for m in range(o.onset - 10, o.end + 1)}
    quiet = next(
        m
        for m in range(data.judged_from, data.counts.shape[1])
        if (0, m) not in busy and all((0, k) not in busy for k in range(m, m + 5))
    )
    verdict = ot.judge(data, [ot.AlertSpan(0, quiet, quiet + 4)])

    assert verdict.false_alarms == 1 and verdict.caught == 0
    assert verdict.false_per_week == 1 / data.service_weeks()
