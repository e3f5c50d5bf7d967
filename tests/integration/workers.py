"""Start real Celery worker processes against the test database and the suite's Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path),
        "SIMULATE_LIVE_TRAFFIC": "false",
        # The tests' reports are dated years back (2022's story); the embedded beat's hourly
        # privacy retention (minute 41) would delete them mid-test, the data, not the drain.
        "REPORT_RETENTION_DAYS": "36500",
    }
    env.update(extra)
    return env


def start_worker(env: dict[str, str], *, beat: bool = True) -> subprocess.Popen[bytes]:
    """A worker (with its embedded beat firing reports.drain every second), in its own
    process group so a test can SIGKILL all of it at once."""
    command = [
        str(Path(sys.executable).parent / "celery"),
        "-A",
        "config",
        "worker",
        "--concurrency",
        "1",
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command.append("--beat")
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:  # the whole group is gone already
        pass
    process.wait(timeout=10)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            kill_hard(process)
            return
    # A pool child may outlive its worker (in the middle of a task): none may go on running
    # tasks against the test database once the test is over.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_until(predicate: Callable[[], object], timeout: float) -> bool:
    """Poll predicate until it is true (True) or timeout seconds have passed (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@contextmanager
def deployed_web(env: dict[str, str]) -> Iterator[int]:
    """gunicorn with the deployed configuration (config/gunicorn.py), one worker, on a free
    loopback port; yields the port and stops the server after."""
    from tests.ports import free_port, wait_for_port

    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "-c",
            "config/gunicorn.py",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_for_port(port, process=server)
        yield port
    finally:
        stop(server)
