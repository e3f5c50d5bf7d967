"""Celery interfaces of the moderation app: thin wrappers that call one service each."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from moderation.panel.comment_actions import redactions_purge
from moderation.panel.counts import new_bursts_refresh


@shared_task(name="moderation.bursts_count", ignore_result=True)
def bursts_count_task() -> int:
    return new_bursts_refresh(now=timezone.now())


@shared_task(name="moderation.redactions_purge", ignore_result=True)
def redactions_purge_task() -> int:
    """Redacted comments' original texts, dropped at the end of their retention period."""
    return redactions_purge(now=timezone.now())
