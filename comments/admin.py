"""Comments in the Django admin: read-only rows (the e-mail visible to moderators only here),
changed through the same audited actions as the queue."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from comments import services
from comments.models import Comment

READ_ONLY = (
    "service",
    "name",
    "email",
    "text",
    "state",
    "created_at",
    "spam_score",
    "spam_reasons",
    "open_flags",
    "moderated_at",
    "moderated_by",
)


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin[Comment]):
    list_display = ("id", "service", "name", "state", "spam_score", "open_flags", "created_at")
    list_filter = ("state", "service")
    list_select_related = ("service",)
    search_fields = ("name", "email", "text")
    readonly_fields = READ_ONLY
    fields = READ_ONLY
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "delete", "erase_commenters"]

    def get_actions(
        self, request: HttpRequest
    ) -> dict[str, tuple[Callable[..., str], str, str] | None]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletions go through the audited action
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False  # only through the audited "delete" action

    def has_moderate_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("comments.moderate_comment")

    def _act(self, request: HttpRequest, queryset: QuerySet[Comment], action: str) -> None:
        ids = list(queryset.values_list("pk", flat=True))
        done = services.comments_moderate(
            actor=request.user, ids=ids, action=action, now=timezone.now()
        )
        self.message_user(request, services.moderated_message(action, done), messages.SUCCESS)

    @admin.action(description=_("Approve the selected comments"), permissions=["moderate"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._act(request, queryset, "approve")

    @admin.action(description=_("Reject the selected comments"), permissions=["moderate"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._act(request, queryset, "reject")

    @admin.action(description=_("Delete the selected comments"), permissions=["moderate"])
    def delete(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        self._act(request, queryset, "delete")

    @admin.action(
        description=_("Erase every comment of these commenters (by e-mail)"),
        permissions=["moderate"],
    )
    def erase_commenters(self, request: HttpRequest, queryset: QuerySet[Comment]) -> None:
        emails = {e.casefold() for e in queryset.values_list("email", flat=True)}
        erased = sum(services.comments_erase_by_email(actor=request.user, email=e) for e in emails)
        self.message_user(
            request,
            ngettext("%(n)d comment erased.", "%(n)d comments erased.", erased) % {"n": erased},
            messages.SUCCESS,
        )
