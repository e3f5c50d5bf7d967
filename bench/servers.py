"""Start and stop what the bench runs against: its own PostgreSQL database, an AOF-always
Redis, gunicorn, a Celery worker and beat. Every process is stopped on exit, by its own id.

Nothing here measures anything; the figures are in intake.py, bucketing.py and freshness.py.

Over 300 lines: every throwaway service the bench starts, in one place.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
# The machine's Redis carries only Celery's broker queue: a broker is not the durability path.
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/14")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """Runs in the child: if the bench itself is killed, the kernel stops the child too."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM to the process group this process leads (its own workers), then SIGKILL."""
        if self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            tail = self.log.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{tail}")


@contextlib.contextmanager
def process(name: str, argv: list[str], *, env: dict[str, str], logs: Path) -> Iterator[Process]:
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
    proc = Process(name, popen, log)
    try:
        yield proc
    finally:
        proc.stop()


def wait_for_port(proc: Process, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        proc.check_alive()
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{proc.name} did not listen on {port} within {timeout} s")


@contextlib.contextmanager
def durable_redis(workdir: Path, logs: Path, *, unix: bool = True) -> Iterator[tuple[Process, str]]:
    """A Redis of our own with the production durability setting: fsync every write, its AOF
    in workdir (refused on a memory file system). Its URL is the unix socket's, or TCP's."""
    port = free_port()
    data = workdir / "redis"
    data.mkdir()
    if filesystem_of(data) in MEMORY_FILESYSTEMS:
        raise RuntimeError(f"{data} is on {filesystem_of(data)}: fsync would prove nothing")
    socket_path = data / "redis.sock"
    argv = [
        "redis-server",
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--dir",
        str(data),
        "--unixsocket",
        str(socket_path),
        "--unixsocketperm",
        "700",
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
    ]
    with process("redis", argv, env=dict(os.environ), logs=logs) as proc:
        wait_for_port(proc, port)
        yield proc, f"unix://{socket_path}?db=0" if unix else f"redis://127.0.0.1:{port}/0"


MEMORY_FILESYSTEMS = {"tmpfs", "ramfs"}


def filesystem_of(path: Path) -> str:
    """The type of the file system holding path (the longest mount point above it)."""
    best, kind = "", "unknown"
    for line in Path("/proc/mounts").read_text().splitlines():
        _device, mount, fstype, *_ = line.split()
        inside = str(path.resolve()).startswith(mount.rstrip("/") + "/") or mount == "/"
        if inside and len(mount) > len(best):
            best, kind = mount, fstype
    return kind


def fsync_latency_us(folder: Path, *, writes: int = 500) -> tuple[float, float]:
    """(p50, p99) microseconds of appending 200 bytes and fdatasync-ing them, in folder: the
    disk latency an AOF-always Redis there pays once per event-loop turn."""
    path = folder / "fsync-probe"
    samples = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for _ in range(writes):
            os.write(fd, b"x" * 200)
            started = time.perf_counter()
            os.fdatasync(fd)
            samples.append(time.perf_counter() - started)
    finally:
        os.close(fd)
        path.unlink()
    samples.sort()
    return samples[len(samples) // 2] * 1e6, samples[len(samples) * 99 // 100] * 1e6


@contextlib.contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A dedicated, empty PostgreSQL database, dropped on exit (with its open sessions)."""
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# The web tier: compose's command (config/gunicorn.py: gevent workers), WEB_WORKERS of them.
# Another worker class prices an alternative: "gthread" (WEB_THREADS threads each) or "sync".
WEB_WORKERS = int(os.environ.get("BENCH_WEB_WORKERS", "2"))
WEB_THREADS = int(os.environ.get("BENCH_WEB_THREADS", "16"))
WORKER_CLASS = os.environ.get("BENCH_WORKER_CLASS", "gevent")
MAX_REQUESTS = os.environ.get("BENCH_MAX_REQUESTS", "200000")
# How gunicorn reaches the bench's Redis: "unix" (its socket) or "tcp" (loopback).
REDIS_TRANSPORT = os.environ.get("BENCH_REDIS", "unix")


def web_description(worker_class: str = WORKER_CLASS) -> str:
    if worker_class == "gthread":
        return f"gthread {WEB_WORKERS}x{WEB_THREADS}"
    return f"{worker_class} x{WEB_WORKERS}"


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], logs: Path, *, name: str = "gunicorn", worker_class: str = WORKER_CLASS
) -> Iterator[tuple[Process, str]]:
    """gunicorn with docker-compose.yml's command line, on loopback, WEB_WORKERS workers;
    worker_class other than config/gunicorn.py's gevent prices an alternative."""
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "-c",
        "config/gunicorn.py",
        "config.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WEB_WORKERS),
        "--max-requests",
        MAX_REQUESTS,
    ]
    if worker_class != "gevent":
        threads = WEB_THREADS if worker_class == "gthread" else 1
        argv += ["--worker-class", worker_class, "--threads", str(threads)]
    with process(name, argv, env=env, logs=logs) as proc:
        wait_for_port(proc, port)
        yield proc, f"http://127.0.0.1:{port}"


def _worker_argv(*, concurrency: int, loglevel: str) -> list[str]:
    """docker-compose.yml's worker command line."""
    return [
        str(BIN / "celery"),
        "-A",
        "config",
        "worker",
        "--loglevel",
        loglevel,
        "--concurrency",
        str(concurrency),
        "--without-gossip",
        "--without-mingle",
    ]


@contextlib.contextmanager
def celery(env: dict[str, str], logs: Path, *, concurrency: int = 2) -> Iterator[Process]:
    """A Celery worker and beat with docker-compose.yml's command lines."""
    worker_argv = _worker_argv(concurrency=concurrency, loglevel="INFO")
    beat_argv = [str(BIN / "celery"), "-A", "config", "beat", "--loglevel", "INFO"]
    with (
        process("celery-worker", worker_argv, env=env, logs=logs) as worker,
        process("celery-beat", beat_argv, env=env, logs=logs),
    ):
        yield worker


@contextlib.contextmanager
def celery_worker(
    name: str, env: dict[str, str], logs: Path, *, concurrency: int
) -> Iterator[Process]:
    """A Celery worker alone (no beat: the bench queues the work), its processes up and
    connected when this yields; stopped on leaving."""
    argv = _worker_argv(concurrency=concurrency, loglevel="WARNING")
    with process(name, argv, env=env, logs=logs) as worker:
        time.sleep(4)  # the worker's processes are up and connected
        yield worker


def descendants(root: int) -> list[int]:
    """root and every process below it (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


class ForeignCpu:
    """CPU used on the machine between start() and cores() by processes other than this
    bench's own (children included) and PostgreSQL's: other people's work skewing figures."""

    def start(self) -> None:
        self.started = time.monotonic()
        self.busy, self.known = _machine_busy_seconds(), _own_and_postgres_cpu()

    def cores(self) -> float:
        busy, known = _machine_busy_seconds(), _own_and_postgres_cpu()
        # A process seen twice counts its growth; a new one all it used. One that exited in
        # between is lost and counts as foreign: the error is its share of the interval.
        ours = sum(cpu - self.known.get(pid, 0.0) for pid, cpu in known.items())
        return (busy - self.busy - ours) / (time.monotonic() - self.started)


def _machine_busy_seconds() -> float:
    with open("/proc/stat") as stat:
        user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    # Interrupt time is left out: much of it is our own loopback traffic.
    return (user + nice + system + steal) / os.sysconf("SC_CLK_TCK")


def _own_and_postgres_cpu() -> dict[int, float]:
    """CPU seconds of each of our processes and each PostgreSQL process."""
    postgres = [
        int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit() and _comm(p) == "postgres"
    ]
    return {pid: cpu_seconds([pid]) for pid in [*descendants(os.getpid()), *postgres]}


def _comm(proc: Path) -> str:
    with contextlib.suppress(OSError):
        return (proc / "comm").read_text().strip()
    return ""


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes and by their children that
    ended (a worker gunicorn recycled after --max-requests, a finished wrk)."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")
