"""Time-of-week slots: which slot an instant falls in, and a profile's value at any instant.

Instants are epoch seconds (UTC). Weeks start on Monday 00:00 UTC, as in synthetic.py. A profile
holds one value per slot, read at the slot's centre and interpolated linearly (cyclically) in
between, so the chart's typical band is smooth. Fitting a profile belongs to baseline.py.
"""

from __future__ import annotations

import numpy as np

DAY = 86_400
WEEK = 7 * DAY
# 1970-01-01 was a Thursday: epoch second 0 is second 3 * DAY of a Monday-based week.
_EPOCH_SECOND_OF_WEEK = 3 * DAY


def second_of_week(times: np.ndarray | float) -> np.ndarray:
    """Seconds since the last Monday 00:00 UTC, for epoch seconds."""
    return (np.asarray(times, dtype=float) + _EPOCH_SECOND_OF_WEEK) % WEEK


def slot_of_week(times: np.ndarray | float, slot_seconds: int) -> np.ndarray:
    """Index of the time-of-week slot holding each instant."""
    return (second_of_week(times) // slot_seconds).astype(np.int64)


def slots_per_week(slot_seconds: int) -> int:
    if WEEK % slot_seconds:
        raise ValueError(f"slot_seconds={slot_seconds} must divide a week")
    return WEEK // slot_seconds


def interpolation(times: np.ndarray | float, slot_seconds: int) -> tuple[np.ndarray, ...]:
    """(left slot, right slot, right weight) to read a profile at each instant."""
    position = second_of_week(times) / slot_seconds - 0.5
    left = np.floor(position)
    weight = position - left
    slots = slots_per_week(slot_seconds)
    left = left.astype(np.int64) % slots
    return left, (left + 1) % slots, weight


def profile_at(profile: np.ndarray, times: np.ndarray | float, slot_seconds: int) -> np.ndarray:
    """Profile values (series, slots) read at instants: shape (series, len(times))."""
    left, right, weight = interpolation(np.atleast_1d(times), slot_seconds)
    result: np.ndarray = profile[:, left] * (1.0 - weight) + profile[:, right] * weight
    return result
