"""What an audit entry acted on, as a moderator reads it: a name (the service's, the incident's,
a burst's key and window, an API key's, an account's, a role's), a link to its moderation or
admin page and one to its public page. Resolved when the log is shown, one query per kind of
target on the page, so entries written before the names were kept read the same; a target
deleted since keeps the label it was recorded with."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from comments.models import Comment
from common.audit import AuditEntry
from outages.models import Incident, Service
from partners.models import ApiKey
from reports.models import BurstVoid


@dataclass(frozen=True)
class AuditTarget:
    label: str
    url: str | None = None  # its page in the moderation panel or the admin
    public_url: str | None = None  # its page on the public site, when it has one


def _admin_url(target_type: str, pk: object) -> str | None:
    app_label, _, model = target_type.partition(".")
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[pk])
    except NoReverseMatch:
        return None


def _service_page(service: Service) -> str:
    return reverse("service_detail", args=[service.slug])


def _comment(comment: Comment) -> AuditTarget:
    public = None
    if comment.state == Comment.State.APPROVED:
        public = f"{_service_page(comment.service)}#comment-{comment.pk}"
    return AuditTarget(
        _("Comment #%(pk)d on %(service)s") % {"pk": comment.pk, "service": comment.service.name},
        _admin_url("comments.comment", comment.pk),
        public,
    )


def _incident(incident: Incident) -> AuditTarget:
    public = None
    if incident.visibility != Incident.Visibility.SUSPICIOUS:  # retracted: the withdrawn page
        public = reverse("incident_detail", args=[incident.pk])
    return AuditTarget(
        _("Incident #%(pk)d: %(incident)s") % {"pk": incident.pk, "incident": incident},
        reverse("moderation:incident_review", args=[incident.pk]),
        public,
    )


def burst_page_url(void: BurstVoid) -> str:
    """The burst's own page (chart, mix, void or undo), from a void's criteria."""
    query = {
        "service": void.service_id,
        "kind": void.kind,
        "key": void.key,
        "start": void.start.isoformat(),
        "end": void.end.isoformat(),
    }
    return f"{reverse('moderation:burst')}?{urlencode(query)}"


def _burst(void: BurstVoid) -> AuditTarget:
    return AuditTarget(str(void), burst_page_url(void), _service_page(void.service))


def _service(service: Service) -> AuditTarget:
    return AuditTarget(
        service.name, _admin_url("outages.service", service.pk), _service_page(service)
    )


def _apikey(key: ApiKey) -> AuditTarget:
    return AuditTarget(_("API key %(key)s") % {"key": key}, _admin_url("partners.apikey", key.pk))


def _account(user: Any) -> AuditTarget:
    return AuditTarget(user.get_username(), _admin_url(user._meta.label_lower, user.pk))


def _group(group: Group) -> AuditTarget:
    return AuditTarget(group.name, _admin_url("auth.group", group.pk))


# target_type -> (the rows, with what their labels read) and how to describe one.
_KINDS: dict[str, tuple[Callable[[], Any], Callable[[Any], AuditTarget]]] = {
    get_user_model()._meta.label_lower: (lambda: get_user_model().objects.all(), _account),
    "auth.group": (lambda: Group.objects.all(), _group),
    "comments.comment": (lambda: Comment.objects.select_related("service"), _comment),
    "outages.incident": (lambda: Incident.objects.select_related("service"), _incident),
    "reports.burstvoid": (lambda: BurstVoid.objects.select_related("service"), _burst),
    "outages.service": (lambda: Service.objects.all(), _service),
    "partners.apikey": (lambda: ApiKey.objects.all(), _apikey),
}


def audit_targets(entries: Iterable[AuditEntry]) -> dict[int, AuditTarget]:
    """Each entry's target by the entry's id (one query per kind of target)."""
    entries = list(entries)
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.target_type in _KINDS:
            wanted[entry.target_type].add(entry.target_id)
    found: dict[tuple[str, str], Model] = {}
    for target_type, ids in wanted.items():
        rows, _ = _KINDS[target_type]
        valid = [pk for pk in ids if pk.isdigit()]
        found.update(((target_type, str(row.pk)), row) for row in rows().filter(pk__in=valid))
    described = {}
    for entry in entries:
        row = found.get((entry.target_type, entry.target_id))
        if row is not None:
            described[entry.pk] = _KINDS[entry.target_type][1](row)
        elif entry.target_type in _KINDS:  # deleted since: as recorded, with no page
            described[entry.pk] = AuditTarget(entry.target_repr)
        else:  # a second factor enrolled from the panel, say: its admin page, if any
            described[entry.pk] = AuditTarget(
                entry.target_repr, _admin_url(entry.target_type, entry.target_id)
            )
    return described
