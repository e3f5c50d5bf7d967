"""What a moderator needs to judge a suspicious burst before voiding it: the service's reports
per minute around the window with the burst's own drawn apart, the burst's platform, problem
and country mix, the incidents it touches, and a preview of the void (what it would change),
obtained by voiding inside a transaction that is then rolled back: the preview is the void's
own arithmetic, never a second copy of it."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.utils.translation import gettext as _

from moderation.models import AuditEntry
from outages.charts import integer_ticks
from outages.models import Incident, Service
from reports.bursts.selectors import SuspiciousBurst
from reports.bursts.services import BurstInvalid, burst_void
from reports.models import BurstVoid, Report

MARGIN = timedelta(minutes=30)  # the chart shows this much on each side of the window
# Our public pages and API show a void (or its undo) at once: it rebuilds the service's summary
# and moves the page cache's version on commit. Copies kept outside follow within PUBLIC_LAG
# seconds: a CDN's copy of a page (s-maxage 30), a browser's or CDN's of the API (max-age 30),
# of a badge or an embedded widget (max-age 60).
PUBLIC_LAG = 60


@dataclass(frozen=True)
class Criteria:
    service: Service
    kind: str
    key: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class VoidPreview:
    reports: int  # counted reports the void takes out
    total: int  # the service's counted reports in the window
    incidents: list[dict[str, Any]]  # id, before and after figures, whether retracted
    error: str = ""


@dataclass
class BurstContext:
    criteria: Criteria
    figure: dict[str, Any]
    mix: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    incidents: list[Incident] = field(default_factory=list)


def _reports(criteria: Criteria) -> Any:
    return Report.objects.filter(
        service=criteria.service,
        received_at__gte=criteria.start - MARGIN,
        received_at__lt=criteria.end + MARGIN,
        counted=True,
    )


def burst_context(criteria: Criteria) -> BurstContext:
    """The chart, the mix and the touched incidents (four queries)."""
    reports = _reports(criteria)
    per_minute = (
        reports.annotate(minute=TruncMinute("received_at"))
        .values_list("minute", criteria.kind)
        .annotate(n=Count("id"))
    )
    mine: Counter[datetime] = Counter()
    others: Counter[datetime] = Counter()
    for minute, key, n in per_minute:
        (mine if key == criteria.key else others)[minute] += n
    burst = reports.filter(
        received_at__gte=criteria.start,
        received_at__lt=criteria.end,
        **{criteria.kind: criteria.key},
    )
    mix = {
        name: list(burst.values_list(name).annotate(n=Count("id")).order_by("-n", name)[:5])
        for name in ("platform", "problem", "country")
    }
    incidents = list(
        Incident.objects.filter(service=criteria.service, started_at__lt=criteria.end)
        .exclude(ended_at__lt=criteria.start)
        .order_by("started_at")
    )
    return BurstContext(criteria, burst_figure(criteria, mine, others), mix, incidents)


def burst_figure(
    criteria: Criteria, mine: Counter[datetime], others: Counter[datetime]
) -> dict[str, Any]:
    """Reports per minute stacked: the other reports, and the burst key's on top, with the
    burst's window shaded. Stacked areas in steps rather than bars: the pages' Plotly bundle
    (plotly-geo) has scatter traces and no bar traces, which it would draw as plain lines."""
    minutes = sorted(set(mine) | set(others))
    x = [m.isoformat() for m in minutes]
    top = max([mine[m] + others[m] for m in minutes] or [1])
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "stackgroup": "reports",
                "line": {"shape": "hv", "width": 1, "color": "#3b6ea8"},
                "name": _("Other reports"),
                "x": x,
                "y": [others[m] for m in minutes],
            },
            {
                "type": "scatter",
                "mode": "lines",
                "stackgroup": "reports",
                "line": {"shape": "hv", "width": 1, "color": "#c0392b"},
                "name": _("This burst's key"),
                "x": x,
                "y": [mine[m] for m in minutes],
            },
        ],
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
            # The date under the times needs the room below the axis, so the legend sits
            # above the plot.
            "xaxis": {"type": "date", "automargin": True},
            "yaxis": {"title": {"text": _("reports per minute")}, **integer_ticks(top)},
            "shapes": [
                {
                    "type": "rect",
                    "xref": "x",
                    "yref": "paper",
                    "x0": criteria.start.isoformat(),
                    "x1": criteria.end.isoformat(),
                    "y0": 0,
                    "y1": 1,
                    "line": {"width": 0},
                    "fillcolor": "rgba(192, 57, 43, 0.12)",
                },
            ],
            "legend": {
                "orientation": "h",
                "x": 0,
                "xanchor": "left",
                "y": 1.02,
                "yanchor": "bottom",
            },
            "height": 300,
        },
    }


class _Rollback(Exception):
    pass


def void_preview(criteria: Criteria, *, actor: Any, now: datetime) -> VoidPreview:
    """Void, read what it did from its audit entry, and roll everything back."""
    active = BurstVoid.objects.filter(
        service=criteria.service,
        kind=criteria.kind,
        key=criteria.key,
        start=criteria.start,
        end=criteria.end,
        undone_at__isnull=True,
    )
    if active.exists():
        return VoidPreview(0, 0, [], _("This burst is already voided."))
    found: dict[str, Any] = {}
    try:
        with transaction.atomic():
            void = burst_void(
                service=criteria.service,
                kind=criteria.kind,
                key=criteria.key,
                start=criteria.start,
                end=criteria.end,
                actor=actor,
                now=now,
            )
            entry = AuditEntry.objects.filter(
                action="burst.void", target_type="reports.burstvoid", target_id=str(void.pk)
            ).first()
            found = {"size": void.size, "total": void.total, "entry": entry}
            raise _Rollback
    except _Rollback:
        pass
    except BurstInvalid as invalid:
        return VoidPreview(0, 0, [], f"{invalid.field}: {invalid.reason}")
    entry = found["entry"]
    retracted = set(entry.after.get("retracted", []))
    labels = Incident.objects.select_related("service").in_bulk(map(int, entry.after["incidents"]))
    incidents = [
        {
            "id": int(pk),
            "label": str(labels[int(pk)]),
            "before": entry.before["incidents"][pk],
            "after": after,
            "retracted": int(pk) in retracted,
        }
        for pk, after in entry.after["incidents"].items()
    ]
    return VoidPreview(found["size"], found["total"], incidents)


def bursts_in_order(bursts: list[SuspiciousBurst]) -> list[SuspiciousBurst]:
    """A stable order, the same before and after a void: the latest window first, then the
    service and key (a voided burst keeps its place instead of jumping to the end)."""
    return sorted(bursts, key=lambda b: (-b.start.timestamp(), b.service.name, b.kind, b.key))
