"""Moderators confirm or dismiss an incident and write its public note, from the admin or the
focused page; each action is audited in its transaction, and a dismissal retracts the incident
with a retraction event for alert delivery."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from moderation.models import AuditEntry
from moderation.services import (
    incident_confirm,
    incident_dismiss,
    incident_note_set,
    incident_publish,
    incident_verdict_undo,
)
from outages.models import Incident, IncidentEvent
from reports.bursts.services import burst_void
from reports.services import report_store_batch
from tests.factories import IncidentEventFactory, IncidentFactory, report_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    incident = IncidentFactory(service__slug="twitter", service__name="Twitter")
    IncidentEventFactory(key=f"incident:{incident.pk}:open", incident=incident)
    return incident


def test_dismissal_retracts_records_the_event_and_the_audit(moderator, announced):
    incident_dismiss(actor=moderator, incident=announced, at=timezone.now())

    announced.refresh_from_db()
    assert announced.review == Incident.Review.DISMISSED
    assert announced.visibility == Incident.Visibility.RETRACTED
    assert IncidentEvent.objects.filter(incident=announced, kind="retract").count() == 1
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action) == ("mod", "incident.dismiss")
    assert entry.before["visibility"] == "public"
    assert entry.after == {"review": "dismissed", "visibility": "retracted", "public_note": ""}


def test_confirming_a_dismissed_incident_publishes_it_again(moderator, announced):
    incident_dismiss(actor=moderator, incident=announced, at=timezone.now())
    incident_confirm(actor=moderator, incident=announced)

    announced.refresh_from_db()
    assert (announced.review, announced.visibility) == ("confirmed", "public")
    assert announced.retracted_at is None
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["incident.dismiss", "incident.confirm"]


def test_a_too_long_note_is_refused_and_changes_nothing(moderator, announced):
    with pytest.raises(ValidationError) as error:
        incident_note_set(actor=moderator, incident=announced, note="x" * 2001)

    assert "public_note" in error.value.message_dict
    announced.refresh_from_db()
    assert announced.public_note == ""
    assert not AuditEntry.objects.exists()


def test_the_public_note_shows_on_the_service_and_incident_pages(client, moderator, announced):
    incident_note_set(actor=moderator, incident=announced, note="Login <b>fixed</b> at 02:10.")
    incident_confirm(actor=moderator, incident=announced)

    for path in ("/s/twitter/", f"/incidents/{announced.pk}/"):
        page = client.get(path).content.decode()
        assert "Login &lt;b&gt;fixed&lt;/b&gt; at 02:10." in page, path
        assert "Confirmed by our moderators." in page, path


def test_a_dismissed_incident_leaves_the_lists_and_its_page_explains_why(
    client, moderator, announced
):
    incident_note_set(actor=moderator, incident=announced, note="A prank from one office.")
    incident_dismiss(actor=moderator, incident=announced, at=timezone.now())

    assert f"/incidents/{announced.pk}/" not in client.get("/s/twitter/").content.decode()
    response = client.get(f"/incidents/{announced.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "dismissed: they were not a real outage" in page
    assert "A prank from one office." in page
    assert 'href="/static/outages/site.css"' in page  # the site's own look


def test_a_suspicious_incident_is_published_explicitly_and_announced(
    moderator, client, django_capture_on_commit_callbacks
):
    incident = IncidentFactory(service__slug="steam", visibility="suspicious")
    assert client.get(f"/incidents/{incident.pk}/").status_code == 404

    with django_capture_on_commit_callbacks(execute=True):  # the stored 404 is dropped on commit
        incident_publish(actor=moderator, incident=incident, at=timezone.now())

    incident.refresh_from_db()
    assert (incident.visibility, incident.review) == ("public", "confirmed")
    assert client.get(f"/incidents/{incident.pk}/").status_code == 200
    assert IncidentEvent.objects.filter(incident=incident, kind="open").count() == 1
    with pytest.raises(ValidationError):
        incident_publish(actor=moderator, incident=incident, at=timezone.now())


@pytest.mark.parametrize(
    ("verdict", "after"),
    [("confirm", ("confirmed", "public")), ("dismiss", ("dismissed", "retracted"))],
)
def test_a_confirm_or_a_dismissal_can_be_taken_back(moderator, announced, verdict, after):
    act = {
        "confirm": lambda: incident_confirm(actor=moderator, incident=announced),
        "dismiss": lambda: incident_dismiss(actor=moderator, incident=announced, at=timezone.now()),
    }[verdict]
    act()
    announced.refresh_from_db()
    assert (announced.review, announced.visibility) == after

    incident_verdict_undo(actor=moderator, incident=announced, at=timezone.now())

    announced.refresh_from_db()
    assert (announced.review, announced.visibility) == ("unreviewed", "public")
    entry = AuditEntry.objects.get(action="incident.undo")
    assert entry.before["review"] == after[0] and entry.after["undid"] == f"incident.{verdict}"
    with pytest.raises(ValidationError):  # one verdict, one undo
        incident_verdict_undo(actor=moderator, incident=announced, at=timezone.now())


def test_undoing_a_publication_hides_the_incident_again(moderator):
    incident = IncidentFactory(service__slug="steam", visibility="suspicious")
    incident_publish(actor=moderator, incident=incident, at=timezone.now())

    incident_verdict_undo(actor=moderator, incident=incident, at=timezone.now())

    incident.refresh_from_db()
    assert (incident.visibility, incident.review) == ("suspicious", "unreviewed")
    assert IncidentEvent.objects.filter(incident=incident, kind="retract").count() == 1


def test_the_review_page_says_why_an_incident_is_suspicious_and_offers_publish(
    moderator_client,
):
    diversity = {
        "reports": 40,
        "reporters": 3,
        "networks": 1,
        "top_network_share": 0.9,
        "top_origin_share": 0.0,
    }
    incident = IncidentFactory(service__slug="steam", visibility="suspicious", diversity=diversity)
    page = moderator_client.get(f"/moderation/incidents/{incident.pk}/").content.decode()

    assert "Why it is suspicious" in page and "Different reporters: 3" in page
    assert 'value="publish"' in page and 'value="confirm"' not in page
    assert 'data-figure="spike-figure"' in page

    response = moderator_client.post(
        f"/moderation/incidents/{incident.pk}/", {"action": "publish"}, follow=True
    )
    assert response.content.decode().count(f"Incident {incident.pk} published.") == 1


def test_the_focused_page_saves_the_note_and_the_verdict_together(moderator_client, announced):
    url = f"/moderation/incidents/{announced.pk}/"
    assert moderator_client.get(url).status_code == 200

    response = moderator_client.post(url, {"action": "dismiss", "public_note": "A prank."})

    assert response.status_code == 302
    announced.refresh_from_db()
    assert (announced.review, announced.public_note) == ("dismissed", "A prank.")
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert actions == {"incident.note", "incident.dismiss"}
    assert "incident.dismiss" in moderator_client.get(url).content.decode()


def test_the_focused_page_refuses_bad_input_and_changes_nothing(moderator_client, announced):
    url = f"/moderation/incidents/{announced.pk}/"
    for data in ({"action": "explode"}, {"action": "note", "public_note": "x" * 2001}):
        response = moderator_client.post(url, data)
        assert response.status_code == 400
    announced.refresh_from_db()
    assert (announced.review, announced.public_note) == ("unreviewed", "")
    assert not AuditEntry.objects.exists()


def test_the_queue_lists_unreviewed_incidents_only(moderator_client, moderator, announced):
    other = IncidentFactory(service__slug="github")
    incident_confirm(actor=moderator, incident=other)

    page = moderator_client.get("/moderation/incidents/").content.decode()

    assert f"/moderation/incidents/{announced.pk}/" in page
    assert f"/moderation/incidents/{other.pk}/" not in page


def test_admin_actions_and_note_edit_are_audited(moderator_client, announced):
    changelist = "/admin/outages/incident/"
    response = moderator_client.post(
        changelist, {"action": "confirm_action", "_selected_action": [announced.pk]}
    )
    assert response.status_code == 302
    response = moderator_client.post(
        f"/admin/outages/incident/{announced.pk}/change/", {"public_note": "Upstream DNS."}
    )
    assert response.status_code == 302

    announced.refresh_from_db()
    assert (announced.review, announced.public_note) == ("confirmed", "Upstream DNS.")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["incident.confirm", "incident.note"]


def test_the_admin_refuses_a_too_long_note_with_the_field_named(moderator_client, announced):
    response = moderator_client.post(
        f"/admin/outages/incident/{announced.pk}/change/", {"public_note": "x" * 2001}
    )
    assert response.status_code == 200  # the form again, with the error
    assert response.context["adminform"].form.errors["public_note"]
    announced.refresh_from_db()
    assert announced.public_note == ""
    assert not AuditEntry.objects.exists()


def test_an_administrator_deleting_an_incident_is_audited(administrator_client, announced):
    response = administrator_client.post(
        f"/admin/outages/incident/{announced.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Incident.objects.filter(pk=announced.pk).exists()
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.before["service"]) == ("incident.delete", "twitter")


def test_the_review_page_links_the_bursts_voided_in_the_incident(moderator_client, moderator):
    incident = IncidentFactory(service__slug="steam", service__name="Steam")
    start = incident.started_at + timedelta(minutes=5)
    report_store_batch(
        rows=[
            report_row(
                service_id=incident.service_id, network="c0ffee00" + "1" * 24, received_at=start
            )
        ]
    )
    burst_void(
        service=incident.service,
        kind="network",
        key="c0ffee00" + "1" * 24,
        start=start,
        end=start + timedelta(minutes=5),
        actor=moderator,
    )
    page = moderator_client.get(f"/moderation/incidents/{incident.pk}/").content.decode()

    assert ">One network c0ffee00</a>" in page
    assert f'href="/moderation/bursts/burst?service={incident.service_id}&amp;kind=network' in page
