"""A reader's name or text cannot reorder the page around it: every piece of user text that
carries a bidirectional control (a right-to-left override, U+202E) sits in its own isolate
(`<bdi>`, or an element with `dir="auto"`), so the override ends where the user's text ends.
On the service page, the flag page and the moderators' queue."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree.ElementTree import Element

import html5lib
import pytest
from django.test import Client

from comments.models import Comment
from tests.comments.helpers import make_comment, make_moderator
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db
RLO = "\u202e"
NAME = f"Ada {RLO}gnp.exe"
TEXT = f"Broken since noon {RLO}ti xif esaelp"


def isolates(element: Element) -> bool:
    return element.tag == "bdi" or element.get("dir") == "auto"


def texts(element: Element, isolated: bool = False) -> Iterator[tuple[str, bool]]:
    """Every text node of the document, and whether it lies inside an isolate."""
    inside = isolated or isolates(element)
    if element.text:
        yield element.text, inside
    for child in element:
        if isinstance(child.tag, str):
            yield from texts(child, inside)
        if child.tail:
            yield child.tail, inside  # a tail belongs to the parent, not to the child


def unisolated_overrides(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    document = html5lib.parse(response.content, treebuilder="etree", namespaceHTMLElements=False)
    return [text for text, isolated in texts(document) if RLO in text and not isolated]


@pytest.fixture
def comment() -> Comment:
    service = ServiceFactory(slug="twitter", name="Twitter")
    return make_comment(service, state=Comment.State.APPROVED, name=NAME, text=TEXT)


def test_a_right_to_left_override_stays_inside_the_name_and_text_on_public_pages(client, comment):
    page = client.get("/s/twitter/")
    assert NAME in page.content.decode() and TEXT in page.content.decode()
    assert unisolated_overrides(page) == []
    assert unisolated_overrides(client.get(f"/s/twitter/comments/{comment.pk}/flag/")) == []


def test_a_right_to_left_override_stays_inside_the_name_and_text_in_the_queue(comment):
    moderator = Client()
    moderator.force_login(make_moderator())
    queue = moderator.get("/moderation/comments/?view=all")
    assert NAME in queue.content.decode()
    assert unisolated_overrides(queue) == []
