"""A Celery worker whose broker Redis goes away (SIGKILL, or a clean SHUTDOWN) and comes back
keeps draining the intake stream, in the same process, without a manual restart.

Production's shape: a worker with two pool processes (so drain runs are in flight when Redis
dies) and a separate beat, both on a redis-server of the test's own with the production
persistence (AOF, fsync always), which also holds the intake stream.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from reports.models import Report
from tests.factories import ServiceFactory, report_row
from tests.integration.test_faults import AofRedis
from tests.integration.workers import ROOT, stop, wait_until, worker_env
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total
from tests.reports.test_drain import _fill_stream

pytestmark = [pytest.mark.services, pytest.mark.fault, pytest.mark.django_db(transaction=True)]
T0 = datetime(2022, 12, 29, 0, 7, tzinfo=UTC)
TOTAL = 3000
CELERY = str(Path(sys.executable).parent / "celery")


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _fill(server: AofRedis, service_id: int, count: int) -> None:
    rows = [
        report_row(service_id=service_id, received_at=T0 + timedelta(seconds=i))
        for i in range(count)
    ]
    _fill_stream(redis.Redis.from_url(server.url), rows)


def _shutdown(server: AofRedis) -> None:
    """A clean SHUTDOWN (the append-only file is flushed), as an operator would stop Redis."""
    try:
        redis.Redis.from_url(server.url).shutdown()
    except redis.ConnectionError:
        pass
    assert server.process is not None
    server.process.wait(timeout=10)


@pytest.mark.parametrize("outage", ["sigkill", "shutdown"])
def test_a_worker_keeps_draining_after_its_broker_redis_dies_and_comes_back(
    tmp_path, settings, outage
):
    server = AofRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    service = ServiceFactory()
    # Small batches keep each drain run busy for its whole budget, so drain messages queue up
    # in the worker (delivered, not yet acknowledged) as beat sends one every second.
    env = worker_env(
        tmp_path,
        REDIS_URL=server.url,
        CELERY_BROKER_URL=server.url,
        DRAIN_BATCH_SIZE="20",
        DRAIN_CLAIM_IDLE_MS="300",
    )
    broker = redis.Redis.from_url(server.url)
    worker_log = tmp_path / "worker.log"
    worker = _start(
        [
            CELERY,
            "-A",
            "config",
            "worker",
            "--concurrency",
            "2",
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        worker_log,
    )
    beat = _start(
        [CELERY, "-A", "config", "beat", "--loglevel", "WARNING"], env, tmp_path / "beat.log"
    )
    try:
        _fill(server, service.id, TOTAL)
        # Redis goes away while the worker holds messages it has not acknowledged: the case
        # where Celery 5.7.0 / kombu 5.7.0 stop the worker (config/celery.py, Consumer).
        assert wait_until(lambda: broker.hlen("unacked") > 0 and Report.objects.exists(), 60)

        if outage == "sigkill":
            server.kill()
        else:
            _shutdown(server)
        assert wait_until(lambda: "Connection to broker lost" in worker_log.read_text(), 30)
        server.start()  # same directory: replays the append-only file
        _fill(server, service.id, 200)

        assert wait_until(lambda: Report.objects.count() == TOTAL + 200, timeout=120), (
            worker_log.read_text()[-3000:]
        )
        assert worker.poll() is None  # the same worker process, never restarted
    finally:
        stop(beat)
        stop(worker)
        if server.process and server.process.poll() is None:
            server.kill()
    assert "Unrecoverable error" not in worker_log.read_text()
    assert bucket_total() == TOTAL + 200
    assert_buckets_match_raw_reports()
