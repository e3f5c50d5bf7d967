"""Chat alerts (Slack, Discord, Teams, Telegram, ntfy) through the webhooks' delivery: each in
its target's documented shape, with the official status line, delivered exactly once per
subscription across a repeated fan-out and send; and the early-warning option."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest
from django.utils import timezone

from alerts.models import Delivery, Subscription
from alerts.services.chat import chat_body, chat_request
from alerts.services.delivery import deliveries_send
from alerts.services.fanout import events_fan_out
from alerts.services.messages import alert_for
from alerts.services.subscriptions import SubscriptionInvalid, subscription_create
from alerts.tasks import confirmation_enqueue
from outages.models import IncidentEvent
from tests.alerts import chat_schemas
from tests.alerts.conftest import incident_event
from tests.alerts.receiver import Receiver
from tests.factories import OfficialIncidentFactory, OfficialSourceFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loopback")]

TARGETS = {
    "slack": ("/services/T000/B000/XXXX", chat_schemas.SLACK, "/services/T000/B000/XXXX"),
    "discord": ("/api/webhooks/1/abc", chat_schemas.DISCORD, "/api/webhooks/1/abc"),
    "teams": (
        "/workflows/123/triggers/manual/paths/invoke",
        chat_schemas.TEAMS,
        "/workflows/123/triggers/manual/paths/invoke",
    ),
    "telegram": (
        "/bot123456:ABC-DEF/sendMessage?chat_id=-1001234",
        chat_schemas.TELEGRAM,
        "/bot123456:ABC-DEF/sendMessage",
    ),
    "ntfy": ("/outages-alerts", chat_schemas.NTFY, "/"),
}


def chat(service, receiver: Receiver, format_: str, **options):  # type: ignore[no-untyped-def]
    path = TARGETS[format_][0]
    created = subscription_create(
        confirmation_enqueue=confirmation_enqueue,
        service=service,
        channel="webhook",
        format=format_,
        url=f"http://127.0.0.1:{receiver.port}{path}",
        **options,
    )
    receiver.secrets.append(created.subscription.secret)
    return created.subscription


def send_all() -> int:
    now = timezone.now()
    events_fan_out(now=now)
    return deliveries_send(now=now)


@pytest.mark.parametrize("format_", list(TARGETS))
def test_each_chat_message_has_its_targets_documented_shape(service, receiver, format_) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(service=service, indicator="none")
    chat(service, receiver, format_)
    incident_event(service)
    send_all()
    [got] = receiver.received
    assert got.path == TARGETS[format_][2]
    body = json.loads(got.body)
    jsonschema.validate(body, TARGETS[format_][1])
    text = json.dumps(body, ensure_ascii=False)
    assert "Problems at Twitter" in text
    assert "Users report problems; the company has not acknowledged them yet." in text
    assert "/incidents/" in text  # the link
    if format_ == "discord":
        assert chat_schemas.discord_embed_total(body["embeds"][0]) <= 6000
    if format_ == "telegram":
        assert body["chat_id"] == "-1001234"
    if format_ == "ntfy":
        assert body["topic"] == "outages-alerts"


@pytest.mark.parametrize("format_", list(TARGETS))
def test_a_long_title_and_text_are_cut_to_the_documented_limits(service, format_) -> None:  # type: ignore[no-untyped-def]
    event = incident_event(service)
    alert = replace(
        alert_for(event, event.incident, language="en"), title="X" * 400, text="Y" * 5000
    )
    url, body = chat_request(
        f"https://chat.example{TARGETS[format_][0]}",
        format_,
        chat_body(alert, format=format_, language="en"),
    )
    payload = json.loads(body)
    jsonschema.validate(payload, TARGETS[format_][1])
    if format_ == "discord":
        assert chat_schemas.discord_embed_total(payload["embeds"][0]) <= 6000


@pytest.mark.parametrize("format_", ["slack", "telegram", "ntfy"])
def test_a_chat_message_is_delivered_once_across_repeated_fan_out_and_send(
    service, receiver, format_
) -> None:  # type: ignore[no-untyped-def]
    chat(service, receiver, format_)
    incident_event(service)
    send_all()
    IncidentEvent.objects.update(delivered_at=None)  # the outbox handed out again
    send_all()
    assert deliveries_send(now=timezone.now()) == 0
    assert len(receiver.received) == 1
    assert Delivery.objects.get().status == Delivery.Status.SENT


def test_every_chat_format_is_delivered_once_when_the_celery_tasks_are_redelivered(
    service, receiver
) -> None:  # type: ignore[no-untyped-def]
    """The beat's dispatch task and the send task it queues each run a second time (a
    redelivered message: acks_late after a lost ack, or a duplicate beat tick): every
    subscription still gets exactly one message."""
    from alerts.tasks import dispatch_task, send_task

    subscriptions = [chat(service, receiver, format_) for format_ in TARGETS]
    incident_event(service)
    for _ in range(2):
        dispatch_task.apply()  # fans out and queues send tasks (run at once here)
        send_task.apply()
    IncidentEvent.objects.update(delivered_at=None)  # and the outbox event handed out again
    dispatch_task.apply()
    send_task.apply()
    paths = sorted(got.path for got in receiver.received)
    assert paths == sorted(target for _, _, target in TARGETS.values())
    sent = Delivery.objects.filter(status=Delivery.Status.SENT)
    assert sorted(sent.values_list("subscription_id", flat=True)) == sorted(
        s.pk for s in subscriptions
    )
    assert Delivery.objects.count() == len(TARGETS)


@pytest.mark.parametrize(
    ("format_", "path", "why"),
    [
        ("telegram", "/bot1:A/sendMessage", "chat_id"),
        ("telegram", "/hook?chat_id=1", "api.telegram.org"),
        ("ntfy", "/", "topic"),
        ("ntfy", "/a/b", "topic"),
    ],
)
def test_a_chat_url_of_the_wrong_shape_is_refused(service, format_, path, why) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SubscriptionInvalid) as refused:
        subscription_create(
            confirmation_enqueue=confirmation_enqueue,
            service=service,
            channel="webhook",
            format=format_,
            url=f"http://127.0.0.1:9{path}",
        )
    [(field, message)] = refused.value.errors
    assert field == "url" and why in message


def test_a_chat_target_at_a_private_address_is_refused_at_connect(service, settings) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver(secrets=[])
    subscription = subscription_create(
        confirmation_enqueue=confirmation_enqueue,
        service=service,
        channel="webhook",
        format="slack",
        url="http://127.0.0.1:9/hook",
    ).subscription
    settings.ALERTS_ALLOW_LOOPBACK = False
    incident_event(service)
    send_all()
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.note.startswith("refused:")
    assert receiver.received == []


def test_early_warning_subscribers_hear_only_what_the_company_has_not_acknowledged(
    service, receiver
) -> None:  # type: ignore[no-untyped-def]
    early = chat(service, receiver, "slack", only_unacknowledged=True)
    everyone = chat(service, receiver, "discord")
    event = incident_event(service)
    send_all()
    assert {d.subscription_id for d in Delivery.objects.all()} == {early.pk, everyone.pk}

    # Another incident, which the company had already announced: only the others hear of it.
    Delivery.objects.all().delete()
    event.incident.delete()
    source = OfficialSourceFactory(service=service, indicator="none")
    second = incident_event(service)
    OfficialIncidentFactory(source=source, announced_at=second.incident.started_at)
    from outages.official.services.acknowledgements import acknowledgements_record

    acknowledgements_record(service_ids=[service.id], now=timezone.now())
    send_all()
    assert {d.subscription_id for d in Delivery.objects.all()} == {everyone.pk}


def test_early_warning_subscribers_are_not_told_while_the_status_page_reports_problems(
    service, receiver
) -> None:  # type: ignore[no-untyped-def]
    OfficialSourceFactory(service=service, indicator="major")
    chat(service, receiver, "slack", only_unacknowledged=True)
    incident_event(service)
    send_all()
    assert not Delivery.objects.exists()


def test_the_notify_form_offers_the_early_warning_and_the_chat_formats(client, service) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/s/twitter/").content.decode()
    assert "Only when the company has not acknowledged it" in page
    assert 'value="teams"' in page and 'value="ntfy"' in page
    client.post(
        "/s/twitter/notify/",
        {
            "notify-channel": "webhook",
            "notify-url": "http://127.0.0.1:9/topic-a",
            "notify-format": "ntfy",
            "notify-min_level": "1",
            "notify-only_unacknowledged": "on",
        },
    )
    [subscription] = Subscription.objects.all()
    assert (subscription.format, subscription.only_unacknowledged) == ("ntfy", True)
