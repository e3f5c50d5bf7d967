"""The audit log in the admin: each target by name and linked to its page (and its public
page), filters by actor, action and date, the actions counted per moderator; API key actions
and the roles granted from the command line are in it too; the moderation home's latest
actions read the same."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.management import call_command
from django.utils import timezone

from comments.services import comments_moderate
from moderation.models import AuditEntry
from moderation.panel.audit_targets import audit_targets
from moderation.roles import MODERATORS
from moderation.services import incident_confirm, incident_dismiss
from outages.detection.timebuckets import MINUTE, floor_to_minute
from partners.services import apikey_create, apikey_revoke
from reports.bursts.services import burst_void
from reports.services import report_store_batch
from tests.comments.helpers import make_comment
from tests.factories import IncidentFactory, ServiceFactory, report_row
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


def test_targets_read_as_names_with_their_pages_not_as_ids(
    moderator, administrator_client, django_assert_num_queries
):
    twitter = ServiceFactory(slug="twitter", name="Twitter")
    comment = make_comment(twitter)
    comments_moderate(actor=moderator, ids=[comment.pk], action="approve", now=timezone.now())
    start = floor_to_minute(timezone.now()) - 30 * MINUTE
    report_store_batch(
        rows=[report_row(service_id=twitter.id, network="3fa2b1c0" + "e" * 24, received_at=start)]
    )
    void = burst_void(
        service=twitter,
        kind="network",
        key="3fa2b1c0" + "e" * 24,
        start=start,
        end=start + 5 * MINUTE,
        actor=moderator,
    )
    incident = IncidentFactory(service=twitter)
    incident_confirm(actor=moderator, incident=incident)
    key, _ = apikey_create(name="Newsroom", contact_email="ops@news.example", actor=moderator)

    entries = list(AuditEntry.objects.all())
    with django_assert_num_queries(4):  # one per kind: comment, burst, incident, API key
        audit_targets(entries)

    page = administrator_client.get(LOG).content.decode()
    assert f"Comment #{comment.pk} on Twitter" in page
    assert f'href="/admin/comments/comment/{comment.pk}/change/"' in page
    assert f'href="/s/twitter/#comment-{comment.pk}">public page' in page
    window = f"{start:%Y-%m-%d %H:%M}-{start + 5 * MINUTE:%H:%M} UTC"
    assert f"One network 3fa2b1c0 on Twitter, {window}" in page
    assert f"/moderation/bursts/burst?service={twitter.pk}&amp;kind=network" in page
    assert f"Incident #{incident.pk}: Twitter since" in page
    assert f'href="/incidents/{incident.pk}/">public page' in page
    assert f"API key Newsroom ({key.prefix})" in page
    assert "on service #" not in page

    home = administrator_client.get("/moderation/").content.decode()
    assert f"One network 3fa2b1c0 on Twitter, {window}" in home
    assert f'href="/admin/comments/comment/{comment.pk}/change/"' in home
    assert void.size == 1


def test_a_deleted_target_keeps_the_label_it_was_recorded_with(moderator, administrator_client):
    incident = IncidentFactory(service__name="Steam")
    incident_confirm(actor=moderator, incident=incident)
    recorded = AuditEntry.objects.get().target_repr
    incident.delete()

    page = administrator_client.get(LOG).content.decode()
    assert recorded in page and f"/moderation/incidents/{incident.pk}/" not in page


def test_changing_a_keys_rate_in_the_admin_is_audited(administrator, administrator_client):
    key, _ = apikey_create(name="Newsroom", contact_email="ops@news.example", actor=administrator)
    response = administrator_client.post(
        f"/admin/partners/apikey/{key.pk}/change/",
        {"name": "Newsroom", "contact_email": "sre@news.example", "rate": "100/min"},
    )
    assert response.status_code == 302

    entry = AuditEntry.objects.get(action="apikey.change")
    assert (entry.actor_name, entry.before["rate"], entry.after["rate"]) == (
        "boss",
        "6000/hour",
        "100/min",
    )
    assert entry.after["contact_changed"] is True
    assert "news.example" not in f"{entry.before} {entry.after} {entry.target_repr}"


def test_command_line_actions_read_as_command_line_with_the_account_by_name_and_linked(
    administrator_client, django_assert_num_queries
):
    alice = User.objects.create_user("alice")
    gone = User.objects.create_user("gone")
    call_command("roles", "grant", "alice", "moderator", stdout=StringIO())
    call_command("roles", "totp-add", "gone", stdout=StringIO())
    moderators = Group.objects.get(name=MODERATORS)
    moderators.permissions.add(Permission.objects.get(codename="delete_service"))
    call_command("roles", "sync", stdout=StringIO())
    User.objects.filter(pk=alice.pk).update(username="alice.w")  # renamed since
    gone.delete()

    entries = list(AuditEntry.objects.all())
    with django_assert_num_queries(2):  # one per kind: accounts, groups
        targets = audit_targets(entries)

    assert {(t.label, t.url) for t in targets.values()} == {
        ("alice.w", f"/admin/auth/user/{alice.pk}/change/"),
        ("gone", None),  # deleted since: the name it was recorded with, no page
        (MODERATORS, f"/admin/auth/group/{moderators.pk}/change/"),
    }
    page = administrator_client.get(LOG).content.decode()
    assert f'<a href="/admin/auth/user/{alice.pk}/change/">alice.w</a>' in page
    assert '<a href="?actor=command%20line">command line</a></th><td>3</td>' in page
    home = administrator_client.get("/moderation/").content.decode()
    assert "command line</a> · account.grant_moderator" in home
    assert f'<a href="/admin/auth/user/{alice.pk}/change/">alice.w</a>' in home
