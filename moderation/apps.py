from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.db.models.signals import post_migrate


class ModerationConfig(AppConfig):
    name = "moderation"
    default = True
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # After every app's migrate (the permissions of apps migrated after this one must be
        # there too): idempotent, a few queries.
        post_migrate.connect(_roles_sync, dispatch_uid="moderation.roles_sync")


class ModerationAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with our admin site: two-factor for administrators."""

    default = False
    default_site = "moderation.sites.ModerationAdminSite"


def _roles_sync(sender: AppConfig, using: str = "default", **_: object) -> None:
    from moderation.roles import roles_sync

    roles_sync(using=using)
