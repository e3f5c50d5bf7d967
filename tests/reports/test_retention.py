"""The privacy retention job: raw reports older than the retention are deleted and their
minute buckets stay as they were; salts older than 48 hours are destroyed; old admin login
records go too. Run by beat (moderation.privacy_retention) and by `manage.py retention`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from axes.models import AccessLog
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from outages.models import MinuteBucket
from reports.models import Report, Salt
from reports.privacy import privacy_retention
from reports.retention import reports_purge
from reports.rows import ReportRow
from reports.services import report_store_batch
from reports.tasks import privacy_retention_task
from tests.factories import AccessLogFactory, SaltFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def stored(service, at, n):
    """n reports stored as intake stores them: the raw rows and their buckets together."""
    rows = [
        ReportRow(
            uuid.uuid4(),
            service.pk,
            "problem",
            "web",
            "login",
            "US",
            "",
            "web",
            "",
            at,
            uuid.uuid4().hex,
            "n" * 32,
            True,
        )
        for _ in range(n)
    ]
    report_store_batch(rows=rows)


@pytest.fixture
def history():
    now = timezone.now()
    twitter, github = ServiceFactory(slug="twitter"), ServiceFactory(slug="github")
    stored(twitter, now - timedelta(days=40), 3)
    stored(github, now - timedelta(days=31), 2)
    stored(twitter, now - timedelta(days=29), 4)
    stored(twitter, now - timedelta(minutes=5), 1)
    return now


def buckets():
    return sorted(MinuteBucket.objects.values_list("service_id", "minute", "count"))


def test_old_raw_reports_go_and_their_buckets_stay(history):
    before = buckets()

    assert reports_purge(now=history, days=30) == 5

    assert Report.objects.count() == 5
    assert not Report.objects.filter(received_at__lt=history - timedelta(days=30)).exists()
    assert buckets() == before
    assert MinuteBucket.objects.aggregate(n=Sum("count"))["n"] == 10


def test_a_retention_under_a_day_is_refused(history):
    with pytest.raises(ValueError, match="at least 1 day"):
        reports_purge(now=history, days=0)
    assert Report.objects.count() == 10


def test_the_job_destroys_salts_older_than_48_hours_and_old_login_records(history):
    today = history.date()
    for age in range(4):
        SaltFactory(day=today - timedelta(days=age))
    for age in (31, 1):
        log = AccessLogFactory(username="mod")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=history - timedelta(days=age))

    found = privacy_retention(now=history, days=30)

    assert (found.reports, found.salts, found.login_records) == (5, 2, 1)
    days = set(Salt.objects.values_list("day", flat=True))
    assert days == {today - timedelta(days=1), today, today + timedelta(days=1)}


def test_the_command_and_the_task_run_the_same_job(history, settings, capsys):
    call_command("retention", "--days", "35")
    assert "deleted 3 raw reports older than 35 days" in capsys.readouterr().out
    settings.REPORT_RETENTION_DAYS = 30
    assert privacy_retention_task()["reports"] == 2
