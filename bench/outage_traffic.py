"""Detection on outage-report traffic: the product's detector and a simple reference, judged
with event metrics on labelled synthetic traffic at one-minute resolution, several seeds.

    .venv/bin/python bench/outage_traffic.py                 # seeds 1-3, 60 services, 4 weeks
    .venv/bin/python bench/outage_traffic.py --seeds 4 5 6   # other draws
    BENCH_ONLY=outage_traffic make bench                     # the same from make bench

The traffic and the metrics are outages.detection.outage_traffic's (its docstring says what a
draw holds and what caught, clear and false alarm mean). Each draw has 2 weeks of history
then 2 judged weeks; the detectors stream over all of it and see only the past. Bars: clear
outages caught >= 0.95 and false alarms <= 0.10 per service-week, on every seed.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from bench.report import step  # noqa: E402
from outages.detection import DEFAULT_CONFIG, OPEN, DetectorConfig, detect_batch  # noqa: E402
from outages.detection import outage_traffic as ot  # noqa: E402
from outages.detection.counts import surprise  # noqa: E402

SEEDS = (1, 2, 3)
SERVICES, WEEKS, HISTORY_WEEKS = 60, 4, 2
CLEAR_BAR, FALSE_BAR = 0.95, 0.10
# The product without the rules of docs/detection.md ("Benchmark"), measured beside it.
RULES_OFF = replace(DEFAULT_CONFIG, rare_z=3.0, burst_share=0.0, mask_z=math.inf, tail_record=False)


def product_alerts(data: ot.Traffic, config: DetectorConfig = DEFAULT_CONFIG) -> list[ot.AlertSpan]:
    """The product's incidents (open to last raised minute) over the whole draw."""
    run = detect_batch(data.counts, start=data.start, interval=60.0, config=config)
    opened: dict[int, int] = {}
    alerts = []
    for i, event in run.events:
        if event.kind == OPEN:
            opened[event.series] = i
        elif event.kind == "close" and event.series in opened:
            ended = int((event.ended_at.timestamp() - data.start) // 60) if event.ended_at else i
            alerts.append(ot.AlertSpan(event.series, opened.pop(event.series), ended))
    last = data.counts.shape[1] - 1
    alerts += [ot.AlertSpan(s, i, last) for s, i in opened.items()]
    return alerts


def reference_alerts(data: ot.Traffic, *, z_open: float = 5.5) -> list[ot.AlertSpan]:
    """A 30-line reference: the usual count of a minute is the median, over the last 7 days,
    of the same quarter-hour of the day; 10-minute sums more than z_open (Poisson tail) over
    it, at least 10 reports and 2.5x over, are raised; raised minutes less than an hour apart
    are one alert."""
    counts = data.counts
    services, minutes = counts.shape
    days = minutes // 1440
    quarters = np.nanmean(counts[:, : days * 1440].reshape(services, days, 96, 15), axis=3)
    usual = np.full((services, days, 96), np.nan)
    for d in range(1, days):
        usual[:, d] = np.nanmedian(quarters[:, max(0, d - 7) : d], axis=1)
    mu = np.repeat(np.nan_to_num(usual, nan=0.0).reshape(services, -1), 15, axis=1) + 0.01
    x = np.nan_to_num(counts[:, : days * 1440])
    width = 10
    cx, cm = np.cumsum(x, axis=1), np.cumsum(mu, axis=1)
    sx = cx[:, width:] - cx[:, :-width]
    sm = cm[:, width:] - cm[:, :-width]
    z = surprise(sx, sm, np.ones_like(sm))
    raised = (z >= z_open) & (sx - sm >= 10) & (sx >= 2.5 * sm)
    alerts = []
    for s in range(services):
        at = np.flatnonzero(raised[s]) + width
        if len(at) == 0:
            continue
        breaks = np.flatnonzero(np.diff(at) > 60)
        for a, b in zip(np.r_[0, breaks + 1], np.r_[breaks, len(at) - 1], strict=True):
            alerts.append(ot.AlertSpan(s, int(at[a]), int(at[b])))
    return alerts


@dataclass(frozen=True)
class Figures:
    detector: str
    seed: int
    verdict: ot.Verdict
    seconds: float


def measure(seeds: tuple[int, ...] = SEEDS, services: int = SERVICES) -> list[Figures]:
    """Every detector on every seed's draw."""
    found = []
    for seed in seeds:
        data = ot.traffic(seed, services=services, weeks=WEEKS, history_weeks=HISTORY_WEEKS)
        detectors = (
            ("product", product_alerts),
            ("rules off", lambda data: product_alerts(data, RULES_OFF)),
            ("reference", reference_alerts),
        )
        for name, detector in detectors:
            began = time.monotonic()
            alerts = detector(data)
            found.append(Figures(name, seed, ot.judge(data, alerts), time.monotonic() - began))
            step(f"outage traffic: seed {seed}, {name} done in {found[-1].seconds:.0f} s")
    return found


def rows(figures: list[Figures]) -> list[report.Row]:
    """One row per detector and seed (clear recall and false alarms against the bars), then
    the pooled figures per detector."""
    out = []
    for f in figures:
        v = f.verdict
        out.append(_row(f"{f.detector}, seed {f.seed}", v, f.detector == "product"))
    for name in dict.fromkeys(f.detector for f in figures):
        mine = [f.verdict for f in figures if f.detector == name]
        out.append(_row(f"{name}, all seeds", _pooled(mine), name == "product"))
    return out


def _row(what: str, v: ot.Verdict, barred: bool) -> report.Row:
    ok = v.clear_recall >= CLEAR_BAR and v.false_per_week <= FALSE_BAR
    return report.Row(
        f"outage traffic: {what}",
        f"clear {v.clear_caught}/{v.clear} = {v.clear_recall:.2f}, all {v.caught}/{v.outages}"
        f" = {v.recall:.2f}, delay p50 {v.delay(50):.0f} / p90 {v.delay(90):.0f} min,"
        f" false {v.false_alarms} = {v.false_per_week:.3f}/service-week",
        f"clear >= {CLEAR_BAR}, false <= {FALSE_BAR}",
        verdict=("PASS" if ok else "FAIL") if barred else "-",
    )


def _pooled(verdicts: list[ot.Verdict]) -> ot.Verdict:
    return ot.Verdict(
        outages=sum(v.outages for v in verdicts),
        caught=sum(v.caught for v in verdicts),
        clear=sum(v.clear for v in verdicts),
        clear_caught=sum(v.clear_caught for v in verdicts),
        false_alarms=sum(v.false_alarms for v in verdicts),
        service_weeks=sum(v.service_weeks for v in verdicts),
        delays=[d for v in verdicts for d in v.delays],
        missed_clear=[o for v in verdicts for o in v.missed_clear],
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--services", type=int, default=SERVICES)
    args = parser.parse_args()
    figures = measure(tuple(args.seeds), args.services)
    print(report.table(rows(figures)))
    for f in figures:
        for o in f.verdict.missed_clear if f.detector == "product" else []:
            print(f"  missed (seed {f.seed}): {o}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
