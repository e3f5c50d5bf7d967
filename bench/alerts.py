"""Bar 6: one incident event fanned out to 10,000 webhook subscriptions (a local receiver) in
<= 60 s with one Celery worker process, and to 10,000 e-mail subscriptions (a local SMTP sink)
in <= 120 s; the time per delivery, and how it scales with worker processes.

    .venv/bin/python bench/alerts.py         # this bar alone (BENCH_ONLY=alerts make bench too)

1. Its own database `outages_bench_alerts` (created, migrated, dropped on exit), a Redis
   database as the Celery broker (BENCH_ALERTS_BROKER, default db 13).
2. 10,000 active webhook subscriptions to one service, all to a receiver on 127.0.0.1 in its
   own process (a lean asyncio HTTP server; every 100th request verified with the reference
   `standardwebhooks` library, the rest counted), and one `open` event in the outbox.
3. Real Celery worker processes (`--concurrency N`): the clock starts when `alerts.dispatch` is
   queued (as beat would) and stops when every Delivery row is `sent`. Run for N = 1 and 2.
4. The same with 10,000 e-mail subscriptions and a lean asyncio SMTP sink process (the tests
   use a real aiosmtpd server; this one only answers and counts, so it is not what is timed).

Over 300 lines: a bench is one runnable script (data, servers, workers, figures).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, servers  # noqa: E402
from bench.report import step  # noqa: E402

DATABASE = "outages_bench_alerts"
BROKER = os.environ.get("BENCH_ALERTS_BROKER", "redis://127.0.0.1:6379/13")
SUBSCRIPTIONS = int(os.environ.get("BENCH_ALERTS_SUBSCRIPTIONS", "10000"))
WEBHOOK_BAR_SECONDS = 60.0
EMAIL_BAR_SECONDS = 120.0
WORKER_COUNTS = (1, 2)


@dataclass
class Run:
    channel: str
    workers: int
    seconds: float
    sent: int
    received: int
    verified: int = 0
    failed_verification: int = 0


@dataclass
class Result:
    subscriptions: int
    runs: list[Run] = field(default_factory=list)


def _receiver(port_out, counts, secret: str) -> None:  # type: ignore[no-untyped-def]
    """A lean asyncio HTTP/1.1 server (one request per connection, as our sender makes):
    the receiver must not be what the bar measures."""
    import asyncio

    from standardwebhooks.webhooks import Webhook

    verifier = Webhook(secret)

    async def handle(reader, writer) -> None:  # type: ignore[no-untyped-def]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = dict(line.split(": ", 1) for line in lines if ": " in line)
            headers = {k.lower(): v for k, v in headers.items()}
            body = await reader.readexactly(int(headers.get("content-length", 0)))
            counts[0] += 1
            if counts[0] % 100 == 1:  # the reference library checks a sample
                try:
                    verifier.verify(body, headers, json_parse=False)
                    counts[1] += 1
                except Exception:  # noqa: BLE001
                    counts[2] += 1
            writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    _serve(handle, port_out)


def receiver(secret: str):  # type: ignore[no-untyped-def]
    """The webhook receiver in its own process: yields (its port, its counts)."""
    return _spawned(_receiver, 3, secret)


def _smtp_sink(port_out, counts) -> None:  # type: ignore[no-untyped-def]
    """A lean asyncio SMTP sink: answers every command, counts and discards each message."""
    import asyncio

    async def session(reader, writer) -> None:  # type: ignore[no-untyped-def]
        writer.write(b"220 sink ESMTP\r\n")
        try:
            while line := await reader.readline():
                verb = line[:4].upper()
                if verb in (b"EHLO", b"HELO"):
                    writer.write(b"250-sink\r\n250 8BITMIME\r\n")
                elif verb == b"DATA":
                    writer.write(b"354 go ahead\r\n")
                    await reader.readuntil(b"\r\n.\r\n")
                    counts[0] += 1
                    writer.write(b"250 queued\r\n")
                elif verb == b"QUIT":
                    writer.write(b"221 bye\r\n")
                    break
                else:
                    writer.write(b"250 ok\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    _serve(session, port_out)


def smtp_sink():  # type: ignore[no-untyped-def]
    """The SMTP sink in its own process: yields (its port, its count of messages)."""
    return _spawned(_smtp_sink, 1)


def _serve(handle, port_out) -> None:  # type: ignore[no-untyped-def]
    """Serve connections with `handle` on a free loopback port (put on port_out), forever."""
    import asyncio

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        port_out.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    asyncio.run(serve())


@contextlib.contextmanager
def _spawned(target, counters: int, *args: object):  # type: ignore[no-untyped-def]
    """target(port_out, counts, *args) in a spawned process, stopped on leaving: yields the
    port it serves on and its `counters` shared counts."""
    context = multiprocessing.get_context("spawn")
    port_out, counts = context.Queue(), context.Array("l", counters)
    process = context.Process(target=target, args=(port_out, counts, *args), daemon=True)
    process.start()
    try:
        yield port_out.get(timeout=30), counts
    finally:
        process.terminate()
        process.join(10)


def _env(dsn: str, workdir: Path, **extra: str) -> dict[str, str]:
    for folder in ("var", "metrics"):
        (workdir / folder).mkdir(exist_ok=True)
    return {
        **os.environ,
        # Its own folders: under make bench, the earlier bars' (in os.environ) are gone.
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": dsn,
        "REDIS_URL": BROKER,
        "CELERY_BROKER_URL": BROKER,
        "VAR_DIR": str(workdir / "var"),
        "SIMULATE_LIVE_TRAFFIC": "false",
        "ALERTS_ALLOW_LOOPBACK": "true",
        "ALERTS_HTTPS_ONLY": "false",
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _prepare(channel: str, port: int, secret: str = "") -> None:
    """SUBSCRIPTIONS active subscriptions of one channel and one open event. The webhooks
    share one secret, which keeps the receiver's sampled check simple."""
    from django.core.management import call_command
    from django.utils import timezone

    from alerts.models import Delivery, Subscription
    from alerts.services.subscriptions import token_hash
    from outages.models import Incident, IncidentEvent, Service

    call_command("migrate", verbosity=0)
    Delivery.objects.all().delete()
    Subscription.objects.all().delete()
    IncidentEvent.objects.all().delete()
    Incident.objects.all().delete()
    service, _ = Service.objects.get_or_create(slug="bench-alerts", defaults={"name": "Bench"})
    now = timezone.now().replace(second=0, microsecond=0)
    Subscription.objects.bulk_create(
        [
            Subscription(
                service=service,
                channel=channel,
                state="active",
                confirmed_at=now,
                url=f"http://127.0.0.1:{port}/hook/{i}" if channel == "webhook" else "",
                email=f"reader{i}@example.com" if channel == "email" else "",
                secret=secret if channel == "webhook" else "",
                token_hash=token_hash(f"bench-{i}"),
            )
            for i in range(SUBSCRIPTIONS)
        ],
        batch_size=2000,
    )
    incident = Incident.objects.create(
        service=service,
        level=2,
        started_at=now,
        detected_at=now,
        peak_at=now,
        visibility="public",
        scope="international",
    )
    IncidentEvent.objects.create(
        key=f"incident:{incident.pk}:open", incident=incident, kind="open", level=2, at=now
    )


def _reset_deliveries() -> None:
    from alerts.models import Delivery
    from outages.models import IncidentEvent

    Delivery.objects.all().delete()
    IncidentEvent.objects.update(delivered_at=None)


def _timed(env: dict[str, str], logs: Path, workers: int, *, timeout: float) -> tuple[float, int]:
    """Start the workers, queue alerts.dispatch, wait until every delivery is sent."""
    import redis

    from alerts.models import Delivery
    from config.celery import app

    redis.Redis.from_url(BROKER).flushdb()
    with servers.celery_worker(f"alerts-worker-{workers}", env, logs, concurrency=workers):
        started = time.monotonic()
        app.send_task("alerts.dispatch")
        sent = 0
        while time.monotonic() - started < timeout:
            sent = Delivery.objects.filter(status="sent").count()
            if sent >= SUBSCRIPTIONS:
                break
            time.sleep(0.1)
        return time.monotonic() - started, sent


def measure(logs: Path | None = None) -> Result:
    import tempfile

    import django

    result = Result(SUBSCRIPTIONS)
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-alerts-")))
        logs = logs or workdir
        dsn = stack.enter_context(servers.bench_database(DATABASE))
        smtp_port, mails = stack.enter_context(smtp_sink())
        env = _env(dsn, workdir, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port))
        os.environ.update(env)
        django.setup()
        from django.db import connection

        # Webhooks: the receiver needs the secret, the subscriptions need the receiver's port.
        from alerts import signing

        secret = signing.secret_new()
        port, counts = stack.enter_context(receiver(secret))
        _prepare("webhook", port, secret)
        for workers in WORKER_COUNTS:
            _reset_deliveries()
            before = list(counts)
            seconds, sent = _timed(env, logs, workers, timeout=4 * WEBHOOK_BAR_SECONDS)
            got = [now - then for now, then in zip(counts, before, strict=True)]
            result.runs.append(Run("webhook", workers, seconds, sent, *got))
            step(f"webhooks, {workers} worker process(es): {sent:,} sent in {seconds:.1f} s")
        _prepare("email", 0)
        for workers in WORKER_COUNTS:
            _reset_deliveries()
            seconds, sent = _timed(env, logs, workers, timeout=2 * EMAIL_BAR_SECONDS)
            result.runs.append(Run("email", workers, seconds, sent, mails[0]))
            mails[0] = 0
            step(f"e-mail, {workers} worker process(es): {sent:,} sent in {seconds:.1f} s")
        connection.close()
    return result


def rows(r: Result) -> list[report.Row]:
    Row = report.Row
    out = []
    for channel, bar in (("webhook", WEBHOOK_BAR_SECONDS), ("email", EMAIL_BAR_SECONDS)):
        runs = [run for run in r.runs if run.channel == channel]
        if not runs:
            continue
        one = runs[0]
        ok = one.sent >= r.subscriptions and one.seconds <= bar
        target = "local receiver" if channel == "webhook" else "local SMTP sink"
        out.append(
            Row(
                f"8 One event to {r.subscriptions:,} {channel} subscriptions ({target}), 1 worker",
                f"{one.seconds:.1f} s ({one.sent:,} sent)",
                f"<= {bar:.0f} s",
                f"{one.seconds / bar:.2f}",
                report.bar(ok),
            )
        )
        out.append(
            Row("  time per delivery, 1 worker", f"{1000 * one.seconds / max(one.sent, 1):.2f} ms")
        )
        for run in runs[1:]:
            out.append(
                Row(
                    f"  {run.workers} worker processes",
                    f"{run.seconds:.1f} s ({run.sent:,} sent)",
                    "",
                    f"{one.seconds / run.seconds:.2f}x faster" if run.seconds else "",
                )
            )
        if channel == "webhook":
            verified = sum(run.verified for run in runs)
            bad = sum(run.failed_verification for run in runs)
            received = sum(run.received for run in runs)
            ok = bad == 0 and received >= sum(x.sent for x in runs)
            out.append(
                Row(
                    "  receiver: requests / sampled and verified / failed",
                    f"{received:,} / {verified} / {bad}",
                    "failed = 0",
                    "",
                    report.bar(ok),
                )
            )
    return out


def main() -> int:
    result = measure()
    print(report.table(rows(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
