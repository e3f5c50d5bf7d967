"""Partner API keys: a higher, per-key rate; 401 for a bad key; only a hash is stored."""

from __future__ import annotations

import hashlib
import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from common.audit import AuditEntry
from common.throttles import HashedAnonThrottle
from partners.models import ApiKey
from partners.services import apikey_create, apikey_revoke
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"
# Not the status (anonymous status reads are answered from the edge cache, unthrottled).
URL = "/api/v1/services/twitter/breakdowns"


@pytest.fixture(autouse=True)
def _low_anonymous_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(HashedAnonThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    ServiceFactory(slug="twitter")


def _statuses(client, count: int, **headers: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [client.get(URL, headers=headers).status_code for _ in range(count)]


def test_a_key_gets_its_own_higher_limit_and_anonymous_callers_the_lower(client, midday):
    _, raw = apikey_create(name="Newsroom", contact_email="ops@news.example", rate="5/min")
    assert _statuses(client, 6, authorization=f"Bearer {raw}") == [200] * 5 + [429]
    # Anonymous requests are counted apart, at the anonymous rate.
    assert _statuses(client, 4) == [200] * 3 + [429]
    throttled = client.get(URL, headers={"authorization": f"Bearer {raw}"})
    assert throttled["Content-Type"] == PROBLEM
    assert throttled.json()["status"] == 429
    assert 0 < int(throttled["Retry-After"]) <= 61


def test_each_key_is_counted_on_its_own_and_x_api_key_works_too(client, midday):
    _, first = apikey_create(name="A", contact_email="a@example.com", rate="2/min")
    _, second = apikey_create(name="B", contact_email="b@example.com", rate="2/min")
    assert _statuses(client, 3, x_api_key=first) == [200, 200, 429]
    assert _statuses(client, 2, x_api_key=second) == [200, 200]


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"authorization": "Bearer odk_0000abcd_" + "x" * 43}, "Authorization"),
        ({"authorization": "Bearer not-a-key"}, "Authorization"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, "Authorization"),
        ({"x_api_key": "nope"}, "X-Api-Key"),
    ],
)
def test_an_unknown_or_malformed_key_is_a_401_naming_the_header(client, headers, named):
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert named in response.json()["detail"]


def test_a_revoked_key_is_a_401_at_once_never_anonymous(client):
    key, raw = apikey_create(name="Gone", contact_email="gone@example.com")
    assert client.get(URL, headers={"authorization": f"Bearer {raw}"}).status_code == 200
    apikey_revoke(prefix=key.prefix)
    response = client.get(URL, headers={"authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_only_a_hash_of_the_key_is_stored(client):
    key, raw = apikey_create(name="Hash", contact_email="h@example.com")
    assert re.fullmatch(r"odk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", raw)
    key.refresh_from_db()
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw.startswith(f"odk_{key.prefix}_")
    stored = [str(v) for v in ApiKey.objects.values_list().get()]
    secret = raw.split("_", 2)[2]  # token_urlsafe may itself hold "_"
    assert all(raw not in value and secret not in value for value in stored)


def test_last_used_is_written_at_most_once_a_minute(client, django_assert_num_queries):
    key, raw = apikey_create(name="Used", contact_email="u@example.com")
    assert key.last_used_at is None
    client.get(URL, headers={"authorization": f"Bearer {raw}"})
    key.refresh_from_db()
    first = key.last_used_at
    assert first is not None
    client.get(URL, headers={"authorization": f"Bearer {raw}"})
    key.refresh_from_db()
    assert key.last_used_at == first


def test_a_key_is_resolved_from_the_cache_after_its_first_request(client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, raw = apikey_create(name="Cached", contact_email="c@example.com")
    client.get(URL, headers={"authorization": f"Bearer {raw}"})
    with CaptureQueriesContext(connection) as queries:
        client.get(URL, headers={"authorization": f"Bearer {raw}"})
    assert not any("partners_apikey" in q["sql"] for q in queries.captured_queries)


def test_the_command_creates_a_key_printed_once_and_revokes_it_by_prefix_audited():
    out = StringIO()
    call_command(
        "apikey",
        "create",
        "--name",
        "Status page",
        "--email",
        "s@example.com",
        "--rate",
        "100/min",
        stdout=out,
        stderr=StringIO(),
    )
    raw = out.getvalue().splitlines()[1]
    key = ApiKey.objects.get()
    assert (key.name, key.rate) == ("Status page", "100/min")
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    call_command("apikey", "revoke", key.prefix, stdout=StringIO())
    key.refresh_from_db()
    assert key.revoked_at is not None
    entries = AuditEntry.objects.order_by("id").values_list("actor_id", "actor_name", "action")
    assert list(entries) == [
        (None, "command line", "apikey.create"),
        (None, "command line", "apikey.revoke"),
    ]


@pytest.mark.parametrize(
    "args",
    [
        ["create", "--name", "X", "--email", "not-an-email"],
        ["create", "--name", "X", "--email", "x@example.com", "--rate", "lots"],
        ["revoke", "deadbeef"],
    ],
)
def test_the_command_refuses_bad_input_and_changes_nothing(args):
    with pytest.raises(CommandError):
        call_command("apikey", *args, stdout=StringIO(), stderr=StringIO())
    assert not ApiKey.objects.exists()


def test_the_admin_shows_a_new_key_exactly_once(admin_client):
    response = admin_client.post(
        reverse("admin:partners_apikey_add"),
        {"name": "Wire", "contact_email": "w@example.com", "rate": "6000/hour"},
        follow=True,
    )
    shown = re.findall(r"odk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", response.content.decode())
    assert len(set(shown)) == 1
    key = ApiKey.objects.get()
    assert key.key_hash == hashlib.sha256(shown[0].encode()).hexdigest()
    page = admin_client.get(reverse("admin:partners_apikey_change", args=[key.pk]))
    assert shown[0] not in page.content.decode()


def test_the_schema_documents_both_headers(client):
    schema = client.get("/api/schema/", headers={"accept": "application/json"}).json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["PartnerBearer"] == {
        **schemes["PartnerBearer"],
        "type": "http",
        "scheme": "bearer",
    }
    assert schemes["PartnerApiKey"]["name"] == "X-Api-Key"
    status = schema["paths"]["/api/v1/services/{slug}"]["get"]
    assert "security" not in status  # a key is optional: no lock in the docs
    assert "`X-Api-Key`" in status["description"]


def test_a_key_is_checked_even_where_anonymous_reads_come_from_the_edge_cache(client):
    status = "/api/v1/services/twitter"
    _, raw = apikey_create(name="Newsroom", contact_email="ops@news.example", rate="5/min")
    assert [client.get(status).status_code for _ in range(5)] == [200] * 5  # cached, unthrottled
    apikey_revoke(prefix=raw.split("_")[1])
    assert client.get(status, headers={"authorization": f"Bearer {raw}"}).status_code == 401
