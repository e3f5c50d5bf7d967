"""Pages read at a glance: on the service page the report buttons sit right under the status
(above the fold on a laptop and a phone), a keyboard reaches them at once, the thank-you takes
focus and agrees with the page's summary; charts follow the dark theme and the page's language.

Screenshots of home, service, incident and region pages (light and dark, 1280 and 360 px,
English, French, German and Japanese) are saved under var/artifacts/ui/ (or $UI_ARTIFACTS_DIR)
for a human to look at; they are not committed.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from outages.models import Incident

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var/artifacts/ui"))
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}
# Words of the English chart texts (titles, axes, legend, hover, notes, date ticks).
ENGLISH = re.compile(
    r"\b(reports?|problem|typical|range|per|hour|start|peak|map|country|"
    r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)\b",
    re.IGNORECASE,
)


def _bottom(page: Page, selector: str) -> float:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, selector
    return box["y"] + box["height"]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "360x740"])
def test_the_status_and_the_first_report_buttons_are_above_the_fold(incident, open_tab, viewport):
    tab = open_tab(viewport=viewport)
    tab.page.goto("/s/twitter/")

    assert _bottom(tab.page, ".status") <= viewport["height"]
    assert _bottom(tab.page, "form.report button.problem") <= viewport["height"]
    box = tab.page.locator("form.report button.problem").first.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 44  # a touch target
    assert tab.errors == [] and tab.offsite == []


def test_the_first_report_button_is_within_five_tabs_of_the_page_top(incident, open_tab):
    page = open_tab().page
    page.goto("/s/twitter/")

    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Skip to the report buttons")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    focused = page.locator(":focus")
    expect(focused).to_have_attribute("name", "problem")
    assert focused.evaluate("e => e === document.querySelector('form.report button.problem')")


def test_after_a_report_the_thank_you_has_focus_and_the_summary_s_count(
    incident, open_tab, database_buffer
):
    page = open_tab().page
    page.goto("/s/twitter/")

    page.locator("form.report button.problem").first.click()

    thanks = page.locator(".report-result")
    expect(thanks).to_be_focused()
    expect(thanks).to_contain_text("Thank you")
    said = int(re.search(r"(\d+) problem reports?", thanks.inner_text()).group(1))  # type: ignore[union-attr]
    summary = page.locator('.recent [data-live="problems"]').inner_text()
    assert int(summary.replace(",", "")) == said


@pytest.mark.parametrize("path", ["/s/twitter/", "/region/fr/"])
def test_a_dark_chart_is_drawn_on_the_page_s_dark_surface(incident, open_tab, path):
    tab = open_tab(color_scheme="dark")
    tab.page.goto(path, wait_until="networkidle")

    charts = tab.page.locator("[data-figure]")
    assert charts.count() >= 1
    for i in range(charts.count()):
        chart = charts.nth(i)
        expect(chart.locator(".main-svg").first).to_be_visible()
        card = chart.evaluate("e => getComputedStyle(e).backgroundColor")
        paper = chart.evaluate("e => e._fullLayout.paper_bgcolor")
        assert _rgb(paper) == _rgb(card) and sum(_rgb(card)) < 3 * 64  # dark, and the same
    assert tab.errors == [] and tab.offsite == []


def _rgb(colour: str) -> tuple[int, ...]:
    """An rgb(...) or #rrggbb colour as a tuple of three channels."""
    if colour.startswith("#"):
        return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return tuple(int(float(v)) for v in re.findall(r"[\d.]+", colour)[:3])


# Words the English list shares with a language: German "Problem", short months and days once
# their dot is dropped (French "mar." is Tuesday, German "Jan." is January).
SHARED = {
    "fr": {"mar", "oct", "nov"},
    "de": {"problem", "start", "jan", "feb", "apr", "aug", "sep", "nov"},
    "ja": set(),
}
# Plotly's tool-bar titles that a language keeps as they are in English.
SAME_TOOLS = {"Zoom"}


def _chart_texts(page: Page, chart: str) -> list[str]:
    """Every text a chart shows or may show: drawn text, trace names, hover templates, point
    texts, title, axis title, annotations and the tool bar's button titles."""
    drawn = page.locator(f"{chart} .main-svg").all_inner_texts()
    texts = page.evaluate(
        """(selector) => {
          const e = document.querySelector(selector), out = [];
          e.data.forEach(t => out.push(t.name || "", t.hovertemplate || "", ...(t.text || [])));
          const l = e.layout;
          const axis = l.yaxis && l.yaxis.title;
          out.push(l.title && l.title.text || "", axis && axis.text || "");
          (l.annotations || []).forEach(a => out.push(a.text));
          return out;
        }""",
        chart,
    )
    return [*drawn, *texts]


def _tool_titles(page: Page, chart: str) -> set[str]:
    titles = page.locator(f"{chart} .modebar-btn").evaluate_all(
        "buttons => buttons.map(b => b.getAttribute('data-title'))"
    )
    return set(titles)


@pytest.mark.parametrize(
    ("language", "zone"), [("fr", "Europe/Paris"), ("de", "Europe/Berlin"), ("ja", "Asia/Tokyo")]
)
def test_a_translated_service_page_shows_no_english_chart_text(incident, open_tab, language, zone):
    english_page = open_tab(locale="en-US").page
    english_page.goto("/s/twitter/", wait_until="networkidle")
    tab = open_tab(locale=language, timezone_id=zone)
    page = tab.page
    page.goto("/s/twitter/", wait_until="networkidle")
    expect(page.locator("html")).to_have_attribute("lang", language)
    shared = "|".join(SHARED[language] or ["-"])
    words = re.compile(ENGLISH.pattern.replace(r"\b(", rf"\b(?!(?:{shared})\b)("), re.IGNORECASE)

    for chart in ("#spike-chart", "#country-map"):
        english = [
            t for t in _chart_texts(page, chart) if t and words.search(re.sub(r"%\{[^}]*\}", "", t))
        ]
        assert english == [], chart
        tools = _tool_titles(page, chart)
        assert tools and tools & _tool_titles(english_page, chart) <= SAME_TOOLS, chart
    assert tab.errors == [] and tab.offsite == []


def _pages(incident: Incident) -> dict[str, str]:
    return {
        "home": "/",
        "service": "/s/twitter/",
        "incident": f"/incidents/{incident.pk}/",
        "region": "/region/fr/",
    }


@pytest.mark.parametrize("name", ["home", "service", "incident", "region"])
def test_screenshots_of_every_page_light_dark_laptop_phone_in_four_languages(
    incident, open_tab, name
):
    """Saved for review; each also checks the page does not scroll sideways and fetches
    nothing off this machine."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for language in ("en", "fr", "de", "ja"):
        for scheme in ("light", "dark"):
            for width, viewport in (("1280", LAPTOP), ("360", PHONE)):
                tab = open_tab(
                    color_scheme=scheme,
                    viewport=viewport,
                    locale=language,
                    timezone_id="Europe/Paris",
                )
                tab.page.goto(_pages(incident)[name], wait_until="networkidle")
                stem = f"{name}-{language}-{scheme}-{width}"
                tab.page.screenshot(path=ARTIFACTS / f"{stem}.png", full_page=True)
                tab.page.screenshot(path=ARTIFACTS / f"{stem}-fold.png")  # what shows first
                variant = f"{language} {scheme} {width}"
                overflow = tab.page.evaluate(
                    "() => document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth"
                )
                assert overflow <= 0, variant
                assert tab.errors == [] and tab.offsite == [], variant
                tab.page.context.close()
