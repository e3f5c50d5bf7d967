"""Report POSTs and service page views on the same web workers.

A gevent worker runs one greenlet until it waits: a service page (tens of ms of CPU) holds
the reports that reach its worker meanwhile. Measured here, on the busy service of the pages
bench: the intake alone (wrk, 16 connections), then the same with 2 more connections fetching
that page back to back, both on gevent (config/gunicorn.py) and on gthread 2x16, in the same
run. Two page fetchers keep the cores busy rendering, the worst case for the reports' latency.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from bench.intake import INTAKE_PATH
from bench.loadgen import GET_SCRIPT, Load, wrk
from bench.report import Row

PAGE_CONNECTIONS = 2


@dataclass(frozen=True)
class Mix:
    workers: str
    intake_alone: Load
    intake_with_pages: Load
    pages: Load


def measure(base_url: str, *, workers: str, slugs: list[str], page: str, seconds: float) -> Mix:
    wrk("warmup", base_url, INTAKE_PATH, slugs=slugs, seconds=2, servers={})
    wrk("warmup", base_url, page, slugs=[], seconds=2, servers={}, script=GET_SCRIPT,
        connections=PAGE_CONNECTIONS)  # fmt: skip
    alone = wrk("intake alone", base_url, INTAKE_PATH, slugs=slugs, seconds=seconds, servers={})
    with ThreadPoolExecutor(max_workers=1) as pool:
        pages = pool.submit(
            wrk, "service pages", base_url, page, slugs=[], seconds=seconds, servers={},
            script=GET_SCRIPT, connections=PAGE_CONNECTIONS,
        )  # fmt: skip
        mixed = wrk("intake with pages", base_url, INTAKE_PATH, slugs=slugs, seconds=seconds,
                    servers={})  # fmt: skip
        page_load = pages.result()
    return Mix(workers=workers, intake_alone=alone, intake_with_pages=mixed, pages=page_load)


def rows(mixes: list[Mix]) -> list[Row]:
    """No bar: the price of serving pages and reports from the same workers."""
    out = [Row("Reports beside service page views (2 fetchers), same workers", "")]
    for m in mixes:
        alone, mixed, pages = m.intake_alone, m.intake_with_pages, m.pages
        out += [
            Row(f"  {m.workers}: intake p99 alone / beside pages",
                f"{alone.p99_ms:.0f} / {mixed.p99_ms:.0f} ms",
                f"reports/s {alone.ok_per_second:,.0f} / {mixed.ok_per_second:,.0f}",
                f"{mixed.p99_ms / alone.p99_ms:.1f}x"),
            Row(f"  {m.workers}: service pages beside the intake",
                f"{pages.ok_per_second:,.0f}/s", f"p50 {pages.p50_ms:.0f} ms, "
                f"p99 {pages.p99_ms:.0f} ms, {pages.failed} failed"),
        ]  # fmt: skip
    return out
