"""The demo's outages: when, on which services, how big and of what shape, from an anchor.

A schedule is a pure function of its anchor (and seed): the live demo (reports.simulation) and
the seeded history (the seed command) ask which outages overlap a window, from any process and
at any time, and always get the same ones. Epoch k of the schedule, [anchor + k * every,
anchor + (k + 1) * every), holds one outage (or one cascade), drawn from its own random stream,
so answering costs the same on the first day as after a year.

Pure: standard library, numpy and the demo catalogue. Sending reports or writing buckets
belongs to the callers.

Over 300 lines: one schedule and the outage shapes it draws from, all pure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

import numpy as np

from outages.demo import DEMO_SERVICES, DEPENDENTS, Profile, service_profile
from outages.detection import synthetic as syn
from outages.detection.synthetic import Mix, Wave
from outages.detection.timebuckets import MINUTE, floor_to_minute, require_aware

# The live demo: one outage (or cascade) every 15 minutes on average, 5 to 25 apart.
LIVE_EVERY = timedelta(minutes=15)
# The seeded history: a handful a day.
HISTORY_EVERY = timedelta(hours=5)
LONGEST = 60  # minutes; no outage lasts longer
# Extra problem reports per minute an outage adds, at least: at its peak, and on average over
# its duration, counted as 20 minutes at least (this much, or 1.5 times the service's busiest
# usual minute). Below these an outage would be a few reports the detector rightly calls noise.
FLOOR_PEAK = 10.0
FLOOR_MEAN = 5.0
# Services big enough to tell the first story (the one a newcomer sees within minutes).
_HEADLINERS = tuple(entry.slug for entry in DEMO_SERVICES if entry.peak_per_minute >= 2.0)
_CATEGORIES = {entry.slug: entry.category.value for entry in DEMO_SERVICES}
_ORDER = 7919  # tells the stream of a round's order from those of its epochs


@dataclass(frozen=True)
class Mixes:
    """Where an outage's reports come from and what they say, as shares over the names of the
    service's own profile (zero weight for what the outage spares)."""

    countries: Mix
    platforms: Mix
    problems: Mix
    works_share: float = 0.02  # fewer "works for me" than usual: most who come are hit


@dataclass(frozen=True)
class DemoOutage:
    """Extra problem reports on one service: `extra[i]` in minute i from `start`."""

    slug: str
    start: datetime
    shape: str  # sharp, ramp, plateau or waves
    extra: tuple[float, ...]
    mixes: Mixes
    platform: str = ""  # the one platform hit, if only one
    country: str = ""  # the one country hit, if only one
    cascade: str = ""  # the service it spread from, if any

    @property
    def minutes(self) -> int:
        return len(self.extra)

    @property
    def end(self) -> datetime:
        return self.start + self.minutes * MINUTE

    @property
    def peak(self) -> float:
        return max(self.extra)

    def rates(self, at: datetime, minutes: int) -> np.ndarray:
        """Extra problem reports per minute over [at, at + minutes) by country (rows in
        mixes.countries order); zero outside the outage."""
        offset = int((floor_to_minute(at) - self.start) // MINUTE)
        index = np.arange(offset, offset + minutes)
        inside = (index >= 0) & (index < self.minutes)
        per_minute = np.where(
            inside, np.asarray(self.extra)[np.clip(index, 0, self.minutes - 1)], 0
        )
        result: np.ndarray = self.mixes.countries.shares[:, None] * per_minute[None, :]
        return result


def outages_planned(
    *,
    anchor: datetime,
    start: datetime,
    end: datetime,
    every: timedelta = LIVE_EVERY,
    seed: int | None = None,
) -> list[DemoOutage]:
    """The schedule's outages overlapping [start, end), by start. The first one starts 1 or 2
    minutes after the anchor; `seed` defaults to one derived from the anchor."""
    anchor = floor_to_minute(require_aware(anchor))
    seed = (int(anchor.timestamp()) if seed is None else seed) & 0xFFFF_FFFF_FFFF
    first = max(0, math.floor((start - anchor - LONGEST * MINUTE - every) / every))
    last = math.floor((end - anchor) / every)
    found = [
        outage
        for k in range(first, last + 1)
        for outage in _epoch(anchor, k, every=every, seed=seed)
        if outage.start < end and outage.end > start
    ]
    return sorted(found, key=lambda outage: (outage.start, outage.slug))


def _epoch(anchor: datetime, k: int, *, every: timedelta, seed: int) -> list[DemoOutage]:
    """Epoch k's outage, or its cascade (the origin first)."""
    rng = np.random.default_rng([seed, k])
    slug = _turn(seed, k)
    if k == 0:
        return [_first(rng, slug, anchor + int(rng.integers(1, 3)) * MINUTE)]
    latest = int(every / MINUTE * 2 / 3)
    start = anchor + k * every + int(rng.integers(0, latest)) * MINUTE
    if slug in DEPENDENTS and rng.random() < 0.5:
        return _cascade(rng, slug, start)
    return [_outage(rng, slug, start, _SHAPES[int(rng.integers(len(_SHAPES)))], _ratio(rng))]


def _turn(seed: int, k: int) -> str:
    """Epoch k's service: every demo service once per round of epochs, in an order shuffled
    per round (the first round opens with a well-known service). A service's incident then
    has time to close before its next outage, which would otherwise only prolong it."""
    turn, index = divmod(k, len(DEMO_SERVICES))
    order = [DEMO_SERVICES[int(i)].slug for i in _shuffled(seed, turn)]
    if turn == 0:
        headliner = next(slug for slug in order if slug in _HEADLINERS)
        order.remove(headliner)
        order.insert(0, headliner)
    return order[index]


def _shuffled(seed: int, turn: int) -> np.ndarray:
    order: np.ndarray = np.random.default_rng([seed, turn, _ORDER]).permutation(len(DEMO_SERVICES))
    return order


def _first(rng: np.random.Generator, slug: str, start: datetime) -> DemoOutage:
    """A clear story to start with: a well-known service, everywhere, on every platform, up
    within two minutes and holding for most of an hour."""
    ratio = float(rng.uniform(40, 80))
    return _outage(
        rng, slug, start, _PLATEAU, ratio, minutes=int(rng.integers(35, 51)), scope=False
    )


def _cascade(rng: np.random.Generator, origin: str, start: datetime) -> list[DemoOutage]:
    """A provider down and, a few minutes later, some of the services depending on it."""
    dependents = DEPENDENTS[origin]
    count = int(rng.integers(1, len(dependents) + 1))
    hit = rng.choice(len(dependents), size=count, replace=False)
    shape = _SHAPES[int(rng.integers(len(_SHAPES)))]
    ratio = _ratio(rng)
    outages = [_outage(rng, origin, start, shape, ratio, scope=False)]
    for index in sorted(int(i) for i in hit):
        later = start + int(rng.integers(1, 5)) * MINUTE
        share = float(rng.uniform(0.3, 0.8))
        outages.append(
            _outage(
                rng, dependents[index], later, shape, ratio * share, scope=False, cascade=origin
            )
        )
    return outages


def _ratio(rng: np.random.Generator) -> float:
    """Peak extra reports over the usual: a few times to about a hundred, small ones commoner."""
    return float(np.exp(rng.uniform(np.log(3), np.log(100))))


def _outage(
    rng: np.random.Generator,
    slug: str,
    start: datetime,
    shape: _Shape,
    ratio: float,
    *,
    minutes: int | None = None,
    scope: bool = True,
    cascade: str = "",
) -> DemoOutage:
    """One service's outage: its mixes (sometimes one platform or one country only), its shape
    over its duration, scaled to `ratio` times the usual reports of what it hits."""
    profile = _profile(slug)
    minutes = minutes or int(rng.integers(shape.shortest, shape.longest + 1))
    platform = country = ""
    if scope and (draw := rng.random()) < 0.15:
        platform = _one_of(rng, profile.platforms, least=0.1, exclude=("other",))
    elif scope and draw < 0.3:
        country = _one_of(rng, profile.countries, least=0.05)
    mixes = Mixes(
        countries=_only(profile.countries, country),
        platforms=_only(profile.platforms, platform),
        problems=_mostly(rng, profile.problems),
    )
    usual = float((_usual(profile, start) * mixes.countries.shares.astype(bool)).sum())
    if platform:
        usual *= profile.platforms.shares[profile.platforms.names.index(platform)]
    relative = shape.curve(rng, minutes)
    mean = max(FLOOR_MEAN, 1.5 * profile.peak_per_minute)
    peak = max(ratio * usual, FLOOR_PEAK, mean * max(minutes, 20) / relative.sum())
    return DemoOutage(
        slug=slug,
        start=start,
        shape=shape.name,
        extra=tuple(float(x) for x in np.round(peak * relative, 3)),
        mixes=mixes,
        platform=platform,
        country=country,
        cascade=cascade,
    )


def _profile(slug: str) -> Profile:
    return service_profile(slug=slug, category=_CATEGORIES[slug])


def _usual(profile: Profile, at: datetime) -> np.ndarray:
    """The service's usual problem reports per minute at `at`, by country."""
    rates: np.ndarray = syn.audience_rates(
        at, 1, peak_per_minute=profile.peak_per_minute, audience=profile.audience
    )[:, 0]
    return rates


def _one_of(
    rng: np.random.Generator, mix: Mix, *, least: float, exclude: tuple[str, ...] = ()
) -> str:
    """A name with at least `least` of the mix (a segment with a baseline of its own), drawn by
    share."""
    names = [
        n for n, s in zip(mix.names, mix.shares, strict=True) if s >= least and n not in exclude
    ]
    names = names or [mix.names[int(np.argmax(mix.shares))]]
    weights = np.array([mix.shares[mix.names.index(n)] for n in names])
    return names[int(rng.choice(len(names), p=weights / weights.sum()))]


def _only(mix: Mix, name: str) -> Mix:
    """The mix itself, or all of it on `name`."""
    if not name:
        return mix
    return Mix(mix.names, tuple(1.0 if n == name else 0.0 for n in mix.names))


def _mostly(rng: np.random.Generator, problems: Mix) -> Mix:
    """The category's problems with one of them (drawn by its usual share) dominant: an
    outage breaks one thing first (logins, the feed, payments...)."""
    dominant = int(problems.sample(rng, 1)[0])
    weight = float(rng.uniform(0.45, 0.75))
    shares = (1 - weight) * problems.shares
    shares[dominant] += weight
    return Mix(problems.names, tuple(float(s) for s in shares))


def _sharp(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Up within a minute or two, then fading."""
    t = np.arange(minutes, dtype=float)
    rise = float(rng.integers(1, 3))
    result: np.ndarray = np.where(
        t < rise, (t + 1) / (rise + 1), np.exp(-(t - rise) / (minutes / 4))
    )
    return result


def _ramp(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Growing for a third to a half of its time as more people notice, then fading."""
    t = np.arange(minutes, dtype=float)
    rise = max(2.0, float(np.floor(minutes * rng.uniform(0.35, 0.55))))
    result: np.ndarray = np.where(
        t < rise, ((t + 1) / (rise + 1)) ** 2, np.exp(-(t - rise) / ((minutes - rise) / 3))
    )
    return result


def _plateau(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Up at once, holding (with the crowd's wobble) until fixed, then gone within minutes."""
    t = np.arange(minutes, dtype=float)
    up, down = float(rng.integers(1, 3)), float(rng.integers(2, 5))
    level = rng.uniform(0.85, 1.0, minutes)
    ramp = np.minimum((t + 1) / (up + 1), (minutes - t) / (down + 1))
    result: np.ndarray = level * np.clip(ramp, 0.0, 1.0)
    peaked: np.ndarray = result / result.max()
    return peaked


def _waves(rng: np.random.Generator, minutes: int) -> np.ndarray:
    """Two waves: the fix fails, or a second region follows."""
    second = minutes * float(rng.uniform(0.4, 0.55))
    waves = (
        Wave(onset=0, peak_at=float(rng.uniform(2, 5)), peak=1.0, decay=minutes / 8),
        Wave(
            onset=second,
            peak_at=second + float(rng.uniform(3, 8)),
            peak=float(rng.uniform(0.6, 1.3)),
            decay=minutes / 10,
        ),
    )
    result = syn.spike_profile(minutes, waves=waves)
    peaked: np.ndarray = result / result.max()
    return peaked


class _Shape(NamedTuple):
    """A shape's curve (its peak at 1) for a duration, and its shortest and longest durations
    in minutes."""

    name: str
    curve: Callable[[np.random.Generator, int], np.ndarray]
    shortest: int
    longest: int


_SHAPES = (
    _Shape("sharp", _sharp, 6, 30),
    _Shape("ramp", _ramp, 15, 60),
    _Shape("plateau", _plateau, 10, 45),
    _Shape("waves", _waves, 25, 60),
)
_PLATEAU = _SHAPES[2]
