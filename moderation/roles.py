"""The two roles, as Django groups kept in step with their permissions.

Moderators keep comments, bursts and incident reviews clean; Administrators may do everything.
A permission named here that no installed app defines yet is skipped: each app brings its own
(`comments.moderate_comment` with the comments, `reports.void_burst` with the bursts).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

MODERATORS = "Moderators"
ADMINISTRATORS = "Administrators"

MODERATOR_PERMISSIONS = (
    "comments.moderate_comment",
    "comments.view_comment",
    "reports.void_burst",
    "moderation.review_incident",
    "outages.view_incident",
    "outages.view_service",
    "outages.view_servicealias",
    "moderation.view_auditentry",
)


@dataclass(frozen=True)
class RoleSync:
    group: str
    permissions: int  # how many the group holds now
    missing: tuple[str, ...]  # named but not defined by any installed app (skipped)


def roles_sync(*, using: str = "default") -> list[RoleSync]:
    """Create both groups if needed and set their permissions to exactly what they should be.
    Idempotent: run after every migrate and by `manage.py roles sync`."""
    with transaction.atomic(using=using):
        wanted = _permissions(MODERATOR_PERMISSIONS, using=using)
        moderators = _group(MODERATORS, using=using)
        moderators.permissions.set(wanted.values())
        administrators = _group(ADMINISTRATORS, using=using)
        every = list(Permission.objects.using(using).values_list("pk", flat=True))
        administrators.permissions.set(every)
    missing = tuple(name for name in MODERATOR_PERMISSIONS if name not in wanted)
    return [
        RoleSync(MODERATORS, len(wanted), missing),
        RoleSync(ADMINISTRATORS, len(every), ()),
    ]


def is_administrator(user: object) -> bool:
    """Superusers and members of Administrators: the accounts two-factor is required for."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or user.groups.filter(name=ADMINISTRATORS).exists()  # type: ignore[attr-defined]


def _group(name: str, *, using: str) -> Group:
    group, _ = Group.objects.using(using).get_or_create(name=name)
    return group


def _permissions(names: tuple[str, ...], *, using: str) -> dict[str, Permission]:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = Permission.objects.using(using).filter(query).select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}": p for p in found}
