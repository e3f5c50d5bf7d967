"""Wording helpers: rounding and waves."""

from __future__ import annotations

import numpy as np
import pytest

from outages.summaries import about, waves


@pytest.mark.parametrize(
    ("count", "said"), [(7, "7"), (99.4, "99"), (9801, "9,800"), (123456, "120,000")]
)
def test_counts_are_rounded_as_a_reporter_would(count, said):
    assert about(count) == said


def test_waves_counts_separate_rises():
    t = np.arange(300)
    one = 100 * np.exp(-(((t - 100) / 20.0) ** 2))
    two = one + 80 * np.exp(-(((t - 220) / 20.0) ** 2))
    assert waves(one.tolist()) == 1
    assert waves(two.tolist()) == 2
    assert waves([0] * 50) == 0
