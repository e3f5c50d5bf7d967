"""Intake under faults: Redis killed while reports flow, Redis gone, Redis and PostgreSQL gone.

A report answered 2xx must be counted exactly once afterwards; when nothing can store it, the
answer is 503 with Retry-After, never 2xx or 500. The machine's Redis keeps nothing on disk,
so these tests start their own redis-server with AOF fsync-always (the production setting).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reports.models import Report
from tests.conftest import drain_all
from tests.factories import ServiceFactory
from tests.integration.workers import ROOT
from tests.ports import free_port, wait_for_port
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total, post_report

pytestmark = [pytest.mark.services, pytest.mark.fault]
BODY = {"platform": "web", "problem": "login", "country": "US"}


class AofRedis:
    """A redis-server of the test's own, persisting every write before answering; its url is
    its TCP port's or (unix=True) its unix socket's."""

    def __init__(self, directory: Path, *, unix: bool = False) -> None:
        self.directory = directory
        self.port = free_port()
        self.socket = directory / "redis.sock"
        self.url = f"unix://{self.socket}?db=0" if unix else f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--unixsocket",
                str(self.socket),
                "--unixsocketperm",
                "700",
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        for _ in range(200):
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.02)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()


@pytest.fixture(params=["tcp", "unix"])
def aof_redis(request: pytest.FixtureRequest, tmp_path: Path, settings) -> Iterator[AofRedis]:
    """Intake through a Redis of the test's own, over TCP and over its unix socket."""
    server = AofRedis(tmp_path, unix=request.param == "unix")
    server.start()
    settings.REDIS_URL = server.url
    settings.INTAKE_BUFFER = "redis"
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


@pytest.mark.django_db
def test_reports_answered_2xx_survive_a_redis_kill(client, aof_redis):
    ServiceFactory(slug="twitter")
    answers: list[tuple[str, int]] = []
    # From another thread, so the kill can land in the middle of a request; started once 300
    # reports are in, so it lands while reports flow however fast the machine is.
    killer = threading.Timer(0.02, aof_redis.kill)
    for i in range(1500):
        if i == 300:
            killer.start()
        report_id = str(uuid.uuid4())
        response = post_report(
            client, "twitter", {**BODY, "id": report_id}, address=f"10.{i // 250}.{i % 250}.1"
        )
        answers.append((report_id, response.status_code))
    killer.join()

    assert {status for _, status in answers} == {202}
    in_database_before_restart = Report.objects.count()
    assert 0 < in_database_before_restart < 1500, "the kill must land while reports flow"
    aof_redis.start()  # same directory: replays the append-only file
    drain_all(redis.Redis.from_url(aof_redis.url))

    stored = set(Report.objects.values_list("id", flat=True))
    assert {uuid.UUID(report_id) for report_id, _ in answers} <= stored
    assert bucket_total() == 1500
    assert_buckets_match_raw_reports()


@pytest.mark.django_db
def test_intake_falls_back_to_the_database_when_redis_is_down(client, settings):
    settings.INTAKE_BUFFER = "redis"
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    ServiceFactory(slug="twitter")

    response = post_report(client, "twitter", BODY)

    assert response.status_code == 202
    assert Report.objects.filter(id=response.json()["id"]).exists()
    assert bucket_total() == 1


def test_with_neither_redis_nor_postgresql_every_post_gets_503(tmp_path):
    port = free_port()
    env = {
        "PATH": str(Path(sys.executable).parent),
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{free_port()}/outages",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
        "VAR_DIR": str(tmp_path),
    }
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process=server)
        answers = [_post(port, {**BODY, "id": str(uuid.uuid4())}) for _ in range(5)]
        ready = _readyz(port)
    finally:
        server.terminate()
        server.wait(timeout=10)

    for status, headers, body in answers:
        assert status == 503
        assert int(headers["Retry-After"]) > 0
        assert headers["Content-Type"] == "application/problem+json"
        assert json.loads(body)["type"] == "urn:problem:unavailable"
    assert ready[0] == 503 and ready[1]["status"] == "unavailable"  # out of the balancer


def _readyz(port: int) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=20) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _post(port: int, body: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/services/twitter/reports",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.django_db
def test_pages_keep_answering_through_a_redis_kill_and_use_the_cache_again_after(
    client, settings, tmp_path, monkeypatch
):
    from common import cache as cache_module

    ServiceFactory(slug="twitter", name="Twitter")
    server = AofRedis(tmp_path)
    server.start()
    monkeypatch.setattr(cache_module, "RETRY_SECONDS", 0.0)  # try Redis again at once
    settings.CACHES = {"default": {"BACKEND": "common.cache.RedisCache", "LOCATION": server.url}}
    cached = redis.Redis.from_url(server.url)
    try:
        assert client.get("/s/twitter/").status_code == 200
        assert cached.dbsize() > 0  # the page filled the cache
        server.kill()
        for path in ("/s/twitter/", "/", "/api/v1/services/twitter", "/badge/twitter.svg"):
            assert client.get(path).status_code == 200, path
        server.start()  # replays its append-only file
        cached.flushdb()
        assert client.get("/s/twitter/").status_code == 200
        assert cached.dbsize() > 0  # back in use
    finally:
        cache_module._down_until.clear()
        if server.process and server.process.poll() is None:
            server.kill()
