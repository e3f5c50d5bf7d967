"""Detection over stored history: the incidents the product would have recorded, had it run.

`detection_backfill` runs the detection library's `step` minute by minute over the minute
buckets of [since, until), as the live pass does, with baselines refitted from past data only
on the streaming driver's schedule (outages.detection.driver): from the history before the
first minute scored, then the level every refit_seconds of data time and the whole baseline
every full_refit_seconds (or when a young series' history has doubled). Transitions become
incident records through the live path (incidents_record), so past incidents carry the same
figures as live ones, and the run ends by leaving the series states and the detection cursor
where the live pass takes over.

Per chunk of services, in one transaction holding the detection cursors (live passes wait):
1. the unmoderated incidents of those services in the range are deleted (a previous backfill's
   or live pass's; the range first widens to take in one that began before `since`), so a run
   repeated over the same range records the same incidents; moderated ones (confirmed,
   dismissed, retracted or annotated) stay as they are, and an incident overlapping one of
   them is not recorded again;
2. buckets are read a window at a time into a rolling buffer of the last history_seconds, so
   memory is bounded by the chunk, not by the range;
3. each minute is stepped; a minute with transitions is recorded (incidents_record), and an
   incident about to close is refreshed first with the figures of its last open minute, as
   the live pass leaves them;
4. the outbox events of those incidents are marked delivered: no subscriber is alerted of a
   past incident (nor told of its close);
5. states, cursors and the services' summary rows (ServiceStatus) are stored.

Nothing is recorded during a series' warm-up (WARM_UP after its service's first report, when
the baseline has too little past to fit on), nor before `since`.

Over 300 lines: its chunked steps share one run's state (baselines, states, cursor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import numpy as np
from django.db import transaction
from django.db.models import Func, IntegerField, Min, Q, QuerySet
from django.utils import timezone

from outages.detection import (
    CLOSE,
    DEFAULT_CONFIG,
    OPEN,
    Baseline,
    DetectedEvent,
    DetectorState,
    fit_baseline,
    prior_baseline,
    refresh_level,
    step,
)
from outages.detection.incidents import Incidents
from outages.detection.timebuckets import MINUTE, floor_to_minute, require_aware
from outages.incident_rules import DiversityLookup, SeriesFigures
from outages.models import (
    DetectionCursor,
    Dimension,
    Incident,
    MinuteBucket,
    SeriesBaseline,
    SeriesState,
)
from outages.models import IncidentEvent as OutboxEvent
from outages.services.detection import WINDOW, backdated, states_store
from outages.services.incidents import incident_refresh, incidents_record
from outages.services.series import EVERY_SERVICE, SeriesKey, active_service_ids
from outages.services.status import statuses_rebuild, statuses_store
from outages.vocabulary import Kind

# Nothing is recorded until a service has this much history: its baseline's weekly profile
# has then seen every weekday, and its own weekday a full day. Measured on the seeded demo (14
# days, no outage in it): with one day, 12 incidents, all noise, 10 of them within 7.5 days
# (9 on the first Monday after one week of history); with these 8 days, 1.
WARM_UP = timedelta(days=8)
_CHUNK = 40  # services per transaction: bounds memory to about this many x 10 series x 31 days
_READ = timedelta(days=1)  # buckets read at once
_RECENT = 15  # minutes behind the "works for me" figures, as in the live pass
_HISTORY = int(DEFAULT_CONFIG.history_seconds // 60)  # minutes a fit reads
_INTERVAL = 60.0

# (minutes done, minutes to do), counted in service-minutes over the whole run.
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BackfillResult:
    services: int
    series: int
    minutes: int  # service-minutes scored
    incidents: int  # incidents recorded (public or suspicious)
    replaced: int  # unmoderated incidents of the range deleted first
    until: datetime  # where the live pass takes over: the first minute not scored


def detection_backfill(
    *,
    since: datetime,
    until: datetime | None = None,
    service_ids: Sequence[int] | None = None,
    diversity: DiversityLookup | None = None,
    progress: Progress | None = None,
) -> BackfillResult:
    """Run detection over the stored minutes of [since, until) (until: default now) of the
    given active services (default all). When the live pass has already scored past `until`,
    the run goes on up to the minute it reached, so that it can hand over."""
    since = floor_to_minute(require_aware(since))
    until = floor_to_minute(require_aware(until) if until else timezone.now())
    if since >= until:
        raise ValueError(f"nothing to backfill from {since:%Y-%m-%d %H:%M} to {until:%H:%M}")
    ids = active_service_ids(ids=service_ids)
    chunks = [ids[i : i + _CHUNK] for i in range(0, len(ids), _CHUNK)]
    total = len(ids) * max(int((until - since) // MINUTE), 0)
    done = _Tally(total=total, progress=progress)
    result = BackfillResult(
        services=len(ids), series=0, minutes=0, incidents=0, replaced=0, until=until
    )
    for chunk in chunks:
        with transaction.atomic():
            cursors = list(DetectionCursor.objects.select_for_update().order_by("shard"))
            end = max([until] + [c.minute + MINUTE for c in cursors])
            found = _Chunk(chunk, since=since, end=end, diversity=diversity, tally=done).run()
            _cursors_move(cursors, end)
        result = BackfillResult(
            services=result.services,
            series=result.series + found.series,
            minutes=result.minutes + found.minutes,
            incidents=result.incidents + found.incidents,
            replaced=result.replaced + found.replaced,
            until=end,
        )
    # Summaries (sparklines, 24 h and 15-minute counts) from the buckets just scored.
    statuses_rebuild(now=result.until, service_ids=ids)
    return result


@dataclass
class _Tally:
    total: int
    progress: Progress | None
    done: int = 0

    def add(self, minutes: int) -> None:
        self.done += minutes
        if self.progress:
            self.progress(min(self.done, self.total), self.total)

    def skip(self, minutes: int) -> None:
        """Minutes of the range not scored (warm-up, no history): out of the total."""
        self.total -= minutes
        self.add(0)


@dataclass(frozen=True)
class _ChunkResult:
    series: int
    minutes: int
    incidents: int
    replaced: int


class _Chunk:
    """One chunk of services, streamed from the first minute to score to `end`."""

    def __init__(
        self,
        ids: list[int],
        *,
        since: datetime,
        end: datetime,
        diversity: DiversityLookup | None,
        tally: _Tally,
    ) -> None:
        self.ids, self.end, self.diversity, self.tally = ids, end, diversity, tally
        self.since = _widened(ids, since)
        self.first_report = _first_reports(ids)
        self.kept = _kept(ids, self.since, end)
        self.keys = _keys(ids)
        self.row_of = {key: i for i, key in enumerate(self.keys)}
        self.whole_of = [self.row_of[SeriesKey(k.service_id, Dimension.ALL, "")] for k in self.keys]
        # Series whose incident is not recorded (warm-up, before the range, or a moderated one
        # covers it): their events are dropped from its open to its close.
        self.muted: set[int] = set()
        self.recorded: set[int] = set()
        self.last: _Last | None = None

    def run(self) -> _ChunkResult:
        replaced = _replace(self.ids, self.since, self.end)
        known = [t for s, t in self.first_report.items() if s in set(self.ids)]
        if not known or min(known) >= self.end:
            self.tally.skip(len(self.ids) * int((self.end - self.since) // MINUTE))
            return _ChunkResult(series=0, minutes=0, incidents=0, replaced=replaced)
        # Scoring starts WINDOW minutes early (muted), so the first minutes recorded are judged
        # with full evidence windows, as live; the warm-up is only fitted on, not scored.
        first = max(self.since, floor_to_minute(min(known)) + WARM_UP)
        if first >= self.end:
            self.tally.skip(len(self.ids) * int((self.end - self.since) // MINUTE))
            return _ChunkResult(series=0, minutes=0, incidents=0, replaced=replaced)
        start = first - WINDOW * MINUTE
        self.tally.skip(len(self.ids) * int((first - self.since) // MINUTE))
        buffer = self._history(start)
        state = DetectorState.new(len(self.keys))
        fits = _Schedule(buffer, start=start)
        window_start = start
        scored = 0
        while window_start < self.end:
            window_end = min(window_start + _READ, self.end)
            values, works = self._read(window_start, window_end)
            buffer = np.concatenate([buffer, values], axis=1)[:, -(_HISTORY + values.shape[1]) :]
            state = self._stream(buffer, values.shape[1], works, window_start, state, fits)
            scored += values.shape[1]
            if window_end > first:
                fresh = window_end - max(window_start, first)
                self.tally.add(len(self.ids) * int(fresh // MINUTE))
            window_start = window_end
        self._finish(buffer, state, fits)
        return _ChunkResult(
            series=len(self.keys),
            minutes=scored * len(self.ids),
            incidents=len(self.recorded),
            replaced=replaced,
        )

    def _history(self, start: datetime) -> np.ndarray:
        """The history_seconds of buckets before `start` (the past the first fit reads)."""
        first = max(start - _HISTORY * MINUTE, floor_to_minute(min(self.first_report.values())))
        parts = [np.zeros((len(self.keys), 0))]
        at = first
        while at < start:
            stop = min(at + _READ, start)
            parts.append(self._read(at, stop)[0])
            at = stop
        return np.concatenate(parts, axis=1)

    def _read(self, start: datetime, end: datetime) -> tuple[np.ndarray, np.ndarray]:
        """Problem reports per minute of every series of the chunk over [start, end), NaN
        before its service's first report, and the "works for me" reports per minute of the
        whole services (from _RECENT minutes earlier). One query per kind: the whole series
        and the segments are summed here, minutes read as epoch seconds (no datetime per row)."""
        minutes = int((end - start) // MINUTE)
        values = np.zeros((len(self.keys), minutes))
        origin = int(start.timestamp())
        rows = (
            _buckets(self.ids, Kind.PROBLEM, start, end)
            .annotate(at=_Epoch("minute"))
            .values_list("service_id", "at", "platform", "country", "count")
        )
        found = np.array(list(rows.iterator(chunk_size=20_000)), dtype=object).reshape(-1, 5)
        if len(found):
            column = (found[:, 1].astype(np.int64) - origin) // 60
            count = found[:, 4].astype(float)
            for dimension, field_at in (
                (Dimension.ALL, None),
                (Dimension.PLATFORM, 2),
                (Dimension.COUNTRY, 3),
            ):
                names = found[:, field_at] if field_at is not None else np.full(len(found), "")
                row = np.array(
                    [
                        self.row_of.get(SeriesKey(s, dimension, n), -1)
                        for s, n in zip(found[:, 0], names, strict=True)
                    ]
                )
                hit = row >= 0
                np.add.at(values, (row[hit], column[hit]), count[hit])
        times = start.timestamp() + 60.0 * np.arange(minutes)
        for i, key in enumerate(self.keys):
            first = self.first_report.get(key.service_id)
            values[i, times < (np.inf if first is None else first.timestamp())] = np.nan
        works = np.zeros((len(self.keys), minutes + _RECENT))
        origin -= _RECENT * 60
        said_works = (
            _buckets(self.ids, Kind.WORKS, start - _RECENT * MINUTE, end)
            .annotate(at=_Epoch("minute"))
            .values_list("service_id", "at", "count")
        )
        for service_id, epoch, said in said_works.iterator(chunk_size=20_000):
            whole = self.row_of[SeriesKey(service_id, Dimension.ALL, "")]
            works[whole, (int(epoch) - origin) // 60] += said
        return values, works

    def _stream(
        self,
        buffer: np.ndarray,
        minutes: int,
        works: np.ndarray,
        start: datetime,
        state: DetectorState,
        fits: _Schedule,
    ) -> DetectorState:
        """Step the window's minutes (the last `minutes` columns of buffer)."""
        offset = buffer.shape[1] - minutes
        t0 = start.timestamp()
        # The recent minutes the records read (backdating and figures), WINDOW before.
        lead = min(offset, WINDOW)
        recent = np.nan_to_num(buffer[:, offset - lead :])
        times = t0 + 60.0 * np.arange(-lead, minutes)
        expected = np.zeros_like(recent)
        upper = np.full_like(recent, np.inf)
        for m in range(minutes):
            at = t0 + 60.0 * m
            baseline = fits.baseline_at(buffer[:, : offset + m], at)
            previous = state
            stepped = step(baseline, state, buffer[:, offset + m], now=at)
            state = stepped.state
            j = lead + m
            expected[:, j], upper[:, j] = stepped.expected, stepped.upper
            if stepped.events:
                events = self._kept_events(stepped.events)
                closing = [e for e in events if e.kind == CLOSE]
                if closing and j > 0:
                    # Live, the pass before the close left the figures of that minute.
                    rows = [e.series for e in closing]
                    figures = self._figures(
                        previous.incidents, rows, recent, expected, works, j - 1, lead
                    )
                    self._record([], figures, now=at)
                if events:
                    opened = [
                        backdated(e, values=recent, upper=upper, times=times, j=j) for e in events
                    ]
                    open_rows = np.flatnonzero(state.incidents.level > 0).tolist()
                    figures = self._figures(
                        state.incidents, open_rows, recent, expected, works, j, lead
                    )
                    self._record(opened, figures, now=at + 60.0)
        self.last = _Last(recent=recent, expected=expected, works=works, lead=lead)
        return state

    def _kept_events(self, events: list[DetectedEvent]) -> list[DetectedEvent]:
        """The events to record: none of a muted series (until its close)."""
        kept = []
        for event in events:
            i = event.series
            if event.kind == OPEN and self._mute(event):
                self.muted.add(i)
            if i in self.muted:
                if event.kind == CLOSE:
                    self.muted.discard(i)
                continue
            kept.append(event)
        return kept

    def _mute(self, event: DetectedEvent) -> bool:
        service_id = self.keys[event.series].service_id
        first = self.first_report.get(service_id)
        if event.at < self.since or first is None or event.at < first + WARM_UP:
            return True
        return any(
            begun <= event.at and event.started_at <= ended
            for begun, ended in self.kept.get(service_id, ())
        )

    def _figures(
        self,
        incidents: Incidents,
        rows: list[int],
        recent: np.ndarray,
        expected: np.ndarray,
        works: np.ndarray,
        j: int,
        lead: int,
    ) -> dict[SeriesKey, SeriesFigures]:
        """What the live pass would leave for these series' incidents at column j of the
        recent arrays (works: from _RECENT minutes before the window)."""
        running = incidents.running_expected
        w = j - lead + _RECENT  # the same minute in works' columns
        figures = {}
        for i in rows:
            if i in self.muted:
                continue
            lo = max(j - _RECENT + 1, 0)
            whole = self.whole_of[i]
            figures[self.keys[i]] = SeriesFigures(
                expected_total=float(running[i]),
                recent=float(recent[i, lo : j + 1].sum()),
                recent_expected=float(expected[i, lo : j + 1].sum()),
                recent_works=float(works[whole, max(w - _RECENT + 1, 0) : w + 1].sum()),
            )
        return figures

    def _record(
        self, events: list[DetectedEvent], figures: dict[SeriesKey, SeriesFigures], *, now: float
    ) -> None:
        if not events and not figures:
            return
        touched = incidents_record(
            events=[(self.keys[e.series], e) for e in events],
            figures=figures,
            shares=self.shares,
            now=_time(now),
            diversity=self.diversity,
        )
        self.recorded.update(incident.pk for incident in touched if incident.pk)

    @cached_property
    def shares(self) -> dict[SeriesKey, float]:
        """Each segment's usual share of its service's reports (countries' expected counts)."""
        rows = SeriesBaseline.objects.filter(service_id__in=self.ids).values_list(
            "service_id", "dimension", "value", "share"
        )
        return {SeriesKey(s, d, v): share for s, d, v, share in rows}

    def _finish(self, buffer: np.ndarray, state: DetectorState, fits: _Schedule) -> None:
        """Refresh the incidents still open, publish the unverifiable, silence the outbox,
        and leave states and summaries for the live pass."""
        last = self.last
        assert last is not None  # run() streams at least one window before finishing
        j = last.recent.shape[1] - 1
        open_rows = np.flatnonzero(state.incidents.level > 0).tolist()
        figures = self._figures(
            state.incidents, open_rows, last.recent, last.expected, last.works, j, last.lead
        )
        self._record([], figures, now=self.end.timestamp())
        ours = Incident.objects.filter(pk__in=self.recorded).exclude(_moderated())
        self.recorded = set(ours.values_list("pk", flat=True))
        _unverifiable_publish(self.recorded, shares=self.shares, now=self.end)
        OutboxEvent.objects.filter(incident_id__in=self.recorded, delivered_at__isnull=True).update(
            delivered_at=timezone.now()
        )
        scope = SeriesState.objects.filter(service_id__in=self.ids)
        states_store(scope=scope, keys=self.keys, incidents=state.incidents)
        day = min(buffer.shape[1], 1440)
        times = self.end.timestamp() - 60.0 * np.arange(day, 0, -1)
        statuses_store(
            keys=self.keys,
            values=np.nan_to_num(buffer[:, -day:]),
            expected=fits.current.expected(times),
            dispersion=fits.current.dispersion,
            times=times,
        )


@dataclass(frozen=True)
class _Last:
    """The last window's recent arrays, which the figures at the end of the run read."""

    recent: np.ndarray
    expected: np.ndarray
    works: np.ndarray
    lead: int


class _Schedule:
    """The streaming driver's refit schedule (outages.detection.driver): the baseline in force
    at each minute, fitted from the minutes before it only."""

    def __init__(self, history: np.ndarray, *, start: datetime) -> None:
        self.start = start.timestamp()
        at = self.start
        if history.shape[1] and not np.isnan(history).all():
            origin = at - 60.0 * history.shape[1]
            self.current = fit_baseline(history, start=origin, interval=_INTERVAL)
            self.full_points = _known(history)
        else:
            self.current = prior_baseline(history.shape[0], interval=_INTERVAL, at=at)
            self.full_points = 0

    def baseline_at(self, history: np.ndarray, at: float) -> Baseline:
        """The baseline in force at `at` (history: the buffer's columns before it)."""
        config = DEFAULT_CONFIG
        if not _crossed(self.current.fitted_at, at, config.refit_seconds):
            return self.current
        points = _known(history)
        if points == 0:
            return self.current
        origin = at - 60.0 * history.shape[1]
        full = self.full_points == 0 or points >= 2 * self.full_points
        full |= _crossed(self.current.fitted_at, at, config.full_refit_seconds)
        if full:
            self.current = fit_baseline(history, start=origin, interval=_INTERVAL)
            self.full_points = points
        else:
            self.current = refresh_level(self.current, history, start=origin, interval=_INTERVAL)
        return self.current


def _known(history: np.ndarray) -> int:
    """Minutes of history since the chunk's first report (the driver counts from its first
    point)."""
    seen = ~np.isnan(history).all(axis=0)
    return int(history.shape[1] - seen.argmax()) if seen.any() else 0


def _crossed(since: float, at: float, every: float) -> bool:
    """Whether a multiple of `every` seconds lies in (since, at]."""
    return bool(np.floor(at / every) > np.floor(since / every))


def _keys(ids: list[int]) -> list[SeriesKey]:
    """Every service's whole series, then the segments live detection scores: those with a
    stored baseline (the significant ones, baselines.py)."""
    segments = (
        SeriesBaseline.objects.filter(service_id__in=ids)
        .exclude(dimension=Dimension.ALL)
        .order_by("service_id", "dimension", "value")
        .values_list("service_id", "dimension", "value")
    )
    return [SeriesKey(s, Dimension.ALL, "") for s in ids] + [SeriesKey(*row) for row in segments]


class _Epoch(Func):
    """A datetime column as whole epoch seconds, computed by the database."""

    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)",
            **extra,
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="CAST(EXTRACT(EPOCH FROM %(expressions)s) AS BIGINT)",
            **extra,
        )


def _buckets(ids: list[int], kind: str, start: datetime, end: datetime) -> QuerySet[MinuteBucket]:
    return MinuteBucket.objects.filter(
        service_id__in=ids, kind=kind, minute__gte=start, minute__lt=end
    )


def _first_reports(ids: list[int]) -> dict[int, datetime]:
    """Each service's first minute with any bucket: before it, its history is unknown."""
    rows = (
        MinuteBucket.objects.filter(service_id__in=ids)
        .values("service_id")
        .annotate(first=Min("minute"))
        .values_list("service_id", "first")
    )
    return dict(rows)


def _moderated() -> Q:
    return (
        ~Q(review=Incident.Review.UNREVIEWED)
        | Q(visibility=Incident.Visibility.RETRACTED)
        | ~Q(public_note="")
    )


def _widened(ids: list[int], since: datetime) -> datetime:
    """`since`, moved back to the start of an unmoderated incident still open at it."""
    earliest = (
        Incident.objects.filter(service_id__in=ids, started_at__lt=since)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .exclude(_moderated())
        .aggregate(first=Min("started_at"))["first"]
    )
    return min(since, earliest) if earliest else since


def _replace(ids: list[int], since: datetime, end: datetime) -> int:
    """Delete the unmoderated incidents of the range (with their outbox events)."""
    doomed = Incident.objects.filter(
        service_id__in=ids, started_at__gte=since, started_at__lt=end
    ).exclude(_moderated())
    count = doomed.count()
    doomed.delete()
    return count


def _kept(
    ids: list[int], since: datetime, end: datetime
) -> dict[int, list[tuple[datetime, datetime]]]:
    """The spans of the moderated incidents overlapping the range, per service."""
    spans: dict[int, list[tuple[datetime, datetime]]] = {}
    rows = (
        Incident.objects.filter(_moderated(), service_id__in=ids, started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=since))
        .values_list("service_id", "started_at", "ended_at")
    )
    for service_id, started_at, ended_at in rows:
        spans.setdefault(service_id, []).append((started_at, (ended_at or end) + MINUTE))
    return spans


def _unverifiable_publish(pks: set[int], *, shares: dict[SeriesKey, float], now: datetime) -> None:
    """Publish the suspicious incidents with no raw reports behind most of their counted ones
    (seeded or imported history, or raw reports past their retention): the diversity rule
    reads raw reports, so it cannot judge them; their diversity stays recorded as found."""
    for incident in Incident.objects.filter(pk__in=pks, visibility=Incident.Visibility.SUSPICIOUS):
        checked = int(incident.diversity.get("reports", 0)) if incident.diversity else 0
        if incident.diversity == {} or checked * 2 >= incident.total:
            continue
        incident.visibility = Incident.Visibility.PUBLIC
        incident_refresh(incident=incident, figures=None, shares=shares, now=now, diversity=None)


def _cursors_move(cursors: list[DetectionCursor], end: datetime) -> None:
    """The live pass goes on from `end` (every shard; a first cursor if there is none)."""
    last = end - MINUTE
    if not cursors:
        DetectionCursor.objects.create(shard=EVERY_SERVICE.name, minute=last)
        return
    DetectionCursor.objects.filter(shard__in=[c.shard for c in cursors], minute__lt=last).update(
        minute=last
    )


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)
