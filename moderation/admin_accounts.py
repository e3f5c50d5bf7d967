"""Accounts and roles in the admin, audited like the rest of the moderation: Django's own user
and group pages, with an audit entry in the admin's transaction whenever a save changes what
an account may do (staff or superuser status, groups, its own permissions:
"account.access_change") or what a group may do ("role.add", "role.change"). `manage.py
roles` audits its own changes (moderation/roles.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group

from common.audit import audit_record
from moderation.roles import account_access

# An account being added: what it may do before its first save.
NO_ACCESS = {"is_staff": False, "is_superuser": False, "groups": [], "permissions": []}


def _group_state(group: Group) -> dict[str, Any]:
    found = group.permissions.values_list("content_type__app_label", "codename")
    names = sorted(f"{app_label}.{codename}" for app_label, codename in found)
    return {"name": group.name, "permissions": names}


class AuditedSaveMixin:
    """An admin page whose saves are audited: the object's state read before the form's save
    (`audit_state(None)` for one being added) and after its many-to-many fields are saved,
    recorded as `audit_action(change)` only when the two differ."""

    def audit_state(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def audit_action(self, change: bool) -> str:
        raise NotImplementedError

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        # Read before the save: the form has already changed obj, not yet its many-to-many.
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        form.audit_before = self.audit_state(stored)
        super().save_model(request, obj, form, change)  # type: ignore[misc]

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        super().save_related(request, form, formsets, change)  # type: ignore[misc]
        after = self.audit_state(form.instance)
        if after != form.audit_before:
            audit_record(
                actor=request.user,
                action=self.audit_action(change),
                target=form.instance,
                before=form.audit_before,
                after=after,
            )


class AuditedUserAdmin(AuditedSaveMixin, UserAdmin):  # type: ignore[type-arg]  # (django-stubs: generic)
    def audit_state(self, obj: Any) -> dict[str, Any]:
        return account_access(obj) if obj is not None else NO_ACCESS

    def audit_action(self, change: bool) -> str:
        return "account.access_change"


class AuditedGroupAdmin(AuditedSaveMixin, GroupAdmin):
    def audit_state(self, obj: Any) -> dict[str, Any]:
        return _group_state(obj) if obj is not None else {}

    def audit_action(self, change: bool) -> str:
        return "role.change" if change else "role.add"


def register(site: admin.AdminSite) -> None:
    """In place of django.contrib.auth's registrations (its admin module is loaded first)."""
    for model, model_admin in ((get_user_model(), AuditedUserAdmin), (Group, AuditedGroupAdmin)):
        if site.is_registered(model):
            site.unregister(model)
        site.register(model, model_admin)
