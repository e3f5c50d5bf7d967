"""What waits for a moderator, counted for the home, the menu, the admin index and the
counts endpoint the pages poll. A few aggregate queries, whatever the queue's size. The burst
count runs the burst finder (seconds on a busy day), so beat refreshes it in the cache every
minute (`new_bursts_refresh`) and a page only reads it; a page computes it itself only when
the cache has none (no beat running: a test, a one-off command)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db.models import Count, Q

from comments.models import Comment, CommentFlag
from outages.models import Incident
from reports.bursts.selectors import bursts_suspicious

BURST_PERIOD = timedelta(hours=6)  # "new" bursts: found in the last six hours, not voided
BURST_COUNT_SECONDS = 180  # beat refreshes it every minute; kept a little longer
_BURST_KEY = "moderation:new-bursts"

# Comments a moderator should look at: never reviewed, hidden by flags, or flagged at all.
TO_REVIEW = Q(state__in=(Comment.State.PENDING, Comment.State.FLAGGED)) | Q(open_flags__gt=0)


@dataclass(frozen=True)
class PendingCounts:
    comments_to_review: int
    comments_flagged: int
    personal_data_flags: int
    incidents_suspicious: int
    incidents_unreviewed: int
    bursts_new: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def pending_counts(*, now: datetime) -> PendingCounts:
    comments = Comment.objects.aggregate(
        review=Count("id", filter=TO_REVIEW),
        flagged=Count("id", filter=Q(open_flags__gt=0)),
    )
    personal = (
        CommentFlag.objects.filter(reviewed=False, reason=CommentFlag.Reason.PERSONAL_DATA)
        .values("comment_id")
        .distinct()
        .count()
    )
    incidents = Incident.objects.exclude(visibility=Incident.Visibility.RETRACTED).aggregate(
        suspicious=Count(
            "id",
            filter=Q(visibility=Incident.Visibility.SUSPICIOUS, review=Incident.Review.UNREVIEWED),
        ),
        unreviewed=Count("id", filter=Q(review=Incident.Review.UNREVIEWED)),
    )
    return PendingCounts(
        comments_to_review=comments["review"],
        comments_flagged=comments["flagged"],
        personal_data_flags=personal,
        incidents_suspicious=incidents["suspicious"],
        incidents_unreviewed=incidents["unreviewed"],
        bursts_new=new_bursts(now=now),
    )


def new_bursts(*, now: datetime) -> int:
    """Suspicious bursts of the last BURST_PERIOD that nobody voided, as last counted."""
    cached = cache.get(_BURST_KEY)
    return int(cached) if cached is not None else new_bursts_refresh(now=now)


def new_bursts_refresh(*, now: datetime) -> int:
    """Count them now and keep the figure for the pages (beat, every minute; and after a
    void or an undo, so that the menu is right at once)."""
    found = bursts_suspicious(since=now - BURST_PERIOD, until=now)
    count = sum(1 for burst in found if burst.void is None)
    cache.set(_BURST_KEY, count, BURST_COUNT_SECONDS)
    return count
