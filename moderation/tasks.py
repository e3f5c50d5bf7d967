"""Celery interfaces of the moderation app: thin wrappers that call one service each."""

from __future__ import annotations

from dataclasses import asdict

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from moderation.panel.counts import new_bursts_refresh
from moderation.privacy import privacy_retention


@shared_task(name="moderation.privacy_retention", ignore_result=True)
def privacy_retention_task() -> dict[str, int]:
    found = privacy_retention(now=timezone.now(), days=settings.REPORT_RETENTION_DAYS)
    return asdict(found)


@shared_task(name="moderation.bursts_count", ignore_result=True)
def bursts_count_task() -> int:
    return new_bursts_refresh(now=timezone.now())
