"""Drive a URL with wrk (16 connections unless told) and return what the server did with it.

Every request is a report POST from a distinct reporter (bench/wrk/report.lua), also to the
bare view, so both sides receive the same bytes.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.servers import ForeignCpu, cpu_seconds, descendants

SCRIPT = Path(__file__).resolve().parent / "wrk" / "report.lua"
GET_SCRIPT = Path(__file__).resolve().parent / "wrk" / "get.lua"
PACED_SCRIPT = Path(__file__).resolve().parent / "wrk" / "paced.lua"
CONNECTIONS = 16
THREADS = 2


@dataclass(frozen=True)
class Load:
    name: str
    requests: int
    seconds: float
    failed: int  # non-2xx answers (wrk counts >= 400) and socket errors
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: dict[str, float]  # CPU per request of each group of server processes
    other_cores: float  # cores busy with others' processes meanwhile (0 on a quiet machine)

    @property
    def ok_per_second(self) -> float:
        return (self.requests - self.failed) / self.seconds

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "ok_per_second": self.ok_per_second}


def wrk(
    name: str,
    base_url: str,
    path: str,
    *,
    slugs: list[str],
    seconds: float,
    servers: dict[str, int],
    warmup: float = 0.0,
    script: Path = SCRIPT,
    connections: int = CONNECTIONS,
    rate: float | None = None,
    cpus: set[int] | None = None,
) -> Load:
    """Load for `seconds` (after `warmup` seconds of the same); CPU is counted per server,
    each a root pid with its children (gunicorn's workers, say). `script`: report POSTs
    (`slugs` are its arguments), or GET_SCRIPT (`slugs` are extra request headers). `rate`:
    report POSTs at about that many a second (PACED_SCRIPT) instead of as fast as answered.
    `cpus`: wrk runs on those cores only (taskset)."""
    if rate is not None:
        script, path, slugs = PACED_SCRIPT, f"{connections * 1000 / rate:.1f}", [path, *slugs]
    if warmup:
        _run(base_url, path, slugs, warmup, script, connections, cpus)
    cpu_before = {name: cpu_seconds(descendants(root)) for name, root in servers.items()}
    foreign = ForeignCpu()
    foreign.start()
    started = time.monotonic()
    result = _run(base_url, path, slugs, seconds, script, connections, cpus)
    if time.monotonic() - started < seconds:
        raise RuntimeError(f"wrk ended early: {result}")
    other_cores = foreign.cores()
    per_request = 1e6 / max(result["requests"], 1)
    cpu = {
        name: (cpu_seconds(descendants(root)) - cpu_before[name]) * per_request
        for name, root in servers.items()
    }
    failed = sum(result[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Load(
        name=name,
        requests=result["requests"],
        seconds=result["duration_us"] / 1e6,
        failed=failed,
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
        cpu_us_per_request=cpu,
        other_cores=other_cores,
    )


def _run(
    base_url: str,
    path: str,
    slugs: list[str],
    seconds: float,
    script: Path = SCRIPT,
    connections: int = CONNECTIONS,
    cpus: set[int] | None = None,
) -> dict[str, int]:
    pinned = ["taskset", "-c", ",".join(map(str, sorted(cpus)))] if cpus else []
    argv = [
        *pinned,
        "wrk",
        f"-t{min(THREADS, connections)}",
        f"-c{connections}",
        f"-d{round(seconds)}s",
        "-s",
        str(script),
        base_url,
        "--",
        path,
        *slugs,
    ]
    out = subprocess.run(argv, capture_output=True, text=True, check=True, timeout=seconds + 30)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH "):
            return json.loads(line.removeprefix("BENCH "))
    raise RuntimeError(f"no summary from wrk:\n{out.stdout}\n{out.stderr}")


def beside(load: Callable[[], Load], other: Callable[[], Load]) -> tuple[Load, Load]:
    """Runs `load` while `other` runs in a thread beside it (a report load beside page
    fetchers, say); returns both, in that order."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(other)
        return load(), running.result()


def merged(name: str, runs: list[Load]) -> Load:
    """Runs of one load as one: totals, CPU per request over all, median p50 and p99."""
    requests = sum(run.requests for run in runs)
    seconds = sum(run.seconds for run in runs)
    return Load(
        name=name,
        requests=requests,
        seconds=seconds,
        failed=sum(run.failed for run in runs),
        p50_ms=statistics.median(run.p50_ms for run in runs),
        p99_ms=statistics.median(run.p99_ms for run in runs),
        cpu_us_per_request={
            group: sum(run.cpu_us_per_request[group] * run.requests for run in runs) / requests
            for group in runs[0].cpu_us_per_request
        },
        other_cores=sum(run.other_cores * run.seconds for run in runs) / seconds,
    )
