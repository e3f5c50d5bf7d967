"""Reports carry a keyed hash of the User-Agent (never the header itself), which groups one
script's or one browser build's reports for the burst finder."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone

from reports.models import Report
from reports.rows import decode, encode
from tests.conftest import drain_all
from tests.factories import ServiceFactory, report_row
from tests.reports.helpers import post_report

pytestmark = pytest.mark.django_db
AGENT = "Mozilla/5.0 (X11; Linux x86_64) BrigadeBot/1.0"


def test_intake_stores_a_keyed_agent_hash_and_never_the_header(client, intake_buffer):
    ServiceFactory(slug="twitter")
    for i, agent in enumerate([AGENT, AGENT, "curl/8.5.0"]):
        post_report(
            client,
            "twitter",
            {"platform": "web", "problem": "login"},
            address=f"198.51.100.{i + 1}",
            HTTP_USER_AGENT=agent,
        )
    intake_buffer()
    agents = list(Report.objects.order_by("received_at").values_list("agent", flat=True))
    assert len(agents) == 3
    assert all(len(a) == 32 and int(a, 16) >= 0 for a in agents)
    assert agents[0] == agents[1] != agents[2]
    stored = " ".join(str(v) for r in Report.objects.values_list() for v in r)
    assert "Brigade" not in stored and "curl" not in stored


def test_the_stream_encoding_carries_the_agent_and_reads_older_entries():
    row = report_row(service_id=1, received_at=timezone.now(), agent="a" * 32)
    assert decode(encode(row), counted=True) == row
    legacy = encode(row).rsplit("\t", 1)[0]  # written before the agent column existed
    assert decode(legacy, counted=True).agent == ""


@pytest.mark.services
def test_the_drain_stores_older_entries_beside_new_ones(redis_client):
    service = ServiceFactory()
    now = timezone.now()
    new = report_row(service_id=service.id, received_at=now, agent="a" * 32)
    old = report_row(service_id=service.id, received_at=now)
    redis_client.xadd(settings.INTAKE_STREAM, {"r": encode(new), "c": "1"})
    redis_client.xadd(settings.INTAKE_STREAM, {"r": encode(old).rsplit("\t", 1)[0], "c": "1"})
    assert drain_all(redis_client) == 2
    assert dict(Report.objects.values_list("id", "agent")) == {new.id: "a" * 32, old.id: ""}
