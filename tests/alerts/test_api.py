"""The subscriptions API: create, then read, change, rotate, read the log and delete with the
management token; errors are problem details naming the field, and change nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from alerts.models import Subscription
from tests.alerts.conftest import incident_event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def create(api, receiver, **body):  # type: ignore[no-untyped-def]
    payload = {"channel": "webhook", "url": receiver.url, **body}
    return api.post("/api/v1/services/twitter/subscriptions", payload, format="json")


def test_create_read_change_rotate_log_delete(api, service, receiver):
    made = create(api, receiver, platform="ios", min_level=2)
    assert made.status_code == 201, made.content
    body = made.json()
    pk, token = body["subscription"]["id"], body["token"]
    assert body["secret"].startswith("whsec_") and token.startswith("alt_")
    assert body["subscription"]["state"] == "active"
    stored = Subscription.objects.get(pk=pk)
    assert token not in stored.token_hash  # only its hash is kept
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    got = api.get(f"/api/v1/subscriptions/{pk}", **auth).json()
    assert (got["platform"], got["min_level"]) == ("ios", 2)
    changed = api.patch(
        f"/api/v1/subscriptions/{pk}", {"country": "fr", "platform": ""}, format="json", **auth
    )
    assert changed.status_code == 200 and changed.json()["country"] == "FR"
    rotated = api.post(f"/api/v1/subscriptions/{pk}/secret/rotate", **auth).json()
    assert rotated["secret"] != body["secret"] and rotated["previous_valid_until"]
    incident_event(service)
    log = api.get(f"/api/v1/subscriptions/{pk}/deliveries", **auth)
    assert log.status_code == 200 and log.json() == []
    assert api.delete(f"/api/v1/subscriptions/{pk}", **auth).status_code == 204
    assert not Subscription.objects.filter(pk=pk).exists()


def test_the_delivery_log_shows_each_attempt(api, service, receiver):
    from django.utils import timezone

    from alerts.services.delivery import deliveries_send
    from alerts.services.fanout import events_fan_out

    body = create(api, receiver).json()
    receiver.secrets.append(body["secret"])
    incident_event(service)
    events_fan_out(now=timezone.now())
    deliveries_send(now=timezone.now())
    pk = body["subscription"]["id"]
    [row] = api.get(
        f"/api/v1/subscriptions/{pk}/deliveries", HTTP_AUTHORIZATION=f"Bearer {body['token']}"
    ).json()
    assert (row["event"], row["status"], row["attempts"], row["response_status"]) == (
        "open",
        "sent",
        1,
        200,
    )
    assert row["webhook_id"] == receiver.received[0].headers["webhook-id"]


def test_without_the_token_nothing_is_shown_or_changed(api, service, receiver):
    body = create(api, receiver).json()
    pk = body["subscription"]["id"]
    assert api.get(f"/api/v1/subscriptions/{pk}").status_code == 401
    wrong = {"HTTP_AUTHORIZATION": "Bearer alt_nope"}
    for response in (
        api.get(f"/api/v1/subscriptions/{pk}", **wrong),
        api.patch(f"/api/v1/subscriptions/{pk}", {"min_level": 2}, format="json", **wrong),
        api.delete(f"/api/v1/subscriptions/{pk}", **wrong),
    ):
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
    assert api.get("/api/v1/subscriptions/999999", **wrong).status_code == 401  # no id revealed
    assert Subscription.objects.get(pk=pk).min_level == 1


@pytest.mark.parametrize(
    "body, field",
    [
        ({"channel": "pager"}, "channel"),
        ({"channel": "email"}, "email"),
        ({"channel": "email", "email": "not-an-address"}, "email"),
        ({"channel": "webhook", "url": "http://10.0.0.1/hook"}, "url"),
        ({"channel": "webhook", "url": ""}, "url"),
        ({"channel": "webhook", "url": "http://example.com", "platform": "fax"}, "platform"),
        ({"channel": "webhook", "url": "http://example.com", "country": "XX"}, "country"),
        ({"channel": "webhook", "url": "http://example.com", "min_level": 3}, "min_level"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(api, service, body, field):
    response = api.post("/api/v1/services/twitter/subscriptions", body, format="json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Subscription.objects.exists()


def test_patch_refuses_unknown_or_fixed_fields(api, service, receiver):
    body = create(api, receiver).json()
    pk = body["subscription"]["id"]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {body['token']}"}
    response = api.patch(f"/api/v1/subscriptions/{pk}", {"channel": "email"}, format="json", **auth)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "channel"


def test_unknown_service_is_a_problem_404(api, db):
    response = api.post("/api/v1/services/nope/subscriptions", {"channel": "email"}, format="json")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_the_schema_documents_the_operations(api, db):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/services/{slug}/subscriptions"]
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/subscriptions/{id}"])
    assert "post" in paths["/api/v1/subscriptions/{id}/secret/rotate"]
