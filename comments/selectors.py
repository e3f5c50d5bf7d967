"""Read side of comments: a service page's public comments (the moderators' queue is in
moderation/panel/)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from comments.models import Comment
from outages.models import Incident

PUBLIC_FIELDS = ("id", "name", "text", "created_at")  # never the e-mail


@dataclass(frozen=True)
class PublicComment:
    comment: Comment
    incident: Incident | None  # the incident of the service open when it was posted


def comments_public(
    *, service_id: int, incidents: Sequence[Incident], limit: int
) -> list[PublicComment]:
    """Approved comments, newest first, each tied to the incident it was posted during (from
    the incidents the page already has: no query per comment)."""
    comments = (
        Comment.objects.filter(service_id=service_id, state=Comment.State.APPROVED)
        .only(*PUBLIC_FIELDS)
        .order_by("-created_at", "-id")[:limit]
    )
    # Service-wide incidents first: "during the incident" means the service's own.
    ordered = sorted(incidents, key=lambda i: bool(i.dimension))
    return [PublicComment(c, _incident_at(ordered, c)) for c in comments]


def _incident_at(incidents: Sequence[Incident], comment: Comment) -> Incident | None:
    for incident in incidents:
        if incident.started_at <= comment.created_at and (
            incident.ended_at is None or comment.created_at <= incident.ended_at
        ):
            return incident
    return None
