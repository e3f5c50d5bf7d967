"""The embedded stack of `make run` (config/embedded.conf under supervisord), as real processes:
a killed process is restarted on its own and the others go on serving."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.workers import ROOT, wait_until
from tests.ports import free_port, wait_for_port

BIN = Path(sys.executable).parent
SPAWNED = re.compile(r"spawned: '(\w+)' with pid (\d+)")


class Stack:
    """supervisord running config/embedded.conf in its own VAR_DIR, on a free port."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = var_dir
        self.port = free_port()
        self.log = var_dir / "log" / "supervisord.log"
        (var_dir / "log").mkdir()
        (var_dir / "metrics").mkdir()
        outside = {
            "DATABASE_URL",
            "REDIS_URL",
            "CELERY_BROKER_URL",
            "DEPLOYMENT",
            "PROMETHEUS_MULTIPROC_DIR",
        }
        self.env = {key: value for key, value in os.environ.items() if key not in outside}
        self.env.update(VAR_DIR=str(var_dir), PORT=str(self.port), SIMULATE_LIVE_TRAFFIC="false")
        self.process = subprocess.Popen(
            [str(BIN / "supervisord"), "--configuration", str(ROOT / "config/embedded.conf")],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def spawned(self, program: str) -> list[int]:
        """The pids supervisord started `program` with, oldest first."""
        text = self.log.read_text(errors="replace")
        return [int(pid) for name, pid in SPAWNED.findall(text) if name == program]

    def running(self, program: str) -> int:
        """How many times `program` has entered the RUNNING state."""
        return self.log.read_text(errors="replace").count(f"success: {program} entered RUNNING")

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    def worker_pongs(self) -> bool:
        """The worker answers a remote-control ping through the stack's broker."""
        ping = subprocess.run(
            [str(BIN / "celery"), "-A", "config", "inspect", "ping", "--timeout", "2"],
            cwd=ROOT,
            env={**self.env, "CELERY_BROKER_URL": f"redis+socket://{self.var_dir}/redis.sock"},
            capture_output=True,
            text=True,
        )
        return ping.returncode == 0 and "pong" in ping.stdout

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)  # what Ctrl-C sends
        return self.process.wait(timeout=60)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    running = Stack(tmp_path)
    yield running
    if running.process.poll() is None:  # the test failed before stopping it
        # SIGTERM: supervisord stops its programs (a SIGKILL would leave them running).
        running.process.terminate()
        try:
            running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


def test_a_killed_worker_is_restarted_while_web_keeps_answering(stack):
    wait_for_port(stack.port, process=stack.process, timeout=60)
    assert wait_until(lambda: stack.running("worker") == 1, timeout=30)
    assert wait_until(stack.worker_pongs, timeout=30)
    (first_worker,) = stack.spawned("worker")
    (web,) = stack.spawned("web")

    os.kill(first_worker, signal.SIGKILL)
    answers = []
    assert wait_until(
        lambda: answers.append(stack.answers()) or stack.running("worker") == 2, timeout=30
    ), stack.log.read_text()

    log = stack.log.read_text()
    assert all(answers) and len(answers) > 0, log  # web answered all along
    assert stack.spawned("web") == [web], log  # and was never restarted
    assert len(stack.spawned("worker")) == 2, log
    assert wait_until(stack.worker_pongs, timeout=30), log  # the new worker takes work
    assert stack.stop() == 0, stack.log.read_text()
    log = stack.log.read_text()
    for program in ("broker", "worker", "beat", "web"):
        assert f"stopped: {program}" in log, log
