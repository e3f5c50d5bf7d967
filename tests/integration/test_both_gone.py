"""PostgreSQL and Redis both gone while reports flow into the deployed web tier, then back:
every answer is 202 or 503 + Retry-After (never 500), a client retrying its 503s with the same
ids is answered 202 once they are back, and what was answered 202 is counted exactly once.

gunicorn (config/gunicorn.py, its database pool) talks to a redis-server of the test's own
(AOF, fsync always: SIGKILLed and restarted) and to the suite's PostgreSQL through a link the
test cuts (tests/integration/cuttable.py), so no other test loses its database.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.db import connection

from reports.models import Report
from tests.conftest import drain_all
from tests.factories import ServiceFactory
from tests.integration.cuttable import CuttableLink
from tests.integration.test_faults import AofRedis
from tests.integration.workers import deployed_web, wait_until, worker_env
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total

pytestmark = [pytest.mark.services, pytest.mark.fault, pytest.mark.django_db(transaction=True)]
BODY = {"platform": "web", "problem": "login", "country": "US"}
WAVE = 8  # reports in flight at once


def _post(port: int, report_id: str, address: str) -> tuple[int, dict[str, str]]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/services/twitter/reports",
        data=json.dumps({**BODY, "id": report_id}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": address},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)


def test_reports_answered_202_are_counted_exactly_when_postgresql_and_redis_both_go(
    tmp_path: Path, settings
) -> None:
    ServiceFactory(slug="twitter")
    server = AofRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    db = connection.settings_dict
    link = CuttableLink(int(db["PORT"] or 5432), db["HOST"] or "127.0.0.1")
    link.restore()
    env = worker_env(
        tmp_path,
        DATABASE_URL=f"postgres://{db['USER']}@127.0.0.1:{link.port}/{db['NAME']}",
        REDIS_URL=server.url,
        CELERY_BROKER_URL=server.url,
        TRUSTED_PROXY_COUNT="1",  # X-Forwarded-For: one person per report
    )
    ids = [str(uuid.uuid4()) for _ in range(160)]
    address = {report_id: f"10.{i // 250}.{i % 250}.1" for i, report_id in enumerate(ids)}
    answers: dict[str, list[int]] = {report_id: [] for report_id in ids}

    def both_gone() -> None:
        server.kill()
        link.cut()

    try:
        with deployed_web(env) as port, ThreadPoolExecutor(WAVE) as pool:

            def send(batch: list[str]) -> None:
                for report_id, (status, headers) in zip(
                    batch, pool.map(lambda r: _post(port, r, address[r]), batch), strict=True
                ):
                    answers[report_id].append(status)
                    if status == 503:
                        assert int(headers["Retry-After"]) > 0
                        assert headers["Content-Type"] == "application/problem+json"

            waves = [ids[i : i + WAVE] for i in range(0, 56, WAVE)]
            for wave in waves[:5]:
                send(wave)
            # Both go while the sixth wave is in flight (from another thread, mid-request).
            killer = threading.Timer(0.01, both_gone)
            killer.start()
            send(waves[5])
            killer.join()
            for wave in waves[6:]:  # sent once both are surely gone
                send(wave)
            refused = [r for r in ids[:56] if answers[r][-1] != 202]
            assert refused, "the outage must refuse reports"

            server.start()  # same directory: replays the append-only file
            link.restore()
            # The client retries what was refused, with the same ids, until it is taken.
            assert wait_until(lambda: send(refused[:1]) or answers[refused[0]][-1] == 202, 60)
            for _ in range(3):
                send([r for r in refused if answers[r][-1] != 202])
            for i in range(56, len(ids), WAVE):
                send(ids[i : i + WAVE])
    finally:
        link.cut()
        if server.process and server.process.poll() is None:
            server.kill()

    statuses = {status for history in answers.values() for status in history}
    assert statuses <= {202, 503}, statuses
    accepted = {report_id for report_id, history in answers.items() if 202 in history}
    assert accepted == set(ids), "every refused report is taken once retried"
    server.start()
    try:
        drain_all(redis.Redis.from_url(server.url))
    finally:
        server.kill()
    assert set(Report.objects.values_list("id", flat=True)) == {uuid.UUID(r) for r in ids}
    assert bucket_total() == len(ids)
    assert_buckets_match_raw_reports()
