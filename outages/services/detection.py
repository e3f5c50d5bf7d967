"""The per-minute detection pass: every series of every active service in one batched step.

Per pass (one shard of services; a Celery group runs the shards on several workers):
1. read the minute buckets of the last WINDOW minutes (plus any minutes missed since the
   shard's cursor) for all the shard's services, one grouped query per dimension;
2. load the stored baselines and the incident states that are not at rest;
3. step the detection library once per minute to score, over all series at once;
4. record the incident transitions (incidents.py) and the new states, and move the cursor,
   all in one transaction: a repeated or redelivered pass for the same minute does nothing.
A score uses only minutes up to the one scored, which is the last complete minute.

The early pass (every 15 s) only opens incidents, on the minute in progress: its reports so
far against the same share of the expected count, by the library's step_ahead. It keeps
nothing of that minute but the incidents opened, which the next full pass continues.

Over 300 lines: the full and the early pass share their read, step and store steps here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import numpy as np
from django.db import transaction
from django.db.models import QuerySet, Sum

from outages.detection import (
    DEFAULT_CONFIG,
    OPEN,
    Baseline,
    DetectedEvent,
    DetectorState,
    step,
    step_ahead,
)
from outages.detection.incidents import Incidents
from outages.detection.scoring import band
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.incident_rules import DiversityLookup, SeriesFigures
from outages.models import DetectionCursor, Dimension, MinuteBucket, SeriesState
from outages.models import IncidentEvent as OutboxEvent
from outages.services.baselines import baselines_load
from outages.services.incidents import incidents_record
from outages.services.series import (
    EVERY_SERVICE,
    SeriesCounts,
    SeriesKey,
    Shard,
    ShardPart,
    active_service_ids,
    series_counts,
)
from outages.services.status import statuses_store
from outages.vocabulary import Kind

WINDOW = max(DEFAULT_CONFIG.windows)  # minutes of history a step reads
CATCH_UP = 60  # at most this many missed minutes are scored late; older ones are skipped
# A state at rest is kept while its recent incidents weigh at least this in its habit (three
# weeks after one incident at the default habit_seconds of a week).
HABIT_FORGOTTEN = 0.05
_RECENT = 15  # minutes behind "works for me" confidence and recovery
# The early pass judges the minute in progress once this share of it has passed (less holds
# too few reports to tell a rise from noise).
EARLY_FROM = 0.25


@dataclass(frozen=True)
class PassResult:
    minutes: int  # minutes scored (0 when this minute was already done)
    series: int
    events: int
    last_minute: datetime | None = None
    # The outbox holds events not yet fanned out to subscriptions (this pass's, or earlier).
    undelivered: bool = False


def detection_pass(
    *, now: datetime, shard: Shard = EVERY_SERVICE, diversity: DiversityLookup | None = None
) -> PassResult:
    """Score every series of the shard's active services up to the last complete minute."""
    last = floor_to_minute(now) - MINUTE
    with transaction.atomic():
        cursor = DetectionCursor.objects.select_for_update().filter(shard=shard.name).first()
        # A new shard starts after the latest minute any shard (of an older split) scored.
        done = cursor.minute if cursor else _latest_cursor()
        first = last if done is None else max(done + MINUTE, last - (CATCH_UP - 1) * MINUTE)
        if first > last:
            DetectionCursor.objects.get_or_create(shard=shard.name, defaults={"minute": done})
            return PassResult(minutes=0, series=0, events=0, last_minute=done)
        minutes = int((last - first) // MINUTE) + 1
        result = _score(shard=shard, first=first, minutes=minutes, diversity=diversity)
        DetectionCursor.objects.update_or_create(shard=shard.name, defaults={"minute": last})
    return replace(result, undelivered=_undelivered())


def detection_early_pass(
    *, now: datetime, shard: Shard = EVERY_SERVICE, diversity: DiversityLookup | None = None
) -> PassResult:
    """Open incidents on the minute in progress, once EARLY_FROM of it has passed: its reports
    so far against that share of the expected count (the library's step_ahead). Only incidents
    are opened; the minute is scored in full by the next detection_pass. Runs only when the
    last complete minute has been scored, so that it builds on the current states."""
    minute = floor_to_minute(now)
    fraction = (now - minute) / MINUTE
    rising = _on_the_rise(shard, minute) if fraction >= EARLY_FROM else ()
    if not rising:
        return PassResult(minutes=0, series=0, events=0)
    part = ShardPart(index=shard.index, count=shard.count, ids=rising)
    with transaction.atomic():
        cursor = DetectionCursor.objects.select_for_update().filter(shard=shard.name).first()
        if cursor is None or cursor.minute != minute - MINUTE:
            return PassResult(minutes=0, series=0, events=0)
        found = _load(shard=part, start=minute - WINDOW * MINUTE, end=minute + MINUTE)
        found.expected[:, -1] *= fraction  # what is expected of the minute so far (figures)
        state = DetectorState(
            observed=found.values[:, :WINDOW],
            expected=found.expected[:, :WINDOW],
            last_at=np.full(len(found.keys), found.times[WINDOW] - 60.0),
            incidents=found.incidents,
        )
        kept, opened = step_ahead(
            found.baseline, state, found.values[:, WINDOW], now=minute, fraction=fraction
        )
        if opened:
            events = [(found.keys[e.series], _backdated(e, found, WINDOW)) for e in opened]
            _states_store(part, found.keys, kept.incidents)
            figures = _figures(found, kept.incidents)
            incidents_record(
                events=events, figures=figures, shares=found.shares, now=now, diversity=diversity
            )
    return PassResult(
        minutes=0,
        series=len(found.keys),
        events=len(opened),
        last_minute=minute,
        undelivered=bool(opened) and _undelivered(),
    )


def _on_the_rise(shard: Shard, minute: datetime) -> tuple[int, ...]:
    """The shard's services with at least min_excess problem reports in the last complete
    minute and the minute so far. The rule the early pass is for (a rise under way) needs that
    many over typical in those two points; the other services wait for the full pass, as a
    rise tipped over a threshold by a partial point would anyway. At 10,000 services this one
    indexed read replaces loading every series (make bench, bar 4)."""
    buckets = MinuteBucket.objects.filter(
        kind=Kind.PROBLEM, minute__gte=minute - MINUTE, minute__lte=minute
    )
    rows = (
        shard.filter(buckets)
        .values("service_id")
        .annotate(total=Sum("count"))
        .filter(total__gte=DEFAULT_CONFIG.min_excess)
        .order_by("service_id")
        .values_list("service_id", flat=True)
    )
    return tuple(rows)


@dataclass(frozen=True)
class _Loaded:
    """What a pass reads: the shard's series over [start, end), their baselines and states."""

    keys: list[SeriesKey]
    baseline: Baseline
    shares: dict[SeriesKey, float]
    values: np.ndarray  # (series, minutes)
    times: np.ndarray  # epoch seconds of each minute
    expected: np.ndarray
    upper: np.ndarray  # the top of the typical band (as charts draw it)
    incidents: Incidents
    works: SeriesCounts  # "works for me" reports of the last _RECENT minutes


def _load(*, shard: Shard, start: datetime, end: datetime) -> _Loaded:
    active = set(active_service_ids(shard=shard))
    counts = series_counts(service_ids=None, shard=shard, start=start, end=end)
    works = series_counts(
        service_ids=None,
        shard=shard,
        start=end - _RECENT * MINUTE,
        end=end,
        kind="works",
        dimensions=(Dimension.ALL,),
    )
    states = {
        SeriesKey(s, d, v): state
        for s, d, v, state in shard.filter(SeriesState.objects.all()).values_list(
            "service_id", "dimension", "value", "state"
        )
    }
    wanted = [k for k in counts.keys if not k.dimension] + list(states)
    keys, baseline, shares = baselines_load(keys=wanted, shard=shard, at=end)
    keep = [i for i, key in enumerate(keys) if key.service_id in active]
    keys, baseline = [keys[i] for i in keep], baseline.take(keep)

    values = _rows(keys, counts.index(), counts.values)
    times = start.timestamp() + 60.0 * np.arange(values.shape[1])
    expected = baseline.expected(times)
    _, upper = band(expected, baseline.dispersion, DEFAULT_CONFIG)
    rest = Incidents.empty(1).row(0)
    return _Loaded(
        keys=keys,
        baseline=baseline,
        shares=shares,
        values=values,
        times=times,
        expected=expected,
        upper=upper,
        incidents=Incidents.from_rows([states.get(key, rest) for key in keys]),
        works=works,
    )


def _score(
    *, shard: Shard, first: datetime, minutes: int, diversity: DiversityLookup | None
) -> PassResult:
    start = first - WINDOW * MINUTE
    end = first + minutes * MINUTE
    found = _load(shard=shard, start=start, end=end)
    keys, values, times, incidents = found.keys, found.values, found.times, found.incidents
    events: list[tuple[SeriesKey, DetectedEvent]] = []
    for j in range(WINDOW, WINDOW + minutes):
        state = DetectorState(
            observed=values[:, j - WINDOW : j],
            expected=found.expected[:, j - WINDOW : j],
            last_at=np.full(len(keys), times[j] - 60.0),
            incidents=incidents,
        )
        stepped = step(found.baseline, state, values[:, j], now=times[j])
        incidents = stepped.state.incidents
        events += [(keys[e.series], _backdated(e, found, j)) for e in stepped.events]

    _states_store(shard, keys, incidents)
    figures = _figures(found, incidents)
    incidents_record(
        events=events, figures=figures, shares=found.shares, now=end, diversity=diversity
    )
    statuses_store(
        keys=keys,
        values=values,
        expected=found.expected,
        dispersion=found.baseline.dispersion,
        times=times,
    )
    return PassResult(
        minutes=minutes, series=len(keys), events=len(events), last_minute=end - MINUTE
    )


def _backdated(event: DetectedEvent, found: _Loaded, j: int) -> DetectedEvent:
    return backdated(event, values=found.values, upper=found.upper, times=found.times, j=j)


def backdated(
    event: DetectedEvent, *, values: np.ndarray, upper: np.ndarray, times: np.ndarray, j: int
) -> DetectedEvent:
    """An opening incident started where its rise began: the first of the minutes, up to the
    one that opened it (column j), that all stayed above the typical band ("problems since
    00:11"). values/upper: (series, minutes) at epoch `times`."""
    if event.kind != OPEN:
        return event
    i = event.series
    above = values[i, : j + 1] > upper[i, : j + 1]
    first = j
    while first > 0 and above[first - 1]:
        first -= 1
    start = datetime.fromtimestamp(times[first], tz=UTC)
    return replace(event, started_at=min(start, event.started_at))


def _rows(keys: list[SeriesKey], index: dict[SeriesKey, int], values: np.ndarray) -> np.ndarray:
    """The rows of `values` for keys, zeros for keys without reports."""
    out = np.zeros((len(keys), values.shape[1]))
    pairs = [(i, index[key]) for i, key in enumerate(keys) if key in index]
    if pairs:
        mine, theirs = np.array(pairs).T
        out[mine] = values[theirs]
    return out


def _figures(found: _Loaded, incidents: Incidents) -> dict[SeriesKey, SeriesFigures]:
    """What the incident records need from this pass, for series with an incident open."""
    values, expected = found.values, found.expected
    works_index = found.works.index()
    recent_works = found.works.values.sum(axis=1)
    figures = {}
    for i in np.flatnonzero(incidents.level > 0):
        key = found.keys[i]
        whole = SeriesKey(key.service_id, Dimension.ALL, "")
        figures[key] = SeriesFigures(
            expected_total=float(incidents.running_expected[i]),
            recent=float(values[i, -_RECENT:].sum()),
            recent_expected=float(expected[i, -_RECENT:].sum()),
            recent_works=float(recent_works[works_index[whole]]) if whole in works_index else 0.0,
        )
    return figures


def _states_store(shard: Shard, keys: list[SeriesKey], incidents: Incidents) -> None:
    states_store(scope=shard.filter(SeriesState.objects.all()), keys=keys, incidents=incidents)


def states_store(
    *, scope: QuerySet[SeriesState], keys: list[SeriesKey], incidents: Incidents
) -> None:
    """Replace the states in `scope` with those of keys not at rest; a series at rest starts
    from Incidents.empty next time."""
    busy = (
        (incidents.level > 0)
        | (incidents.pending > 0)
        | (incidents.strong > 0)
        | (incidents.since_close < DEFAULT_CONFIG.cooldown_points)
        # The series' recent incidents still weigh on its next one (config.habit_*).
        | (incidents.habit >= HABIT_FORGOTTEN)
    )
    scope.delete()
    SeriesState.objects.bulk_create(
        [
            SeriesState(
                service_id=keys[i].service_id,
                dimension=keys[i].dimension,
                value=keys[i].value,
                state=incidents.row(i),
            )
            for i in np.flatnonzero(busy).tolist()
        ],
        batch_size=500,
    )


def _undelivered() -> bool:
    return OutboxEvent.objects.filter(delivered_at__isnull=True).exists()


def _latest_cursor() -> datetime | None:
    """Where a new sharding starts: after the latest minute any shard has scored."""
    latest = DetectionCursor.objects.order_by("-minute").first()
    return latest.minute if latest else None
