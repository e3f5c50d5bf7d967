"""Report POSTs and service page views on the same web workers.

A gevent worker runs one greenlet until it waits: a service page (tens of ms of CPU) holds
the reports that reach its worker meanwhile. Measured on the busy service of the pages bench,
on gevent (config/gunicorn.py) and on gthread 2x16 in the same run: the page alone (8
connections fetching it back to back), the intake alone (wrk, 16 connections), then both at
once. The page fetchers keep the cores busy rendering: the worst case for the reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from bench.intake import INTAKE_PATH, warm_up
from bench.loadgen import GET_SCRIPT, Load, beside, wrk
from bench.report import Row

PAGE_CONNECTIONS = 8


@dataclass(frozen=True)
class Mix:
    workers: str
    intake_alone: Load
    intake_with_pages: Load
    pages_alone: Load
    pages: Load  # beside the intake


def measure(base_url: str, *, workers: str, slugs: list[str], page: str, seconds: float) -> Mix:
    warm_up(base_url, [INTAKE_PATH], slugs=slugs)
    wrk(
        "warmup",
        base_url,
        page,
        slugs=[],
        seconds=2,
        servers={},
        script=GET_SCRIPT,
        connections=PAGE_CONNECTIONS,
    )
    pages_alone = wrk(
        "service pages alone",
        base_url,
        page,
        slugs=[],
        seconds=seconds,
        servers={},
        script=GET_SCRIPT,
        connections=PAGE_CONNECTIONS,
    )
    alone = wrk("intake alone", base_url, INTAKE_PATH, slugs=slugs, seconds=seconds, servers={})
    mixed, page_load = beside(
        partial(
            wrk,
            "intake with pages",
            base_url,
            INTAKE_PATH,
            slugs=slugs,
            seconds=seconds,
            servers={},
        ),
        partial(
            wrk,
            "service pages",
            base_url,
            page,
            slugs=[],
            seconds=seconds,
            servers={},
            script=GET_SCRIPT,
            connections=PAGE_CONNECTIONS,
        ),
    )
    return Mix(
        workers=workers,
        intake_alone=alone,
        intake_with_pages=mixed,
        pages_alone=pages_alone,
        pages=page_load,
    )


def rows(mixes: list[Mix]) -> list[Row]:
    """No bar: the price of serving pages and reports from the same workers."""
    out = [Row(f"Reports beside service page views ({PAGE_CONNECTIONS} fetchers)", "")]
    for m in mixes:
        alone, mixed, pages = m.intake_alone, m.intake_with_pages, m.pages
        out += [
            Row(
                f"  {m.workers}: intake p99 alone / beside pages",
                f"{alone.p99_ms:.0f} / {mixed.p99_ms:.0f} ms",
                f"reports/s {alone.ok_per_second:,.0f} / {mixed.ok_per_second:,.0f}",
                f"{mixed.p99_ms / alone.p99_ms:.1f}x",
            ),
            Row(
                f"  {m.workers}: service pages/s alone / beside the intake",
                f"{m.pages_alone.ok_per_second:,.0f} / {pages.ok_per_second:,.0f}",
                f"p50 {m.pages_alone.p50_ms:.0f} / {pages.p50_ms:.0f} ms, p99 "
                f"{m.pages_alone.p99_ms:.0f} / {pages.p99_ms:.0f} ms, "
                f"{m.pages_alone.failed + pages.failed} failed",
            ),
        ]
    return out
