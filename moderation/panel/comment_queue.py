"""The comment queue's read side at volume: one page of comments chosen by view, service,
flag reason, spam score and a search, in the chosen order, with the count of each view under
the same filters. Three queries for a page, whatever the queue's size."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.expressions import OrderBy
from django.utils.translation import gettext as _

from comments.models import Comment, CommentFlag
from moderation.panel.counts import TO_REVIEW
from outages.models import Service

VIEWS: dict[str, Q] = {
    "review": TO_REVIEW,
    "approved": Q(state=Comment.State.APPROVED),
    "rejected": Q(state=Comment.State.REJECTED),
    "all": Q(),
}
# Hidden by flags first, then never reviewed, then the rest.
_RANK = Case(
    When(state=Comment.State.FLAGGED, then=Value(0)),
    When(state=Comment.State.PENDING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)
SORTS: dict[str, tuple[str | OrderBy, ...]] = {
    "priority": (OrderBy(_RANK), OrderBy(F("open_flags"), descending=True), "created_at", "id"),
    "oldest": ("created_at", "id"),  # the one waiting longest first
    "newest": ("-created_at", "-id"),
    "spam": ("-spam_score", "created_at", "id"),
    "flags": ("-open_flags", "created_at", "id"),
}
SEARCH_MAX = 100


@dataclass(frozen=True)
class QueueFilter:
    """A moderator's choice, already checked (see `queue_filter`)."""

    view: str = "review"
    service: str = ""  # slug
    reason: str = ""  # a CommentFlag.Reason value
    min_score: int = 0
    search: str = ""
    sort: str = "priority"


@dataclass
class QueueRow:
    comment: Comment
    flags: list[tuple[str, int]] = field(default_factory=list)  # open flags: (reason, count)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    more: bool
    counts: dict[str, int]  # per view, under the same filters


def queue_filter(params: dict[str, str]) -> tuple[QueueFilter, dict[str, str]]:
    """Read the filter from a query string; a bad value is dropped and reported by field."""
    errors: dict[str, str] = {}
    view = params.get("view", "review")
    if view not in VIEWS:
        errors["view"] = _("one of %(choices)s") % {"choices": ", ".join(VIEWS)}
        view = "review"
    sort = params.get("sort", "priority")
    if sort not in SORTS:
        errors["sort"] = _("one of %(choices)s") % {"choices": ", ".join(SORTS)}
        sort = "priority"
    reason = params.get("reason", "")
    if reason and reason not in CommentFlag.Reason.values:
        errors["reason"] = _("one of %(choices)s") % {
            "choices": ", ".join(CommentFlag.Reason.values)
        }
        reason = ""
    raw_score = params.get("min_score", "").strip() or "0"
    min_score = int(raw_score) if raw_score.isdigit() and int(raw_score) <= 100 else 0
    if not (raw_score.isdigit() and int(raw_score) <= 100):
        errors["min_score"] = _("a whole number from 0 to 100")
    search = params.get("q", "").strip()[:SEARCH_MAX]
    chosen = QueueFilter(view, params.get("service", "").strip(), reason, min_score, search, sort)
    return chosen, errors


def _matching(chosen: QueueFilter) -> QuerySet[Comment]:
    comments = Comment.objects.all()
    if chosen.service:
        comments = comments.filter(service__slug=chosen.service)
    if chosen.reason:
        flagged = CommentFlag.objects.filter(reviewed=False, reason=chosen.reason)
        comments = comments.filter(pk__in=flagged.values("comment_id"))
    if chosen.min_score:
        comments = comments.filter(spam_score__gte=chosen.min_score)
    if chosen.search:
        comments = comments.filter(
            Q(text__icontains=chosen.search) | Q(name__icontains=chosen.search)
        )
    return comments


def comment_queue_page(*, chosen: QueueFilter, offset: int, limit: int) -> QueuePage:
    matching = _matching(chosen)
    counts = matching.aggregate(**{name: Count("id", filter=q) for name, q in VIEWS.items()})
    comments = list(
        matching.filter(VIEWS[chosen.view])
        .select_related("service")
        .order_by(*SORTS[chosen.sort])[offset : offset + limit + 1]
    )
    rows = {c.pk: QueueRow(c) for c in comments[:limit]}
    if rows:
        open_flags = (
            CommentFlag.objects.filter(comment_id__in=list(rows), reviewed=False)
            .values_list("comment_id", "reason")
            .annotate(n=Count("id"))
            .order_by("comment_id", "reason")
        )
        grouped: dict[int, list[tuple[str, int]]] = defaultdict(list)
        for comment_id, reason, n in open_flags:
            grouped[comment_id].append((str(CommentFlag.Reason(reason).label), n))
        for comment_id, flags in grouped.items():
            rows[comment_id].flags = flags
    return QueuePage(list(rows.values()), len(comments) > limit, counts)


def services_with_comments() -> QuerySet[Service]:
    """The services the filter offers: those with a comment waiting (the queue's index)."""
    waiting = Comment.objects.filter(TO_REVIEW).values("service_id")
    return Service.objects.filter(pk__in=waiting).order_by("name")
