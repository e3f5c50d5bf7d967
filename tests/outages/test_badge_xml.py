"""Every badge is a well-formed SVG document, whatever label it is asked to show."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outages import badges
from tests.factories import ServiceFactory, ServiceStatusFactory

SVG = "{http://www.w3.org/2000/svg}"


def _svg(content: bytes | str) -> ET.Element:
    root = ET.fromstring(content)  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    assert root.get("height") == "20" and int(root.get("width", "0")) > 0
    return root


@pytest.mark.django_db
@pytest.mark.parametrize("level", [None, 0, 1, 2])
@pytest.mark.parametrize("theme", ["light", "dark", "unknown"])
def test_every_status_and_theme_is_well_formed_svg(client: Client, level, theme) -> None:

    service = ServiceFactory(slug="att", name='AT&T "<Mobile>"')
    if level is not None:
        ServiceStatusFactory(service=service, level=level)
    response = client.get("/badge/att.svg", {"theme": theme})
    assert response["Content-Type"].startswith("image/svg+xml")
    root = _svg(response.content)
    assert root.findtext(f"{SVG}title", "").startswith('AT&T "<Mobile>": ')


@pytest.mark.django_db
def test_the_unknown_service_badge_is_well_formed_too(client: Client) -> None:
    response = client.get("/badge/nope.svg")
    assert response.status_code == 404
    _svg(response.content)


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(label=st.text(max_size=60))
def test_any_label_from_the_query_gives_well_formed_svg(client: Client, label: str) -> None:
    ServiceFactory(slug="att", name="AT&T")
    response = client.get("/badge/att.svg", {"label": label})
    root = _svg(response.content)
    shown = root.findtext(f"{SVG}title", "")
    assert shown.endswith(": no problems")


@given(label=st.text(max_size=40), message=st.text(min_size=1, max_size=20))
def test_the_badge_text_function_escapes_everything(label: str, message: str) -> None:
    _svg(badges.badge_svg_text(label=label or "x", message=message, color="#4c1"))
