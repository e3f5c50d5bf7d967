"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import pytest


def test_healthz_answers_without_touching_services(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_checks_the_database(client, database_buffer):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"


@pytest.mark.django_db
def test_readyz_is_200_degraded_when_the_intake_redis_is_down(client, settings):
    """Without Redis the host still serves (intake and cache fall back to the database): a
    Redis outage must not take every host out of the balancer."""
    settings.INTAKE_BUFFER = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["redis"] != "ok"


def test_metrics_are_exposed_in_prometheus_format(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"outages_intake_accepted_total" in response.content
