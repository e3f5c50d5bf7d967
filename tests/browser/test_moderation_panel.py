"""A moderator's busy night in a real browser: the first sign-in with the password, enrolling
an authenticator app by QR code, signing in again with a code, the counts on the home (and the
notice when new items arrive), thirty comments approved with select-all, a personal-data
comment redacted, a burst voided from its preview and restored, a suspicious incident
published, another dismissed and restored; each checked on the public pages (the service's
24-hour count and the incident's figures after the void and after the undo, the dismissed
incident's page with its note). Screenshots of each moderation page, 1280 and 360 pixels
wide, go to var/artifacts/ui/.

Over 300 lines: the night is one story told in order, with the few helpers its pages share."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from comments.models import Comment
from moderation.models import AuditEntry
from moderation.roles import MODERATORS, roles_sync
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import Incident
from outages.services.incidents import incident_refresh
from outages.services.status import statuses_rebuild
from reports.models import Report
from reports.services import report_store_batch
from tests.comments.helpers import make_comment
from tests.factories import IncidentFactory, ServiceFactory, report_row

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var/artifacts/ui"))
PASSWORD = "pw-for-tests"


def code_of(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The app's code now, or the next one (a code is accepted once: the app's next code, in
    the device's tolerance, signs in again without waiting half a minute)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def sign_in(page: Page, code: str = "") -> None:
    page.get_by_label("Username").fill("mod")
    page.get_by_label("Password").fill(PASSWORD)
    if code:
        page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("button", name="Log in").click()


def shoot(page: Page, name: str) -> None:
    """The page at a desktop's width and at a small phone's, once its charts are drawn, each
    redrawn at the new width before the shot (as Plotly's own resize handler would, later);
    at neither does it scroll sideways."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    charts = "[...document.querySelectorAll('.chart[data-figure]')]"
    for width, suffix in ((1280, ""), (360, "-360")):
        page.set_viewport_size({"width": width, "height": 740})
        page.wait_for_function(f"() => {charts}.every(chart => chart.querySelector('.main-svg'))")
        page.evaluate(
            f"() => Promise.all({charts}.map(chart => window.Plotly.Plots.resize(chart)))"
        )
        page.screenshot(path=ARTIFACTS / f"moderation-{name}{suffix}.png", full_page=True)
        root = "document.documentElement"
        sideways = f"() => {root}.scrollWidth - {root}.clientWidth"
        assert page.evaluate(sideways) <= 0, (name, width)
    page.set_viewport_size({"width": 1280, "height": 720})


def assert_legend_clear_of_the_time_axis(page: Page, chart: str) -> None:
    """The legend overlaps none of the time axis's drawn labels (the date line under the times
    included), and each is drawn inside the chart, at a desktop's width and a phone's."""
    for width in (1280, 360):
        page.set_viewport_size({"width": width, "height": 740})
        page.evaluate(f"() => window.Plotly.Plots.resize(document.querySelector('{chart}'))")
        legend = page.locator(f"{chart} .legend").bounding_box()
        drawn = page.locator(f"{chart} .main-svg").first.bounding_box()
        # Plotly hides ("hide past div") a label that would run off the chart's edge; whether
        # one does depends on the minute the test runs, so only the drawn labels are checked.
        labels = [label.bounding_box() for label in page.locator(f"{chart} .xtick text").all()]
        labels = [label for label in labels if label]
        assert legend and drawn and labels
        for label in labels:
            top, bottom = label["y"], label["y"] + label["height"]  # type: ignore[index]
            assert legend["y"] + legend["height"] <= top or bottom <= legend["y"], (width, label)
            assert bottom <= drawn["y"] + drawn["height"], (width, label)
    page.set_viewport_size({"width": 1280, "height": 720})


def day_count(reader: Page, slug: str) -> str:
    reader.goto(f"/s/{slug}/")
    return reader.locator("strong[data-count=day]").first.inner_text()


def incident_reports(reader: Page, pk: int) -> str:
    reader.goto(f"/incidents/{pk}/")
    return (
        reader.locator("dt", has_text="Reports")
        .locator("xpath=following-sibling::dd[1]")
        .inner_text()
    )


@pytest.fixture
def night():
    roles_sync()
    moderator = User.objects.create_user("mod", password=PASSWORD, is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATORS))
    twitter = ServiceFactory(slug="twitter", name="Twitter")
    for n in range(30):
        make_comment(twitter, text=f"Timeline will not load here ({n})", name=f"Reader {n}")
    private = make_comment(twitter, state="approved", text="Call Bob on 555-0100 for help")
    IncidentFactory(service=twitter, visibility="suspicious")
    return twitter, private


def test_a_moderator_enrols_sees_the_counts_approves_thirty_and_redacts(open_tab, night):
    twitter, private = night
    reader = open_tab(java_script_enabled=False).page
    tab = open_tab()
    page = tab.page

    # A reader flags the comment with a telephone number: hidden at once.
    reader.goto("/s/twitter/")
    reader.locator("#comments summary", has_text="Flag").click()
    reader.locator("#comments select[name=reason]").select_option("personal_data")
    reader.get_by_role("button", name="Flag this comment").click()
    expect(reader.get_by_text("Thank you: a moderator will look at this comment.")).to_be_visible()
    expect(reader.get_by_text("555-0100")).to_have_count(0)

    # First sign-in: the password alone, then the app enrolled by QR code.
    page.goto("/moderation/")
    expect(page.get_by_text("Code from your authenticator app")).to_be_visible()
    shoot(page, "login")
    sign_in(page)
    page.get_by_role("link", name="Enrol an authenticator app").click()
    expect(page.locator(".totp-qr svg")).to_be_visible()
    shoot(page, "two-factor")
    device = TOTPDevice.objects.get(user__username="mod")
    page.get_by_label("Code from the app").fill(code_of(device))
    page.get_by_role("button", name="Enrol").click()
    expect(page.get_by_text("Your authenticator app is enrolled.")).to_be_visible()

    # Signed out, the next sign-in needs the code.
    page.goto("about:blank")
    page.context.clear_cookies()
    page.goto("/moderation/")
    sign_in(page)
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    device.refresh_from_db()
    sign_in(page, code_of(device, steps_ahead=1))

    # The home counts what waits, and says when more arrives.
    expect(page.locator("strong[data-count=comments_to_review]")).to_have_text("31")
    expect(page.locator("strong[data-count=personal_data_flags]")).to_have_text("1")
    expect(page.locator("strong[data-count=incidents_suspicious]")).to_have_text("1")
    expect(page.locator("nav[data-polled]")).to_have_count(1)
    expect(page.locator(".moderation-menu [data-count=comments_to_review]")).to_have_text("31")
    shoot(page, "home")
    make_comment(twitter, text="Still down here")
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    expect(page.locator("#new-items")).to_contain_text("+1 comments to review")
    expect(page.locator("strong[data-count=comments_to_review]")).to_have_text("32")

    # Thirty comments approved in three actions: filter, select all, approve.
    page.goto("/moderation/comments/?q=Timeline")
    expect(page.locator("tr[data-comment]")).to_have_count(30)
    shoot(page, "comment-queue")
    page.get_by_label("Select every comment on this page").check()  # 1
    page.get_by_role("button", name="Approve").click()  # 2
    expect(page.get_by_text("30 comments approved.")).to_be_visible()
    assert Comment.objects.filter(state="approved", text__startswith="Timeline").count() == 30
    expect(page.get_by_role("button", name="Undo the last action (30 comments)")).to_be_visible()

    # The personal-data comment: found by its flag, redacted and published again.
    page.goto("/moderation/comments/?reason=personal_data")
    expect(page.locator("tr[data-comment]")).to_have_count(1)
    page.get_by_role("link", name="Redact part").click()
    page.get_by_label("Words to hide").fill("Bob on 555-0100")
    shoot(page, "redact")
    page.get_by_role("button", name="Redact").click()
    expect(page.get_by_text(f"Comment {private.pk} redacted.")).to_be_visible()

    # The other moderation pages wear the same menu.
    for url, name in (
        ("/moderation/bursts/", "bursts"),
        ("/moderation/incidents/", "incidents"),
        ("/admin/", "admin-index"),
    ):
        page.goto(url)
        shoot(page, name)
    expect(page.get_by_text("Waiting for a moderator")).to_be_visible()

    # On the public page: thirty approved comments, the redacted one without the number.
    reader.goto("/s/twitter/")
    expect(reader.locator("#comments article.comment")).to_have_count(31)
    expect(reader.get_by_text("Call […] for help")).to_be_visible()
    expect(reader.get_by_text("555-0100")).to_have_count(0)
    assert AuditEntry.objects.filter(action="comment.approve").count() == 30
    assert AuditEntry.objects.filter(action="comment.redact").count() == 1
    assert tab.offsite == [] and tab.errors == []


def brigade(service) -> Incident:  # type: ignore[no-untyped-def]
    """Two hours of ordinary reports, and 40 from one network within ten minutes, in a public
    incident with its figures as the detection pass leaves them (52 reports)."""
    start = floor_to_minute(timezone.now()) - timedelta(hours=2)
    rows = [report_row(service_id=service.id, received_at=start + i * MINUTE) for i in range(100)]
    rows += [
        report_row(
            service_id=service.id, network="b" * 32, received_at=start + (50 + i % 10) * MINUTE
        )
        for i in range(40)
    ]
    report_store_batch(rows=rows)
    incident = IncidentFactory(
        service=service,
        status="closed",
        started_at=start + 50 * MINUTE,
        peak_at=start + 55 * MINUTE,
        ended_at=start + 61 * MINUTE,
    )
    with transaction.atomic():
        incident_refresh(
            incident=incident, figures=None, shares={}, now=timezone.now(), diversity=None
        )
    statuses_rebuild(now=timezone.now(), service_ids=[service.id])
    return incident


def test_a_moderator_voids_and_restores_a_burst_publishes_dismisses_and_restores(open_tab, night):
    twitter, _ = night
    steam = ServiceFactory(slug="steam", name="Steam")
    flooded = brigade(steam)
    suspicious = Incident.objects.get(visibility="suspicious")
    real = IncidentFactory(service=steam)
    reader = open_tab(java_script_enabled=False).page
    tab = open_tab()
    page = tab.page
    assert day_count(reader, "steam") == "140"
    assert incident_reports(reader, flooded.pk).startswith("52 ")
    page.goto("/moderation/bursts/")
    sign_in(page)
    shoot(page, "burst-list")

    # A burst: looked at, voided with a reason, then the void undone from the same page.
    page.get_by_role("link", name="Look and void").click()
    expect(page.locator(".void-preview")).to_contain_text("40 of the 50 counted reports")
    cells = page.locator(".void-incidents tbody tr td")
    expect(cells).to_have_text([str(flooded), "52", "12", "Stays, with lower figures"])
    expect(page.locator("#burst-chart .main-svg").first).to_be_visible()
    assert_legend_clear_of_the_time_axis(page, "#burst-chart")
    shoot(page, "burst")
    page.get_by_label("Reason (kept in the audit log)").fill("one office network")
    page.get_by_role("button", name="Void").click()
    expect(page.get_by_text("Voided 40 reports.")).to_be_visible()
    assert Report.objects.filter(void__isnull=False).count() == 40
    # On the public pages at once: the day's count and the incident's figures without it.
    assert day_count(reader, "steam") == "100"
    assert incident_reports(reader, flooded.pk).startswith("12 ")
    shoot(page, "burst-voided")
    page.get_by_role("button", name="Undo the void").click()
    expect(page.get_by_text("Restored 40 reports.")).to_be_visible()
    assert not Report.objects.filter(void__isnull=False).exists()
    assert day_count(reader, "steam") == "140"
    assert incident_reports(reader, flooded.pk).startswith("52 ")
    entry = AuditEntry.objects.get(action="burst.void")
    assert entry.after["reason"] == "one office network"

    # A suspicious incident: hidden from the public until published.
    assert reader.goto(f"/incidents/{suspicious.pk}/").status == 404
    page.goto("/moderation/incidents/?show=suspicious")
    page.get_by_role("link", name=str(suspicious)).click()
    expect(page.get_by_text("Why it is suspicious")).to_be_visible()
    shoot(page, "incident-review")
    page.get_by_role("button", name="Publish (confirm and show it)").click()
    expect(page.get_by_text(f"Incident {suspicious.pk} published.")).to_have_count(1)
    assert reader.goto(f"/incidents/{suspicious.pk}/").status == 200

    # A real incident dismissed with a note, its public page explaining it, then restored.
    page.goto(f"/moderation/incidents/{real.pk}/")
    page.get_by_label("Public note").fill("Reports from one school's network.")
    page.get_by_role("button", name="Dismiss (withdraw it)").click()
    expect(page.get_by_text(f"Incident {real.pk} dismissed")).to_be_visible()
    response = reader.goto(f"/incidents/{real.pk}/")
    assert response.status == 200
    expect(reader.get_by_text("Reports from one school's network.")).to_be_visible()
    expect(reader.get_by_text("dismissed: they were not a real outage")).to_be_visible()
    expect(reader.locator("link[rel=stylesheet]")).not_to_have_count(0)  # the site's look
    expect(reader.locator("header nav, nav").first).to_be_visible()
    reader.screenshot(path=ARTIFACTS / "moderation-dismissed-public.png", full_page=True)
    page.get_by_role("button", name="Undo the last verdict").click()
    expect(page.locator(".review")).to_have_text("Not reviewed")
    reader.goto(f"/incidents/{real.pk}/")
    expect(reader.locator("#spike-chart")).to_have_count(1)
    page.goto("/admin/moderation/auditentry/")
    shoot(page, "audit-log")
    assert tab.offsite == [] and tab.errors == []
