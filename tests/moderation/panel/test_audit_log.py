"""The audit log in the admin: each target linked to its page, filters by actor, action and
date, the actions counted per moderator; API key actions are in it too."""

from __future__ import annotations

import pytest
from django.utils import timezone

from moderation.models import AuditEntry
from moderation.services import incident_confirm, incident_dismiss
from partners.services import apikey_create, apikey_revoke
from tests.factories import IncidentFactory
from tests.moderation.conftest import member

pytestmark = pytest.mark.django_db
LOG = "/admin/moderation/auditentry/"


def test_the_log_links_targets_filters_by_actor_and_counts_per_moderator(
    moderator, administrator_client
):
    other = member("ann", "Moderators")
    first, second = IncidentFactory(service__slug="a"), IncidentFactory(service__slug="b")
    incident_confirm(actor=moderator, incident=first)
    incident_dismiss(actor=moderator, incident=second, at=timezone.now())
    incident_confirm(actor=other, incident=second)

    page = administrator_client.get(LOG).content.decode()
    assert f'href="/moderation/incidents/{first.pk}/"' in page
    assert "Actions per moderator" in page
    assert '<a href="?actor=mod">mod</a></th><td>2</td>' in page
    assert '<a href="?actor=ann">ann</a></th><td>1</td>' in page

    only_ann = administrator_client.get(LOG + "?actor=ann").context["cl"].result_list
    assert [e.actor_name for e in only_ann] == ["ann"]
    dismissals = administrator_client.get(LOG + "?action=incident.dismiss").context["cl"]
    assert [e.action for e in dismissals.result_list] == ["incident.dismiss"]
    today = timezone.now().date().isoformat()
    dated = administrator_client.get(f"{LOG}?at__gte={today}").context["cl"].result_list
    assert len(dated) == 3


def test_making_and_revoking_an_api_key_is_audited_without_the_key(administrator):
    key, raw = apikey_create(name="Newsroom", contact_email="ops@news.example", actor=administrator)
    apikey_revoke(prefix=key.prefix, actor=administrator)
    apikey_revoke(prefix=key.prefix, actor=administrator)  # already revoked: no second entry

    entries = list(AuditEntry.objects.order_by("id"))
    assert [(e.action, e.actor_name) for e in entries] == [
        ("apikey.create", "boss"),
        ("apikey.revoke", "boss"),
    ]
    assert all(raw not in f"{e.before} {e.after} {e.target_repr}" for e in entries)
    assert entries[0].after["prefix"] == key.prefix
