"""E-mail alerts: double opt-in from the service page's form, nothing before confirmation,
one-click unsubscribe (link and RFC 8058 headers), plain text and HTML, in the subscriber's
language; through Django's test backend and through a real SMTP server process."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from alerts.models import Delivery, Subscription
from alerts.services.delivery import deliveries_send
from alerts.services.email import confirmations_retry
from alerts.services.fanout import events_fan_out
from tests.alerts.conftest import incident_event
from tests.ports import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]


def run() -> None:
    now = timezone.now()
    events_fan_out(now=now)
    deliveries_send(now=now)


def subscribe(client: Client, csrf: str = "", **fields: str):  # type: ignore[no-untyped-def]
    page = client.get("/s/twitter/")
    assert b'action="/s/twitter/notify/"' in page.content
    fields = {
        "channel": "email",
        "email": "ana@example.com",
        "min_level": "1",
        "format": "standard",
        **fields,
    }
    data = {f"notify-{k}": v for k, v in fields.items()}
    if csrf:
        data["csrfmiddlewaretoken"] = csrf
    return client.post("/s/twitter/notify/", data)


def link(text: str, path: str) -> str:
    found = re.search(rf"https://outages\.example(/{path}/[^/\s]+/)", text)
    assert found, text
    return found.group(1)


def test_double_opt_in_then_alert_then_one_click_unsubscribe(service):
    # The form is on a shared page, without a token: a cross-site post is refused, and a
    # browser that says nothing of its origin is asked to confirm (common/cross_origin.py).
    client = Client(enforce_csrf_checks=True)
    assert client.post("/s/twitter/notify/", {"notify-channel": "email"}).status_code == 403
    forged = client.post(
        "/s/twitter/notify/", {"notify-channel": "email"}, HTTP_SEC_FETCH_SITE="cross-site"
    )
    assert forged.status_code == 403
    response = subscribe(Client(enforce_csrf_checks=True, HTTP_SEC_FETCH_SITE="same-origin"))
    assert response.status_code == 201, response.content
    assert b"confirmation link" in response.content and b"alt_" in response.content
    [confirmation] = mail.outbox
    assert confirmation.to == ["ana@example.com"]
    assert "List-Unsubscribe" not in confirmation.extra_headers
    # No alert before confirmation.
    incident_event(service)
    run()
    assert len(mail.outbox) == 1 and not Delivery.objects.exists()
    confirm = link(confirmation.body, "alerts/confirm")
    assert Client().get(confirm).status_code == 200
    assert Subscription.objects.get().state == "active"
    incident_event(service, "level", 2)
    run()
    [alert] = mail.outbox[1:]
    assert alert.subject == "Twitter: problems confirmed"
    unsubscribe = link(alert.body, "alerts/unsubscribe")
    assert alert.extra_headers["List-Unsubscribe"] == f"<https://outages.example{unsubscribe}>"
    assert alert.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [(html, kind)] = alert.alternatives
    assert kind == "text/html" and unsubscribe in html
    assert "https://outages.example/s/twitter/feed.atom" in alert.body
    assert "https://outages.example/s/twitter/feed.rss" in html
    # A GET (a link scanner) changes nothing; the one-click POST, without a session, does.
    assert Client().get(unsubscribe).status_code == 200
    assert Subscription.objects.get().state == "active"
    assert (
        Client(enforce_csrf_checks=True)
        .post(unsubscribe, {"List-Unsubscribe": "One-Click"})
        .status_code
        == 200
    )
    assert Subscription.objects.get().state == "unsubscribed"
    incident_event(service, "close", 2)
    run()
    assert len(mail.outbox) == 2


def test_a_tampered_link_is_refused(service):
    subscribe(Client())
    confirm = link(mail.outbox[0].body, "alerts/confirm")
    assert Client().get(confirm[:-3] + "xx/").status_code == 400
    assert Subscription.objects.get().state == "pending"


def test_bad_form_input_is_shown_and_changes_nothing(service):
    response = subscribe(Client(), email="nope")
    assert response.status_code == 400 and b"valid" in response.content
    assert not Subscription.objects.exists() and mail.outbox == []


def test_alerts_are_in_the_subscribers_language(service):
    Client().post(
        "/s/twitter/notify/",
        {
            "notify-channel": "email",
            "notify-email": "zoe@example.fr",
            "notify-min_level": "1",
            "notify-format": "standard",
        },
        HTTP_ACCEPT_LANGUAGE="fr",
    )
    subscription = Subscription.objects.get()
    assert subscription.language == "fr"
    assert "Confirmez" in mail.outbox[0].subject
    Client().get(link(mail.outbox[0].body, "alerts/confirm"))
    incident_event(service)
    run()
    assert mail.outbox[1].subject == "Problèmes chez Twitter"
    assert "Se désabonner" in mail.outbox[1].body


def test_through_a_real_smtp_server(service, smtp_server):
    subscribe(Client())
    [confirmation] = list(smtp_server)
    assert confirmation["To"] == "ana@example.com"
    text = confirmation.get_payload()[0].get_payload(decode=True).decode()
    incident_event(service)
    run()
    assert len(list(smtp_server)) == 1  # nothing before confirmation
    Client().get(link(text, "alerts/confirm"))
    incident_event(service, "close", 2)  # the open event was consumed before: nothing to close
    run()
    assert len(list(smtp_server)) == 1
    incident_event(service, "level", 2)
    run()
    alerts = [m for m in smtp_server if m["Subject"] != confirmation["Subject"]]
    assert [m["Subject"] for m in alerts] == ["Twitter: problems confirmed"]
    [alert] = alerts
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = " ".join(alert["List-Unsubscribe"].split())  # unfolded
    assert unsubscribe.startswith("<https://outages.example/alerts/unsubscribe/")
    assert {part.get_content_type() for part in alert.walk()} >= {"text/plain", "text/html"}
    assert Delivery.objects.get(event__kind="level").status == "sent"


def test_the_form_cannot_flood_an_address_with_confirmations(service):
    for _ in range(3):
        assert subscribe(Client()).status_code == 201
    response = subscribe(Client())
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert b"Too many confirmation e-mails are waiting at this address" in response.content
    assert len(mail.outbox) == 3


def test_a_mail_server_down_when_subscribing_delays_the_confirmation_and_loses_nothing(
    service, smtp_server, settings, caplog
):
    running = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there: the mail server is down
    response = subscribe(Client())

    assert response.status_code == 201, response.content  # answered, not a server error
    subscription = Subscription.objects.get()
    assert subscription.state == "pending" and subscription.confirmation_sent_at is None
    assert "ana@example.com" not in caplog.text  # the failure is logged, never the address
    assert "not sent" in caplog.text
    settings.EMAIL_PORT = running  # the server is back
    now = timezone.now()
    assert confirmations_retry(now=now) == 0  # a minute's grace for the request's own try

    later = now + timedelta(minutes=2)
    assert confirmations_retry(now=later) == 1
    [confirmation] = list(smtp_server)
    assert confirmation["To"] == "ana@example.com"
    subscription.refresh_from_db()
    assert subscription.confirmation_sent_at == later
    assert confirmations_retry(now=later) == 0  # sent once
    text = confirmation.get_payload()[0].get_payload(decode=True).decode()
    assert Client().get(link(text, "alerts/confirm")).status_code == 200


def test_a_confirmation_sent_at_subscription_time_is_not_sent_again(service):
    subscribe(Client())
    assert len(mail.outbox) == 1
    assert Subscription.objects.get().confirmation_sent_at is not None
    assert confirmations_retry(now=timezone.now() + timedelta(minutes=2)) == 0
    assert len(mail.outbox) == 1
