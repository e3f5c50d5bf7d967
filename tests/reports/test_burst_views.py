"""The moderators' burst list: who may see it and act, a bounded number of queries however many
bursts it lists, void / undo through its CSRF-protected forms, and the burst page's chart."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from moderation.models import AuditEntry
from moderation.panel.bursts import Criteria, burst_figure
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import Service
from reports.models import BurstVoid, Report
from reports.services import report_store_batch
from tests.factories import ServiceFactory, report_row
from tests.reports.helpers import bucket_total

pytestmark = pytest.mark.django_db


def user(name: str, *, allowed: bool):  # type: ignore[no-untyped-def]
    account = get_user_model().objects.create_user(name, password="x", is_staff=True)
    if allowed:
        account.user_permissions.add(Permission.objects.get(codename="void_burst"))
    return account


@pytest.fixture
def moderator_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user("mod", allowed=True))
    return client


def brigades(count: int) -> None:
    """`count` services, each with organic reports and one network's burst."""
    start = floor_to_minute(timezone.now()) - timedelta(hours=2)
    rows = []
    for n in range(count):
        service = ServiceFactory(slug=f"svc-{n}")
        rows += [
            report_row(service_id=service.id, received_at=start + i * MINUTE) for i in range(100)
        ]
        rows += [
            report_row(
                service_id=service.id,
                network=f"{n:032x}",
                received_at=start + (50 + i % 10) * MINUTE,
            )
            for i in range(40)
        ]
    report_store_batch(rows=rows)


def csrf_of(client: Client) -> str:
    """The moderator's CSRF token, from the first listed burst's page (its void form)."""
    listed = client.get("/moderation/bursts/").content.decode()
    detail = listed.split('<a href="/moderation/bursts/burst?')[1].split('"')[0]
    page = client.get("/moderation/bursts/burst?" + detail.replace("&amp;", "&")).content.decode()
    return page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]


def test_anonymous_visitors_are_sent_to_log_in_and_others_refused(client):
    for url, method in (
        ("/moderation/bursts/", "get"),
        ("/moderation/bursts/void", "post"),
        ("/moderation/bursts/1/undo", "post"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")
        client.force_login(user(f"reader-{method}-{len(url)}", allowed=False))
        assert getattr(client, method)(url).status_code == 403
        client.logout()


def test_the_list_shows_each_burst_with_size_and_share_in_bounded_queries(
    moderator_client, django_assert_max_num_queries
):
    brigades(2)
    with django_assert_max_num_queries(8):
        small = moderator_client.get("/moderation/bursts/")
    brigades_more = 12
    brigades(brigades_more)  # svc-0 and svc-1 get more reports; ten more services
    with django_assert_max_num_queries(8):
        large = moderator_client.get("/moderation/bursts/")
    assert small.status_code == large.status_code == 200
    page = large.content.decode()
    assert page.count("kind=network") >= brigades_more
    assert "Svc 5" in page and "40 / " in page


def test_a_moderator_voids_and_undoes_a_burst_through_the_forms(moderator_client):
    brigades(1)
    total = bucket_total()
    token = csrf_of(moderator_client)
    listed = moderator_client.get("/moderation/bursts/").content.decode()
    detail = listed.split('<a href="/moderation/bursts/burst?')[1].split('"')[0]
    page = moderator_client.get("/moderation/bursts/burst?" + detail.replace("&amp;", "&"))
    assert page.status_code == 200
    form = page.content.decode().split('action="/moderation/bursts/void"')[1].split("</form>")[0]
    fields = {
        name: form.split(f'name="{name}" value="')[1].split('"')[0]
        for name in ("service", "kind", "key", "start", "end")
    }
    assert "40 of the " in page.content.decode()  # the preview: what a void takes out
    assert not BurstVoid.objects.exists() and bucket_total() == total  # rolled back
    assert moderator_client.post("/moderation/bursts/void", fields).status_code == 403  # no CSRF
    response = moderator_client.post(
        "/moderation/bursts/void", {**fields, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    void = BurstVoid.objects.get()
    assert void.size == 40
    assert bucket_total() == total - 40
    assert not AuditEntry.objects.exclude(action="burst.void").exists()
    listed = moderator_client.get("/moderation/bursts/").content.decode()
    assert f'action="/moderation/bursts/{void.pk}/undo"' in listed
    response = moderator_client.post(
        f"/moderation/bursts/{void.pk}/undo", {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert bucket_total() == total
    assert not Report.objects.filter(void__isnull=False).exists()
    assert list(AuditEntry.objects.order_by("id").values_list("action", flat=True)) == [
        "burst.void",
        "burst.undo",
    ]


def test_bad_void_input_is_refused_naming_the_field_and_changes_nothing(moderator_client):
    brigades(1)
    token = csrf_of(moderator_client)
    total = bucket_total()
    response = moderator_client.post(
        "/moderation/bursts/void",
        {
            "csrfmiddlewaretoken": token,
            "service": ServiceFactory().pk,
            "kind": "network",
            "key": "x",
            "start": "2026-11-18T10:00:00+00:00",
            "end": "yesterday",
        },
        follow=True,
    )
    assert "end" in response.content.decode()
    assert "Not voided" in response.content.decode()
    assert bucket_total() == total
    assert not BurstVoid.objects.exists()


def test_an_empty_period_lists_nothing(moderator_client):
    ServiceFactory()
    page = moderator_client.get("/moderation/bursts/?hours=6").content.decode()
    assert "No suspicious burst in this period." in page


def test_the_list_names_each_key_and_keeps_a_voided_burst_in_its_place(moderator_client):
    brigades(3)
    token = csrf_of(moderator_client)

    def listed() -> tuple[str, list[str]]:
        page = moderator_client.get("/moderation/bursts/").content.decode()
        rows = page.split("<tbody>")[1].split("</tbody>")[0].split("<tr")[1:]
        return page, [row.split('href="/s/')[1].split("/")[0] for row in rows]

    page, before = listed()
    assert len(before) == 3
    assert "One network 00000000</a>" in page  # the kind and the key's first 8 characters
    row = page.split(f'href="/s/{before[1]}/"')[1]
    query = row.split('<a href="/moderation/bursts/burst?')[1].split('"')[0].replace("&amp;", "&")
    form = moderator_client.get("/moderation/bursts/burst?" + query).content.decode()
    form = form.split('action="/moderation/bursts/void"')[1].split("</form>")[0]
    fields = {
        name: form.split(f'name="{name}" value="')[1].split('"')[0]
        for name in ("service", "kind", "key", "start", "end")
    }
    moderator_client.post("/moderation/bursts/void", {**fields, "csrfmiddlewaretoken": token})

    assert BurstVoid.objects.get().service.slug == before[1]
    page, after = listed()
    assert after == before  # the voided burst keeps its row, now with its undo
    assert page.count('action="/moderation/bursts/') == 1


def test_the_burst_chart_puts_its_legend_above_the_plot_clear_of_the_date_label():
    start = floor_to_minute(timezone.now()) - timedelta(hours=1)
    criteria = Criteria(Service(name="Steam"), "network", "b" * 32, start, start + 10 * MINUTE)

    layout = burst_figure(criteria, Counter({start: 5}), Counter({start: 1}))["layout"]

    legend = layout["legend"]
    assert legend["orientation"] == "h"
    assert legend["y"] >= 1 and legend["yanchor"] == "bottom"  # above the plot area
    assert layout["margin"]["t"] >= 40  # with room for it
    assert layout["xaxis"]["automargin"]  # the date line under the times gets its room
