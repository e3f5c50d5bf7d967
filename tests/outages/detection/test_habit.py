"""The habit, a per-series prior: a series that has alerted often lately needs stronger
evidence to alert again; the prior fades and survives a stored state."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from outages.detection import DEFAULT_CONFIG
from outages.detection.incidents import Evidence, Incidents, advance

CONFIG = DEFAULT_CONFIG
WEEK = 7 * 1440


def evidence(z: float, at: float, elapsed: int = 1) -> Evidence:
    one = np.array([1.0])
    return Evidence(np.array([z]), np.array([z]), 10 * one, one, at, np.array([elapsed]))


def alerts_of(gated: list[float]) -> list[int]:
    """Run the state machine alone on one series' evidence, one point a minute."""
    state, alerts = Incidents.empty(1), []
    for i, z in enumerate(gated):
        state, alert, _ = advance(state, evidence(z, 60.0 * i), 60.0, CONFIG)
        alerts.append(int(alert[0]))
    return alerts


def test_a_series_that_has_alerted_often_lately_needs_stronger_evidence_to_alert_again():
    gap = [0.0] * (CONFIG.close_points + CONFIG.cooldown_points + 10)
    weak, strong = CONFIG.open_z + 0.3, CONFIG.open_z + 1.0
    # Two incidents are within habit_free plus one; the third as weak is the series' usual.
    alerts = alerts_of(([weak] * 3 + gap) * 3 + [strong] * 3)

    assert CONFIG.habit_free < 2 and CONFIG.habit_z * (2 - CONFIG.habit_free) > 0.3
    opened = [i for i, a in enumerate(alerts) if a]
    assert len(opened) == 3
    assert opened[-1] == len(alerts) - 3  # the stronger fourth rise, not the weak third


def test_the_habit_fades_and_survives_a_stored_state():
    state = replace(Incidents.empty(1), habit=np.array([3.0]))
    stored = Incidents.from_rows([state.row(0)])
    legacy = Incidents.from_rows([{k: v for k, v in state.row(0).items() if k != "habit"}])
    faded, _, _ = advance(stored, evidence(0.0, 0.0, elapsed=WEEK), 60.0, CONFIG)

    assert stored.habit[0] == 3.0 and legacy.habit[0] == 0.0
    assert faded.habit[0] == pytest.approx(3.0 * np.exp(-WEEK * 60.0 / CONFIG.habit_seconds))
