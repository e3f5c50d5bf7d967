"""Seeded synthetic report rates: daily and weekly seasonality per country time zone, Poisson
noise, spikes in waves, and the platform / problem / country mixes that split them.

One generator for demo data and for detection tests. Pure: standard library and numpy only;
values and plain strings in, arrays out. Writing rows or sending reports belongs elsewhere.

Over 300 lines: the labelled generators of every traffic shape the tests and benches use.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import numpy as np

from outages.detection.timebuckets import floor_to_minute

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
# 1970-01-01 was a Thursday: minute 0 of the epoch is minute 3 * 1440 of a Monday-based week.
_EPOCH_MINUTE_OF_WEEK = 3 * MINUTES_PER_DAY

# Local-time shapes, as (base, ((hour, height, width in hours), ...)) Gaussian bumps on a
# 24-hour circle: consumers report most in the evening, office tools in working hours.
_SHAPES = {
    "evening": (0.06, ((12.5, 0.50, 3.0), (20.75, 0.85, 2.3))),
    "office": (0.06, ((10.5, 0.90, 2.0), (15.0, 0.75, 2.2), (20.5, 0.15, 1.5))),
}

# A representative UTC offset per country (standard time; daylight saving is noise here).
UTC_OFFSETS = {
    "US": -6.0,
    "CA": -5.0,
    "MX": -6.0,
    "BR": -3.0,
    "AR": -3.0,
    "CO": -5.0,
    "GB": 0.0,
    "IE": 0.0,
    "PT": 0.0,
    "FR": 1.0,
    "DE": 1.0,
    "ES": 1.0,
    "IT": 1.0,
    "NL": 1.0,
    "BE": 1.0,
    "CH": 1.0,
    "SE": 1.0,
    "PL": 1.0,
    "NG": 1.0,
    "ZA": 2.0,
    "EG": 2.0,
    "TR": 3.0,
    "SA": 3.0,
    "RU": 3.0,
    "AE": 4.0,
    "IN": 5.5,
    "ID": 7.0,
    "TH": 7.0,
    "PH": 8.0,
    "SG": 8.0,
    "JP": 9.0,
    "KR": 9.0,
    "AU": 10.0,
    "NZ": 12.0,
}


@dataclass(frozen=True)
class Mix:
    """Named shares of a whole (platforms, problems, countries); weights need not sum to 1."""

    names: tuple[str, ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, **weights: float) -> Mix:
        return cls(tuple(weights), tuple(weights.values()))

    @property
    def shares(self) -> np.ndarray:
        weights = np.asarray(self.weights, dtype=float)
        result: np.ndarray = weights / weights.sum()
        return result

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Indices into names, one per item, drawn with these shares."""
        index = np.searchsorted(np.cumsum(self.shares), rng.random(size), side="right")
        return np.minimum(index, len(self.names) - 1)


@dataclass(frozen=True)
class Audience:
    """Who reports on a service: their countries, daily shape and weekend habit."""

    countries: Mix
    shape: str = "evening"
    weekend_factor: float = 1.0


@dataclass(frozen=True)
class Wave:
    """One wave of a spike, in minutes from the series start: reports rise from `onset`,
    accelerating, to `peak` reports per minute at `peak_at`, then decay exponentially with
    time constant `decay` minutes."""

    onset: float
    peak_at: float
    peak: float
    decay: float


COUNTRIES = Mix.of(
    US=30,
    GB=8,
    IN=7,
    DE=6,
    JP=6,
    BR=6,
    FR=5,
    CA=4,
    MX=3,
    ES=3,
    IT=3,
    AU=2,
    NL=2,
    PH=2,
    ID=2,
    TR=2,
    KR=1.5,
    PL=1.5,
    AR=1.5,
    SA=1,
    ZA=1,
    SE=1,
    NG=1,
    IE=0.5,
    BE=0.5,
    CH=0.5,
)
AUDIENCE = Audience(COUNTRIES)

# Platform and problem mixes by service category (outages.vocabulary values, as plain strings;
# each category's problems are among its own, outages.vocabulary.PROBLEMS_BY_CATEGORY).
PLATFORMS = {
    "social": Mix.of(web=45, ios=27, android=25, desktop=1, other=2),
    "messaging": Mix.of(web=25, ios=33, android=33, desktop=8, other=1),
    "streaming": Mix.of(web=40, ios=15, android=15, desktop=5, other=25),
    "gaming": Mix.of(web=15, ios=8, android=7, desktop=40, other=30),
    "cloud": Mix.of(web=62, api=30, desktop=3, other=5),
    "finance": Mix.of(web=55, ios=21, android=21, api=3),
    "productivity": Mix.of(web=58, desktop=24, ios=8, android=8, other=2),
}
PROBLEMS = {
    "social": Mix.of(loading=40, login=25, posting=15, messaging=8, connection=7, other=5),
    "messaging": Mix.of(messaging=40, connection=30, login=12, notifications=12, other=6),
    "streaming": Mix.of(playback=45, connection=30, login=15, other=10),
    "gaming": Mix.of(servers=50, login=30, matchmaking=10, store=5, other=5),
    "cloud": Mix.of(api=30, hosting=25, console=20, dns=10, login=10, other=5),
    "finance": Mix.of(login=35, payments=30, card=15, app=10, other=10),
    "telecom": Mix.of(internet=50, mobile=25, calls=10, tv=5, other=10),
    "productivity": Mix.of(login=25, email=25, calls=20, messaging=15, connection=5, other=10),
}
DEFAULT_PLATFORMS = Mix.of(web=60, ios=17, android=17, desktop=4, other=2)
DEFAULT_PROBLEMS = Mix.of(website=30, login=25, connection=25, other=20)


def minute_of_week(start: datetime, minutes: int) -> np.ndarray:
    """Minute of the (Monday 00:00 UTC based) week for each minute from floor(start)."""
    first = int(floor_to_minute(start).timestamp()) // 60
    return (np.arange(first, first + minutes) + _EPOCH_MINUTE_OF_WEEK) % MINUTES_PER_WEEK


def expected_rate(
    minute_of_week: np.ndarray | int,
    *,
    peak_per_minute: float = 1.0,
    utc_offset_hours: float = 0.0,
    shape: str = "evening",
    weekend_factor: float = 1.0,
) -> np.ndarray:
    """Expected reports per minute of one time zone's audience: peak_per_minute at the busiest
    weekday minute, weekend_factor times the weekday level on local Saturday and Sunday."""
    local = (np.asarray(minute_of_week) + round(utc_offset_hours * 60)) % MINUTES_PER_WEEK
    weekend = np.where(local >= 5 * MINUTES_PER_DAY, weekend_factor, 1.0)
    return peak_per_minute * _daily(local % MINUTES_PER_DAY, shape) * weekend


def audience_rates(
    start: datetime, minutes: int, *, peak_per_minute: float, audience: Audience = AUDIENCE
) -> np.ndarray:
    """Expected reports per minute by country (rows in audience.countries order), scaled so
    that the busiest minute of a whole week sums to peak_per_minute."""
    return peak_per_minute * _weekly(audience)[:, minute_of_week(start, minutes)]


def seasonal_counts(
    start: datetime,
    minutes: int,
    *,
    peak_per_minute: float,
    seed: int,
    audience: Audience = AUDIENCE,
    waves: Sequence[Wave] = (),
) -> np.ndarray:
    """Poisson report counts per minute: the audience's seasonal rate plus any spike waves."""
    rate = audience_rates(start, minutes, peak_per_minute=peak_per_minute, audience=audience)
    rate = rate.sum(axis=0) + spike_profile(minutes, waves=waves)
    result: np.ndarray = np.random.default_rng(seed).poisson(rate)
    return result


def spike_profile(minutes: int, *, waves: Sequence[Wave]) -> np.ndarray:
    """Expected extra reports per minute for the given waves (they add up)."""
    t = np.arange(minutes, dtype=float)
    total = np.zeros(minutes)
    for wave in waves:
        rise = np.clip((t - wave.onset) / max(wave.peak_at - wave.onset, 1e-9), 0.0, 1.0) ** 2
        fall = np.exp(-np.maximum(t - wave.peak_at, 0.0) / wave.decay)
        total += wave.peak * np.where(t <= wave.peak_at, rise, fall)
    return total


def split(counts: np.ndarray, shares: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Split each count among categories: shares is (K,) or one row of K per count."""
    return rng.multinomial(np.asarray(counts, dtype=np.int64), shares)


@cache
def _weekly(audience: Audience) -> np.ndarray:
    """Per-country rates over a week for a weekly peak of 1 report per minute (read-only)."""
    week = np.arange(MINUTES_PER_WEEK)
    curves = [
        expected_rate(
            week,
            utc_offset_hours=UTC_OFFSETS.get(code, 0.0),
            shape=audience.shape,
            weekend_factor=audience.weekend_factor,
        )
        for code in audience.countries.names
    ]
    weekly: np.ndarray = audience.countries.shares[:, None] * np.vstack(curves)
    weekly /= weekly.sum(axis=0).max()
    weekly.flags.writeable = False
    return weekly


def _daily(minute_of_day: np.ndarray, shape: str) -> np.ndarray:
    """The shape's curve over local minutes of the day, 1.0 at its maximum."""
    base, bumps = _SHAPES[shape]
    grid = np.arange(MINUTES_PER_DAY) / 60.0
    curve = np.full(MINUTES_PER_DAY, base)
    for hour, height, width in bumps:
        distance = np.minimum(np.abs(grid - hour), 24.0 - np.abs(grid - hour))
        curve += height * np.exp(-0.5 * (distance / width) ** 2)
    result: np.ndarray = (curve / curve.max())[np.asarray(minute_of_day, dtype=np.int64)]
    return result


class Reporters:
    """Simulated people: IPv4 and IPv6 addresses spread over many networks (a share of them
    behind a few shared carrier networks per country), varied user agents, and a share who
    report again soon after their first report."""

    def __init__(
        self,
        rng: np.random.Generator,
        *,
        ipv6_share: float = 0.35,
        shared_share: float = 0.2,
        repeat_share: float = 0.04,
        memory: int = 500,
    ) -> None:
        self.rng = rng
        self.ipv6_share, self.shared_share, self.repeat_share = (
            ipv6_share,
            shared_share,
            repeat_share,
        )
        self._recent: deque[tuple[str, str]] = deque(maxlen=memory)
        self._carriers: dict[str, list[str]] = {}

    def pick(self, *, country: str, platform: str, app: str) -> tuple[str, str]:
        """(address, user agent) of a reporter: usually someone new, sometimes a repeat."""
        if self._recent and self.rng.random() < self.repeat_share:
            return self._recent[int(self.rng.integers(len(self._recent)))]
        return self.new(country=country, platform=platform, app=app)

    def new(self, *, country: str, platform: str, app: str) -> tuple[str, str]:
        reporter = (self._address(country), user_agent(self.rng, platform=platform, app=app))
        self._recent.append(reporter)
        return reporter

    def _address(self, country: str) -> str:
        rng = self.rng
        if rng.random() < self.ipv6_share:
            hextets = rng.integers(0, 0x10000, 5)
            return "2{:03x}:{:x}:{:x}::{:x}:{:x}:{:x}".format(int(rng.integers(0x1000)), *hextets)
        host = int(rng.integers(1, 255))
        if rng.random() < self.shared_share:
            carriers = self._carriers.setdefault(country, [_network24(rng) for _ in range(16)])
            return f"{carriers[int(rng.integers(len(carriers)))]}.{host}"
        return f"{_network24(rng)}.{host}"


def user_agent(rng: np.random.Generator, *, platform: str, app: str) -> str:
    """A plausible User-Agent for someone using `app` on `platform`, versions varied."""
    major, minor, patch = (int(v) for v in rng.integers((9, 0, 0), (120, 60, 9999)))
    name = app.replace(" ", "")
    agents = {
        "ios": f"{name}/{major % 12 + 9}.{minor} (iPhone; iOS {15 + minor % 4}.{patch % 7};"
        " Scale/3.00)",
        "android": f"{name}Android/{major % 12 + 9}.{minor}.{patch % 100} (Linux; Android"
        f" {10 + minor % 5}; {_ANDROID_MODELS[patch % len(_ANDROID_MODELS)]})",
        "desktop": f"{name}Desktop/{major % 6 + 1}.{minor}.{patch} ({_SYSTEMS[patch % 3]})",
        "api": f"{('curl', 'python-requests', 'Go-http-client')[patch % 3]}/{major % 8}.{minor}",
        "other": f"Mozilla/5.0 ({_DEVICES[patch % len(_DEVICES)]}) AppleWebKit/605.1.15",
    }
    if platform in agents:
        return agents[platform]
    return (
        f"Mozilla/5.0 ({_SYSTEMS[patch % len(_SYSTEMS)]}) AppleWebKit/537.36 (KHTML, like"
        f" Gecko) {_BROWSERS[minor % len(_BROWSERS)]}/{major + 20}.0.{patch}.{minor}"
    )


_SYSTEMS = (
    "Windows NT 10.0; Win64; x64",
    "Macintosh; Intel Mac OS X 10_15_7",
    "X11; Linux x86_64",
    "iPhone; CPU iPhone OS 17_1 like Mac OS X",
    "Linux; Android 14; SM-S918B",
)
_BROWSERS = ("Chrome", "Chrome", "Chrome", "Safari", "Firefox", "Edg")
_ANDROID_MODELS = ("Pixel 7", "SM-G991B", "SM-A536B", "Redmi Note 12", "moto g54", "CPH2451")
_DEVICES = ("PlayStation 5 6.50", "SMART-TV; Linux; Tizen 7.0", "Nintendo Switch", "CrKey")
# First octets of unicast space outside private, loopback, link-local and shared (CGN) ranges.
_PUBLIC_OCTETS = np.array([o for o in range(1, 224) if o not in (10, 100, 127, 169, 172, 192)])


def _network24(rng: np.random.Generator) -> str:
    second, third = (int(v) for v in rng.integers(0, 256, 2))
    return f"{int(rng.choice(_PUBLIC_OCTETS))}.{second}.{third}"
