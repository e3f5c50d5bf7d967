"""The interactive API docs render in a real browser under the site's Content-Security-Policy
(scripts from our own files only): Swagger UI shows the operations, with no CSP violation and
nothing fetched off this machine."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def test_swagger_ui_renders_under_the_policy(open_tab):
    tab = open_tab()
    violations: list[str] = []
    tab.page.on(
        "console", lambda m: "Content Security Policy" in m.text and violations.append(m.text)
    )

    response = tab.page.goto("/api/docs/", wait_until="networkidle")

    assert "script-src 'self'" in response.headers["content-security-policy"]
    expect(tab.page.locator(".swagger-ui .info .title")).to_contain_text("Outages API")
    expect(tab.page.locator(".opblock-summary-path").first).to_be_visible()
    assert violations == []
    assert tab.errors == []
    assert tab.offsite == []
