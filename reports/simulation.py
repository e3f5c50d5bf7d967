"""Demo traffic through the real intake: simulated reporters send reports for a simulated
clock, so fingerprints, rate limits, dedupe and buckets behave as they do for people.

Rates and mixes come from outages.detection.synthetic, the live demo's outages from the
schedule of outages.demo_outages (anchored at the demo's first tick); history written straight
into buckets is the seed command's business, not this module's.

Over 300 lines: the demo's reporters, scenarios and the runner that replays them.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Protocol

import numpy as np

from outages.demo import DEMO_SERVICES, service_profile
from outages.demo_outages import DemoOutage, outages_planned
from outages.detection import synthetic as syn
from outages.detection.synthetic import Mix, Reporters, Wave
from outages.detection.timebuckets import MINUTE, floor_to_minute, require_aware
from outages.models import Service
from outages.vocabulary import Kind, Source
from reports.intake.errors import Rejected
from reports.intake.pipeline import Client, report_intake
from reports.models import SimulationAnchor

_NAMES = {entry.slug: entry.name for entry in DEMO_SERVICES}


class TrafficMix(Protocol):
    """Who reports and about what: a service's normal profile, a scenario, an outage's mixes."""

    @property
    def countries(self) -> Mix: ...
    @property
    def platforms(self) -> Mix: ...
    @property
    def problems(self) -> Mix: ...
    @property
    def works_share(self) -> float: ...


@dataclass(frozen=True)
class Scenario:
    """A replayed outage: waves (minutes from start, relative heights) scaled so that the
    quarter-hour starting at `peak_quarter` holds `peak_quarter_reports` spike reports."""

    service: str
    start: datetime
    minutes: int
    waves: tuple[Wave, ...]
    peak_quarter: int
    peak_quarter_reports: float
    countries: Mix
    platforms: Mix
    problems: Mix
    works_share: float

    def spike(self) -> np.ndarray:
        shape = syn.spike_profile(self.minutes, waves=self.waves)
        window = shape[self.peak_quarter : self.peak_quarter + 15].sum()
        result: np.ndarray = shape * (self.peak_quarter_reports / window)
        return result


SCENARIOS = {
    # docs/design.md: from 00:07 UTC, peak near 00:35 (~10,000 reports in 00:30-00:45), ~90% web,
    # US first, JP and GB about a quarter of the US each, a long tail; gone within hours.
    "twitter-2022-12-29": Scenario(
        service="twitter",
        start=datetime.fromisoformat("2022-12-28T23:30:00+00:00"),
        minutes=270,
        # A decay a little faster than the rise keeps the busiest quarter-hour centred on
        # the peak minute (with decay=30 it drifted 4 minutes after it).
        waves=(
            Wave(onset=37, peak_at=65, peak=1.0, decay=16),
            Wave(onset=40, peak_at=80, peak=0.1, decay=75),
        ),
        peak_quarter=60,
        peak_quarter_reports=10_000,
        countries=Mix.of(
            US=40,
            JP=10,
            GB=10,
            CA=4,
            DE=3.5,
            FR=3,
            IN=3,
            BR=3,
            ES=2.5,
            MX=2.5,
            AU=2,
            IT=2,
            NL=1.5,
            TR=1.5,
            PH=1.5,
            ID=1.5,
            KR=1.2,
            SA=1.2,
            AR=1.2,
            PL=1,
            SE=1,
            IE=1,
            ZA=1,
            NG=0.8,
            BE=0.8,
            CH=0.6,
            NZ=0.6,
        ),
        platforms=Mix.of(web=90, ios=5.5, android=4.5),
        problems=Mix.of(
            login=45, loading=30, posting=12, messaging=5, connection=4, notifications=1, other=3
        ),
        works_share=0.02,
    ),
}


@dataclass
class Summary:
    sent: int = 0
    accepted: int = 0
    counted: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    counted_by_minute: Counter[datetime] = field(default_factory=Counter)
    counted_by_platform: Counter[str] = field(default_factory=Counter)
    counted_by_country: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Planned:
    at: datetime
    slug: str
    kind: str
    platform: str
    problem: str
    country: str
    client: Client | None = None  # None: the crowd picks a reporter


def simulation_run(
    *,
    slugs: Iterable[str],
    start: datetime,
    minutes: int,
    rate: float = 1.0,
    seed: int | None = None,
    scenario: Scenario | None = None,
    outages: Sequence[DemoOutage] = (),
    bursts_per_hour: float = 0.2,
    present: Collection[str] = (),
    progress: Callable[[datetime, Summary], None] | None = None,
    clock: Callable[[datetime], None] | None = None,
    clock_seconds: int = 5,
) -> Summary:
    """Send `minutes` of reports from `start` (the simulated clock) through intake.

    1. Each service's normal traffic: its profile's per-country rates, times `rate`; not for
       the services in `present`, whose minutes already hold it (a replay over history).
    2. The scenario's spike, if any, with its own mixes, on its service.
    3. The given demo outages (outages.demo_outages), each on its service if simulated.
    4. Now and then a prankster's burst: one reporter hammering (dedupe, then rate limit).

    `progress` is called after each minute; `clock`, if given, with every instant
    `clock_seconds` apart (each minute's end included), once the reports before it are sent,
    so that a caller can run what the product runs within the minute. Neither changes the
    reports sent.
    """
    start = floor_to_minute(require_aware(start))
    rng = np.random.default_rng(seed)
    crowd = _Crowd(rng)
    services = dict(Service.objects.filter(slug__in=slugs).values_list("slug", "category"))
    profiles = {slug: service_profile(slug=slug, category=cat) for slug, cat in services.items()}
    rates = {
        slug: syn.audience_rates(
            start, minutes, peak_per_minute=p.peak_per_minute, audience=p.audience
        )
        for slug, p in profiles.items()
    }
    spike = scenario.spike()[:minutes] if scenario else np.zeros(0)
    summary = Summary()
    for i in range(minutes):
        at = start + timedelta(minutes=i)
        plan: list[_Planned] = []
        for slug, profile in profiles.items():
            if slug not in present:
                plan += _plan(
                    rng, at=at, slug=slug, traffic=profile, rates=rate * rates[slug][:, i]
                )
            if rng.random() < bursts_per_hour / 60:
                plan += _burst(rng, crowd, at=at, slug=slug, profile=profile)
        if scenario and scenario.service in profiles and i < len(spike):
            shares = scenario.countries.shares
            plan += _plan(
                rng, at=at, slug=scenario.service, traffic=scenario, rates=rate * spike[i] * shares
            )
        for outage in outages:
            if outage.slug in profiles:
                plan += _outage_plan(rng, outage, start=at, end=at + MINUTE, rate=rate)
        plan.sort(key=lambda p: p.at)
        if clock is None:
            _send(plan, crowd, summary)
        else:
            _send_ticking(plan, crowd, summary, minute=at, clock=clock, every=clock_seconds)
        if progress:
            progress(at, summary)
    return summary


def simulation_tick(
    *,
    now: datetime,
    seconds: int = 10,
    rate: float = 1.0,
    outages: bool = True,
    rng: np.random.Generator | None = None,
) -> Summary:
    """The last `seconds` of traffic for every active service, sent at `now`: normal traffic,
    and (unless `outages` is False) the demo's outages scheduled in that time."""
    now = require_aware(now)
    rng = np.random.default_rng() if rng is None else rng
    start = now - timedelta(seconds=seconds)
    plan: list[_Planned] = []
    active = dict(Service.objects.filter(is_active=True).values_list("slug", "category"))
    for slug, category in active.items():
        profile = service_profile(slug=slug, category=category)
        per_minute = syn.audience_rates(
            now, 1, peak_per_minute=profile.peak_per_minute, audience=profile.audience
        )[:, 0]
        plan += _plan(
            rng,
            at=start,
            slug=slug,
            traffic=profile,
            seconds=seconds,
            rates=per_minute * rate * seconds / 60,
        )
    if outages:
        anchor = simulation_anchor(now=now)
        for outage in outages_planned(anchor=anchor, start=start, end=now):
            if outage.slug in active:
                plan += _outage_plan(rng, outage, start=start, end=now, rate=rate)
    summary = Summary()
    _send(sorted(plan, key=lambda p: p.at), _Crowd(rng), summary)
    return summary


def simulation_anchor(*, now: datetime) -> datetime:
    """When the live demo first ran (now, the first time): its outage schedule's anchor. One
    row in the database, so that ticks in any worker process, before and after a restart,
    follow the same schedule."""
    anchor, _ = SimulationAnchor.objects.get_or_create(pk=1, defaults={"started_at": now})
    return anchor.started_at


def _outage_plan(
    rng: np.random.Generator,
    outage: DemoOutage,
    *,
    start: datetime,
    end: datetime,
    rate: float,
) -> list[_Planned]:
    """The outage's extra reports within [start, end), minute by minute (its rate changes
    at each minute), with its own mixes."""
    planned: list[_Planned] = []
    at = max(start, outage.start)
    while at < min(end, outage.end):
        until = min(end, floor_to_minute(at) + MINUTE)
        seconds = (until - at).total_seconds()
        rates = outage.rates(at, 1)[:, 0] * rate * seconds / 60
        planned += _plan(
            rng, at=at, slug=outage.slug, traffic=outage.mixes, rates=rates, seconds=seconds
        )
        at = until
    return planned


def _plan(
    rng: np.random.Generator,
    *,
    at: datetime,
    slug: str,
    traffic: TrafficMix,
    rates: np.ndarray,
    seconds: float = 60,
) -> list[_Planned]:
    """Poisson reports per country (rates: expected problem reports in the period, in
    traffic.countries order) with traffic's mixes, spread over [at, at + seconds)."""
    countries, platforms, problems = (
        traffic.countries.names,
        traffic.platforms,
        traffic.problems,
    )
    planned = []
    for kind, share in ((Kind.PROBLEM, 1.0), (Kind.WORKS, traffic.works_share)):
        per_country = rng.poisson(rates * share)
        total = int(per_country.sum())
        if not total:
            continue
        country = np.repeat(np.arange(len(countries)), per_country)
        platform = platforms.sample(rng, total)
        problem = problems.sample(rng, total)
        offsets = rng.uniform(0, seconds, total)
        for j in range(total):
            planned.append(
                _Planned(
                    at=at + timedelta(seconds=float(offsets[j])),
                    slug=slug,
                    kind=kind,
                    platform=platforms.names[platform[j]],
                    country=countries[country[j]],
                    problem=problems.names[problem[j]] if kind == Kind.PROBLEM else "",
                )
            )
    return planned


def _burst(
    rng: np.random.Generator, crowd: _Crowd, *, at: datetime, slug: str, profile: TrafficMix
) -> list[_Planned]:
    """One reporter sending 35-60 reports within a minute."""
    country = profile.countries.names[profile.countries.sample(rng, 1)[0]]
    client = crowd.client(country=country, platform="web", slug=slug, new=True)
    problem = profile.problems.names[0]
    return [
        _Planned(
            at + timedelta(seconds=float(s)), slug, Kind.PROBLEM, "web", problem, country, client
        )
        for s in np.sort(rng.uniform(0, 60, int(rng.integers(35, 61))))
    ]


class _Crowd:
    """Simulated reporters as intake sees them: a Client per report, and the door it used."""

    _SOURCES = Mix.of(site=85, widget=10, api=5)

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.reporters = Reporters(rng)

    def client(self, *, country: str, platform: str, slug: str, new: bool = False) -> Client:
        pick = self.reporters.new if new else self.reporters.pick
        address, agent = pick(country=country, platform=platform, app=_NAMES.get(slug, slug))
        return Client(address=address, user_agent=agent, default_country=country)

    def source(self) -> Source:
        return Source(self._SOURCES.names[self._SOURCES.sample(self.rng, 1)[0]])

    def half(self) -> bool:
        return bool(self.rng.random() < 0.5)


def _send_ticking(
    plan: list[_Planned],
    crowd: _Crowd,
    summary: Summary,
    *,
    minute: datetime,
    clock: Callable[[datetime], None],
    every: int,
) -> None:
    """_send, calling clock(instant) every `every` seconds of the minute, once the reports
    planned before that instant are sent."""
    times, sent = [p.at for p in plan], 0
    for k in range(1, 60 // every + 1):
        instant = minute + timedelta(seconds=k * every)
        due = bisect.bisect_left(times, instant, lo=sent)
        _send(plan[sent:due], crowd, summary)
        sent = due
        clock(instant)
    _send(plan[sent:], crowd, summary)


def _send(plan: list[_Planned], crowd: _Crowd, summary: Summary) -> None:
    for report in plan:
        client = report.client or crowd.client(
            country=report.country, platform=report.platform, slug=report.slug
        )
        data = {"kind": report.kind, "platform": report.platform, "problem": report.problem}
        if crowd.half():  # else the country comes from the edge header (default_country)
            data["country"] = report.country
        source = crowd.source()
        if source == Source.WIDGET:
            client = replace(client, origin="https://news.example")
        summary.sent += 1
        try:
            accepted = report_intake(
                data=data, service_slug=report.slug, source=source, client=client, now=report.at
            )
        except Rejected as rejection:
            summary.rejected[rejection.reason.value] += 1
            continue
        summary.accepted += 1
        if accepted.counted:
            summary.counted += 1
            summary.counted_by_minute[floor_to_minute(report.at)] += 1
            summary.counted_by_platform[report.platform] += 1
            summary.counted_by_country[accepted.request.country] += 1
