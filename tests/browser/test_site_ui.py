"""The public site in a real browser: the language switch, phones 360 px wide, the dark theme
(system and toggle), times in the reader's time zone and a visible keyboard focus.

Screenshots of every public page are saved by test_glance.py; of the header with the theme
toggle off and on (light and dark, 1280 and 360 px) by the toggle test here.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from outages.models import Incident

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var/artifacts/ui"))
PHONE = {"width": 360, "height": 740}
LIGHT_BG, DARK_BG = "rgb(250, 250, 250)", "rgb(18, 20, 23)"


def _pages(incident: Incident) -> dict[str, str]:
    return {
        "home": "/",
        "service": "/s/twitter/",
        "incident": f"/incidents/{incident.pk}/",
        "region": "/region/fr/",
    }


def _background(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def _overflow(page: Page) -> int:
    """How many pixels the page, or a table scrolled inside its own box, is wider than it is
    shown (0: nothing to scroll sideways)."""
    return page.evaluate(
        """() => Math.max(
            document.documentElement.scrollWidth - document.documentElement.clientWidth,
            ...[...document.querySelectorAll("table")].map(t => t.scrollWidth - t.clientWidth))"""
    )


def _switch_language(page: Page, code: str, button: str) -> None:
    """Picks a language in the header's list and submits it (no script needed)."""
    page.locator(".language-switch select").select_option(code)
    page.locator(".language-switch").get_by_role("button", name=button).click()


def test_the_language_switch_turns_the_page_french_and_back(incident, open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/s/twitter/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    _switch_language(page, "fr", "Change")

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("Twitter est-il en panne\u00a0?")
    assert page.url.endswith("/s/twitter/")
    expect(page.get_by_role("combobox", name="Langue")).to_have_value("fr")
    page.goto("/")  # the choice is remembered (Django's language cookie)
    expect(page.locator("h1")).to_contain_text("En panne pour tout le monde")

    _switch_language(page, "en", "Changer")

    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert tab.errors == [] and tab.offsite == []


@pytest.mark.parametrize("name", ["home", "service", "incident", "region"])
def test_a_360_px_phone_never_scrolls_sideways(incident, open_tab, name):
    tab = open_tab(viewport=PHONE)
    page = tab.page

    page.goto(_pages(incident)[name], wait_until="networkidle")

    assert _overflow(page) <= 0
    for code, button in (("fr", "Change"), ("de", "Changer"), ("ja", "Wechseln")):
        _switch_language(page, code, button)  # longer words, or other scripts: same width
        page.wait_for_load_state("networkidle")
        assert _overflow(page) <= 0, code
    assert tab.errors == [] and tab.offsite == []


def test_the_system_dark_scheme_darkens_the_page(incident, open_tab):
    light, dark = open_tab(color_scheme="light").page, open_tab(color_scheme="dark").page

    light.goto("/")
    dark.goto("/")

    assert _background(light) == LIGHT_BG
    assert _background(dark) == DARK_BG
    assert dark.evaluate("() => getComputedStyle(document.body).color") == "rgb(232, 232, 234)"


def test_the_theme_toggle_switches_and_is_remembered_without_cookies(incident, open_tab):
    page = open_tab(color_scheme="light").page
    page.goto("/")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "false")

    toggle.click()

    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert _background(page) == DARK_BG
    page.goto("/s/twitter/")  # another page: still dark, from localStorage
    assert _background(page) == DARK_BG
    assert page.evaluate("() => localStorage.getItem('outages:theme')") == "dark"
    assert not [c for c in page.context.cookies() if "theme" in c["name"]]

    page.get_by_role("button", name="Dark theme").click()

    assert _background(page) == LIGHT_BG
    assert page.evaluate("() => localStorage.getItem('outages:theme')") is None  # system again


def test_the_toggle_can_lighten_a_dark_system(incident, open_tab):
    page = open_tab(color_scheme="dark").page
    page.goto("/")
    toggle = page.get_by_role("button", name="Dark theme")
    expect(toggle).to_have_attribute("aria-pressed", "true")

    toggle.click()

    assert _background(page) == LIGHT_BG
    page.reload()
    assert _background(page) == LIGHT_BG


def _luminance(rgb: str) -> float:
    """WCAG relative luminance of a computed "rgb(r, g, b)" colour."""
    channels = [int(c) / 255 for c in re.findall(r"\d+", rgb)[:3]]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(one: str, two: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(two)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _toggle_look(page: Page) -> dict[str, str]:
    """The theme toggle's colours as drawn: a transparent button shows the header behind it."""
    return page.evaluate(
        """() => {
            const button = getComputedStyle(document.getElementById("theme-toggle"));
            const mark = getComputedStyle(document.getElementById("theme-toggle"), "::before");
            const header = getComputedStyle(document.querySelector(".site-header"));
            const filled = button.backgroundColor !== "rgba(0, 0, 0, 0)";
            return {
                text: button.color,
                background: filled ? button.backgroundColor : header.backgroundColor,
                mark: mark.backgroundColor,
            };
        }"""
    )


@pytest.mark.parametrize("system", ["light", "dark"])
def test_the_theme_toggle_looks_pressed_when_on_in_either_theme(incident, open_tab, system):
    """aria-pressed tells a screen reader; the eye sees a filled button with a filled mark when
    the dark theme is on, an outlined one with an empty mark when off, its label the same and
    readable (4.5:1 at least) in both states and both themes."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = open_tab(color_scheme=system).page
    page.goto("/")
    toggle = page.get_by_role("button", name="Dark theme", exact=True)
    looks = {}
    for _ in range(2):
        pressed = toggle.get_attribute("aria-pressed")
        looks[pressed] = _toggle_look(page)
        for width in (1280, 360):
            page.set_viewport_size({"width": width, "height": 740})
            shot = ARTIFACTS / f"theme-toggle-{system}-system-pressed-{pressed}-{width}.png"
            page.locator(".site-header").screenshot(path=shot)
        toggle.click()

    off, on = looks["false"], looks["true"]
    assert on["background"] != off["background"]  # filled when on
    assert on["mark"] != off["mark"]  # and its mark too
    for look in (off, on):
        assert _contrast(look["text"], look["background"]) >= 4.5, look
    assert toggle.inner_text() == "Dark theme"  # the label stays; aria-pressed changes


def test_times_show_in_the_readers_time_zone_with_utc_kept(incident, open_tab):
    page = open_tab(timezone_id="Europe/Paris", locale="en-GB").page
    started = incident.started_at
    paris = started.astimezone(ZoneInfo("Europe/Paris"))

    page.goto("/")

    since = page.locator(f'.happening time[datetime="{started.isoformat()}"]')
    expect(since).to_contain_text(f"{paris:%H:%M}")
    expect(since).not_to_contain_text("UTC")
    expect(since).to_have_attribute("title", f"{started:%H:%M} UTC")

    page.get_by_role("button", name="Show UTC").click()

    expect(since).to_have_text(f"{started:%H:%M} UTC")
    page.goto(f"/incidents/{incident.pk}/")  # remembered, on every page
    expect(page.get_by_role("button", name="Show UTC")).to_have_attribute("aria-pressed", "true")
    expect(page.locator("h1 time").first).to_have_text(f"{started:%Y-%m-%d %H:%M} UTC")
    page.get_by_role("button", name="Show UTC").click()
    expect(page.locator("h1 time").first).to_contain_text(f"{paris:%H:%M}")


def test_times_stay_in_utc_without_javascript(incident, open_tab):
    page = open_tab(java_script_enabled=False, timezone_id="Europe/Paris").page
    page.goto("/")
    expect(page.locator(".happening time")).to_have_text(f"{incident.started_at:%H:%M} UTC")
    expect(page.get_by_role("button", name="Show UTC")).to_be_hidden()  # it needs the script


def test_keyboard_focus_is_visible(incident, open_tab):
    page = open_tab().page
    page.goto("/")

    page.keyboard.press("Tab")

    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    for _ in range(15):  # on to the first link of the page's content
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('main') !== null"):
            break
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2, outline
