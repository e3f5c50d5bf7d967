"""The command line: timestamp,value in; timestamp,value,anomaly_score out, scored as the
product would, with anomaly_score >= 0.5 exactly at its alerts."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from outages.detection import OPEN, detect_series
from outages.detection.cli import main, parse_timestamp

ROOT = Path(__file__).resolve().parents[3]
START = datetime(2015, 2, 26, 21, 42, 53)  # NAB style: no zone, at :x2:53


def write(path: Path, rows: list[tuple[str, str]]) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value"])
        writer.writerows(rows)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def spiky_series(points: int = 2 * 288) -> list[tuple[str, str]]:
    """Two days of 5-minute counts with a clear burst on the second evening."""
    rng = np.random.default_rng(4)
    minute = np.arange(points) * 5
    rate = 20 + 15 * np.sin(2 * np.pi * minute / 1440)
    values = rng.poisson(rate)
    values[480:490] += 400
    return [
        ((START + timedelta(minutes=int(m))).strftime("%Y-%m-%d %H:%M:%S"), str(v))
        for m, v in zip(minute, values, strict=True)
    ]


def test_it_writes_a_score_in_0_1_for_every_row_keeping_timestamps_and_values(tmp_path):
    rows = spiky_series()
    write(tmp_path / "in.csv", rows)

    assert main([str(tmp_path / "in.csv"), str(tmp_path / "out.csv")]) == 0
    out = read(tmp_path / "out.csv")
    assert list(out[0]) == ["timestamp", "value", "anomaly_score"]
    assert [(r["timestamp"], r["value"]) for r in out] == rows
    scores = np.array([float(r["anomaly_score"]) for r in out])
    assert np.all((scores >= 0) & (scores <= 1))
    # After the first day (a new series is first judged against the prior), the burst alone.
    assert np.flatnonzero(scores[288:] >= 0.5).min() + 288 in range(480, 483)


def test_rows_score_at_least_half_exactly_where_the_product_alerts(tmp_path):
    rows = spiky_series()
    write(tmp_path / "in.csv", rows)
    main([str(tmp_path / "in.csv"), str(tmp_path / "out.csv")])

    scores = [float(r["anomaly_score"]) for r in read(tmp_path / "out.csv")]
    points = detect_series([parse_timestamp(t) for t, _ in rows], [float(v) for _, v in rows])
    alerts = [any(e.kind == OPEN for e in p.events) for p in points]
    assert [s >= 0.5 for s in scores] == alerts
    assert any(alerts)


def test_gaps_and_unreadable_values_count_as_missing_points(tmp_path):
    rows = spiky_series()
    holey = rows[:100] + rows[130:200] + [(rows[200][0], "")] + [(rows[201][0], "n/a")] + rows[202:]
    write(tmp_path / "in.csv", holey)
    main([str(tmp_path / "in.csv"), str(tmp_path / "out.csv")])

    out = read(tmp_path / "out.csv")
    assert len(out) == len(holey)
    assert all(0 <= float(r["anomaly_score"]) <= 1 for r in out)


@pytest.mark.parametrize(
    ("text", "moment"),
    [
        ("2015-02-26 21:42:53", datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC)),
        ("2015-02-26T21:42:53Z", datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC)),
        ("2015-02-26T22:42:53+01:00", datetime(2015, 2, 26, 21, 42, 53, tzinfo=UTC)),
    ],
)
def test_timestamps_without_a_zone_are_utc(text, moment):
    assert parse_timestamp(text) == moment


def test_it_runs_as_a_module(tmp_path):
    write(tmp_path / "in.csv", spiky_series(300))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "outages.detection",
            str(tmp_path / "in.csv"),
            str(tmp_path / "out.csv"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )

    assert result.returncode == 0, result.stderr
    assert len(read(tmp_path / "out.csv")) == 300
