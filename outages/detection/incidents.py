"""The incident state machine, vectorised over series: surprise in, incident events out.

An incident opens when the gated surprise stays at or above open_z for open_points points in a
row (significant; the windows behind it already demand a sustained rise or a very strong single
point), at level 2 ("problems") when it has also stayed at or above problems_z for
problems_points points, else at level 1 ("possible problems"), and rises to 2 later on the same
rule. It tracks its peak and totals, and closes once the surprise of the latest points has
stayed below close_z for close_points points: a relapse before that continues it, which merges
flapping. Levels only rise within an incident. A series that has opened more than
habit_free incidents lately (each weighing exp(-age / habit_seconds)) needs habit_z more
evidence per incident beyond those to open the next: a per-series prior on how often it has
real outages. `open_ahead` applies the opening rule alone to
a point still in progress. Scores and baselines belong elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime
from typing import Any

import numpy as np

from outages.detection.config import DetectorConfig, points

OPEN, LEVEL, CLOSE = "open", "level", "close"


@dataclass(frozen=True)
class DetectedEvent:
    """One transition of one series' incident: opened, rose a level, or closed."""

    series: int
    kind: str  # OPEN, LEVEL or CLOSE
    at: datetime  # the point that caused it
    level: int  # the incident's level after the event (its highest, for a close)
    started_at: datetime
    peak: float
    peak_at: datetime
    total: float  # reports from its start to its last raised point
    expected_total: float  # what the baseline expected over the same points
    ended_at: datetime | None = None  # last raised point, on close


@dataclass(frozen=True)
class Incidents:
    """Incident state of n series; 0 / NaN fields where no incident is open."""

    level: np.ndarray  # 0 none, 1 possible problems, 2 problems
    pending: np.ndarray  # consecutive points at or above open_z
    strong: np.ndarray  # consecutive points at or above problems_z
    quiet: np.ndarray  # consecutive points below close_z while open
    started_at: np.ndarray
    last_raised_at: np.ndarray
    peak: np.ndarray
    peak_at: np.ndarray
    total: np.ndarray  # up to the last raised point: the quiet tail before a close is not in it
    expected_total: np.ndarray
    running: np.ndarray  # up to now
    running_expected: np.ndarray
    peak_z: np.ndarray  # strongest gated surprise of the open incident
    last_peak_z: np.ndarray  # that of the last closed incident
    since_close: np.ndarray  # points since the last close
    habit: np.ndarray  # incidents opened, each weighing exp(-age / habit_seconds)

    @classmethod
    def empty(cls, series: int) -> Incidents:
        zeros = {
            "level",
            "pending",
            "strong",
            "quiet",
            "total",
            "expected_total",
            "running",
            "running_expected",
            "peak_z",
            "last_peak_z",
            "habit",
        }
        fresh = {
            f.name: np.zeros(series) if f.name in zeros else np.full(series, np.nan)
            for f in fields(cls)
        }
        return cls(**{**fresh, "since_close": np.full(series, 1e9)})

    def row(self, i: int) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)[i]) for f in fields(self)}

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> Incidents:
        return cls(
            **{
                f.name: np.array(
                    [np.nan if r.get(f.name) is None else r[f.name] for r in rows], float
                )
                for f in fields(cls)
                if f.name != "habit"
            },
            # States stored before the habit existed have none.
            habit=np.array([r.get("habit") or 0.0 for r in rows], float),
        )


@dataclass(frozen=True)
class Evidence:
    """What the state machine reads at one step, per series."""

    gated: np.ndarray  # surprise of windows passing the practical-significance gates
    recent: np.ndarray  # surprise of the shortest window, gates aside
    value: np.ndarray
    expected: np.ndarray
    at: float  # epoch seconds of the point
    elapsed: np.ndarray  # points since the previous step (1 unless points were missing)


def advance(
    state: Incidents, evidence: Evidence, interval: float, config: DetectorConfig
) -> tuple[Incidents, np.ndarray, list[DetectedEvent]]:
    """One step of every series' state machine: (new state, alert level per series, events).

    The alert level is the level an incident opened at at this point, else 0 (a rise to
    level 2 within an open incident is not a new alert); a row's score is >= 0.5 exactly
    where it is not 0.
    """
    open_points, problems_points, close_points, cooldown_points = (
        points(seconds, interval)
        for seconds in (
            config.open_seconds,
            config.problems_seconds,
            config.close_seconds,
            config.cooldown_seconds,
        )
    )
    contiguous = evidence.elapsed <= 1
    candidate = evidence.gated >= config.open_z
    pending = np.where(candidate, np.where(contiguous, state.pending, 0) + 1, 0)
    strong_now = candidate & (evidence.gated >= config.problems_z)
    strong = np.where(strong_now, np.where(contiguous, state.strong, 0) + 1, 0)
    target = np.where(strong >= problems_points, 2, 1)
    since_close = state.since_close + evidence.elapsed
    # Soon after an incident, a new one must be stronger than it was: a series that bursts
    # again and again is bursting as usual.
    fresh = (since_close >= cooldown_points) | (evidence.gated > state.last_peak_z)
    # A series that has alerted often lately needs stronger evidence to alert again.
    habit = state.habit * np.exp(-evidence.elapsed * interval / config.habit_seconds)
    bar = config.open_z + config.habit_z * np.maximum(habit - config.habit_free, 0.0)
    fresh &= evidence.gated >= bar
    opening = (state.level == 0) & (pending >= open_points) & fresh
    habit = habit + opening
    rising = (state.level == 1) & (target == 2) & (pending >= open_points)
    level = np.where(opening | rising, target, state.level)
    alert = np.where(opening, level, 0)
    s = _open(state, opening, pending, evidence, interval)
    raised = (evidence.recent >= config.close_z) | opening
    s = _track(s, level > 0, raised, evidence)
    quiet = np.where(raised, 0, s.quiet + evidence.elapsed)
    quiet = np.where(level > 0, quiet, 0)
    closing = (level > 0) & (quiet >= close_points)
    peak_z = np.where(level > 0, np.maximum(s.peak_z, evidence.gated), 0.0)
    s = replace(
        s,
        level=level,
        pending=pending,
        strong=strong,
        quiet=quiet,
        peak_z=peak_z,
        since_close=since_close,
        habit=habit,
    )
    events = _events(s, opening, rising, closing, evidence.at)
    return _close(s, closing), alert, events


def open_ahead(
    state: Incidents, evidence: Evidence, interval: float, config: DetectorConfig
) -> tuple[Incidents, list[DetectedEvent]]:
    """The opening rule alone, on a point still in progress (its value and expected value
    cover only the part of its interval elapsed): (state to keep, open events).

    The point is stepped again in full once complete, so nothing of it is kept: the state is
    the one before it, except that the incidents it opened are open from it with no totals
    yet (their peak so far is its partial count). Levels and closes wait for the complete
    point.
    """
    stepped, _, events = advance(state, evidence, interval, config)
    opening = (state.level == 0) & (stepped.level > 0)
    if not opening.any():
        return state, []
    begun = _open(state, opening, stepped.pending, evidence, interval)
    # The peak so far is the point's partial count: the full one can only be as high.
    kept = ("level", "peak", "peak_at", "peak_z", "habit")
    opened = replace(
        begun, **{k: np.where(opening, getattr(stepped, k), getattr(begun, k)) for k in kept}
    )
    return opened, [e for e in events if e.kind == OPEN]


def _open(
    s: Incidents, opening: np.ndarray, pending: np.ndarray, ev: Evidence, interval: float
) -> Incidents:
    """Start records for the series opening now: the incident began with its pending run."""
    start = ev.at - (pending - 1) * interval
    return replace(
        s,
        started_at=np.where(opening, start, s.started_at),
        last_raised_at=np.where(opening, ev.at, s.last_raised_at),
        peak=np.where(opening, -np.inf, s.peak),
        running=np.where(opening, 0.0, s.running),
        running_expected=np.where(opening, 0.0, s.running_expected),
    )


def _track(s: Incidents, open_: np.ndarray, raised: np.ndarray, ev: Evidence) -> Incidents:
    """Peak, totals and last raised point of open incidents."""
    value = np.nan_to_num(ev.value)
    higher = open_ & (value > s.peak)
    running = np.where(open_, s.running + value, s.running)
    running_expected = np.where(open_, s.running_expected + ev.expected, s.running_expected)
    raised = open_ & raised
    return replace(
        s,
        peak=np.where(higher, value, s.peak),
        peak_at=np.where(higher, ev.at, s.peak_at),
        running=running,
        running_expected=running_expected,
        total=np.where(raised, running, s.total),
        expected_total=np.where(raised, running_expected, s.expected_total),
        last_raised_at=np.where(raised, ev.at, s.last_raised_at),
    )


def _close(s: Incidents, closing: np.ndarray) -> Incidents:
    """Reset closing series, remembering how strong their incident was and when it ended."""
    if not closing.any():
        return s
    empty = replace(
        Incidents.empty(len(closing)),
        last_peak_z=s.peak_z,
        since_close=0 * s.peak_z,
        habit=s.habit,
    )
    return Incidents(
        **{
            f.name: np.where(closing, getattr(empty, f.name), getattr(s, f.name))
            for f in fields(Incidents)
        }
    )


def _events(
    s: Incidents, opening: np.ndarray, rising: np.ndarray, closing: np.ndarray, at: float
) -> list[DetectedEvent]:
    events = []
    for kind, mask in ((OPEN, opening), (LEVEL, rising), (CLOSE, closing)):
        for i in np.flatnonzero(mask):
            events.append(
                DetectedEvent(
                    series=int(i),
                    kind=kind,
                    at=_time(at),
                    level=int(s.level[i]),
                    started_at=_time(s.started_at[i]),
                    peak=float(s.peak[i]),
                    peak_at=_time(s.peak_at[i]),
                    total=float(s.total[i]),
                    expected_total=float(s.expected_total[i]),
                    ended_at=_time(s.last_raised_at[i]) if kind == CLOSE else None,
                )
            )
    return events


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(float(epoch), tz=UTC)


def _plain(value: Any) -> float | None:
    value = float(value)
    return None if np.isnan(value) else value
