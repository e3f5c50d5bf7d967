"""Read side of comments: a service page's public comments and the moderators' queue."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Value, When

from comments.models import Comment, CommentFlag
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


QUEUE_VIEWS = {
    "review": (Comment.State.FLAGGED, Comment.State.PENDING),
    "approved": (Comment.State.APPROVED,),
    "rejected": (Comment.State.REJECTED,),
    "all": tuple(Comment.State.values),
}


@dataclass
class QueueRow:
    comment: Comment
    flags: list[tuple[str, int]] = field(default_factory=list)  # open flags: (reason, count)


def comments_queue(*, view: str, offset: int, limit: int) -> tuple[list[QueueRow], bool]:
    """One page of the queue: flagged, then pending, then the rest (most flags first, then
    oldest first in the review view, newest first in the others), with each comment's open
    flags by reason. Two queries, however many comments. Returns the rows and whether there
    are more."""
    waiting = "created_at" if view == "review" else "-created_at"  # oldest waiting first
    rank = Case(
        When(state=Comment.State.FLAGGED, then=Value(0)),
        When(state=Comment.State.PENDING, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    comments = list(
        Comment.objects.filter(state__in=QUEUE_VIEWS[view])
        .select_related("service")
        .annotate(rank=rank)
        .order_by("rank", "-open_flags", waiting, "id")[offset : offset + limit + 1]
    )
    more = len(comments) > limit
    rows = {c.pk: QueueRow(c) for c in comments[:limit]}
    if rows:
        counts = (
            CommentFlag.objects.filter(comment_id__in=list(rows), reviewed=False)
            .values_list("comment_id", "reason")
            .annotate(n=Count("id"))
        )
        grouped: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for comment_id, reason, n in counts.order_by("comment_id", "reason"):
            grouped[comment_id].append((str(CommentFlag.Reason(reason).label), n))
        for comment_id, flags in grouped.items():
            rows[comment_id].flags = flags
    return list(rows.values()), more
