"""No raw IP address is stored anywhere: not in a row, not in Redis, not in a log line
(docs/design.md, invariant 3)."""

from __future__ import annotations

import logging

import pytest
from django.apps import apps
from django.db import connection

from reports.intake.fingerprint import network_prefix
from tests.factories import ServiceFactory
from tests.reports.helpers import post_report

pytestmark = pytest.mark.django_db
ADDRESSES = ["198.51.100.123", "2001:db8:85a3::8a2e:370:7334", "::ffff:192.0.2.77"]


def _needles(address: str) -> list[str]:
    prefix = network_prefix(address).split("/")[0]
    return [address, address.replace(":", ""), prefix.rsplit(".", 1)[0] + ".", prefix]


def _every_stored_value() -> list[str]:
    values = []
    with connection.cursor() as cursor:
        for model in apps.get_models():
            cursor.execute(f"SELECT * FROM {model._meta.db_table}")  # noqa: S608
            values += [str(value) for row in cursor.fetchall() for value in row]
    return values


def test_intake_stores_and_logs_no_raw_address(client, intake_buffer, caplog, settings):
    ServiceFactory(slug="twitter")
    caplog.set_level(logging.DEBUG)
    redis_values: list[str] = []
    for address in ADDRESSES:
        post_report(client, "twitter", {"platform": "web", "problem": "login"}, address=address)
        post_report(client, "twitter", {"platform": "fax"}, address=address)  # a rejection
        client.post(
            "/s/twitter/report/", {"problem": "login", "platform": "web"}, REMOTE_ADDR=address
        )
    if settings.INTAKE_BUFFER == "redis":
        from common.redis import redis_client

        redis = redis_client()
        for key in redis.scan_iter():
            redis_values.append(key.decode())
            if redis.type(key) == b"stream":
                redis_values += [str(e) for e in redis.xrange(key)]
    intake_buffer()  # drain into the database

    stored = _every_stored_value() + redis_values + [r.getMessage() for r in caplog.records]
    assert len(stored) > 20
    for address in ADDRESSES:
        for needle in _needles(address):
            leaks = [value for value in stored if needle in value]
            assert leaks == [], f"{needle!r} found in {leaks[:3]}"
