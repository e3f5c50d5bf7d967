"""The moderation panel in the Django admin: services (aliases, logo, merge), incidents
(confirm, dismiss, public note), the audit log, read-only, and the account and group pages
(moderation/admin_accounts.py). Every change goes through a service function or is audited
here, inside the admin's own transaction.

Over 300 lines: the admin of every moderated model with its audited actions.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from common.audit import audit_record
from moderation.admin_accounts import AuditedSaveMixin
from moderation.admin_accounts import register as register_account_admins
from moderation.models import AuditEntry, ServiceLogo
from moderation.panel.audit_targets import audit_targets
from moderation.services import (
    NOTE_MAX_CHARS,
    incident_confirm,
    incident_dismiss,
    incident_note_set,
)
from outages.models import Incident, Service, ServiceAlias
from outages.services.merge import service_merge

register_account_admins(admin.site)


class ActorFilter(admin.SimpleListFilter):
    """By who acted: every name in the log (kept even when the account is gone)."""

    title = "actor"
    parameter_name = "actor"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        names = AuditEntry.objects.order_by("actor_name").values_list("actor_name", flat=True)
        return [(name, name) for name in names.distinct()]

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        return queryset.filter(actor_name=self.value()) if self.value() else queryset


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read-only: the log is written by the actions themselves, never from the panel. The
    list links each target to its page and counts the filtered actions per moderator."""

    list_display = ("at", "actor_name", "action", "target")
    list_filter = (ActorFilter, "action", ("at", admin.DateFieldListFilter))
    search_fields = ("actor_name", "target_repr", "target_id")
    date_hierarchy = "at"

    @admin.display(description="target")
    def target(self, entry: AuditEntry) -> str:
        found = getattr(entry, "described", None) or audit_targets([entry])[entry.pk]
        shown = (
            format_html('<a href="{}">{}</a>', found.url, found.label) if found.url else found.label
        )
        if found.public_url:
            shown = format_html('{} · <a href="{}">public page</a>', shown, found.public_url)
        return shown

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data:
            changelist = response.context_data["cl"]
            # The page's targets by name, in one query per kind (the page lists these rows).
            page = list(changelist.result_list)
            targets = audit_targets(page)
            for entry in page:
                setattr(entry, "described", targets[entry.pk])  # noqa: B010 (read by target())
            response.context_data["per_actor"] = list(
                changelist.queryset.order_by()
                .values_list("actor_name")
                .annotate(n=Count("id"))
                .order_by("-n", "actor_name")[:20]
            )
        return response

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


# --- Services -------------------------------------------------------------------------------


class ServiceAliasInline(admin.TabularInline[ServiceAlias, Service]):
    model = ServiceAlias
    extra = 1
    verbose_name_plural = "aliases"  # the model's default plural reads "service aliass"


class ServiceLogoInline(admin.StackedInline[ServiceLogo, Service]):
    model = ServiceLogo
    max_num = 1
    extra = 0


def _service_state(service: Service | None) -> dict[str, Any]:
    if service is None or service.pk is None:
        return {}
    logo = ServiceLogo.objects.filter(service=service).values_list("url", flat=True).first()
    return {
        "slug": service.slug,
        "name": service.name,
        "category": service.category,
        "url": service.url,
        "is_active": service.is_active,
        "aliases": sorted(service.aliases.values_list("alias", flat=True)),
        "logo": logo or "",
    }


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Service.objects.all(),
        label="Merge into",
        help_text="The service that stays; this one is deleted once everything has moved.",
    )


@admin.register(Service)
class ServiceAdmin(AuditedSaveMixin, admin.ModelAdmin[Service]):
    list_display = ("name", "slug", "category", "is_active")
    list_filter = ("category", "is_active")
    search_fields = ("name", "slug", "aliases__alias")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [ServiceAliasInline, ServiceLogoInline]
    actions = ["merge_action"]

    def audit_state(self, obj: Service | None) -> dict[str, Any]:
        return _service_state(obj)

    def audit_action(self, change: bool) -> str:
        return "service.change" if change else "service.add"

    def delete_model(self, request: HttpRequest, obj: Service) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="service.delete",
                target=obj,
                before=_service_state(obj),
                after={},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            for service in queryset:
                self.delete_model(request, service)

    def has_merge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.merge_service")

    @admin.action(description="Merge the selected service into another…", permissions=["merge"])
    def merge_action(self, request, queryset):  # type: ignore[no-untyped-def]
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one duplicate to merge.", messages.ERROR)
            return None
        return HttpResponseRedirect(
            reverse("admin:outages_service_merge", args=[queryset.get().pk])
        )

    def get_urls(self):  # type: ignore[no-untyped-def]
        merge = self.admin_site.admin_view(self.merge_view)
        return [path("<int:pk>/merge/", merge, name="outages_service_merge"), *super().get_urls()]

    def merge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_merge_permission(request):
            raise PermissionDenied
        duplicate = get_object_or_404(Service, pk=pk)
        form = MergeForm(request.POST or None)
        keep_field = form.fields["keep"]
        assert isinstance(keep_field, forms.ModelChoiceField)  # (fields are typed as Field)
        keep_field.queryset = Service.objects.exclude(pk=pk)
        if request.method == "POST" and form.is_valid():
            keep = form.cleaned_data["keep"]
            try:
                moved = service_merge(actor=request.user, keep=keep, duplicate=duplicate)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(request, f"Merged {duplicate.name} into {keep.name}: {moved}.")
                return HttpResponseRedirect(reverse("admin:outages_service_change", args=[keep.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {duplicate.name} into another service",
            "opts": self.model._meta,
            "duplicate": duplicate,
            "form": form,
        }
        return TemplateResponse(request, "admin/outages/service/merge.html", context)


# --- Incidents ------------------------------------------------------------------------------


class IncidentNoteForm(forms.ModelForm[Incident]):
    public_note = forms.CharField(required=False, max_length=NOTE_MAX_CHARS, widget=forms.Textarea)

    class Meta:
        model = Incident
        fields = ["public_note"]


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin[Incident]):
    """Moderators confirm or dismiss an incident and write its public note; its figures come
    from the detection pass and are read-only here."""

    list_display = ("__str__", "level", "status", "visibility", "review", "total")
    list_filter = ("review", "visibility", "status", "level")
    search_fields = ("service__name", "service__slug")
    list_select_related = ("service",)
    date_hierarchy = "started_at"
    fields = (
        "service",
        "level",
        "status",
        "visibility",
        "review",
        "started_at",
        "ended_at",
        "peak_at",
        "peak_count",
        "total",
        "expected_total",
        "scope",
        "diversity",
        "retracted_at",
        "public_note",
    )
    actions = ["confirm_action", "dismiss_action"]
    form = IncidentNoteForm

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return [name for name in self.fields if name != "public_note"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # incidents are opened by detection only

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return self.has_review_permission(request)

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("moderation.review_incident")

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        incident_note_set(actor=request.user, incident=obj, note=obj.public_note)

    def delete_model(self, request: HttpRequest, obj: Incident) -> None:
        with transaction.atomic():
            audit_record(
                actor=request.user,
                action="incident.delete",
                target=obj,
                before={
                    "service": obj.service.slug,
                    "started_at": str(obj.started_at),
                    "total": obj.total,
                },
                after={},
            )
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        with transaction.atomic():
            for incident in queryset.select_related("service"):
                self.delete_model(request, incident)

    @admin.action(description="Confirm the selected incidents", permissions=["review"])
    def confirm_action(self, request, queryset):  # type: ignore[no-untyped-def]
        for incident in queryset:
            incident_confirm(actor=request.user, incident=incident)
        self.message_user(request, f"Confirmed {len(queryset)} incident(s).")

    @admin.action(
        description="Dismiss the selected incidents (retract them)", permissions=["review"]
    )
    def dismiss_action(self, request, queryset):  # type: ignore[no-untyped-def]
        now = timezone.now()
        for incident in queryset:
            incident_dismiss(actor=request.user, incident=incident, at=now)
        self.message_user(request, f"Dismissed {len(queryset)} incident(s).")
