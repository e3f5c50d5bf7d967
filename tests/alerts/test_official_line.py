"""The official status line in every alert format (issue 20, item 5): the e-mail (text and
HTML) and the standard signed webhook carry it as the chat formats do, in the subscriber's
language; nothing is added for a service with no official source."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from alerts.services.delivery import deliveries_send
from alerts.services.fanout import events_fan_out
from tests.alerts.conftest import incident_event, webhook
from tests.factories import OfficialSourceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]

NOT_YET = "Users report problems; the company has not acknowledged them yet."


def run() -> None:
    now = timezone.now()
    events_fan_out(now=now)
    deliveries_send(now=now)


def email_subscriber(language: str = "en") -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.post(
        "/s/twitter/notify/",
        {
            "notify-channel": "email",
            "notify-email": "ana@example.com",
            "notify-min_level": "1",
            "notify-format": "standard",
        },
    )
    [confirmation] = mail.outbox
    confirm = confirmation.body.split("https://outages.example", 1)[1].split()[0]
    client.get(confirm)
    mail.outbox.clear()


def test_an_email_alert_carries_the_official_line_in_text_and_html(service) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(
        service=service,
        indicator="none",
        page_url="https://status.twitter.example/",
    )
    email_subscriber()
    incident_event(service)
    run()
    [message] = mail.outbox
    assert f"Official status: {NOT_YET}" in message.body
    assert "https://status.twitter.example/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html"
    assert NOT_YET.replace("'", "&#x27;") in html
    assert 'href="https://status.twitter.example/"' in html


def test_an_email_alert_names_the_official_incident_when_the_company_reports_one(service) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(
        service=service,
        indicator="major",
        incident_title="Elevated errors <on> timelines",
        incident_url="https://status.twitter.example/incidents/1",
    )
    email_subscriber()
    incident_event(service)
    run()
    [message] = mail.outbox
    assert "the company reports problems too" in message.body
    assert "Elevated errors <on> timelines" in message.body  # plain text: not escaped
    html = message.alternatives[0][0]
    assert "Elevated errors &lt;on&gt; timelines" in html  # HTML: escaped
    assert 'href="https://status.twitter.example/incidents/1"' in html


def test_an_email_alert_speaks_the_subscribers_language(service) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(service=service, indicator="none")
    email_subscriber("fr")
    incident_event(service)
    run()
    [message] = mail.outbox
    assert NOT_YET not in message.body
    assert "État officiel: Des utilisateurs signalent des problèmes ; l’entreprise" in message.body


def test_an_email_alert_of_a_service_without_an_official_source_says_nothing_of_it(service) -> None:  # type: ignore[no-untyped-def]
    email_subscriber()
    incident_event(service)
    run()
    [message] = mail.outbox
    assert "Official status" not in message.body
    assert "Official status" not in message.alternatives[0][0]


def test_the_standard_webhook_carries_the_official_status_signed_with_the_rest(
    service, receiver
) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(
        service=service,
        indicator="major",
        description="Partial System Outage",
        incident_title="Elevated errors",
        incident_url="https://status.twitter.example/incidents/1",
        page_url="https://status.twitter.example/",
    )
    webhook(service, receiver)
    incident_event(service)
    run()
    [got] = receiver.received
    assert got.verified
    official = json.loads(got.body)["data"]["official"]
    assert official == {
        "indicator": "major",
        "sentence": "Users report problems; the company reports problems too.",
        "description": "Partial System Outage",
        "incident_title": "Elevated errors",
        "incident_url": "https://status.twitter.example/incidents/1",
        "link": "https://status.twitter.example/",
        "updated_at": None,
        "failing": False,
        "acknowledged_at": None,
        "lead_seconds": None,
    }


def test_the_standard_webhook_official_is_null_without_a_source(service, receiver) -> None:  # type: ignore[no-untyped-def]
    webhook(service, receiver)
    incident_event(service)
    run()
    [got] = receiver.received
    assert json.loads(got.body)["data"]["official"] is None


def test_a_closing_alert_words_the_official_line_for_a_crowd_back_to_normal(
    service, receiver
) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(service=service, indicator="minor")
    webhook(service, receiver)
    incident_event(service)
    run()
    incident_event(service, "close")
    run()
    opened, closed = (json.loads(got.body)["data"]["official"] for got in receiver.received)
    assert opened["sentence"] == "Users report problems; the company reports problems too."
    assert closed["sentence"] == (
        "The company reports problems; users' reports are at their usual level."
    )
