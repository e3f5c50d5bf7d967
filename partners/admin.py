from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from partners.models import ApiKey
from partners.services import apikey_change, apikey_create, apikey_revoke


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin[ApiKey]):
    """Adding a key shows its raw value once, in the confirmation message; only its hash is
    kept. Keys are revoked (an action), never edited into another secret."""

    list_display = (
        "name",
        "prefix",
        "contact_email",
        "rate",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "contact_email")
    readonly_fields = ("prefix", "created_at", "last_used_at", "revoked_at")
    fields = ("name", "contact_email", "rate", *readonly_fields)
    actions = ["revoke"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # revoke instead: the row says who had access and when

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            apikey_change(
                key=obj,
                name=obj.name,
                contact_email=obj.contact_email,
                rate=obj.rate,
                actor=request.user,
            )
            return
        key, raw = apikey_create(
            name=obj.name, contact_email=obj.contact_email, rate=obj.rate, actor=request.user
        )
        obj.pk, obj.prefix, obj.created_at = key.pk, key.prefix, key.created_at
        messages.warning(
            request,
            f"The API key for {key.name} is {raw} . Copy it now: it is not stored and will "
            "not be shown again.",
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for key in queryset.filter(revoked_at__isnull=True):
            apikey_revoke(prefix=key.prefix, actor=request.user)
        self.message_user(request, "Revoked.")
