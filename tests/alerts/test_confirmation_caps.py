"""Confirmation e-mails cannot be used to flood a mailbox or to mail many people from one
client: at most ALERTS_CONFIRMATIONS_PER_ADDRESS pending per address a day, counted case-blind
and without +tags, and ALERTS_CONFIRMATIONS_PER_FINGERPRINT per requester; past either, 429
with Retry-After (problem details in the API, a clear message on the form) and no mail."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from alerts.models import ConfirmationRequest, Subscription
from alerts.services.quota import address_normalised, confirmation_requests_expire
from alerts.services.subscriptions import confirm_link_token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]
DAY = 24 * 3600
UNTIL_MIDNIGHT = 11 * 3600 + 29 * 60 + 30  # from MIDDAY (12:30:30 UTC)


def api_subscribe(email: str, address: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return APIClient().post(
        "/api/v1/services/twitter/subscriptions",
        {"channel": "email", "email": email},
        format="json",
        REMOTE_ADDR=address,
    )


def form_subscribe(email: str, address: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
    return Client().post(
        "/s/twitter/notify/",
        {
            "notify-channel": "email",
            "notify-email": email,
            "notify-min_level": "1",
            "notify-format": "standard",
        },
        REMOTE_ADDR=address,
    )


def test_addresses_are_counted_without_case_or_tag() -> None:
    assert address_normalised(" Victim+3@Example.COM ") == "victim@example.com"
    assert address_normalised("victim+a+b@example.com") == "victim@example.com"
    assert address_normalised("victim@example.com") == "victim@example.com"


def test_one_mailbox_under_many_tags_gets_three_confirmations_then_429(service, midday):
    spellings = [
        "victim+0@example.com",
        "Victim+1@example.com",
        "VICTIM@EXAMPLE.COM",
        "victim+3@example.com",
        "victim@example.com",
    ]
    answers = [api_subscribe(email, address=f"198.51.100.{n}") for n, email in enumerate(spellings)]

    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    refused = answers[3]
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == str(DAY)  # when the first of the three leaves the day
    body = refused.json()
    assert body["type"] == "urn:problem:too_many_confirmations" and body["status"] == 429
    assert "waiting at this address" in body["detail"]
    assert len(mail.outbox) == 3 and Subscription.objects.count() == 3


def test_the_form_answers_429_with_a_clear_message(service, midday):
    for n in range(3):
        assert form_subscribe(f"ana+{n}@example.com").status_code == 201
    refused = form_subscribe("ANA@example.com")

    assert refused.status_code == 429 and refused["Retry-After"] == str(DAY)
    assert refused["Content-Type"].startswith("text/html")
    text = refused.content.decode()
    assert "Too many confirmation e-mails are waiting at this address" in text
    assert "try again in 1\xa0day" in text
    assert len(mail.outbox) == 3


def test_one_client_gets_ten_confirmations_a_day_then_429_until_midnight(service, midday):
    for n in range(10):
        assert api_subscribe(f"person{n}@example.com").status_code == 201
    api_refused = api_subscribe("person10@example.com")
    form_refused = form_subscribe("person11@example.com")

    for refused in (api_refused, form_refused):
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(UNTIL_MIDNIGHT)  # the fingerprint's day ends
    assert "from here" in api_refused.json()["detail"]
    assert api_subscribe("person10@example.com", address="198.51.100.9").status_code == 201
    assert len(mail.outbox) == 11


def test_the_caps_follow_their_settings(service, midday, settings):
    settings.ALERTS_CONFIRMATIONS_PER_ADDRESS = 1
    settings.ALERTS_CONFIRMATIONS_PER_FINGERPRINT = 0  # no cap
    assert api_subscribe("ana@example.com").status_code == 201
    assert api_subscribe("ana+x@example.com").status_code == 429
    for n in range(12):
        assert api_subscribe(f"p{n}@example.com").status_code == 201


def test_deleting_a_pending_subscription_does_not_give_its_place_back(service, midday):
    for n in range(3):
        made = api_subscribe(f"victim+{n}@example.com").json()
        pk, token = made["subscription"]["id"], made["token"]
        deleted = APIClient().delete(
            f"/api/v1/subscriptions/{pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert deleted.status_code == 204
    assert api_subscribe("victim@example.com").status_code == 429
    assert len(mail.outbox) == 3


def test_a_confirmed_subscription_frees_its_place(service, midday):
    for n in range(3):
        assert api_subscribe(f"ana+{n}@example.com").status_code == 201
    first = Subscription.objects.order_by("pk").first()
    assert Client().get(f"/alerts/confirm/{confirm_link_token(first)}/").status_code == 200

    assert api_subscribe("ana+3@example.com").status_code == 201
    assert api_subscribe("ana+4@example.com").status_code == 429


def test_a_day_later_the_address_may_ask_again_and_old_requests_are_forgotten(service, midday):
    for n in range(3):
        assert api_subscribe(f"ana+{n}@example.com").status_code == 201
    assert api_subscribe("ana@example.com").status_code == 429
    later = midday + timedelta(days=1, seconds=1)
    with time_machine.travel(later, tick=False):
        assert api_subscribe("ana@example.com").status_code == 201
    assert confirmation_requests_expire(now=later) == 3
    assert ConfirmationRequest.objects.count() == 1
    assert len(mail.outbox) == 4


def test_webhook_subscriptions_send_no_confirmation_and_use_no_place(service, receiver, midday):
    for n in range(4):
        made = APIClient().post(
            "/api/v1/services/twitter/subscriptions",
            {"channel": "webhook", "url": receiver.url, "email": "ops@example.com"},
            format="json",
        )
        assert made.status_code == 201, n
    assert not ConfirmationRequest.objects.exists() and mail.outbox == []
