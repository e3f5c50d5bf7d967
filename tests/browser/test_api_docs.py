"""The interactive API docs render in a real browser under the site's Content-Security-Policy
(scripts from our own files only): Swagger UI shows the operations, with no CSP violation and
nothing fetched off this machine. Every operation shows its summary; only the operations that
need a subscription's management token show a lock."""

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


def test_every_operation_shows_a_summary_and_only_token_operations_a_lock(open_tab):
    tab = open_tab()
    page = tab.page
    page.goto("/api/docs/", wait_until="networkidle")
    blocks = page.locator(".opblock")
    expect(blocks.first).to_be_visible()

    shown = blocks.evaluate_all(
        """blocks => blocks.map(b => ({
          path: b.querySelector('.opblock-summary-path').getAttribute('data-path'),
          method: b.querySelector('.opblock-summary-method').textContent,
          summary: (b.querySelector('.opblock-summary-description') || {}).textContent || '',
          locked: b.querySelectorAll('.authorization__btn').length > 0,
        }))"""
    )

    assert len(shown) >= 13
    assert [s for s in shown if not s["summary"].strip()] == []
    locked = {(s["method"], s["path"]) for s in shown if s["locked"]}
    assert {path for _method, path in locked} == {
        "/api/v1/subscriptions/{id}",
        "/api/v1/subscriptions/{id}/deliveries",
        "/api/v1/subscriptions/{id}/secret/rotate",
    }
    assert len(locked) == 5
    assert tab.errors == [] and tab.offsite == []
