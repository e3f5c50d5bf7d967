"""Merging a duplicate service moves everything keyed by it to the kept service in one
transaction: buckets of the same key are summed exactly, the rest moves, its slug and name
become aliases, and the duplicate is gone. Runs on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from moderation.models import AuditEntry, ServiceLogo
from outages.detection.timebuckets import floor_to_minute
from outages.models import (
    Incident,
    MinuteBucket,
    SeriesBaseline,
    SeriesState,
    Service,
    ServiceAlias,
    ServiceStatus,
)
from outages.services.merge import service_merge
from reports.models import Report
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ReportFactory,
    SeriesBaselineFactory,
    SeriesStateFactory,
    ServiceAliasFactory,
    ServiceFactory,
    ServiceLogoFactory,
    ServiceStatusFactory,
)

pytestmark = pytest.mark.django_db


def bucket(service, minute, count, country="US"):
    return MinuteBucketFactory(service=service, minute=minute, country=country, count=count)


def report(service, at):
    return ReportFactory(service=service, received_at=at)


def baseline(service, value=""):
    return SeriesBaselineFactory(
        service=service,
        dimension="country" if value else "",
        value=value,
    )


@pytest.fixture
def pair():
    keep = ServiceFactory(slug="twitter", name="Twitter")
    duplicate = ServiceFactory(slug="twitter-x", name="X (Twitter)")
    ServiceAliasFactory(service=keep, alias="tweets")
    ServiceAliasFactory(service=duplicate, alias="x.com")
    return keep, duplicate


def test_buckets_are_summed_exactly_where_they_collide_and_moved_elsewhere(moderator, pair):
    keep, duplicate = pair
    now = floor_to_minute(timezone.now())
    a, b, c = now - timedelta(minutes=3), now - timedelta(minutes=2), now - timedelta(minutes=1)
    bucket(keep, a, 5)
    bucket(keep, b, 7)
    bucket(duplicate, b, 11)  # collides
    bucket(duplicate, b, 2, country="FR")  # same minute, another key
    bucket(duplicate, c, 3)
    total = MinuteBucket.objects.aggregate(n=Sum("count"))["n"]

    service_merge(actor=moderator, keep=keep, duplicate=duplicate)

    us = MinuteBucket.objects.filter(service=keep, country="US")
    rows = dict(us.values_list("minute", "count"))
    assert rows == {a: 5, b: 18, c: 3}
    assert MinuteBucket.objects.get(service=keep, minute=b, country="FR").count == 2
    assert MinuteBucket.objects.aggregate(n=Sum("count"))["n"] == total
    assert MinuteBucket.objects.count() == 4


def test_reports_incidents_status_baselines_and_logo_move(moderator, pair):
    keep, duplicate = pair
    now = timezone.now()
    for _ in range(3):
        report(duplicate, now)
    report(keep, now)
    started = floor_to_minute(now) - timedelta(minutes=30)
    kept_incident = IncidentFactory(service=keep, started_at=started)
    clash = IncidentFactory(service=duplicate, started_at=started)
    moved = IncidentFactory(service=duplicate, started_at=started - timedelta(days=2))
    ServiceStatusFactory(service=duplicate, minute=now)
    baseline(keep)
    baseline(duplicate)  # the kept one's stays
    baseline(duplicate, value="FR")  # moves
    SeriesStateFactory(service=duplicate, state={"x": 1})
    ServiceLogoFactory(service=duplicate, url="https://example.com/x.png")

    found = service_merge(actor=moderator, keep=keep, duplicate=duplicate)

    assert not Service.objects.filter(pk=duplicate.pk).exists()
    assert Report.objects.filter(service=keep).count() == 4
    assert set(Incident.objects.values_list("pk", flat=True)) == {kept_incident.pk, moved.pk}
    assert not Incident.objects.filter(pk=clash.pk).exists()
    assert Incident.objects.get(pk=moved.pk).service_id == keep.pk
    assert ServiceStatus.objects.get().service_id == keep.pk
    assert sorted(SeriesBaseline.objects.values_list("service_id", "value")) == [
        (keep.pk, ""),
        (keep.pk, "FR"),
    ]
    assert SeriesState.objects.get().service_id == keep.pk
    assert ServiceLogo.objects.get().service_id == keep.pk
    assert found["reports.report"] == 3


def test_the_duplicates_names_become_aliases_and_the_merge_is_audited(moderator, pair):
    keep, duplicate = pair

    service_merge(actor=moderator, keep=keep, duplicate=duplicate)

    aliases = set(ServiceAlias.objects.filter(service=keep).values_list("alias", flat=True))
    assert aliases == {"tweets", "x.com", "twitter-x", "x (twitter)"}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.target_id) == ("service.merge", str(keep.pk))
    assert entry.before["duplicate"] == {
        "slug": "twitter-x",
        "name": "X (Twitter)",
        "aliases": ["x.com"],
    }
    assert entry.after["aliases"] == sorted(aliases)


def test_merging_a_service_into_itself_is_refused_and_changes_nothing(moderator, pair):
    keep, _ = pair
    with pytest.raises(ValidationError) as error:
        service_merge(actor=moderator, keep=keep, duplicate=keep)
    assert "duplicate" in error.value.message_dict
    assert not AuditEntry.objects.exists()


def test_a_merge_that_fails_midway_leaves_everything_as_it_was(moderator, pair, monkeypatch):
    keep, duplicate = pair
    now = floor_to_minute(timezone.now())
    bucket(keep, now, 5)
    bucket(duplicate, now, 11)
    report(duplicate, now)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("outages.services.merge._aliases_add", explode)
    with pytest.raises(RuntimeError):
        service_merge(actor=moderator, keep=keep, duplicate=duplicate)

    assert Service.objects.filter(pk=duplicate.pk).exists()
    assert MinuteBucket.objects.get(service=keep).count == 5
    assert MinuteBucket.objects.get(service=duplicate).count == 11
    assert Report.objects.get().service_id == duplicate.pk
    assert not AuditEntry.objects.exists()


def test_the_admin_merge_page_merges_for_administrators_only(
    administrator_client, moderator_client, pair
):
    keep, duplicate = pair
    url = f"/admin/outages/service/{duplicate.pk}/merge/"
    assert moderator_client.get(url).status_code == 403
    assert administrator_client.get(url).status_code == 200

    response = administrator_client.post(url, {"keep": keep.pk})

    assert response.status_code == 302
    assert not Service.objects.filter(pk=duplicate.pk).exists()
    assert AuditEntry.objects.get().actor_name == "boss"
