"""The Celery app and its beat schedule (one commented line per job)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import timedelta

from celery import Celery
from celery.schedules import crontab
from celery.worker.consumer import Consumer as CeleryConsumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
logger = logging.getLogger(__name__)


class Consumer(CeleryConsumer):
    """The worker's consumer (setting CELERY_WORKER_CONSUMER), surviving a lost Redis broker.

    When the broker connection drops, Celery 5.7.0 first collects the connection (which detaches
    its transport) and then closes it; closing a channel that still holds unacknowledged
    messages makes kombu 5.7.0 restore them through the detached transport, which raises
    AttributeError ("'NoneType' object has no attribute 'hostname'") and stops the worker. The
    restore cannot succeed anyway (the broker is gone): Redis keeps those messages in its
    unacked index and kombu redelivers them after the visibility timeout. So that error is
    ignored there, and the consumer goes on reconnecting as it does for any connection loss.
    """

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            connection.close = _ignoring_detached_transport(connection.close)  # type: ignore[method-assign]
        super().on_connection_error_after_connected(exc)


def _ignoring_detached_transport(close: Callable[[], object]) -> Callable[[], None]:
    """`close`, for a connection whose transport is already detached (see Consumer)."""

    def close_detached() -> None:
        try:
            close()
        except AttributeError:
            logger.warning("broker connection closed without restoring unacked messages")

    return close_detached


app = Celery("outages")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The tasks composed above the apps (config/tasks.py: detection, which needs three apps).
app.autodiscover_tasks(["config"])


def _job(
    task: str, schedule: timedelta | crontab, *, expires: float | None = None
) -> dict[str, object]:
    """One beat entry. `expires` (seconds): a run no worker has started by then is dropped (the
    next one is due soon), so a backlog never piles up behind a stopped worker."""
    entry: dict[str, object] = {"task": task, "schedule": schedule}
    if expires is not None:
        entry["options"] = {"expires": expires}
    return entry


MINUTE = timedelta(minutes=1)
TEN_MINUTES = timedelta(minutes=10)


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    schedule = {
        # Keep today's and tomorrow's fingerprint salts ready; destroy those older than 48 h.
        "salt-rotate": _job("reports.salt_rotate", TEN_MINUTES),
        # Delete the database buffer's expired rate-limit and dedupe keys.
        "intake-keys-expire": _job("reports.intake_keys_expire", TEN_MINUTES),
        # Score the last complete minute of every series: one task per service shard.
        "detection": _job("outages.detection_tick", crontab(minute="*"), expires=50),
        # Open incidents on the minute in progress (a clear rise need not wait for its end).
        "detection-early": _job("outages.detection_early_tick", timedelta(seconds=15), expires=10),
        # Raw reports' day partitions for the days ahead (PostgreSQL), and the id ledger's
        # pruning (reports/retention.py).
        "report-storage-upkeep": _job("reports.storage_upkeep", crontab(minute=11), expires=3000),
        # Privacy: delete raw reports past REPORT_RETENTION_DAYS (buckets stay), old salts and
        # old admin login records (docs/privacy.md).
        "privacy-retention": _job("moderation.privacy_retention", crontab(minute=41), expires=3000),
        # Redacted comments' original texts past their retention period (docs/privacy.md).
        "redactions-purge": _job("moderation.redactions_purge", crontab(minute=43), expires=3000),
        # The moderation pages' count of new suspicious bursts (the burst finder, cached).
        "moderation-bursts-count": _job("moderation.bursts_count", MINUTE, expires=50),
        # Refit every series' baseline (weekly profile, level, noise) from 30 days of buckets.
        "baselines-fit": _job("outages.baselines_fit_tick", crontab(minute=17), expires=3000),
        # Fan new incident events out to subscriptions and send what is due (alerts). A
        # detection pass that records events also queues this at once; this is the safety net.
        "alerts-dispatch": _job("alerts.dispatch", timedelta(seconds=5), expires=5),
        # Confirmation e-mails the mail server did not take when the subscriber asked.
        "alerts-confirmations-retry": _job("alerts.confirmations_retry", MINUTE, expires=50),
        # Poll the official status pages that are due (one poll task per batch of sources).
        "official-dispatch": _job("official.dispatch", timedelta(seconds=30), expires=30),
        # The daily e-mail digest of the subscribers who chose it.
        "alerts-digest": _job("alerts.digest", crontab(hour=7, minute=0)),
    }
    if settings.INTAKE_BUFFER == "redis":
        # Move reports from the Redis stream into raw rows and minute buckets. Each run drains
        # for a few seconds; runs overlap so there is always a consumer reading.
        schedule["reports-drain"] = _job("reports.drain", timedelta(seconds=1), expires=2)
        # Forget the stream consumers of worker processes that are gone.
        schedule["stream-consumers-prune"] = _job("reports.stream_consumers_prune", TEN_MINUTES)
    if settings.SIMULATE_LIVE_TRAFFIC:
        # Demo only: feed a little live traffic through the real intake so the charts move.
        schedule["simulate-tick"] = _job("reports.simulate_tick", timedelta(seconds=10), expires=10)
    sender.conf.beat_schedule = schedule
