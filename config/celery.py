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


@app.on_after_finalize.connect
def _schedule(sender: Celery, **_: object) -> None:
    from django.conf import settings

    schedule = {
        # Keep today's and tomorrow's fingerprint salts ready; destroy those older than 48 h.
        "salt-rotate": {"task": "reports.salt_rotate", "schedule": timedelta(minutes=10)},
        # Delete the database buffer's expired rate-limit and dedupe keys.
        "intake-keys-expire": {
            "task": "reports.intake_keys_expire",
            "schedule": timedelta(minutes=10),
        },
        # Score the last complete minute of every series: one task per service shard.
        "detection": {
            "task": "outages.detection_tick",
            "schedule": crontab(minute="*"),
            "options": {"expires": 50},
        },
        # Open incidents on the minute in progress (a clear rise need not wait for its end).
        "detection-early": {
            "task": "outages.detection_early_tick",
            "schedule": timedelta(seconds=15),
            "options": {"expires": 10},
        },
        # Raw reports' day partitions for the days ahead (PostgreSQL), and the id ledger's
        # pruning (reports/retention.py).
        "report-storage-upkeep": {
            "task": "reports.storage_upkeep",
            "schedule": crontab(minute=11),
            "options": {"expires": 3000},
        },
        # Privacy: delete raw reports past REPORT_RETENTION_DAYS (buckets stay), old salts and
        # old admin login records (docs/privacy.md).
        "privacy-retention": {
            "task": "moderation.privacy_retention",
            "schedule": crontab(minute=41),
            "options": {"expires": 3000},
        },
        # Redacted comments' original texts past their retention period (docs/privacy.md).
        "redactions-purge": {
            "task": "moderation.redactions_purge",
            "schedule": crontab(minute=43),
            "options": {"expires": 3000},
        },
        # The moderation pages' count of new suspicious bursts (the burst finder, cached).
        "moderation-bursts-count": {
            "task": "moderation.bursts_count",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 50},
        },
        # Refit every series' baseline (weekly profile, level, noise) from 30 days of buckets.
        "baselines-fit": {
            "task": "outages.baselines_fit_tick",
            "schedule": crontab(minute=17),
            "options": {"expires": 3000},
        },
        # Fan new incident events out to subscriptions and send what is due (alerts). A
        # detection pass that records events also queues this at once; this is the safety net.
        "alerts-dispatch": {
            "task": "alerts.dispatch",
            "schedule": timedelta(seconds=5),
            "options": {"expires": 5},
        },
        # Confirmation e-mails the mail server did not take when the subscriber asked.
        "alerts-confirmations-retry": {
            "task": "alerts.confirmations_retry",
            "schedule": timedelta(minutes=1),
            "options": {"expires": 50},
        },
        # Poll the official status pages that are due (one poll task per batch of sources).
        "official-dispatch": {
            "task": "official.dispatch",
            "schedule": timedelta(seconds=30),
            "options": {"expires": 30},
        },
        # The daily e-mail digest of the subscribers who chose it.
        "alerts-digest": {"task": "alerts.digest", "schedule": crontab(hour=7, minute=0)},
    }
    if settings.INTAKE_BUFFER == "redis":
        # Move reports from the Redis stream into raw rows and minute buckets. Each run drains
        # for a few seconds; runs overlap so there is always a consumer reading.
        schedule["reports-drain"] = {
            "task": "reports.drain",
            "schedule": timedelta(seconds=1),
            "options": {"expires": 2},
        }
        # Forget the stream consumers of worker processes that are gone.
        schedule["stream-consumers-prune"] = {
            "task": "reports.stream_consumers_prune",
            "schedule": timedelta(minutes=10),
        }
    if settings.SIMULATE_LIVE_TRAFFIC:
        # Demo only: feed a little live traffic through the real intake so the charts move.
        schedule["simulate-tick"] = {
            "task": "reports.simulate_tick",
            "schedule": timedelta(seconds=10),
            "options": {"expires": 10},
        }
    sender.conf.beat_schedule = schedule
