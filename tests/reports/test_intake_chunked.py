"""A report sent with Transfer-Encoding: chunked (no Content-Length: what streaming HTTP
clients send) is read and counted like any other, through gunicorn as deployed
(config/gunicorn.py); Django's test client never chunks, hence the real server. The size
limit holds for chunked bodies too."""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.factories import ServiceFactory
from tests.integration.workers import deployed_web, worker_env

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def web(tmp_path: Path) -> Iterator[int]:
    """gunicorn with the deployed configuration on a loopback port; yields the port."""
    env = worker_env(tmp_path, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    with deployed_web(env) as port:
        yield port


def post_chunked(port: int, chunks: list[bytes]) -> tuple[int, dict[str, object]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/services/twitter/reports",
            body=iter(chunks),
            headers={"Content-Type": "application/json"},
            encode_chunked=True,
        )
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_json_report_is_counted(web, redis_client):
    ServiceFactory(slug="twitter")
    report_id = str(uuid.uuid4())
    body = json.dumps({"id": report_id, "platform": "web", "problem": "login", "country": "FR"})
    chunks = [body[:10].encode(), body[10:25].encode(), body[25:].encode()]

    status, answer = post_chunked(web, chunks)

    assert status == 202, answer
    assert answer == {"id": report_id, "status": "counted"}
    assert redis_client.xlen(settings.INTAKE_STREAM) == 1


def test_a_chunked_body_over_the_limit_is_too_large(web, redis_client):
    ServiceFactory(slug="twitter")
    padding = " " * settings.INTAKE_MAX_BODY_BYTES
    body = json.dumps({"platform": "web", "problem": "login"}) + padding

    status, answer = post_chunked(
        web, [body[i : i + 1000].encode() for i in range(0, len(body), 1000)]
    )

    assert status == 413 and answer["type"] == "urn:problem:body_too_large"
    assert redis_client.xlen(settings.INTAKE_STREAM) == 0
