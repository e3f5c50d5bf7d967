"""The JSON door of intake, through each buffer: the database (embedded default and fallback)
and the Redis stream drained by the bucketing consumer. Both must answer alike.

Over 300 lines: every case runs through both buffers, which must answer alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from outages.models import MinuteBucket
from outages.vocabulary import Source
from reports.intake.fingerprint import fingerprints_for
from reports.intake.pipeline import Client, report_intake
from reports.models import Report
from tests.conftest import MIDDAY
from tests.factories import ServiceFactory
from tests.reports.helpers import assert_buckets_match_raw_reports, bucket_total, post_report

pytestmark = pytest.mark.django_db
VALID = {"platform": "web", "problem": "login", "country": "FR"}
MIDNIGHT = datetime(2026, 11, 25, tzinfo=UTC)


@pytest.fixture
def service():
    return ServiceFactory(slug="twitter", name="Twitter", category="social")


@pytest.fixture
def settle(intake_buffer):
    return intake_buffer


def test_it_accepts_a_report_and_counts_it_in_its_minute(client, service, settle):
    response = post_report(client, "twitter", VALID)
    settle()

    assert response.status_code == 202
    assert response.json()["status"] == "counted"
    report = Report.objects.get(id=response.json()["id"])
    assert (report.kind, report.platform, report.problem, report.country, report.source) == (
        "problem",
        "web",
        "login",
        "FR",
        "api",
    )
    bucket = MinuteBucket.objects.get()
    assert (bucket.service_id, bucket.country, bucket.count) == (service.id, "FR", 1)
    assert bucket.minute == report.received_at.replace(second=0, microsecond=0)


def test_it_counts_only_the_first_problem_report_per_person_in_the_window(
    client, service, settle, midday
):
    first = post_report(client, "twitter", VALID)
    repeat = post_report(client, "twitter", {**VALID, "problem": "posting"})
    settle()

    assert first.json()["status"] == "counted"
    assert repeat.status_code == 202
    assert repeat.json()["status"] == "already_counted"
    assert Report.objects.count() == 2  # the detail is kept...
    assert bucket_total() == 1  # ...but counted once
    assert_buckets_match_raw_reports()


def test_it_counts_a_works_report_beside_a_problem_report(client, service, settle):
    post_report(client, "twitter", VALID)
    works = post_report(client, "twitter", {"kind": "works", "platform": "web"})
    settle()

    assert works.json()["status"] == "counted"
    assert bucket_total(kind="works") == 1
    assert bucket_total(kind="problem") == 1


def test_it_counts_different_people_separately(client, service, settle):
    for address in ("198.51.100.1", "198.51.100.2", "2001:db8::1"):
        assert post_report(client, "twitter", VALID, address=address).status_code == 202
    settle()
    assert bucket_total() == 3


def test_a_retry_with_the_same_id_counts_once(client, service, settle):
    body = {**VALID, "id": str(uuid.uuid4())}
    first = post_report(client, "twitter", body)
    settle()
    retry = post_report(client, "twitter", body, address="198.51.100.99")
    settle()

    assert first.status_code == retry.status_code == 202
    assert first.json() == retry.json()
    assert Report.objects.count() == 1
    assert bucket_total() == 1


def test_the_same_id_with_another_body_is_a_conflict(client, service, settle):
    report_id = str(uuid.uuid4())
    post_report(client, "twitter", {**VALID, "id": report_id})
    response = post_report(client, "twitter", {**VALID, "id": report_id, "platform": "ios"})
    settle()

    assert response.status_code == 409
    assert response.json()["type"] == "urn:problem:id_conflict"
    assert Report.objects.count() == 1


def test_it_rate_limits_one_fingerprint_with_retry_after(client, service, settings, settle, midday):
    settings.INTAKE_RATE_FINGERPRINT = (2, 3600)
    ServiceFactory(slug="a"), ServiceFactory(slug="b")
    for slug in ("a", "b"):
        assert post_report(client, slug, VALID).status_code == 202
    response = post_report(client, "twitter", VALID)
    settle()

    assert response.status_code == 429
    assert response.json()["type"] == "urn:problem:rate_limited"
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Report.objects.count() == 2


def test_it_rate_limits_one_network_prefix(client, service, settings, settle, midday):
    settings.INTAKE_RATE_NETWORK = (2, 3600)
    for host in (1, 2):
        post_report(client, "twitter", VALID, address=f"192.0.2.{host}")
    response = post_report(client, "twitter", VALID, address="192.0.2.3")

    assert response.status_code == 429
    assert post_report(client, "twitter", VALID, address="192.0.3.1").status_code == 202


def test_the_country_defaults_from_the_edge_header_then_accept_language(client, service, settle):
    body = {"platform": "web", "problem": "login"}
    edge = post_report(client, "twitter", body, HTTP_CF_IPCOUNTRY="jp")
    language = post_report(
        client, "twitter", body, address="198.51.100.5", HTTP_ACCEPT_LANGUAGE="fr-CA,fr;q=0.8"
    )
    unknown = post_report(client, "twitter", body, address="198.51.100.6")
    settle()

    countries = {r.json()["id"]: c for r, c in ((edge, "JP"), (language, "CA"), (unknown, ""))}
    for report_id, country in countries.items():
        assert Report.objects.get(id=report_id).country == country


BAD_INPUTS = [
    # (body, content type, status, reason, field)
    ({"platform": "fax", "problem": "login"}, None, 400, "invalid_field", "platform"),
    ({"platform": "web"}, None, 400, "invalid_field", "problem"),
    ({"platform": "web", "problem": "sadness"}, None, 400, "invalid_field", "problem"),
    ({"platform": "web", "problem": "login", "kind": "meh"}, None, 400, "invalid_field", "kind"),
    (
        {"kind": "works", "platform": "web", "problem": "login"},
        None,
        400,
        "invalid_field",
        "problem",
    ),
    ({**VALID, "country": "XX"}, None, 400, "invalid_field", "country"),
    ({**VALID, "country": "France"}, None, 400, "invalid_field", "country"),
    ({**VALID, "country": "FR", "subdivision": "US-CA"}, None, 400, "invalid_field", "subdivision"),
    ({**VALID, "subdivision": "FR-ZZZ"}, None, 400, "invalid_field", "subdivision"),
    ({**VALID, "id": "not-a-uuid"}, None, 400, "invalid_field", "id"),
    ({**VALID, "platform": 3}, None, 400, "invalid_field", "platform"),
    ({**VALID, "colour": "red"}, None, 400, "invalid_field", "colour"),
    ([VALID], None, 400, "malformed_body", None),
    ("{not json", None, 400, "malformed_body", None),
    ('"just a string"', None, 400, "malformed_body", None),
    (b"\xff\xfe", None, 400, "malformed_body", None),
    ("platform=web", "application/x-www-form-urlencoded", 415, "unsupported_media_type", None),
    ({**VALID, "padding": "x" * 5000}, None, 413, "body_too_large", None),
]


@pytest.mark.parametrize(("body", "content_type", "status", "reason", "field"), BAD_INPUTS)
def test_bad_input_gets_a_problem_naming_the_field_and_stores_nothing(
    client, service, settle, body, content_type, status, reason, field
):
    headers = {"content_type": content_type} if content_type else {}
    response = post_report(client, "twitter", body, raw=isinstance(body, str | bytes), **headers)
    settle()

    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == f"urn:problem:{reason}"
    assert problem["status"] == status
    if field:
        assert field in [error["field"] for error in problem["errors"]]
    assert not Report.objects.exists()
    assert not MinuteBucket.objects.exists()


def test_an_unknown_service_is_a_404_problem(client, service, intake_buffer):
    response = post_report(client, "no-such-service", VALID)

    assert response.status_code == 404
    assert response.json()["type"] == "urn:problem:unknown_service"


def test_an_inactive_service_takes_no_reports(client):
    ServiceFactory(slug="retired", is_active=False)
    assert post_report(client, "retired", VALID).status_code == 404


def test_get_is_not_allowed(client, service):
    response = client.get("/api/v1/services/twitter/reports")
    assert response.status_code == 405
    assert response["Content-Type"] == "application/problem+json"


def test_every_rejection_is_counted_by_reason(client, service, intake_buffer):
    from prometheus_client import REGISTRY

    def rejected(reason):
        value = REGISTRY.get_sample_value("outages_intake_rejected_total", {"reason": reason})
        return value or 0

    before = {reason: rejected(reason) for reason in ("invalid_field", "unknown_service")}
    post_report(client, "twitter", {"platform": "fax"})
    post_report(client, "nope", VALID)
    post_report(client, "nope", VALID)

    assert rejected("invalid_field") - before["invalid_field"] == 1
    assert rejected("unknown_service") - before["unknown_service"] == 2
    metrics = client.get("/metrics").content.decode()
    assert 'outages_intake_rejected_total{reason="unknown_service"}' in metrics


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=8,
)
report_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.uuids().map(str) | st.text(max_size=40),
        "kind": st.sampled_from(["problem", "works", "", "PROBLEM"]) | json_values,
        "platform": st.sampled_from(["web", "ios", "x"]) | json_values,
        "problem": st.sampled_from(["login", "other", ""]) | json_values,
        "country": st.sampled_from(["FR", "us", "XX", ""]) | json_values,
        "subdivision": st.sampled_from(["FR-IDF", "US-CA", "x"]) | json_values,
    },
)


@hsettings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=report_like | json_values)
def test_fuzzed_json_bodies_never_get_a_500(client, service, settle, body):
    response = post_report(client, "twitter", body)
    settle()
    assert response.status_code in {202, 400, 409, 429}
    if response.status_code != 202:
        assert response["Content-Type"] == "application/problem+json"
    assert_buckets_match_raw_reports()


def test_the_database_buffer_forgets_its_keys_once_expired(client, service, database_buffer):
    from datetime import timedelta

    from django.utils import timezone

    from reports.intake.buffer import intake_keys_expire
    from reports.models import IntakeKey

    post_report(client, "twitter", VALID)
    assert IntakeKey.objects.count() == 3  # two rate windows and one dedupe key

    assert intake_keys_expire(now=timezone.now()) == 0
    assert intake_keys_expire(now=timezone.now() + timedelta(hours=2)) == 3


def _report(person, now):
    return report_intake(
        data=VALID, service_slug="twitter", source=Source.API, client=person, now=now
    )


def test_a_person_counts_again_once_the_dedupe_window_has_passed(service, database_buffer):
    person = Client(address="198.51.100.20", user_agent="phone")
    counted = [_report(person, MIDDAY + timedelta(minutes=m)).counted for m in (0, 5, 14, 16, 20)]
    assert counted == [True, False, False, True, False]


def test_a_window_open_at_midnight_still_holds_after_it(service, settle):
    """The fingerprint's salt changes at midnight UTC; a person's window must not."""
    person = Client(address="198.51.100.20", user_agent="phone")
    before, after = MIDNIGHT - timedelta(minutes=5), MIDNIGHT + timedelta(minutes=5)
    assert _fingerprint(person, before) != _fingerprint(person, after)

    assert [_report(person, before).counted, _report(person, after).counted] == [True, False]
    _report(Client(address="203.0.113.9", user_agent="phone"), after)  # someone else counts
    settle()
    assert bucket_total() == 2
    assert_buckets_match_raw_reports()


def test_after_midnight_the_window_still_ends_when_it_began(service, database_buffer):
    person = Client(address="198.51.100.20", user_agent="phone")
    counted = [_report(person, MIDNIGHT + timedelta(minutes=m)).counted for m in (-5, 5, 11, 12)]
    assert counted == [True, False, True, False]


def _fingerprint(person, now):
    return fingerprints_for(address=person.address, user_agent=person.user_agent, now=now).reporter
