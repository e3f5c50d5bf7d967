"""Comments in the Django admin: read-only rows, the same audited actions as the queue."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from comments.models import Comment
from moderation.models import AuditEntry
from tests.comments.helpers import make_comment, make_moderator
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/comments/comment/"


@pytest.fixture
def admin_client_mod():
    user = make_moderator()
    user.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client = Client()
    client.force_login(User.objects.get(pk=user.pk))
    return client


@pytest.mark.parametrize(("action", "state"), [("approve", "approved"), ("reject", "rejected")])
def test_admin_actions_change_state_and_audit(admin_client_mod, action, state):
    service = ServiceFactory()
    chosen = [make_comment(service), make_comment(service)]

    response = admin_client_mod.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in chosen]}
    )

    assert response.status_code == 302
    assert set(Comment.objects.values_list("state", flat=True)) == {state}
    assert AuditEntry.objects.filter(action=f"comment.{action}").count() == 2


def test_admin_delete_goes_through_the_audited_action(admin_client_mod):
    comment = make_comment(ServiceFactory())

    admin_client_mod.post(CHANGELIST, {"action": "delete", "_selected_action": [comment.pk]})

    assert not Comment.objects.exists()
    assert AuditEntry.objects.get().action == "comment.delete"


def test_admin_has_no_unaudited_bulk_delete(admin_client_mod):
    make_comment(ServiceFactory())

    page = admin_client_mod.get(CHANGELIST).content.decode()

    assert 'value="delete_selected"' not in page
    assert 'value="approve"' in page and 'value="erase_commenters"' in page


def test_admin_erase_action_erases_every_comment_of_the_selected_addresses(admin_client_mod):
    service = ServiceFactory()
    selected = make_comment(service, email="ada@example.org")
    make_comment(service, email="ADA@example.org")
    kept = make_comment(service, email="bob@example.org")

    admin_client_mod.post(
        CHANGELIST, {"action": "erase_commenters", "_selected_action": [selected.pk]}
    )

    assert list(Comment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert AuditEntry.objects.filter(action="comment.erase").count() == 2


def test_admin_comment_rows_cannot_be_edited(admin_client_mod):
    comment = make_comment(ServiceFactory(), text="original")

    admin_client_mod.post(f"{CHANGELIST}{comment.pk}/change/", {"text": "edited"})

    assert Comment.objects.get().text == "original"


def test_staff_without_the_permission_see_no_moderation_actions():
    user = User.objects.create_user("viewer", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_comment"))
    client = Client()
    client.force_login(user)
    make_comment(ServiceFactory())

    page = client.get(CHANGELIST).content.decode()

    assert 'value="approve"' not in page
