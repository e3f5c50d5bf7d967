"""The widget on another site: a host page on a second loopback origin includes widget.js; the
widget renders in its iframe untouched by the host's CSS, the frame's height follows its
content (postMessage from our origin only), and its report is thanked and stored with the
host's origin. Nothing leaves 127.0.0.1 and no cookie is set."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from outages import figures
from reports.models import Report
from tests.factories import ServiceFactory, ServiceStatusFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog</title>
<style>* {{ color: red !important; font-family: serif !important; }}
iframe {{ }} button {{ display: none !important; }}</style></head>
<body><h1>My blog</h1>
<script async src="{server}/widget.js" data-service="twitter" data-theme="light"></script>
<p>After the widget.</p></body></html>"""
# A publisher's own iframe, resized by widget.js included without data-service.
PLAIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plain</title></head>
<body><iframe src="{server}/embed/twitter/?compact=1" width="300" height="300"
title="Twitter status" style="border:0"></iframe>
<script async src="{server}/widget.js"></script></body></html>"""


@pytest.fixture
def host_site(live_server) -> Iterator[str]:
    """Another origin (another port of 127.0.0.1) serving one page that embeds the widget."""
    pages = {"/blog": HOST_PAGE, "/plain": PLAIN_PAGE}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = pages.get(self.path, HOST_PAGE).format(server=live_server.url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_the_widget_renders_isolated_and_reports_from_another_site(
    open_tab, host_site, database_buffer
):
    twitter = ServiceFactory(slug="twitter", name="Twitter", category="social")
    ServiceStatusFactory(
        service=twitter,
        level=1,
        expected=3.0,
        sparkline=[1, 4, 2, 9] * 24,
        sparkline_end=figures.spark_end(timezone.now()),
    )
    tab = open_tab()

    tab.page.goto(f"{host_site}/blog", wait_until="networkidle")

    iframe = tab.page.locator("iframe")
    expect(iframe).to_have_attribute("title", "twitter status")
    expect(iframe).to_have_attribute("loading", "lazy")
    # Right after the script tag, before the host's next paragraph.
    after_script = "() => document.querySelector('script[data-service]').nextElementSibling"
    assert tab.page.evaluate(f"{after_script}.tagName") == "IFRAME"
    widget = tab.page.frame_locator("iframe")
    status = widget.locator(".status")
    expect(status).to_contain_text("Possible problems")
    expect(widget.locator("svg polyline")).to_be_visible()
    name_colour = widget.locator(".name").evaluate("e => getComputedStyle(e).color")
    assert name_colour != "rgb(255, 0, 0)"
    assert tab.page.locator("h1").evaluate("e => getComputedStyle(e).color") == "rgb(255, 0, 0)"

    # The frame is as tall as its content (not widget.js's first guess of 150 px), and follows
    # it when the report's answer replaces the button.
    content_height = "e => Math.ceil(e.getBoundingClientRect().height)"
    height = widget.locator(".widget").evaluate(content_height)
    expect(iframe).to_have_attribute("height", str(height))
    assert height != 150
    # A message from any other window (here the host page itself) is ignored.
    tab.page.evaluate("window.postMessage({type: 'outages-widget:height', height: 999}, '*')")
    tab.page.wait_for_timeout(200)
    expect(iframe).to_have_attribute("height", str(height))

    # One button per problem type of its category (social), under one label.
    buttons = widget.get_by_role("group", name="Report a problem:").get_by_role("button")
    expect(buttons).to_have_count(7)
    widget.get_by_role("button", name="Posting").click()

    expect(widget.locator(".report-result")).to_have_text("Thank you: your report is counted.")
    grown = widget.locator(".widget").evaluate(content_height)
    assert grown != height
    expect(iframe).to_have_attribute("height", str(grown))
    box = iframe.bounding_box()
    assert box is not None and abs(box["height"] - grown) <= 1
    report = Report.objects.get()
    assert (report.source, report.origin, report.service_id) == ("widget", host_site, twitter.id)
    assert report.problem == "posting"
    expect(buttons.first).to_be_hidden()  # one report per visit
    assert tab.page.context.cookies() == []
    assert tab.offsite == []
    assert tab.errors == []


def test_a_plain_iframe_follows_its_content_with_widget_js_on_the_page(open_tab, host_site):
    ServiceFactory(slug="twitter", name="Twitter")
    tab = open_tab()

    tab.page.goto(f"{host_site}/plain", wait_until="networkidle")

    iframe = tab.page.locator("iframe")
    widget = tab.page.frame_locator("iframe")
    expect(widget.locator(".status")).to_contain_text("No problems")
    height = widget.locator(".widget").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    expect(iframe).to_have_attribute("height", str(height))
    assert height < 100  # compact: one line, not the publisher's 300 px
    assert tab.errors == [] and tab.offsite == []
