"""The official status beside the crowd's in a real browser: the service page's section and
the widget's line show, with no request off this machine and no script error. Screenshots go
to var/artifacts/ui/ (or $UI_ARTIFACTS_DIR)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from tests.factories import (
    AcknowledgementFactory,
    IncidentFactory,
    OfficialIncidentFactory,
    OfficialSourceFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var/artifacts/ui"))
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_the_service_page_and_the_widget_show_the_companys_word(open_tab) -> None:  # type: ignore[no-untyped-def]
    github = ServiceFactory(slug="github", name="GitHub")
    ServiceStatusFactory(service=github, level=2)
    crowd = IncidentFactory(service=github)
    source = OfficialSourceFactory(
        service=github,
        indicator="major",
        incident_title="Disruption with some GitHub services",
        incident_url="https://stspg.io/p0k7yvbn1xfr",
        updated_at=timezone.now(),
    )
    official = OfficialIncidentFactory(
        source=source, announced_at=crowd.started_at + timedelta(minutes=12)
    )
    AcknowledgementFactory(
        incident=crowd,
        official_incident=official,
        acknowledged_at=official.announced_at,
        lead_seconds=720,
    )
    tab = open_tab()

    tab.page.goto("/s/github/", wait_until="networkidle")
    section = tab.page.locator("section.official")
    expect(section).to_be_visible()
    expect(section.locator("[data-official-sentence]")).to_have_text(
        "Acknowledged by the company 12 min after users' reports began."
    )
    expect(section.get_by_role("link", name="Disruption with some GitHub services")).to_be_visible()
    # The report buttons stay right under the status sentence (above the fold on a phone).
    report_box = tab.page.locator("#report-heading").bounding_box()
    section_box = section.bounding_box()
    assert report_box is not None and section_box is not None
    assert report_box["y"] < section_box["y"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.page.screenshot(path=ARTIFACTS / "official-service.png", full_page=True)

    tab.page.goto("/embed/github/", wait_until="networkidle")
    expect(tab.page.locator(".official")).to_have_text("Company: Major outage")
    tab.page.screenshot(path=ARTIFACTS / "official-embed.png")
    assert tab.offsite == []
    assert tab.errors == []


@pytest.mark.parametrize("width", [1280, 360])
def test_the_official_line_reads_well_on_a_wide_screen_and_a_phone(open_tab, width: int) -> None:  # type: ignore[no-untyped-def]
    """The service page's section and the incident page's acknowledgement at 1280 and 360 px:
    nothing wider than the screen, long titles and links wrapped; screenshots for review."""
    github = ServiceFactory(slug="github", name="GitHub")
    ServiceStatusFactory(service=github, level=2)
    crowd = IncidentFactory(service=github)
    long_title = (
        "Incident with Git Operations, API Requests, Webhooks, Issues, Pull Requests, "
        "Actions, Packages, Pages and Codespaces in several regions"
    )
    source = OfficialSourceFactory(
        service=github,
        indicator="major",
        description="Partial System Outage",
        incident_title=long_title,
        incident_url="https://www.githubstatus.com/incidents/p0k7yvbn1xfr-a-very-long-slug-x",
        page_url="https://www.githubstatus.com/api/v2/summary.json?with=a-long-query-string",
        updated_at=timezone.now(),
    )
    official = OfficialIncidentFactory(
        source=source, title=long_title, announced_at=crowd.started_at + timedelta(minutes=12)
    )
    AcknowledgementFactory(
        incident=crowd,
        official_incident=official,
        acknowledged_at=official.announced_at,
        lead_seconds=720,
    )
    OfficialIncidentFactory(
        source=source, title="Delayed webhooks", announced_at=timezone.now() - timedelta(days=3)
    )
    tab = open_tab(viewport={"width": width, "height": 900})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path, name, selector in (
        ("/s/github/", "service", "section.official"),
        (f"/incidents/{crowd.pk}/", "incident", "p.acknowledgement"),
    ):
        tab.page.goto(path, wait_until="networkidle")
        part = tab.page.locator(selector)
        expect(part).to_be_visible()
        part.scroll_into_view_if_needed()
        tab.page.screenshot(path=ARTIFACTS / f"official-{name}-{width}.png", full_page=True)
        part.screenshot(path=ARTIFACTS / f"official-{name}-{width}-part.png")
        overflow = tab.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow} px wider than a {width} px screen"
        box = part.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
    assert tab.offsite == []
    assert tab.errors == []
