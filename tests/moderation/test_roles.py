"""The two roles are Django groups kept in step with their permissions, idempotently; a
permission another app has not defined yet is skipped, and taken up once it exists."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError

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
