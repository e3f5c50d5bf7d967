"""Labelled outage-report traffic at one-minute resolution, and the event metrics that judge a
detector on it: the benchmark of the product's own kind of data, beside NAB's tweet volumes.

`traffic(seed, services=, weeks=)` draws services of very unequal sizes (0.05 to 40 reports a
minute at their weekly peak) with what benign traffic does: daily and weekly cycles in the
audience's time zone, slow drift of the level, growth, a launch that lifts the level for good,
a holiday, benign +-40% wobbles of an hour or two, chronic small bursts, missing minutes and
gaps, nights with no report at all. Over it, labelled outages of 2.5x to 300x the usual rate,
6 minutes to 6 hours long, sharp, ramping, on a plateau or in two waves.

`judge(traffic, alerts)` scores a detector's alerts (start and end minutes per service) with
event metrics: an outage is caught when an alert starts between 10 minutes before its onset
and the end of its first hour; a false alarm is an alert overlapping no outage (counted per
service-week of judged time); "clear" outages (at least 20 reports and 3x the usual over their
first hour) are counted apart, with the delay from onset to the first alert.

Pure: numpy only, deterministic per seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from outages.detection.synthetic import MINUTES_PER_DAY, MINUTES_PER_WEEK, expected_rate

# Day 0 is a Monday at 00:00 UTC (2026-01-05), so minute-of-week arithmetic is plain.
START = 1_767_571_200
CATCH_BEFORE = 10  # minutes before an onset an alert may start and still catch it
CATCH_WITHIN = 60  # minutes after the onset
CLEAR_REPORTS = 20.0  # a clear outage: this many reports in its first hour...
CLEAR_RATIO = 3.0  # ...and this many times the usual
SHAPES = ("sharp", "ramp", "plateau", "waves")


@dataclass(frozen=True)
class Outage:
    """One labelled outage: minutes from the traffic's start, its size and shape."""

    service: int
    onset: int
    end: int  # exclusive
    ratio: float  # peak rate over the usual rate at the onset
    shape: str
    clear: bool
    reports: float  # expected reports (usual + extra) over its first hour
    judged: bool  # in the judged part (outages in the history only excuse alerts on them)


@dataclass(frozen=True)
class Traffic:
    """Counts (services, minutes) with NaN for missing minutes, the usual (outage-free,
    noise-free) rate behind them, the labelled outages and the minute judging starts at (the
    minutes before it are history for the detectors to learn from)."""

    counts: np.ndarray
    usual: np.ndarray
    outages: list[Outage]
    judged_from: int
    peaks: np.ndarray  # (services,) weekly peak reports a minute

    @property
    def start(self) -> float:
        return float(START)

    def service_weeks(self) -> float:
        services, minutes = self.counts.shape
        return float(services * (minutes - self.judged_from) / MINUTES_PER_WEEK)


def traffic(seed: int, *, services: int = 60, weeks: int = 4, history_weeks: int = 2) -> Traffic:
    """Draw `services` series of `weeks` weeks; the first `history_weeks` are history (they
    hold outages too, as real history does), outages are judged on the rest."""
    rng = np.random.default_rng(seed)
    minutes = weeks * MINUTES_PER_WEEK
    judged_from = history_weeks * MINUTES_PER_WEEK
    peaks = np.exp(rng.uniform(np.log(0.05), np.log(40.0), services))
    usual = np.stack([_usual(rng, peak, minutes) for peak in peaks])
    rate = usual * _wobbles(rng, services, minutes)
    rate += _chronic_bursts(rng, usual)
    outages: list[Outage] = []
    for s in range(services):
        extra, found = _outages(rng, s, usual[s], judged_from)
        rate[s] += extra
        outages += found
    counts = rng.poisson(rate).astype(float)
    counts[_missing(rng, services, minutes)] = np.nan
    return Traffic(counts, usual, outages, judged_from, peaks)


def _usual(rng: np.random.Generator, peak: float, minutes: int) -> np.ndarray:
    """One service's usual rate: its audience's daily and weekly shape, slow drift, maybe
    growth, a launch and a holiday."""
    offset = float(rng.choice([-8.0, -6.0, -5.0, -3.0, 0.0, 1.0, 2.0, 5.5, 8.0, 9.0, 10.0]))
    shape = "office" if rng.random() < 0.3 else "evening"
    weekend = float(rng.uniform(0.4, 0.8) if shape == "office" else rng.uniform(0.8, 1.25))
    week = expected_rate(
        np.arange(MINUTES_PER_WEEK), utc_offset_hours=offset, shape=shape, weekend_factor=weekend
    )
    week = week / week.max()
    base = np.tile(week, minutes // MINUTES_PER_WEEK + 1)[:minutes]
    t = np.arange(minutes, dtype=float)
    # Slow drift: a smooth random walk of the log level, about +-15% over weeks.
    knots = rng.normal(0.0, 0.08, minutes // MINUTES_PER_DAY + 2).cumsum()
    drift = np.exp(np.interp(t / MINUTES_PER_DAY, np.arange(len(knots)), knots))
    level = peak * drift
    if rng.random() < 0.25:  # growth: up to 1.8x over the whole span
        level *= 1.0 + rng.uniform(0.2, 0.8) * t / minutes
    if rng.random() < 0.15:  # a launch: the level steps up for good over a few hours
        at, lift = rng.uniform(0.2, 0.9) * minutes, rng.uniform(1.2, 1.6)
        level *= 1.0 + (lift - 1.0) * np.clip((t - at) / 240.0, 0.0, 1.0)
    if rng.random() < 0.3:  # a holiday: one weekday like a Sunday, higher or lower
        day = int(rng.integers(minutes // MINUTES_PER_DAY))
        if day % 7 < 5:
            sunday = 6 * MINUTES_PER_DAY
            span = slice(day * MINUTES_PER_DAY, (day + 1) * MINUTES_PER_DAY)
            base[span] = week[sunday : sunday + MINUTES_PER_DAY] * rng.uniform(0.7, 1.3)
    result: np.ndarray = level * base
    return result


def _wobbles(rng: np.random.Generator, services: int, minutes: int) -> np.ndarray:
    """Benign multiplicative wobbles: a few a week per service, +-40% at most, over 1 to 2 h."""
    factor = np.ones((services, minutes))
    t = np.arange(minutes, dtype=float)
    for s in range(services):
        for _ in range(rng.poisson(4.0 * minutes / MINUTES_PER_WEEK)):
            centre, width = rng.uniform(0, minutes), rng.uniform(60.0, 120.0)
            height = rng.uniform(-0.4, 0.4)
            near = slice(max(0, int(centre - width)), min(minutes, int(centre + width)))
            bump = np.cos(np.pi * np.clip((t[near] - centre) / width, -0.5, 0.5)) ** 2
            factor[s, near] *= 1.0 + height * bump
    return factor


def _chronic_bursts(rng: np.random.Generator, usual: np.ndarray) -> np.ndarray:
    """A fifth of the services burst again and again: 1 to 4 times a day, 2 to 5 minutes of
    2x to 4x their usual rate (a bot, a daily reset), part of their normal traffic."""
    extra = np.zeros_like(usual)
    services, minutes = usual.shape
    for s in np.flatnonzero(rng.random(services) < 0.2):
        per_day = rng.uniform(1.0, 4.0)
        for start in rng.uniform(0, minutes - 10, rng.poisson(per_day * minutes / 1440)):
            a, b = int(start), int(start) + int(rng.integers(2, 6))
            extra[s, a:b] += rng.uniform(1.0, 3.0) * max(usual[s, a], 0.3)
    return extra


def _outages(
    rng: np.random.Generator, service: int, usual: np.ndarray, judged_from: int
) -> tuple[np.ndarray, list[Outage]]:
    """Extra rate of one service's outages (about one a week, at least 12 h apart), labels."""
    minutes = len(usual)
    extra = np.zeros(minutes)
    found: list[Outage] = []
    onsets = np.sort(rng.uniform(0, minutes - 400, rng.poisson(minutes / MINUTES_PER_WEEK)))
    last_end = -(10**9)
    for onset in onsets.astype(int):
        if onset < last_end + 720:
            continue
        duration = int(np.exp(rng.uniform(np.log(6.0), np.log(360.0))))
        ratio = float(np.exp(rng.uniform(np.log(2.5), np.log(300.0))))
        shape = str(rng.choice(SHAPES))
        # The usual rate at the onset (an hour's mean): outages are sized against what users
        # of the service usually send at that time.
        base = max(float(usual[onset : onset + 60].mean()), 1e-3)
        profile = _shape(rng, shape, duration)
        extra[onset : onset + duration] += (ratio - 1.0) * base * profile
        last_end = onset + duration
        first = slice(onset, onset + CATCH_WITHIN)
        reports = float(usual[first].sum() + extra[first].sum())
        clear = reports >= CLEAR_REPORTS and reports >= CLEAR_RATIO * usual[first].sum()
        found.append(
            Outage(
                service,
                onset,
                onset + duration,
                ratio,
                shape,
                clear,
                reports,
                judged=onset >= judged_from,
            )
        )
    return extra, found


def _shape(rng: np.random.Generator, shape: str, duration: int) -> np.ndarray:
    """An outage's extra rate over its minutes, peak 1."""
    t = np.arange(duration, dtype=float)
    if shape == "sharp":  # at full strength at once, then easing off
        return np.asarray(np.exp(-t / max(duration / 2.0, 3.0)))
    if shape == "ramp":  # rising over 10 to 40 minutes (or its whole length), then holding
        rise = min(float(rng.uniform(10.0, 40.0)), 0.8 * duration)
        return np.asarray(np.clip((t + 1.0) / rise, 0.0, 1.0))
    if shape == "plateau":  # on and off
        return np.ones(duration)
    # Two waves: the second (0.4x to 1.2x the first) after a lull.
    cut = max(2, int(duration * rng.uniform(0.3, 0.6)))
    second = float(rng.uniform(0.4, 1.2))
    out = np.where(t < cut, 1.0, 0.1)
    gap = max(1, int((duration - cut) * 0.4))
    out[cut + gap :] = second
    return np.asarray(out / out.max())


def _missing(rng: np.random.Generator, services: int, minutes: int) -> np.ndarray:
    """Missing minutes: 0.3% at random, and a gap of 5 to 30 minutes about weekly."""
    missing = rng.random((services, minutes)) < 0.003
    for s in range(services):
        for start in rng.uniform(0, minutes - 30, rng.poisson(minutes / MINUTES_PER_WEEK)):
            missing[s, int(start) : int(start) + int(rng.integers(5, 31))] = True
    return missing


@dataclass(frozen=True)
class AlertSpan:
    """One alert of a detector: service, first and last minute (inclusive)."""

    service: int
    start: int
    end: int


@dataclass(frozen=True)
class Verdict:
    """Event metrics of one detector on one traffic draw."""

    outages: int
    caught: int
    clear: int
    clear_caught: int
    false_alarms: int
    service_weeks: float
    delays: list[float]  # minutes from onset to the catching alert, clear outages caught
    missed_clear: list[Outage]

    @property
    def recall(self) -> float:
        return self.caught / max(self.outages, 1)

    @property
    def clear_recall(self) -> float:
        return self.clear_caught / max(self.clear, 1)

    @property
    def false_per_week(self) -> float:
        return self.false_alarms / self.service_weeks

    def delay(self, q: float) -> float:
        return float(np.percentile(self.delays, q)) if self.delays else float("nan")


def judge(data: Traffic, alerts: list[AlertSpan]) -> Verdict:
    """Event metrics of alerts on the judged part of the traffic (see the module docstring).
    Alerts starting before the judged part are ignored."""
    by_service: dict[int, list[AlertSpan]] = {}
    for alert in alerts:
        if alert.end >= data.judged_from - CATCH_BEFORE:
            by_service.setdefault(alert.service, []).append(alert)
    caught = clear_caught = 0
    delays: list[float] = []
    missed: list[Outage] = []
    judged = [o for o in data.outages if o.judged]
    for outage in judged:
        starts = [
            a.start
            for a in by_service.get(outage.service, [])
            if outage.onset - CATCH_BEFORE <= a.start <= outage.onset + CATCH_WITHIN
        ]
        if starts:
            caught += 1
            clear_caught += outage.clear
            if outage.clear:
                delays.append(float(max(min(starts) - outage.onset, 0)))
        elif outage.clear:
            missed.append(outage)
    false_alarms = 0
    for service, found in by_service.items():
        spans = [(o.onset - CATCH_BEFORE, o.end) for o in data.outages if o.service == service]
        for alert in found:
            if alert.start < data.judged_from:
                continue
            if not any(alert.start <= end and alert.end >= onset for onset, end in spans):
                false_alarms += 1
    return Verdict(
        outages=len(judged),
        caught=caught,
        clear=sum(o.clear for o in judged),
        clear_caught=clear_caught,
        false_alarms=false_alarms,
        service_weeks=data.service_weeks(),
        delays=delays,
        missed_clear=missed,
    )
