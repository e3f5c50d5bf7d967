"""Forged reports in a real browser: a page served from another local port (another origin,
the same site) or another host name (another site) that posts our report form is refused; our
own page's form is accepted, with and without JavaScript, though the page carries no token."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from reports.models import Report
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


@pytest.fixture
def hostile_page(live_server: object) -> Iterator[Callable[[str], str]]:
    """`hostile_page(host)`: the URL of a page on another port of this machine whose form
    posts a report to the live server's report form, as a hostile site would."""
    target = f"{live_server.url}/s/twitter/report/"  # type: ignore[attr-defined]
    body = (
        "<!doctype html><title>Win a prize</title>"
        f'<form method="post" action="{target}">'
        '<input type="hidden" name="platform" value="web">'
        '<button type="submit" name="problem" value="login">Claim</button></form>'
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield lambda host: f"http://{host}:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("java_script_enabled", [True, False])
@pytest.mark.parametrize("where", ["same site, another port", "another site"])
def test_a_form_posted_from_another_origin_is_refused(
    twitter, open_tab, hostile_page, live_server, database_buffer, where, java_script_enabled
):
    ours = urlparse(live_server.url).hostname  # "localhost"
    host = ours if where == "same site, another port" else "127.0.0.1"
    assert host != "127.0.0.1" or ours != "127.0.0.1"
    page = open_tab(java_script_enabled=java_script_enabled).page
    page.goto(hostile_page(host))

    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Claim").click()

    response = navigation.value
    assert response is not None and response.status == 403
    assert "Please confirm" not in page.content()  # refused outright: the browser said where
    if java_script_enabled:  # a script's silent post is refused too
        page.goto(hostile_page(host))
        status = page.evaluate(
            """(target) => fetch(target, {method: "POST", mode: "no-cors", credentials: "include",
                body: new URLSearchParams({platform: "web", problem: "login"})})
                .then(() => "sent")""",
            f"{live_server.url}/s/twitter/report/",
        )
        assert status == "sent"  # (an opaque answer: the page never learns it was refused)
    assert not Report.objects.exists()


@pytest.mark.parametrize("java_script_enabled", [True, False])
def test_our_own_form_is_accepted_without_a_token_in_the_page(
    twitter, open_tab, database_buffer, java_script_enabled
):
    page = open_tab(java_script_enabled=java_script_enabled).page
    page.goto("/s/twitter/")
    assert "csrfmiddlewaretoken" not in page.content()

    page.get_by_role("button", name="Login", exact=True).click()

    thanks = page.locator(".report-result" if java_script_enabled else "p.message[role=status]")
    expect(thanks).to_contain_text("Thank you: your report about Twitter is counted.")
    report = Report.objects.get()
    assert (report.problem, report.platform, report.counted) == ("login", "web", True)
