"""Command line: `python -m outages.detection INPUT.csv OUTPUT.csv`.

Reads `timestamp,value` rows (ISO timestamps at a fixed interval; no zone means UTC) and writes
`timestamp,value,anomaly_score`, scored by the same streaming driver and DEFAULT_CONFIG as the
product: a row scores >= 0.5 exactly when the product would alert there (an incident opens; a
rise to level 2 later in the same incident is not a new alert). Durations are configured in
seconds and mapped to points at the file's interval (its median spacing); the help text lists
them. File handling only; the detector is in driver.py.
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Sequence
from datetime import UTC, datetime

from outages.detection.config import DEFAULT_CONFIG, DetectorConfig, points
from outages.detection.driver import detect_series


def parse_timestamp(text: str) -> datetime:
    """An ISO timestamp as an aware datetime; one without a zone is taken as UTC."""
    moment = datetime.fromisoformat(text.strip())
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def parse_value(text: str) -> float:
    """A number, or NaN (a missing point) for an empty or unreadable cell."""
    try:
        value = float(text)
    except ValueError:
        return math.nan
    return value if math.isfinite(value) else math.nan


def run(source: str, target: str) -> int:
    """Score the CSV at source into target; returns the number of rows."""
    with open(source, newline="") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if row.get("timestamp")]
    timestamps = [parse_timestamp(row["timestamp"]) for row in rows]
    values = [parse_value(row.get("value", "")) for row in rows]
    points = detect_series(timestamps, values, DEFAULT_CONFIG)
    with open(target, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "value", "anomaly_score"])
        for row, point in zip(rows, points, strict=True):
            writer.writerow([row["timestamp"], row.get("value", ""), f"{point.score:.6f}"])
    return len(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m outages.detection",
        description="Score timestamp,value rows; anomaly_score >= 0.5 marks an alert.",
        epilog=durations(DEFAULT_CONFIG),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("input", help="CSV with columns timestamp,value")
    parser.add_argument("output", help="CSV to write: timestamp,value,anomaly_score")
    args = parser.parse_args(argv)
    run(args.input, args.output)
    return 0


def durations(config: DetectorConfig) -> str:
    """How the configured durations map to points at common intervals (for --help)."""
    named = {
        "evidence windows": config.window_seconds,
        "open after": (config.open_seconds,),
        "problems after": (config.problems_seconds,),
        "close after quiet": (config.close_seconds,),
        "cool-down": (config.cooldown_seconds,),
    }
    lines = [
        "Durations are seconds; at an interval of i seconds, d seconds are",
        "max(1, round(d / i)) points (the interval is the rows' median spacing):",
    ]
    for name, seconds in named.items():
        at = ", ".join(
            f"{i // 60} min: {'/'.join(str(points(s, i)) for s in seconds)}" for i in (60, 300)
        )
        lines.append(f"  {name} {'/'.join(str(s) for s in seconds)} s -> points at {at}")
    return "\n".join(lines)
