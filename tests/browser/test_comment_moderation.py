"""The comment moderation flow in a real browser: a reader posts a comment on the service page,
it is not public, a moderator signs in through the admin and approves it with the keyboard in
the queue, and it appears on the page."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from comments.models import Comment
from moderation.models import AuditEntry
from tests.comments.helpers import make_comment, make_moderator
from tests.factories import ServiceFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Screenshots for a human to look at (not committed), beside the site's own.
ARTIFACTS = Path(os.environ.get("UI_ARTIFACTS_DIR", Path(settings.BASE_DIR) / "var/artifacts/ui"))
TEXT = "Login fails with error 503 <b>since noon</b>"


def test_a_comment_is_posted_held_approved_with_the_keyboard_and_shown(open_tab, settings):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    settings.COMMENTS_MIN_FILL_SECONDS = 0  # a test types faster than a person
    ServiceFactory(slug="twitter", name="Twitter")
    make_moderator("mod")

    reader = open_tab(java_script_enabled=False)  # posting and flagging need no script
    page = reader.page
    page.goto("/s/twitter/")
    form = page.locator("form.comment-form")
    form.get_by_label("Name", exact=True).fill("Ada")
    form.get_by_label("E-mail", exact=True).fill("ada@example.org")
    form.get_by_label("Comment", exact=True).fill(TEXT)
    form.get_by_role("button", name="Post the comment").click()

    expect(page.get_by_text("Thank you: your comment will appear after review.")).to_be_visible()
    expect(page.locator("#comments article.comment")).to_have_count(0)
    assert Comment.objects.get().state == "pending"

    moderator = open_tab()
    queue = moderator.page
    queue.goto("/moderation/comments/")
    queue.get_by_label("Username").fill("mod")
    queue.get_by_label("Password").fill("pw-for-tests")
    queue.get_by_role("button", name="Log in").click()
    row = queue.locator("tr[data-comment]")
    expect(row).to_have_count(1)
    expect(row.locator(".comment-text")).to_have_text(TEXT)
    expect(queue.locator("#queue-form[data-shortcuts=ready]")).to_have_count(1)
    queue.keyboard.press("j")
    queue.screenshot(path=ARTIFACTS / "comment-queue.png", full_page=True)
    expect(row).to_have_class("state-pending current")
    queue.keyboard.press("a")

    expect(queue.get_by_text("1 comment approved.")).to_be_visible()
    expect(queue.locator("tr[data-comment]")).to_have_count(0)
    assert Comment.objects.get().state == "approved"
    assert AuditEntry.objects.get().action == "comment.approve"

    page.goto("/s/twitter/")
    shown = page.locator("#comments article.comment")
    expect(shown).to_have_count(1)
    expect(shown.locator(".comment-text")).to_have_text(TEXT)
    expect(shown.locator(".comment-name")).to_have_text("Ada")
    assert "ada@example.org" not in page.content()
    page.locator("#comments").screenshot(path=ARTIFACTS / "comments-section.png")
    page.locator("#comments summary", has_text="Flag").click()
    page.locator("#comments select[name=reason]").select_option("off_topic")
    page.get_by_role("button", name="Flag this comment").click()
    expect(page.get_by_text("Thank you: a moderator will look at this comment.")).to_be_visible()
    assert Comment.objects.get().open_flags == 1
    assert reader.offsite == [] and moderator.offsite == []
    assert reader.errors == [] and moderator.errors == []


def test_several_comments_are_selected_and_rejected_with_the_keyboard(open_tab):
    service = ServiceFactory(slug="twitter", name="Twitter")
    first, second, third = (make_comment(service, text=f"comment {n}") for n in range(3))
    make_moderator("mod")
    tab = open_tab()
    queue = tab.page
    queue.goto("/moderation/comments/")
    queue.get_by_label("Username").fill("mod")
    queue.get_by_label("Password").fill("pw-for-tests")
    queue.get_by_role("button", name="Log in").click()
    expect(queue.locator("#queue-form[data-shortcuts=ready]")).to_have_count(1)

    for key in ("j", "x", "j", "j", "x", "k", "r"):  # select the first and the third, reject
        queue.keyboard.press(key)

    expect(queue.get_by_text("2 comments rejected.")).to_be_visible()
    states = dict(Comment.objects.values_list("pk", "state"))
    assert states == {first.pk: "rejected", second.pk: "pending", third.pk: "rejected"}
    assert AuditEntry.objects.filter(action="comment.reject").count() == 2
    assert tab.errors == []
