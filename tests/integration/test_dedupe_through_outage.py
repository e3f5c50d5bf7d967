"""A person's dedupe window holds while Redis is down and after it comes back: intake counts
them once whichever buffer took each of their reports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import drain_all
from tests.factories import ServiceFactory
from tests.integration.test_faults import AofRedis
from tests.reports.helpers import bucket_total, post_report

pytestmark = [pytest.mark.services, pytest.mark.fault, pytest.mark.django_db]
BODY = {"platform": "web", "problem": "login", "country": "US"}


@pytest.fixture
def own_redis(tmp_path: Path, settings) -> Iterator[AofRedis]:
    server = AofRedis(tmp_path)
    server.start()
    settings.REDIS_URL = server.url
    settings.INTAKE_BUFFER = "redis"
    yield server
    if server.process and server.process.poll() is None:
        server.kill()


def _status(client, address: str) -> str:
    response = post_report(client, "twitter", BODY, address=address)
    assert response.status_code == 202
    return str(response.json()["status"])


def test_a_person_counted_through_redis_is_not_counted_again_by_the_fallback(
    client, own_redis, midday
):
    ServiceFactory(slug="twitter")
    assert _status(client, "198.51.100.1") == "counted"
    drain_all(redis.Redis.from_url(own_redis.url))
    own_redis.kill()

    assert _status(client, "198.51.100.1") == "already_counted"  # through the database
    assert _status(client, "198.51.100.2") == "counted"  # someone else still counts
    assert bucket_total() == 2


def test_a_person_counted_by_the_fallback_is_not_counted_again_once_redis_is_back(
    client, own_redis, midday
):
    from reports.tasks import report_drain_task

    ServiceFactory(slug="twitter")
    own_redis.kill()
    assert _status(client, "198.51.100.3") == "counted"  # through the database
    own_redis.start()
    report_drain_task()  # what the worker runs every second once Redis answers

    assert _status(client, "198.51.100.3") == "already_counted"
    drain_all(redis.Redis.from_url(own_redis.url))
    assert bucket_total() == 1
