"""The two roles are Django groups kept in step with their permissions, idempotently; a
permission another app has not defined yet is skipped, and taken up once it exists. What
`manage.py roles` changes is audited, by "command line"."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from moderation import roles
from moderation.models import AuditEntry
from moderation.roles import ADMINISTRATORS, MODERATORS, is_administrator, roles_sync

pytestmark = pytest.mark.django_db


def _codenames(group: str) -> set[str]:
    permissions = Group.objects.get(name=group).permissions.select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions}


def test_migrate_leaves_both_groups_with_their_permissions():
    moderators = _codenames(MODERATORS)
    assert {"moderation.review_incident", "outages.view_incident"} <= moderators
    assert "moderation.merge_service" not in moderators
    assert "outages.change_service" not in moderators
    assert _codenames(ADMINISTRATORS) == {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.select_related("content_type")
    }


def test_sync_is_idempotent_and_repairs_a_tampered_group():
    roles_sync()
    first = (_codenames(MODERATORS), _codenames(ADMINISTRATORS))
    Group.objects.get(name=MODERATORS).permissions.add(
        Permission.objects.get(codename="delete_service")
    )
    roles_sync()
    roles_sync()
    assert (_codenames(MODERATORS), _codenames(ADMINISTRATORS)) == first
    assert Group.objects.filter(name__in=[MODERATORS, ADMINISTRATORS]).count() == 2


def test_a_permission_defined_later_is_skipped_then_granted():
    # As before the comments app defined it:
    Permission.objects.filter(
        content_type__app_label="comments", codename="moderate_comment"
    ).delete()
    found = {role.group: role for role in roles_sync()}
    assert "comments.moderate_comment" in found[MODERATORS].missing
    comment = ContentType.objects.get_or_create(app_label="comments", model="comment")[0]
    Permission.objects.create(content_type=comment, codename="moderate_comment", name="x")

    found = {role.group: role for role in roles_sync()}

    assert "comments.moderate_comment" not in found[MODERATORS].missing
    assert "comments.moderate_comment" in _codenames(MODERATORS)
    assert "comments.moderate_comment" in _codenames(ADMINISTRATORS)


def test_the_roles_command_syncs_grants_and_adds_a_device(capsys):
    call_command("roles", "sync")
    assert "Moderators:" in capsys.readouterr().out
    user = User.objects.create_user("alice")

    call_command("roles", "grant", "alice", "moderator")
    call_command("roles", "totp-add", "alice")

    user.refresh_from_db()
    assert user.is_staff and user.has_perm("moderation.review_incident")
    assert not user.has_perm("moderation.merge_service")
    assert not is_administrator(user)
    assert "otpauth://totp/" in capsys.readouterr().out
    call_command("roles", "grant", "alice", "administrator")
    user = User.objects.get(pk=user.pk)  # a fresh permission cache
    assert user.has_perm("moderation.merge_service") and is_administrator(user)


def test_granting_a_role_with_create_makes_the_account_with_a_checked_password(monkeypatch):
    monkeypatch.setenv("ROLES_PASSWORD", "correct horse battery staple")

    call_command("roles", "grant", "carol", "moderator", "--create", "--no-input")

    carol = User.objects.get(username="carol")
    assert carol.check_password("correct horse battery staple")
    assert carol.is_staff and carol.has_perm("comments.moderate_comment")


def test_granting_a_role_with_create_refuses_a_weak_password_and_creates_nothing(monkeypatch):
    monkeypatch.setenv("ROLES_PASSWORD", "123")

    with pytest.raises(CommandError, match="Password refused"):
        call_command("roles", "grant", "dave", "moderator", "--create", "--no-input")

    assert not User.objects.filter(username="dave").exists()


def test_granting_a_role_to_an_unknown_account_says_how_to_create_it():
    with pytest.raises(CommandError, match="--create"):
        call_command("roles", "grant", "erin", "moderator")


def _entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.order_by("id"))


def test_granting_a_role_from_the_command_line_is_audited():
    alice = User.objects.create_user("alice")

    call_command("roles", "grant", "alice", "moderator", stdout=StringIO())
    call_command("roles", "grant", "alice", "moderator", stdout=StringIO())  # nothing changes
    call_command("roles", "grant", "alice", "administrator", stdout=StringIO())

    moderator, administrator = _entries()
    assert (moderator.actor_id, moderator.actor_name) == (None, "command line")
    assert (moderator.action, moderator.target_type, moderator.target_id) == (
        "account.grant_moderator",
        "auth.user",
        str(alice.pk),
    )
    assert moderator.target_repr == "alice"
    assert moderator.before == {
        "is_staff": False,
        "is_superuser": False,
        "groups": [],
        "permissions": [],
    }
    assert (moderator.after["is_staff"], moderator.after["groups"]) == (True, [MODERATORS])
    assert administrator.action == "account.grant_administrator"
    assert administrator.after["groups"] == [ADMINISTRATORS, MODERATORS]


def test_creating_an_account_with_its_role_from_the_command_line_is_one_audit_entry(
    monkeypatch,
):
    monkeypatch.setenv("ROLES_PASSWORD", "correct horse battery staple")
    out = StringIO()

    call_command("roles", "grant", "carol", "administrator", "--create", "--no-input", stdout=out)

    [entry] = _entries()
    assert (entry.actor_name, entry.action, entry.target_repr) == (
        "command line",
        "account.create_administrator",
        "carol",
    )
    assert entry.before == {} and entry.after["groups"] == [ADMINISTRATORS]
    assert "Account carol created." in out.getvalue()


def test_a_grant_that_fails_leaves_neither_the_account_it_made_nor_an_audit_entry(monkeypatch):
    monkeypatch.setenv("ROLES_PASSWORD", "correct horse battery staple")

    def broken(**_: object) -> None:
        raise RuntimeError("the audit log is unreachable")

    monkeypatch.setattr(roles, "audit_record", broken)
    with pytest.raises(RuntimeError):
        call_command("roles", "grant", "dave", "moderator", "--create", "--no-input")

    assert not User.objects.filter(username="dave").exists()
    assert not AuditEntry.objects.exists()


def test_adding_a_totp_device_from_the_command_line_is_audited_without_its_key():
    bob = User.objects.create_user("bob")

    call_command("roles", "totp-add", "bob", stdout=StringIO())

    device = TOTPDevice.objects.get(user=bob)
    [entry] = _entries()
    assert (entry.actor_name, entry.action, entry.target_type, entry.target_id) == (
        "command line",
        "account.totp_add",
        "auth.user",
        str(bob.pk),
    )
    assert (entry.before, entry.after) == (
        {"devices": 0},
        {"devices": 1, "device": "authenticator"},
    )
    assert device.key not in f"{entry.before} {entry.after} {entry.target_repr}"


def test_a_sync_from_the_command_line_that_repairs_a_group_is_audited_and_migrate_is_not():
    moderators = Group.objects.get(name=MODERATORS)
    held = moderators.permissions.count()
    moderators.permissions.add(Permission.objects.get(codename="delete_service"))
    roles_sync()  # as after a migrate: set right, not audited
    assert not AuditEntry.objects.exists()
    moderators.permissions.add(Permission.objects.get(codename="delete_service"))

    call_command("roles", "sync", stdout=StringIO())
    call_command("roles", "sync", stdout=StringIO())  # nothing left to set right

    [entry] = _entries()
    assert (entry.actor_name, entry.action, entry.target_type, entry.target_repr) == (
        "command line",
        "role.sync",
        "auth.group",
        MODERATORS,
    )
    assert entry.before == {"permissions": held + 1}
    assert entry.after == {
        "permissions": held,
        "added": [],
        "removed": ["outages.delete_service"],
    }
