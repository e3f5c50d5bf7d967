"""Turn the measured results into the printed table (figure, value, reference or bar, ratio,
verdict) and a JSON file in bench/results/."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
# Measured on a 2-core machine of this kind: context, not bars.
REF_BARE_RPS = 3900
REF_BARE_CPU_US = 420
REF_MIDDLEWARE_US = 106
REF_COPY_RPS = 400_000


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    reference: str = ""
    ratio: str = ""
    verdict: str = ""


def step(what: str) -> None:
    """A bench's progress line, on stderr (the table goes to stdout)."""
    print(f"[{time.strftime('%H:%M:%S')}] {what}", file=sys.stderr, flush=True)


def bar(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def rows(r: dict[str, Any]) -> list[Row]:
    loads = [
        r["intake"].bare,
        r["intake"].intake,
        r["intake_extras"].drf,
        r["intake_extras"].fsync_everysec,
        r["intake_extras"].bare_lean,
        r["no_middleware"].bare,
        r["no_middleware"].intake,
        r["gthread"].bare,
        r["gthread"].intake,
        r["freshness"].load,
    ]
    noise = ", ".join(f"{max(load.other_cores, 0):.1f}" for load in loads)  # +-0.1
    invariant = bar(r["buckets_match_reports"])
    return [
        *_intake_rows(r),
        *_bucketing_rows(r),
        *_freshness_rows(r),
        Row("Buckets == counted raw reports (whole bench DB)", "checked", "equal", "", invariant),
        Row("Others' CPU in each wrk run (cores of 2)", noise, "0 = quiet machine"),
    ]


def intake_rows(r: dict[str, Any]) -> list[Row]:
    """Bar 1 and its CPU figures (all that BENCH_ONLY=intake measures)."""
    pair = r["intake"]
    bare, intake = pair.bare, pair.intake
    ratio, p99_ratio = intake.ok_per_second / bare.ok_per_second, intake.p99_ms / bare.p99_ms
    rounds = " ".join(f"{x:.2f}" for x in pair.round_ratios)
    web = bare.cpu_us_per_request["web"], intake.cpu_us_per_request["web"]
    intake_cpu = web[1] + intake.cpu_us_per_request["redis"]
    redis = r["redis"]
    return [
        Row(
            "  Redis: AOF always, its disk",
            f"{redis['aof_filesystem']}, fdatasync p50 "
            f"{redis['fsync_p50_us']:.0f} us, p99 {redis['fsync_p99_us']:.0f} us",
            f"reached over {redis['transport']}",
        ),
        Row(
            f"1 Bare JSON view (gunicorn {r['web']}, wrk c16)",
            _rps(bare),
            f"~{REF_BARE_RPS:,}/s, p99 ~4.7 ms",
            f"{bare.ok_per_second / REF_BARE_RPS:.2f}",
        ),
        Row(
            "1 Intake POST, reports accepted/s",
            _rps(intake),
            ">= 0.5 x bare",
            f"{ratio:.2f}",
            bar(ratio >= 0.5),
        ),
        Row(
            "1 Intake p99 latency",
            f"{intake.p99_ms:.1f} ms",
            "<= 2.5 x bare p99",
            f"{p99_ratio:.2f}",
            bar(p99_ratio <= 2.5),
        ),
        Row("  intake/bare in each round", rounds),
        Row(
            "  intake non-2xx / stream entries added",
            f"{intake.failed} / {pair.stream_entries:,}",
            f"wrk 2xx {intake.requests - intake.failed:,}",
        ),
        Row(
            "  web CPU/request: bare / intake",
            f"{web[0]:.0f} / {web[1]:.0f} us",
            f"~{REF_BARE_CPU_US} us bare",
        ),
        Row("  Redis CPU per report (AOF always)", f"{intake.cpu_us_per_request['redis']:.0f} us"),
        Row(
            "  CPU cost, bare / intake (web + Redis)",
            f"{web[0]:.0f} / {intake_cpu:.0f} us",
            "less skewed by others",
            f"{web[0] / intake_cpu:.2f}",
        ),
    ]


def _intake_rows(r: dict[str, Any]) -> list[Row]:
    extras, nomw, bare = r["intake_extras"], r["no_middleware"], r["intake"].bare
    mw_cost = bare.cpu_us_per_request["web"] - nomw.bare.cpu_us_per_request["web"]
    return [
        *intake_rows(r),
        Row(
            "  intake, Redis fsync every second",
            _rps(extras.fsync_everysec),
            "vs bare",
            f"{extras.fsync_everysec.ok_per_second / bare.ok_per_second:.2f}",
        ),
        Row(
            "  gthread 2x16 workers: bare / intake",
            f"{_rps(r['gthread'].bare)} / {_rps(r['gthread'].intake)}",
            "intake vs its bare",
            f"{r['gthread'].intake.ok_per_second / r['gthread'].bare.ok_per_second:.2f}",
        ),
        Row(
            "  bare view through the intake's lean stack",
            _rps(extras.bare_lean),
            "intake vs it",
            f"{r['intake'].intake.ok_per_second / extras.bare_lean.ok_per_second:.2f}",
        ),
        Row(
            "  intake behind DRF APIView + serializer",
            _rps(extras.drf),
            "vs bare",
            f"{extras.drf.ok_per_second / bare.ok_per_second:.2f}",
        ),
        Row(
            "  no middleware: bare",
            _rps(nomw.bare),
            "vs bare",
            f"{nomw.bare.ok_per_second / bare.ok_per_second:.2f}",
        ),
        Row(
            "  no middleware: intake",
            _rps(nomw.intake),
            "vs its bare",
            f"{nomw.intake.ok_per_second / nomw.bare.ok_per_second:.2f}",
        ),
        Row("  middleware stack, web CPU/request", f"{mw_cost:.0f} us", f"~{REF_MIDDLEWARE_US} us"),
    ]


def _bucketing_rows(r: dict[str, Any]) -> list[Row]:
    b, intake = r["bucketing"], r["intake"].intake
    ratio = b.drain_per_second / b.copy_indexed_per_second
    vs_intake = b.drain_per_second / intake.ok_per_second
    return [
        Row(
            f"2 report_drain, 1 process, {b.rows:,} reports",
            f"{b.drain_per_second:,.0f}/s",
            ">= 0.1 x COPY, reports' shape",
            f"{ratio:.2f}",
            bar(ratio >= 0.1),
        ),
        Row(
            "2 report_drain vs intake rate",
            f"{b.drain_per_second:,.0f}/s",
            ">= 10 x intake",
            f"{vs_intake:.1f}",
            bar(vs_intake >= 10),
        ),
        Row(
            "  reference: COPY, table shaped like reports",
            f"{b.copy_indexed_per_second:,.0f}/s",
            "its PK + 3 indexes",
            "",
            "",
        ),
        Row(
            "  COPY, same columns + PK only",
            f"{b.copy_pk_per_second:,.0f}/s",
            "drain vs this",
            f"{b.drain_per_second / b.copy_pk_per_second:.2f}",
        ),
        Row(
            "  COPY, same columns, no key or index",
            f"{b.copy_per_second:,.0f}/s",
            f"drain vs this (~{REF_COPY_RPS // 1000}k/s)",
            f"{b.drain_per_second / b.copy_per_second:.2f}",
        ),
    ]


def _freshness_rows(r: dict[str, Any]) -> list[Row]:
    f = r["freshness"]
    bare = r["intake"].bare
    samples = f"{len(f.lags)} probes, {f.lost} lost, {f.probe_errors} non-202"
    return [
        Row("3 Freshness p50, 2xx -> in bucket", f"{f.percentile(50):.3f} s", samples),
        Row(
            "3 Freshness p99, 2xx -> in bucket",
            f"{f.percentile(99):.3f} s",
            "<= 2 s",
            "",
            bar(f.percentile(99) <= 2.0),
        ),
        Row("  freshness max", f"{f.percentile(100):.3f} s"),
        Row(
            "  intake accepted/s while Celery drains",
            _rps(f.load),
            "vs bare",
            f"{f.load.ok_per_second / bare.ok_per_second:.2f}",
        ),
        Row("  most entries waiting in the stream", f"{f.max_backlog:,}"),
    ]


def _rps(load: Any) -> str:
    return f"{load.ok_per_second:,.0f}/s, p99 {load.p99_ms:.1f} ms"


def table(rows: list[Row]) -> str:
    header = Row("figure", "value", "reference / bar", "ratio", "verdict")
    cells = [dataclasses.astuple(row) for row in [header, *rows]]
    widths = [max(len(c[i]) for c in cells) for i in range(5)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def save(results: dict[str, Any], rows: list[Row]) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    payload = {"table": [dataclasses.asdict(row) for row in rows], "results": results}
    path.write_text(json.dumps(payload, indent=2, default=_plain))
    return path


def _plain(value: Any) -> Any:
    """JSON for the result dataclasses, with their derived figures."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return str(value)
    plain = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if hasattr(value, "ok_per_second"):
        plain["ok_per_second"] = value.ok_per_second
    if hasattr(value, "percentile"):
        plain |= {f"p{q}": value.percentile(q) for q in (50, 90, 99, 100)}
    return plain
