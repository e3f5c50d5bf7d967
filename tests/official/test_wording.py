"""One sentence per combination of the crowd's level and the company's page."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.utils import translation

from outages.official.selectors import OfficialStatus
from outages.official.wording import side_by_side

QUIET = OfficialStatus(
    indicator="none",
    description="All Systems Operational",
    incident_title="",
    incident_url="",
    updated_at=None,
    polled_at=None,
    link="https://status.example.com",
    failing=False,
)


@pytest.mark.parametrize(
    ("crowd", "changes", "sentence"),
    [
        (2, {}, "Users report problems; the company has not acknowledged them yet."),
        (1, {"indicator": "major"}, "Users report problems; the company reports problems too."),
        (
            2,
            {"indicator": "major", "lead_seconds": 720},
            "Acknowledged by the company 12 min after users' reports began.",
        ),
        (
            2,
            {"indicator": "major", "lead_seconds": -60},
            "The company announced it before users' reports rose.",
        ),
        (
            2,
            {"indicator": "maintenance"},
            "Users report problems; the company announces maintenance.",
        ),
        (
            0,
            {"indicator": "critical"},
            "The company reports problems; users' reports are at their usual level.",
        ),
        (
            0,
            {"indicator": "maintenance"},
            "The company announces maintenance; users' reports are at their usual level.",
        ),
        (0, {}, "The company reports no problems either."),
        (0, {"indicator": "unknown"}, "The company's status page has not been read yet."),
    ],
)
def test_each_combination_has_its_sentence(crowd: int, changes: dict, sentence: str) -> None:  # type: ignore[type-arg]
    with translation.override("en"):
        assert side_by_side(crowd_level=crowd, official=replace(QUIET, **changes)) == sentence


def test_no_official_source_says_nothing() -> None:
    assert side_by_side(crowd_level=2, official=None) == ""


def test_the_sentences_are_translated() -> None:
    with translation.override("fr"):
        said = side_by_side(crowd_level=2, official=QUIET)
    assert said != "Users report problems; the company has not acknowledged them yet."


def test_the_api_speaks_english_whatever_the_language_active() -> None:
    from outages.official.wording import official_json

    with translation.override("fr"):
        found = official_json(crowd_level=2, official=QUIET)
    assert found is not None
    assert found["sentence"] == "Users report problems; the company has not acknowledged them yet."
    assert found["label"] == "Operational"
