"""The embeddable widget: the iframe page per option, the loader script, and the widget's
report with its signed single-use token (no cookie anywhere)."""

from __future__ import annotations

import json

import pytest
import time_machine
from django.utils import timezone

from reports.models import Report
from reports.widget.tokens import embed_token_issue
from reports.widget.views import http_origin
from tests.factories import ServiceFactory, ServiceStatusFactory

pytestmark = pytest.mark.django_db
REPORT = {"kind": "problem", "platform": "web", "problem": "other"}


@pytest.fixture
def twitter():
    return ServiceFactory(slug="twitter", name="Twitter")


def token_for(client, slug: str = "twitter", origin: str = "", **headers: str) -> str:
    """What the page's script does on a click: ask for a single-use token."""
    response = client.post(
        f"/embed/{slug}/token",
        json.dumps({"origin": origin}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200, response.content
    assert response["Cache-Control"] == "no-store"
    return response.json()["token"]


def post_report(client, slug: str, token: object, **headers: str):
    return client.post(
        f"/embed/{slug}/report",
        json.dumps({"token": token, **REPORT}),
        content_type="application/json",
        **headers,
    )


def test_the_embed_page_shows_status_sparkline_band_and_report_button(client, twitter):
    ServiceStatusFactory(service=twitter, level=2, recent=40, expected=4.0, sparkline=[1, 2, 3, 50])

    response = client.get("/embed/twitter/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'class="status status-2"' in page and "Problems" in page
    assert "<polyline" in page and 'class="band"' in page
    assert "Report a problem" in page
    assert 'class="theme-auto"' in page
    assert "<style" not in page and "<script>" not in page and " style=" not in page
    assert "plotly" not in page.lower()
    assert '/static/embed/embed.css"' in page and '/static/embed/embed.js"' in page
    # The same page for every visitor (the token comes on a click): cacheable by anyone.
    assert "token=" not in page and 'data-token-url="/embed/twitter/token"' in page
    assert response["Cache-Control"] == "public, max-age=60, stale-while-revalidate=300"


@pytest.mark.parametrize(
    ("query", "expected", "absent"),
    [
        ("?theme=dark", ['class="theme-dark"', "<polyline"], ["compact"]),
        ("?theme=light&compact=1", ['class="theme-light compact"'], ["<svg"]),
        ("?theme=<script>", ['class="theme-auto"'], ["<script>"]),
        ("?lang=fr", ['lang="fr"', "Aucun problème", "Signaler un problème"], []),
        ("?lang=xx", ['lang="en"', "No problems"], []),
    ],
)
def test_the_embed_page_options(client, twitter, query, expected, absent):
    ServiceStatusFactory(service=twitter, sparkline=[0, 1])

    page = client.get(f"/embed/twitter/{query}").content.decode()

    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


def test_an_unknown_service_answers_a_small_frameable_404(client):
    response = client.get("/embed/nope/")

    assert response.status_code == 404
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]


def test_neither_the_embed_page_nor_widget_js_nor_the_report_sets_a_cookie(client, twitter):
    page = client.get("/embed/twitter/")
    script = client.get("/widget.js")
    token = client.post("/embed/twitter/token", "{}", content_type="application/json")
    report = post_report(client, "twitter", token.json()["token"])

    for response in (page, script, token, report):
        assert "Set-Cookie" not in response
        assert not response.cookies
    assert report.status_code == 202


def test_widget_js_is_cacheable_and_open_to_every_origin(client):
    response = client.get("/widget.js", HTTP_ORIGIN="https://blog.example")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert b"/embed/" in response.content and b"location.origin" in response.content


def test_a_widget_report_is_counted_with_source_widget_and_the_embedding_origin(
    client, twitter, intake_buffer
):
    token = token_for(client, origin="https://blog.example")

    response = post_report(client, "twitter", token, HTTP_ORIGIN="http://testserver")

    assert response.status_code == 202 and response.json() == {"counted": True}
    intake_buffer()
    report = Report.objects.get()
    assert (report.source, report.origin) == ("widget", "https://blog.example")
    assert report.counted
    assert (report.kind, report.platform, report.problem) == ("problem", "web", "other")


def test_without_origin_parameter_the_referer_of_the_framing_page_is_the_origin(
    client, twitter, database_buffer
):
    token = token_for(client, HTTP_REFERER="https://news.example:8443/article?x=1")

    post_report(client, "twitter", token)

    assert Report.objects.get().origin == "https://news.example:8443"


@pytest.mark.parametrize(
    ("value", "origin"),
    [
        ("https://blog.example", "https://blog.example"),
        ("HTTP://Blog.Example:8080/", "http://blog.example:8080"),
        ("https://blog.example/path", ""),
        ("javascript:alert(1)", ""),
        ("https://user@blog.example", ""),
        ("https://blog.example:99999", ""),
        ("ftp://blog.example", ""),
        ("https://bl\u00f6g.example", ""),
    ],
)
def test_only_http_origins_are_kept(value, origin):
    assert http_origin(value) == origin


def test_an_invalid_origin_parameter_is_not_stored(client, twitter, database_buffer):
    post_report(client, "twitter", token_for(client, origin="javascript:alert(1)"))

    assert Report.objects.get().origin == ""


def test_a_token_is_single_use(client, twitter, database_buffer):
    token = token_for(client)

    first = post_report(client, "twitter", token)
    second = post_report(client, "twitter", token)

    assert first.status_code == 202
    assert second.status_code == 403
    assert second["Content-Type"] == "application/problem+json"
    assert second.json()["type"] == "urn:problem:invalid_token"
    assert second.json()["errors"] == [{"field": "token", "reason": "already used"}]
    assert Report.objects.count() == 1


def test_an_expired_token_is_rejected(client, twitter, database_buffer):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = token_for(client)
        traveller.shift(601)
        response = post_report(client, "twitter", token)

    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "token"
    assert response.json()["errors"][0]["reason"].startswith("expired")
    assert not Report.objects.exists()


def test_a_token_of_another_service_is_rejected(client, twitter, database_buffer):
    ServiceFactory(slug="netflix", name="Netflix")
    token = token_for(client, "netflix")

    response = post_report(client, "twitter", token)

    assert response.status_code == 403
    assert response.json()["errors"] == [{"field": "token", "reason": "issued for another service"}]
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("token", "reason"),
    [(None, "required"), ("", "required"), (7, "required"), ("forged:abc:def", "invalid")],
)
def test_missing_or_forged_tokens_are_rejected(client, twitter, token, reason):
    response = post_report(client, "twitter", token)

    assert response.status_code == 403
    assert response.json()["errors"] == [{"field": "token", "reason": reason}]


def test_a_token_signed_with_another_salt_is_rejected(client, twitter):
    from django.core import signing

    forged = signing.TimestampSigner().sign_object({"s": "twitter", "n": "x", "o": ""})

    response = post_report(client, "twitter", forged)

    assert response.json()["errors"] == [{"field": "token", "reason": "invalid"}]


def test_intake_rejections_keep_their_problem_details(client, twitter):
    token = embed_token_issue(slug="twitter", origin="")

    response = client.post(
        "/embed/twitter/report",
        json.dumps({"token": token, "platform": "fax"}),
        content_type="application/json",
    )

    assert response.status_code == 400
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"platform", "problem"}


def test_the_report_needs_a_json_post(client, twitter):
    assert client.get("/embed/twitter/report").status_code == 405
    form = client.post("/embed/twitter/report", {"token": "x"})
    assert form.status_code == 415
    assert form["Content-Type"] == "application/problem+json"


def test_a_token_is_asked_for_with_a_json_post_about_a_known_service(client, twitter):
    unknown = client.post("/embed/nope/token", "{}", content_type="application/json")
    read = client.get("/embed/twitter/token")
    form = client.post("/embed/twitter/token", {"origin": "x"})

    assert unknown.status_code == 404 and unknown["Content-Type"] == "application/problem+json"
    assert read.status_code == 405
    assert form.status_code == 415


def test_our_own_site_is_not_taken_for_the_embedding_origin(client, twitter, database_buffer):
    post_report(client, "twitter", token_for(client, origin="http://testserver"))

    assert Report.objects.get().origin == ""
