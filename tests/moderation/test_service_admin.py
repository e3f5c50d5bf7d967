"""Administrators edit services in the admin (rename, aliases, category, logo, active flag);
each change is audited with the states before and after, and bad input changes nothing."""

from __future__ import annotations

import pytest

from moderation.models import AuditEntry, ServiceLogo
from outages.models import Service, ServiceAlias
from tests.factories import ServiceAliasFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def form(service: Service, **changes: str) -> dict[str, str]:
    data = {
        "slug": service.slug,
        "name": service.name,
        "category": service.category,
        "url": service.url,
        "is_active": "on",
        "aliases-TOTAL_FORMS": "1",
        "aliases-INITIAL_FORMS": "0",
        "aliases-0-alias": "",
        "logo-TOTAL_FORMS": "1",
        "logo-INITIAL_FORMS": "0",
        "logo-0-url": "",
    }
    data.update(changes)
    return data


def test_a_rename_with_an_alias_and_deactivation_is_audited(administrator_client):
    service = ServiceFactory(slug="twitter", name="Twitter", category="social")
    data = form(service, name="X", **{"aliases-0-alias": "  Twitter "})
    del data["is_active"]

    response = administrator_client.post(f"/admin/outages/service/{service.pk}/change/", data)

    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name, service.is_active) == ("X", False)
    assert list(ServiceAlias.objects.values_list("alias", flat=True)) == ["twitter"]
    entry = AuditEntry.objects.get()
    assert entry.action == "service.change"
    assert (entry.before["name"], entry.after["name"]) == ("Twitter", "X")
    assert (entry.before["is_active"], entry.after["is_active"]) == (True, False)
    assert entry.after["aliases"] == ["twitter"]


def test_a_logo_not_served_over_https_is_refused_and_changes_nothing(administrator_client):
    service = ServiceFactory(slug="twitter", name="Twitter")
    data = form(service, name="X", **{"logo-0-url": "http://example.com/x.png"})

    response = administrator_client.post(f"/admin/outages/service/{service.pk}/change/", data)

    assert response.status_code == 200
    assert "https" in str(response.context["inline_admin_formsets"][1].formset.errors)
    service.refresh_from_db()
    assert service.name == "Twitter"
    assert not ServiceLogo.objects.exists() and not AuditEntry.objects.exists()


def test_deleting_a_service_is_audited(administrator_client):
    service = ServiceFactory(slug="twitter", name="Twitter")
    response = administrator_client.post(
        f"/admin/outages/service/{service.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before["slug"], entry.after) == ("service.delete", "twitter", {})


def test_the_admin_names_aliases_in_plain_english(administrator_client):
    service = ServiceFactory(slug="x", name="X")
    ServiceAliasFactory(service=service, alias="twitter")
    pages = [
        administrator_client.get(f"/admin/outages/service/{service.pk}/change/"),
        administrator_client.get(f"/admin/outages/service/{service.pk}/delete/"),
    ]
    for page in pages:
        assert page.status_code == 200
        assert "aliass" not in page.content.decode().lower()
    assert "Aliases" in pages[0].content.decode()
