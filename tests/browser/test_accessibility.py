"""Accessibility, measured: axe-core (the npm package's browser build, vendored in
tests/browser/vendor/ so the suite needs no network after install) runs inside the real page
of home, service, incident, region, embed and the report page, light and dark, English and
French, and finds no serious or critical violation. And a keyboard reaches the first report
button within five presses of Tab from the top of the page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from outages.models import Incident

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}
VARIANTS = [(language, scheme) for language in ("en", "fr") for scheme in ("light", "dark")]


def _pages(incident: Incident) -> dict[str, str]:
    return {
        "home": "/",
        "service": "/s/twitter/",
        "incident": f"/incidents/{incident.pk}/",
        "region": "/region/fr/",
        "embed": "/embed/twitter/?lang={language}",  # the host page's language
        "report page": "/s/twitter/report/",
    }


def _axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    page.add_script_tag(path=AXE)
    return page.evaluate("() => axe.run(document).then(result => result.violations)")


def _described(violations: list[dict[str, Any]]) -> list[str]:
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("name", ["home", "service", "incident", "region", "embed", "report page"])
def test_axe_core_finds_no_serious_or_critical_violation(incident, open_tab, name):
    found: dict[str, list[str]] = {}
    for language, scheme in VARIANTS:
        # The page's policy allows our own script files only; axe is added as an inline script.
        tab = open_tab(locale=language, color_scheme=scheme, bypass_csp=True)
        tab.page.goto(_pages(incident)[name].format(language=language), wait_until="networkidle")
        expect(tab.page.locator("html")).to_have_attribute("lang", language)
        if tab.page.locator("[data-figure]").count():
            expect(tab.page.locator("[data-figure] .main-svg").first).to_be_visible()

        blocking = _described(_axe(tab.page))
        if blocking:
            found[f"{language} {scheme}"] = blocking
        assert tab.errors == [] and tab.offsite == [], f"{language} {scheme}"
        tab.page.context.close()

    assert found == {}


def _tab_to_a_report_button(page: Page, presses: int = 5) -> int | None:
    """Presses Tab from the top of the page until a report button has focus and says how many
    presses it took (None: none within `presses`). A skip link to the report buttons is followed
    with Enter, which is not a Tab: the Tab that reached the link counts like any other."""
    for count in range(1, presses + 1):
        page.keyboard.press("Tab")
        focused = page.locator(":focus")
        if focused.evaluate("e => e.matches('form.report button[name=problem]')"):
            return count
        if focused.evaluate("e => e.matches('a.skip-link[href=\"#report-heading\"]')"):
            page.keyboard.press("Enter")
    return None


@pytest.mark.parametrize("language", ["en", "fr", "de", "ja"])
@pytest.mark.parametrize("path", ["/s/twitter/", "/s/twitter/report/"])
def test_the_fifth_tab_or_an_earlier_one_reaches_a_report_button(
    incident, open_tab, path, language
):
    page = open_tab(locale=language).page
    page.goto(path, wait_until="networkidle")

    presses = _tab_to_a_report_button(page)

    assert presses is not None, "no report button within 5 Tabs of the page top"
    focused = page.locator(":focus")
    assert focused.evaluate("e => e === document.querySelector('form.report button.problem')")
