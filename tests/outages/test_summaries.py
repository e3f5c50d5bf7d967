"""Wording helpers: rounding, ratios and waves."""

from __future__ import annotations

import numpy as np
import pytest
from django.utils import translation

from outages.summaries import about, ratio_text, waves

NBSP = "\u00a0"  # Django's French thousands separator


@pytest.mark.parametrize(
    ("count", "said"), [(7, "7"), (99.4, "99"), (9801, "9,800"), (123456, "120,000")]
)
def test_counts_are_rounded_as_a_reporter_would(count, said):
    with translation.override("en"):  # whatever language an earlier request left active
        assert about(count) == said


@pytest.mark.parametrize(
    ("ratio", "said"),
    [
        (2.44, "2.4"),
        (2.0, "2.0"),
        (9.94, "9.9"),
        (9.95, "10"),  # to the tenth first (10.0), then a whole number from 10
        (10.0, "10"),
        (37.4, "37"),
        (37.5, "38"),  # half up, never to even
        (3680.0, "3,680"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_ratios_read_with_one_decimal_below_10_and_whole_from_10(ratio, said):
    with translation.override("en"):
        assert ratio_text(ratio) == said


def test_ratios_use_the_language_s_decimal_mark_and_grouping():
    with translation.override("fr"):
        assert ratio_text(2.4) == "2,4"
        assert ratio_text(3680.0) == f"3{NBSP}680"


def test_waves_counts_separate_rises():
    t = np.arange(300)
    one = 100 * np.exp(-(((t - 100) / 20.0) ** 2))
    two = one + 80 * np.exp(-(((t - 220) / 20.0) ** 2))
    assert waves(one.tolist()) == 1
    assert waves(two.tolist()) == 2
    assert waves([0] * 50) == 0
