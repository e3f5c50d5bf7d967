from __future__ import annotations

from collections.abc import Iterator

import pytest

from alerts.services.subscriptions import Created, subscription_create
from alerts.tasks import confirmation_enqueue
from outages.models import Incident, IncidentEvent
from tests.alerts.receiver import Receiver, running
from tests.factories import IncidentEventFactory, IncidentFactory, ServiceFactory
from tests.ports import free_port, wait_for_port


@pytest.fixture(autouse=True)
def tasks_inline() -> Iterator[None]:
    """Celery tasks queued here (the confirmation e-mail) run at once, in this process, so a
    test reads the mail its request caused; tests of the queue itself use `tasks_queued`."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def tasks_queued() -> None:
    """Tasks go to the broker for a worker, as in production (the suite's Redis)."""
    from config.celery import app

    app.conf.task_always_eager = False


@pytest.fixture
def loopback(settings):  # type: ignore[no-untyped-def]
    """Webhooks to 127.0.0.1 allowed: the local receivers live there."""
    settings.ALERTS_ALLOW_LOOPBACK = True
    settings.ALERTS_HTTPS_ONLY = False
    settings.SITE_URL = "https://outages.example"


@pytest.fixture
def service():  # type: ignore[no-untyped-def]
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running(Receiver(secrets=[])) as found:
        yield found


def webhook(service, receiver: Receiver, **options) -> Created:  # type: ignore[no-untyped-def]
    created = subscription_create(
        service=service,
        channel="webhook",
        url=receiver.url,
        confirmation_enqueue=confirmation_enqueue,
        **options,
    )
    receiver.secrets.append(created.subscription.secret)
    return created


def incident_event(service, kind: str = "open", level: int = 2, **incident) -> IncidentEvent:  # type: ignore[no-untyped-def]
    found = Incident.objects.filter(service=service).first() or IncidentFactory(
        service=service, level=level, **incident
    )
    return IncidentEventFactory(
        key=f"incident:{found.pk}:{kind}:{level}", incident=found, kind=kind, level=level
    )


@pytest.fixture
def smtp_server(settings, tmp_path):  # type: ignore[no-untyped-def]
    """A real SMTP server process (aiosmtpd) on 127.0.0.1 writing each message to a Maildir;
    Django's SMTP backend points at it. Yields the Maildir."""
    import mailbox
    import subprocess
    import sys

    port = free_port()
    maildir = tmp_path / "maildir"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            f"127.0.0.1:{port}",
            "-c",
            "aiosmtpd.handlers.Mailbox",
            str(maildir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process=process)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    try:
        yield mailbox.Maildir(maildir, create=False)
    finally:
        process.terminate()
        process.wait(timeout=10)
