"""The two roles, as Django groups kept in step with their permissions.

Moderators keep comments, bursts and incident reviews clean; Administrators may do everything.
A permission named here that no installed app defines yet is skipped: each app brings its own
(`comments.moderate_comment` with the comments, `reports.void_burst` with the bursts).

Who holds a role and what a role may do are audited when a person changes them: a grant or a
second factor added by `manage.py roles`, a group's permissions set right by `roles sync`, an
account's groups changed in the admin (moderation/admin_accounts.py). The sync that follows
every `migrate` is not: it takes up the permissions of the models just migrated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from common.audit import audit_record

MODERATORS = "Moderators"
ADMINISTRATORS = "Administrators"
ROLE_GROUPS = {"moderator": MODERATORS, "administrator": ADMINISTRATORS}  # role -> its group

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
    added: tuple[str, ...] = ()  # what this sync gave the group
    removed: tuple[str, ...] = ()  # and took away from it


def roles_sync(*, using: str = "default", audit_as: Any = None) -> list[RoleSync]:
    """Create both groups if needed and set their permissions to exactly what they should be.
    Idempotent: run after every migrate and by `manage.py roles sync`. With `audit_as`, each
    group whose permissions changed gets an audit entry ("role.sync") by that actor."""
    with transaction.atomic(using=using):
        wanted = _permissions(MODERATOR_PERMISSIONS, using=using)
        every = set(Permission.objects.using(using).values_list("pk", flat=True))
        missing = tuple(name for name in MODERATOR_PERMISSIONS if name not in wanted)
        synced = [
            _group_sync(MODERATORS, {p.pk for p in wanted.values()}, missing, using=using),
            _group_sync(ADMINISTRATORS, every, (), using=using),
        ]
        if audit_as is not None:
            _sync_audit(synced, actor=audit_as, using=using)
    return synced


def is_administrator(user: object) -> bool:
    """Superusers and members of Administrators: the accounts two-factor is required for."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or user.groups.filter(name=ADMINISTRATORS).exists()  # type: ignore[attr-defined]


def account_access(user: Any) -> dict[str, Any]:
    """What an account may do in the admin and the panel, as the audit log records it."""
    permissions = user.user_permissions.all()
    return {
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "permissions": sorted(_names(permissions).values()),
    }


def role_grant(*, user: Any, role: str, actor: Any, created: bool = False) -> bool:
    """Staff access and the role's group, audited as "account.grant_<role>" (or, for an account
    just made, "account.create_<role>"). Granting a role the account holds already changes
    nothing and records nothing: returns whether anything changed."""
    with transaction.atomic():
        before = account_access(user)
        user.is_staff = True
        user.save(update_fields=["is_staff"])
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[role]))
        after = account_access(user)
        if after == before and not created:
            return False
        audit_record(
            actor=actor,
            action=f"account.{'create' if created else 'grant'}_{role}",
            target=user,
            before={} if created else before,
            after=after,
        )
    return True


def totp_device_add(*, user: Any, name: str, actor: Any) -> TOTPDevice:
    """A confirmed TOTP device for the account, audited ("account.totp_add") without its key."""
    with transaction.atomic():
        devices = TOTPDevice.objects.filter(user=user, confirmed=True).count()
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        audit_record(
            actor=actor,
            action="account.totp_add",
            target=user,
            before={"devices": devices},
            after={"devices": devices + 1, "device": name},
        )
    return device


def _group_sync(name: str, wanted: set[int], missing: tuple[str, ...], *, using: str) -> RoleSync:
    group, _ = Group.objects.using(using).get_or_create(name=name)
    held = set(group.permissions.values_list("pk", flat=True))
    group.permissions.set(wanted)
    names = _names(Permission.objects.using(using).filter(pk__in=held ^ wanted))
    return RoleSync(
        name,
        len(wanted),
        missing,
        added=tuple(sorted(names[pk] for pk in wanted - held)),
        removed=tuple(sorted(names[pk] for pk in held - wanted)),
    )


def _sync_audit(synced: list[RoleSync], *, actor: Any, using: str) -> None:
    for role in synced:
        if not (role.added or role.removed):
            continue
        audit_record(
            actor=actor,
            action="role.sync",
            target=Group.objects.using(using).get(name=role.group),
            before={"permissions": role.permissions - len(role.added) + len(role.removed)},
            after={
                "permissions": role.permissions,
                "added": list(role.added),
                "removed": list(role.removed),
            },
        )


def _names(permissions: Any) -> dict[int, str]:
    """Each permission's "app_label.codename", by its id."""
    found = permissions.values_list("pk", "content_type__app_label", "codename")
    return {pk: f"{app_label}.{codename}" for pk, app_label, codename in found}


def _permissions(names: tuple[str, ...], *, using: str) -> dict[str, Permission]:
    query = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".", 1)
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = Permission.objects.using(using).filter(query).select_related("content_type")
    return {f"{p.content_type.app_label}.{p.codename}": p for p in found}
