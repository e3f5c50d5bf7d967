"""Accounts of each role, signed in on their own test clients."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from moderation.roles import ADMINISTRATORS, MODERATORS, roles_sync

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _quick_passwords(settings) -> None:
    """Accounts are made by the dozen here: a fast hasher (the production one is tested by
    Django itself)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def member(username: str, group: str | None, **fields: object) -> User:
    roles_sync()
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True, **fields)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def moderator(db) -> User:
    return member("mod", MODERATORS)


@pytest.fixture
def administrator(db) -> User:
    return member("boss", ADMINISTRATORS)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


@pytest.fixture
def moderator_client(moderator) -> Client:
    return signed_in(moderator)


@pytest.fixture
def administrator_client(administrator) -> Client:
    return signed_in(administrator)
