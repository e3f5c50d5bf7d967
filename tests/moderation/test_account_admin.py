"""Accounts and groups changed in the admin are audited like any moderator action: who may
moderate (staff, superuser, groups, an account's own permissions) and what a group may do."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User

from moderation.models import AuditEntry
from moderation.roles import MODERATORS

pytestmark = pytest.mark.django_db


def _account_form(user: User, **changes: object) -> dict[str, object]:
    """The admin's account page as posted back, with `changes`."""
    form: dict[str, object] = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "date_joined_0": f"{user.date_joined:%Y-%m-%d}",
        "date_joined_1": f"{user.date_joined:%H:%M:%S}",
        "groups": list(user.groups.values_list("pk", flat=True)),
        **changes,
    }
    # A ticked box is posted as "on", an unticked one not at all.
    return {
        name: "on" if value is True else value for name, value in form.items() if value is not False
    }


def test_adding_an_account_to_a_group_in_the_admin_is_audited(administrator, administrator_client):
    carol = User.objects.create_user("carol", is_staff=True)
    moderators = Group.objects.get(name=MODERATORS)

    response = administrator_client.post(
        f"/admin/auth/user/{carol.pk}/change/", _account_form(carol, groups=[moderators.pk])
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_type, entry.target_id) == (
        "boss",
        "account.access_change",
        "auth.user",
        str(carol.pk),
    )
    assert (entry.before["groups"], entry.after["groups"]) == ([], [MODERATORS])


def test_making_a_superuser_and_removing_a_group_in_the_admin_is_audited(
    moderator, administrator_client
):
    response = administrator_client.post(
        f"/admin/auth/user/{moderator.pk}/change/",
        _account_form(moderator, groups=[], is_superuser=True),
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert entry.before == {
        "is_staff": True,
        "is_superuser": False,
        "groups": [MODERATORS],
        "permissions": [],
    }
    assert (entry.after["is_superuser"], entry.after["groups"]) == (True, [])


def test_saving_an_account_without_changing_its_access_records_nothing(
    moderator, administrator_client
):
    response = administrator_client.post(
        f"/admin/auth/user/{moderator.pk}/change/", _account_form(moderator, first_name="Mo")
    )

    assert response.status_code == 302
    assert User.objects.get(pk=moderator.pk).first_name == "Mo"
    assert not AuditEntry.objects.exists()


def test_changing_a_groups_permissions_in_the_admin_is_audited(administrator, administrator_client):
    moderators = Group.objects.get(name=MODERATORS)
    held = list(moderators.permissions.values_list("pk", flat=True))
    delete_service = Permission.objects.get(codename="delete_service")

    response = administrator_client.post(
        f"/admin/auth/group/{moderators.pk}/change/",
        {"name": MODERATORS, "permissions": [*held, delete_service.pk]},
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.actor_name, entry.action, entry.target_repr) == (
        "boss",
        "role.change",
        MODERATORS,
    )
    assert set(entry.after["permissions"]) - set(entry.before["permissions"]) == {
        "outages.delete_service"
    }
