"""The poller against a fake status-page server process: changes reach every surface within
one poll interval, 304s are counted, bad payloads are failures with a reason, and one source
is fetched at most once per interval."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from outages.official.models import OfficialIncident, OfficialSource
from outages.official.services.poll import Polled, sources_claim, sources_poll
from outages.official.services.sources import source_create
from outages.official.tasks import _summaries_refresh
from tests.factories import OfficialSourceFactory, ServiceFactory
from tests.official.conftest import StatusServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("loopback")]


@pytest.fixture
def github():  # type: ignore[no-untyped-def]
    return ServiceFactory(slug="github", name="GitHub")


@pytest.fixture
def poll(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """One poll as the task runs it, the status summaries refreshed once it has committed."""

    def run(now: datetime) -> Polled:
        with django_capture_on_commit_callbacks(execute=True):
            return sources_poll(now=now, on_commit=_summaries_refresh)

    return run


def test_a_change_of_indicator_reaches_the_api_page_embed_and_badge_within_one_interval(
    client, github, status_server: StatusServer, poll
) -> None:  # type: ignore[no-untyped-def]
    url = status_server.put("summary.json", "statuspage_ok.json")
    source_create(service=github, kind="statuspage", url=url, interval=60)
    now = timezone.now()
    assert poll(now).fetched == 1
    assert client.get("/api/v1/services/github").json()["official"]["indicator"] == "none"

    status_server.put("summary.json", "statuspage_incident.json", announced=now)
    assert poll(now + timedelta(seconds=30)).claimed == 0  # not due yet
    assert poll(now + timedelta(seconds=60)).fetched == 1

    official = client.get("/api/v1/services/github").json()["official"]
    assert official["indicator"] == "major"
    assert official["incident_title"] == "Disruption with some GitHub services"
    assert official["incident_url"] == "https://stspg.io/p0k7yvbn1xfr"
    assert official["sentence"] == (
        "The company reports problems; users' reports are at their usual level."
    )
    page = client.get("/s/github/").content.decode()
    assert 'data-official-indicator="major"' in page
    assert "Disruption with some GitHub services" in page
    assert 'data-official-indicator="major"' in client.get("/embed/github/").content.decode()
    badge = client.get("/badge/github.json").json()
    assert badge["message"].endswith("; official: major outage")


def test_an_unchanged_page_is_answered_304_and_counted(
    github, status_server: StatusServer, poll
) -> None:  # type: ignore[no-untyped-def]
    url = status_server.put("summary.json", "statuspage_ok.json")
    source_create(service=github, kind="statuspage", url=url, interval=60)
    now = timezone.now()
    poll(now)
    second = poll(now + timedelta(seconds=60))
    assert (second.fetched, second.not_modified, second.failed) == (0, 1, 0)
    source = OfficialSource.objects.get()
    assert (source.fetches, source.not_modified, source.indicator) == (1, 1, "none")
    assert status_server.hits()["/summary.json"] == [1, 1]


BAD_ANSWERS = {
    # kind: [(path, the reason recorded)]
    "statuspage": [
        ("bad/html", "HTTP 503"),
        ("bad/html200", "an HTML page, not JSON"),
        ("bad/truncated", "invalid JSON"),
        ("bad/huge", "passed"),
        ("bad/loop", "a redirect loop"),
    ],
    "instatus": [
        ("bad/html", "HTTP 503"),
        ("bad/html200", "an HTML page, not JSON"),
        ("bad/truncated", "invalid JSON"),
        ("bad/huge", "passed"),
        ("bad/loop", "a redirect loop"),
    ],
    "feed": [
        ("bad/html", "HTTP 503"),
        ("bad/html200", "an HTML page, not a feed"),
        ("bad/truncated-xml", "not well-formed XML"),
        ("bad/huge", "passed"),
        ("bad/loop", "a redirect loop"),
    ],
}


@pytest.mark.parametrize(
    ("kind", "path", "reason"),
    [(kind, path, reason) for kind, bad in BAD_ANSWERS.items() for path, reason in bad],
)
def test_a_bad_answer_is_a_failure_with_its_reason_and_the_source_fails_after_three(
    client, github, status_server: StatusServer, poll, kind: str, path: str, reason: str
) -> None:  # type: ignore[no-untyped-def]
    source_create(service=github, kind=kind, url=status_server.url(path), interval=60)
    now = timezone.now()
    for _ in range(3):
        source = OfficialSource.objects.get()
        assert poll(source.next_poll_at).failed == 1
    source = OfficialSource.objects.get()
    assert reason in source.last_error
    assert source.consecutive_failures == 3
    assert source.failing
    # Backoff: the next poll waits longer than the interval.
    assert source.next_poll_at - source.polled_at > timedelta(seconds=60)
    official = client.get("/api/v1/services/github").json()["official"]
    assert official["failing"] is True
    assert client.get("/s/github/").status_code == 200
    del now


def test_a_page_that_does_not_answer_in_time_is_a_failure_not_a_hang(
    github, status_server: StatusServer, poll, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.OFFICIAL_READ_TIMEOUT = 1.0  # the fake page answers after 30 s
    source_create(service=github, kind="statuspage", url=status_server.url("bad/slow"))
    assert poll(timezone.now()).failed == 1
    source = OfficialSource.objects.get()
    assert "timed out" in source.last_error or "time limit" in source.last_error, source.last_error


def test_a_source_that_recovers_is_no_longer_failing(
    github, status_server: StatusServer, poll
) -> None:  # type: ignore[no-untyped-def]
    source_create(service=github, kind="statuspage", url=status_server.url("summary.json"))
    for _ in range(3):
        poll(OfficialSource.objects.get().next_poll_at)
    assert OfficialSource.objects.get().failing
    status_server.put("summary.json", "statuspage_ok.json")
    assert poll(OfficialSource.objects.get().next_poll_at).fetched == 1
    source = OfficialSource.objects.get()
    assert (source.failing, source.consecutive_failures, source.last_error) == (False, 0, "")


def test_a_status_page_at_a_loopback_address_is_refused_at_connect_without_the_switch(
    settings, github, status_server: StatusServer, poll
) -> None:  # type: ignore[no-untyped-def]
    url = status_server.put("summary.json", "statuspage_ok.json")
    source_create(service=github, kind="statuspage", url=url)
    settings.ALERTS_ALLOW_LOOPBACK = False
    assert poll(timezone.now()).failed == 1
    assert (
        "refused: 127.0.0.1 resolves to a loopback address"
        in OfficialSource.objects.get().last_error
    )
    assert status_server.hits() == {}


def test_a_redirect_to_a_private_address_is_refused(
    settings, github, status_server: StatusServer, poll, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.ALERTS_ALLOW_LOOPBACK = False
    OfficialSourceFactory(service=github, url="http://10.0.0.1/x.json")
    assert poll(timezone.now()).failed == 1
    assert "a private address" in OfficialSource.objects.get().last_error


def test_two_pollers_never_claim_one_source_in_the_same_interval(github) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        OfficialSourceFactory(service=github, url=f"https://status.example.com/{n}.json")
    now = timezone.now()
    first = sources_claim(now=now, limit=3)
    second = sources_claim(now=now, limit=10)
    third = sources_claim(now=now + timedelta(seconds=30), limit=10)
    assert len(first) == 3 and len(second) == 2 and third == []
    assert not {s.pk for s in first} & {s.pk for s in second}


def test_a_resolved_statuspage_incident_is_closed_when_it_leaves_the_summary(
    github, status_server: StatusServer, poll
) -> None:  # type: ignore[no-untyped-def]
    url = status_server.put("summary.json", "statuspage_incident.json", announced=timezone.now())
    source_create(service=github, kind="statuspage", url=url, interval=60)
    now = timezone.now()
    status_server.put("summary.json", "statuspage_incident.json", announced=now)
    poll(now)
    incident = OfficialIncident.objects.get()
    assert (incident.resolved_at, incident.announced_at.replace(microsecond=0)) == (
        None,
        now.replace(microsecond=0),
    )
    status_server.put("summary.json", "statuspage_ok.json")
    poll(now + timedelta(seconds=60))
    assert OfficialIncident.objects.get().resolved_at is not None
    assert OfficialSource.objects.get().incident_title == ""


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("feed", "aws_rss.xml"),
        ("feed", "statuspage_history.atom"),
        ("instatus", "instatus_incident.json"),
    ],
)
def test_feeds_and_instatus_pages_are_polled_like_statuspage(
    client, github, status_server: StatusServer, poll, kind: str, payload: str
) -> None:  # type: ignore[no-untyped-def]
    url = status_server.put(payload, payload, announced=timezone.now() - timedelta(minutes=5))
    source_create(service=github, kind=kind, url=url)
    assert poll(timezone.now()).fetched == 1
    official = client.get("/api/v1/services/github").json()["official"]
    assert official["indicator"] in ("minor", "critical")
    assert official["incident_title"]


def test_the_beat_task_queues_one_poll_task_per_batch_and_each_source_is_fetched_once(
    settings, github, status_server: StatusServer
) -> None:  # type: ignore[no-untyped-def]
    from config.celery import app
    from outages.official.tasks import dispatch_task

    settings.OFFICIAL_POLL_BATCH = 2
    for n in range(5):
        url = status_server.put(f"p{n}.json", "statuspage_ok.json")
        source_create(service=github, kind="statuspage", url=url)
    previous, app.conf.task_always_eager = app.conf.task_always_eager, True
    try:
        assert dispatch_task() == 3  # 5 due sources in batches of 2
    finally:
        app.conf.task_always_eager = previous
    assert OfficialSource.objects.filter(fetches=1).count() == 5
    assert all(counts == [1, 0] for counts in status_server.hits().values())
