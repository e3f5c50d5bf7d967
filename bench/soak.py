"""Soak: the embedded stack of `make run`, with live demo traffic, for SOAK_MINUTES (30).

    make soak                   # or: SOAK_MINUTES=10 python bench/soak.py

Runs migrate, a short seed (SOAK_SEED_DAYS, 2 days) and supervisord with config/embedded.conf
in a temporary VAR_DIR on a free port, exactly as `make run` does; the beat task
reports.simulate_tick feeds reports through the real intake every 10 s. Every 15 s it fetches
the home page. At the end it stops the stack with SIGINT (as Ctrl-C does) and prints:
- processes that exited unexpectedly or were restarted (from supervisord's own events);
- error lines in the programs' logs (ERROR, CRITICAL, Traceback);
- reports accepted vs counted during the soak: accepted is the intake's own counter
  (outages_intake_accepted_total, by status "counted" or "already_counted" (a repeat within
  the dedupe window, kept but never counted), summed over every process that ran, killed ones
  included, from the Prometheus multiprocess directory); counted is what the database holds
  afterwards: raw reports, those of them counted, and the minute buckets every chart reads.
Exits 1 unless no process died, no error was logged, the home page always answered, accepted
= raw reports and accepted as counted = raw counted = bucket total. Not part of `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
SEED_DAYS = os.environ.get("SOAK_SEED_DAYS", "2")
ERROR = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|Unrecoverable")
EVENT = re.compile(r"(exited|spawned|gave up|success): '?(\w+)'?")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stack_env(var_dir: Path, port: int) -> dict[str, str]:
    """The environment of a fresh `make run`: nothing but VAR_DIR and PORT."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DEPLOYMENT",
            "PROMETHEUS_MULTIPROC_DIR",
            "SIMULATE_LIVE_TRAFFIC",
        }
    }
    return {**env, "VAR_DIR": str(var_dir), "PORT": str(port)}


def in_database(database: Path) -> tuple[int, int, int]:
    """(raw reports, raw reports counted, sum of the minute buckets) in the SQLite database.
    A repeat within the dedupe window is kept as a raw report but not counted."""
    with sqlite3.connect(database) as connection:
        raw, counted = connection.execute(
            "SELECT COUNT(*), COALESCE(SUM(counted AND void_id IS NULL), 0) FROM reports_report"
        ).fetchone()
        (buckets,) = connection.execute(
            "SELECT COALESCE(SUM(count), 0) FROM outages_minutebucket"
        ).fetchone()
    return int(raw), int(counted), int(buckets)


def accepted_by_intake(metrics_dir: Path) -> Counter[str]:
    """The intake's accepted counter by status, over every process that wrote one."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))
    accepted: Counter[str] = Counter()
    for family in registry.collect():
        for sample in family.samples:
            if sample.name == "outages_intake_accepted_total":
                accepted[sample.labels["status"]] += int(sample.value)
    return accepted


def home_answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def wait_for_home(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not home_answers(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the home page did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def supervisor_events(log: Path) -> Counter[tuple[str, str]]:
    """(event, program) counts from supervisord's log: spawned, exited, gave up."""
    events: Counter[tuple[str, str]] = Counter()
    for line in log.read_text(errors="replace").splitlines():
        match = EVENT.search(line)
        if match:
            expected = "expected" if "(exit status 0; expected)" in line else ""
            events[(match.group(1) + (" " + expected if expected else ""), match.group(2))] += 1
    return events


def unexpected_exits(log: Path) -> list[str]:
    return [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "exited:" in line and "not expected" in line or "gave up:" in line
    ]


def error_lines(log_dir: Path) -> list[str]:
    found = []
    for log in sorted(log_dir.glob("*.log*")):
        for line in log.read_text(errors="replace").splitlines():
            if ERROR.search(line):
                found.append(f"{log.name}: {line[:200]}")
    return found


def run(var_dir: Path) -> bool:
    port = free_port()
    env = stack_env(var_dir, port)
    (var_dir / "log").mkdir(parents=True)
    (var_dir / "metrics").mkdir()
    python = str(BIN / "python")
    print(f"==> soak in {var_dir}, port {port}, {MINUTES:g} minutes", flush=True)
    subprocess.run(
        [python, "manage.py", "migrate", "--verbosity", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run(
        [python, "manage.py", "seed", "--days", SEED_DAYS],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    database = var_dir / "outages.sqlite3"
    before = in_database(database)
    supervisord_log = var_dir / "log" / "supervisord.log"
    stack = subprocess.Popen(
        [str(BIN / "supervisord"), "--configuration", str(ROOT / "config" / "embedded.conf")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    probes = failures = 0
    try:
        wait_for_home(port, 120)
        started = time.monotonic()
        while time.monotonic() - started < MINUTES * 60 and stack.poll() is None:
            time.sleep(15)
            probes += 1
            failures += not home_answers(port)
            if probes % 20 == 0:
                elapsed = (time.monotonic() - started) / 60
                print(
                    f"    {elapsed:.0f} min: home page {probes - failures}/{probes} ok", flush=True
                )
    finally:
        stack.send_signal(signal.SIGINT)  # what Ctrl-C sends
        stopped_cleanly = stack.wait(timeout=60) == 0

    raw, counted, buckets = (n - m for n, m in zip(in_database(database), before, strict=True))
    accepted = accepted_by_intake(var_dir / "metrics")
    events = supervisor_events(supervisord_log)
    exits = unexpected_exits(supervisord_log)
    restarts = {
        program: n - 1 for (event, program), n in events.items() if event == "spawned" and n > 1
    }
    errors = error_lines(var_dir / "log")

    print(f"==> {MINUTES:g} minutes")
    print(f"processes that died (unexpected exits): {len(exits)}")
    for line in exits:
        print(f"    {line}")
    print(f"processes restarted: {sum(restarts.values())} {restarts or ''}")
    print(f"error lines in the logs: {len(errors)}")
    for line in errors[:20]:
        print(f"    {line}")
    print(f"home page: {probes - failures}/{probes} probes answered 200")
    accepted_all = accepted["counted"] + accepted["already_counted"]
    print(
        f"reports accepted by the intake: {accepted_all}, of which counted"
        f" {accepted['counted']} ({accepted['already_counted']} repeats, kept uncounted)"
    )
    print(
        f"in the database: {raw} raw reports, of which counted {counted}; minute buckets {buckets}"
    )
    print(f"stack stopped cleanly on SIGINT: {stopped_cleanly}")
    ok = (
        not exits
        and not restarts
        and not errors
        and not failures
        and stopped_cleanly
        and accepted_all == raw
        and accepted["counted"] == counted == buckets
        and counted > 0
    )
    print("==> PASS" if ok else "==> FAIL")
    return ok


def main() -> None:
    var_dir = Path(tempfile.mkdtemp(prefix="soak-"))
    try:
        ok = run(var_dir)
    finally:
        if os.environ.get("SOAK_KEEP"):
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
