"""The confirmation e-mail leaves through a Celery task once the subscription has committed,
never inside the request: a mail server that accepts connections and never answers holds a
worker, not the subscriber. What the worker could not send, confirmations_retry sends once the
server is back. With a real worker process, the suite's Redis as broker and real sockets."""

from __future__ import annotations

import mailbox
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone
from rest_framework.test import APIClient

from alerts.models import Subscription
from alerts.services.email import confirmations_retry
from tests.integration.workers import kill_hard, start_worker, wait_until, worker_env

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("loopback", "tasks_queued"),
]


class SilentMailServer:
    """Accepts SMTP connections and never says a word, not even its greeting; holds them."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port: int = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                self.held.append(self.listener.accept()[0])
            except TimeoutError:
                continue

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for held in [*self.held, self.listener]:
            held.close()


@pytest.fixture
def silent() -> Iterator[SilentMailServer]:
    server = SilentMailServer()
    yield server
    server.close()


def in_background(call: Callable[[], Any]) -> tuple[threading.Event, dict[str, Any]]:
    """Run call() in a thread; the event is set once it has returned (result["value"])."""
    done, result = threading.Event(), {}

    def run() -> None:
        try:
            result["value"] = call()
        finally:
            connections.close_all()
            done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, result


def subscribe(email: str):  # type: ignore[no-untyped-def]
    return APIClient().post(
        "/api/v1/services/twitter/subscriptions",
        {"channel": "email", "email": email},
        format="json",
    )


def test_a_mail_server_that_never_answers_holds_a_worker_never_the_request(
    service, silent, smtp_server: mailbox.Maildir, settings, redis_client, tmp_path: Path
):
    running_port = settings.EMAIL_PORT
    settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = silent.port, 3

    # The request is answered before anything has connected to the mail server.
    done, first = in_background(lambda: subscribe("ana@example.com"))
    assert wait_until(lambda: done.is_set() or silent.held, timeout=30)
    assert done.is_set() and silent.held == [], "the request connected to the mail server"
    assert first["value"].status_code == 201, first["value"].content
    assert redis_client.llen("celery") == 1  # the confirmation waits in the broker's queue

    # A worker takes it and is held by the silent server...
    env = worker_env(
        tmp_path, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(silent.port), EMAIL_TIMEOUT="120"
    )
    worker = start_worker(env, beat=False)
    try:
        assert wait_until(lambda: len(silent.held) == 1, timeout=60), "no worker connected"
        # ...while another subscriber is answered at once, the server still silent.
        second = subscribe("bob@example.com")
        assert second.status_code == 201, second.content
        assert len(silent.held) == 1
    finally:
        kill_hard(worker)  # its transaction ends, and with it the lock on the first row

    assert set(Subscription.objects.values_list("confirmation_sent_at", flat=True)) == {None}
    settings.EMAIL_PORT = running_port  # the mail server is back: the retry sends both, once
    later = timezone.now() + timedelta(minutes=2)
    sent: list[int] = []

    def retried() -> bool:
        # The first row stays locked until PostgreSQL has ended the killed worker's session.
        sent.append(confirmations_retry(now=later))
        return sum(sent) >= 2

    assert wait_until(retried, timeout=30) and sum(sent) == 2
    assert sorted(m["To"] for m in smtp_server) == ["ana@example.com", "bob@example.com"]
    assert confirmations_retry(now=later) == 0


def test_subscriptions_at_once_for_one_address_stay_within_its_cap(service, redis_client):
    """Requests racing for the same mailbox are serialized by the address's lock."""
    barrier = threading.Barrier(8)

    def racer(n: int) -> Callable[[], int]:
        def run() -> int:
            barrier.wait(timeout=30)
            response = APIClient().post(
                "/api/v1/services/twitter/subscriptions",
                {"channel": "email", "email": f"victim+{n}@example.com"},
                format="json",
                REMOTE_ADDR=f"198.51.100.{n}",
            )
            return int(response.status_code)

        return run

    runs = [in_background(racer(n)) for n in range(8)]
    assert all(done.wait(timeout=60) for done, _ in runs)
    assert sorted(result["value"] for _, result in runs) == [201] * 3 + [429] * 5
    assert Subscription.objects.count() == 3
