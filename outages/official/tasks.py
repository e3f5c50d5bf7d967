"""Celery interfaces of the official app: thin wrappers over official.services.poll."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from outages.official.services.poll import sources_due, sources_poll
from outages.status_cache import status_summaries_refresh

MAX_POLL_TASKS = 32


def _summaries_refresh(service_ids: set[int]) -> None:
    status_summaries_refresh(service_ids=service_ids)


@shared_task(name="official.dispatch", ignore_result=True)
def dispatch_task() -> int:
    """Queue one poll task per batch of due sources (never one per source)."""
    due = sources_due(now=timezone.now())
    tasks: int = min(-(-due // settings.OFFICIAL_POLL_BATCH), MAX_POLL_TASKS)
    for _ in range(tasks):
        poll_task.delay()
    return tasks


@shared_task(name="official.poll", ignore_result=True)
def poll_task(budget_seconds: float | None = None) -> int:
    """Poll batches of due sources until none is left or the budget is spent; a redelivered
    or duplicate task finds them claimed and does nothing."""
    budget = settings.OFFICIAL_POLL_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    claimed = 0
    while True:
        polled = sources_poll(now=timezone.now(), on_commit=_summaries_refresh)
        claimed += polled.claimed
        if not polled.claimed or time.monotonic() - started >= budget:
            return claimed
