"""Real-browser fixtures: Playwright's sync API driving Debian's chromium (never a downloaded
browser, never `playwright install`) against pytest-django's live_server.

One chromium serves every test of this package. It is launched on first use, inside a test, so
a missing binary makes the tests FAIL with the fix to apply (it never skips them), and it is
stopped as soon as the package is done (see `chromium`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, Route, sync_playwright

from outages.detection.timebuckets import floor_to_minute
from outages.figures import spark_end, sparklines
from tests.factories import (
    IncidentFactory,
    MinuteBucketFactory,
    ServiceFactory,
    ServiceStatusFactory,
)

CHROMIUM = Path("/usr/bin/chromium")
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


@pytest.fixture(scope="package", autouse=True)
def _allow_async_unsafe() -> Iterator[None]:
    """While Playwright's sync API is started it marks its asyncio loop as running in the main
    thread (between calls too), so Django's async-safety check sees "an async context" and
    raises SynchronousOnlyOperation on every ORM call of the test (and on pytest-django's flush).
    Nothing here is async: the loop only drives the browser. So the check is switched off, for
    this package only; Playwright is stopped before it is switched back on (`chromium` depends on
    this fixture), so later tests keep the check. The live_server thread never had a loop."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


class Chromium:
    """Debian's chromium under Playwright, launched on first use and shared by the package."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._browser: Browser | None = None

    def browser(self) -> Browser:
        if self._browser is None:
            if not CHROMIUM.exists():
                pytest.fail(
                    f"{CHROMIUM} is missing: the browser tests drive Debian's chromium. "
                    "Install it with `apt-get install -y chromium fonts-liberation fonts-noto-cjk` "
                    "(do not run `playwright install`).",
                    pytrace=False,
                )
            self._playwright = sync_playwright().start()
            try:
                self._browser = self._playwright.chromium.launch(
                    executable_path=str(CHROMIUM), headless=True
                )
            except BaseException:
                self.close()
                raise
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._browser = None
        if self._playwright is not None:
            self._playwright.stop()
            self._playwright = None


@pytest.fixture(scope="package")
def chromium(_allow_async_unsafe: None) -> Iterator[Chromium]:
    # Package scope, not session: a started Playwright keeps the main thread's loop "running",
    # which would trip Django's async-safety check in the transactional tests that run after.
    shared = Chromium()
    yield shared
    shared.close()


@dataclass
class Tab:
    """A page in a fresh browser context, with what it tried to fetch off this machine and the
    errors it logged."""

    page: Page
    offsite: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOOPBACK


@pytest.fixture
def open_tab(chromium: Chromium, live_server: object) -> Iterator[Callable[..., Tab]]:
    """`open_tab(java_script_enabled=True, **context_options)`: a new context (options such as
    viewport, color_scheme or timezone_id go to Playwright) whose relative URLs go to the live
    server. Every request leaving loopback is recorded and aborted; console errors and uncaught
    page errors are recorded."""
    contexts: list[BrowserContext] = []

    def open_tab(*, java_script_enabled: bool = True, **options: Any) -> Tab:
        context = chromium.browser().new_context(
            base_url=live_server.url,  # type: ignore[attr-defined]
            java_script_enabled=java_script_enabled,
            **options,
        )
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        tab = Tab(page)

        def guard(route: Route) -> None:
            if _is_local(route.request.url):
                route.continue_()
            else:
                tab.offsite.append(route.request.url)
                route.abort("blockedbyclient")

        context.route("**/*", guard)
        page.on("console", lambda m: m.type == "error" and tab.errors.append(m.text))
        page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))
        return tab

    yield open_tab
    for context in contexts:
        context.close()


@pytest.fixture
def incident():
    """A service in trouble, with what each page shows: buckets, status, an open incident."""
    twitter = ServiceFactory(slug="twitter", name="Twitter")
    ServiceFactory(slug="a-service-with-a-rather-long-name", name="A service with a long name")
    now = floor_to_minute(timezone.now())
    for minutes_ago, count in ((12, 40), (8, 120), (5, 300)):
        for country, share in (("US", 0.5), ("FR", 0.3), ("GS", 0.2)):
            MinuteBucketFactory(
                service=twitter,
                minute=now - timedelta(minutes=minutes_ago),
                country=country,
                count=int(count * share),
            )
    ServiceStatusFactory(
        service=twitter,
        minute=now,
        level=2,
        deviation=9.0,
        recent=460,
        sparkline=sparklines(service_ids=[twitter.pk], until=now)[twitter.pk],  # 24 h: 460
        sparkline_end=spark_end(now),
    )
    return IncidentFactory(
        service=twitter,
        started_at=now - timedelta(minutes=12),
        detected_at=now - timedelta(minutes=10),
        peak_at=now - timedelta(minutes=5),
        peak_count=300,
        peak_quarter_at=now - timedelta(minutes=5),
        peak_quarter_count=460,
        total=460,
        expected_total=20.0,
        platforms={"web": 1.0},
        problems={"login": 1.0},
        countries=[
            {"country": c, "count": 100, "expected": 5.0, "ratio": 20.0} for c in ("US", "FR", "GS")
        ],
        scope="international",
    )
