"""Void a suspicious burst of reports, and undo it: exactly, in one transaction, audited.

`burst_void` marks the burst's counted reports as voided (Report.void), takes each of them out
of its minute bucket, recomputes the figures of every incident overlapping the window, and
retracts an incident that the burst alone raised. `burst_void_undo` puts every report back in
its bucket, restores what the void retracted and recomputes the figures again.

When is an incident "raised only by the burst"? The detector itself decides: its series is
replayed through the detection library, from rest, with the stored baseline, over the
incident's minutes (and the WINDOW minutes before them) as the buckets stand without the
voided reports. If at no minute of the incident the replay has an incident open, the incident
does not stand without the burst and is retracted (with one retract event in the alert outbox
if it had been announced). Otherwise only its figures change.

Reports from the voided key that arrive later in the same window (a slow drain, a retry) are
not voided automatically: the void covers the reports it saw, which is what undo restores
exactly. If they form a burst again, the list shows it again, and a moderator voids it (a new
void, its own undo).

Both actions are idempotent: voiding criteria already voided (and not undone) returns the
existing void; undoing an undone void changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from common.audit import audit_record
from outages.detection import DetectorState, step
from outages.detection.timebuckets import MINUTE, floor_to_minute
from outages.models import Incident, MinuteBucket, SeriesBaseline, Service
from outages.services.baselines import baseline_of
from outages.services.buckets import BucketKey, bucket_increment
from outages.services.detection import WINDOW
from outages.services.incidents import incident_refresh, incident_restore, incident_retract
from outages.services.series import SeriesKey, series_counts
from outages.services.status import statuses_rebuild
from reports.models import BurstKind, BurstVoid, Report

MAX_WINDOW = timedelta(days=2)


@dataclass(frozen=True)
class BurstInvalid(ValueError):
    """Criteria that cannot be voided: which field, and why."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def burst_void(
    *,
    service: Service,
    kind: str,
    key: str,
    start: datetime,
    end: datetime,
    actor: Any,
    now: datetime | None = None,
    reason: str = "",
) -> BurstVoid:
    """Void the counted reports of `service` from one key in [start, end); the moderator's
    reason, if any, goes into the audit entry."""
    _validate(kind=kind, key=key, start=start, end=end)
    now = now or timezone.now()
    criteria = {"service": service, "kind": kind, "key": key, "start": start, "end": end}
    with transaction.atomic():
        existing = BurstVoid.objects.filter(**criteria, undone_at__isnull=True).first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                void = BurstVoid.objects.create(**criteria, voided_by=_user(actor), voided_at=now)
        except IntegrityError:  # another moderator voided the same burst a moment ago
            return BurstVoid.objects.get(**criteria, undone_at__isnull=True)
        reports = Report.objects.filter(
            service=service, received_at__gte=start, received_at__lt=end, counted=True
        )
        void.total = reports.filter(void__isnull=True).count()
        void.size = reports.filter(**{kind: key}, void__isnull=True).update(void=void)
        counts = _bucket_counts(void)
        _buckets_subtract(counts)
        before, after, retracted = _incidents_follow(void, now=now, voiding=True)
        void.retracted = retracted
        void.save(update_fields=["size", "total", "retracted"])
        audit_record(
            actor=actor,
            action="burst.void",
            target=void,
            before={"reports_counted": void.total, "incidents": before},
            after={
                "reports_voided": void.size,
                "buckets": len(counts),
                "incidents": after,
                "retracted": [r["id"] for r in retracted],
                "reason": reason.strip()[:500],
            },
        )
    return void


def burst_void_undo(*, void: BurstVoid, actor: Any, now: datetime | None = None) -> BurstVoid:
    """Put the void's reports back in their buckets and restore what it retracted."""
    now = now or timezone.now()
    with transaction.atomic():
        void = BurstVoid.objects.select_for_update().get(pk=void.pk)
        if void.undone_at is not None:
            return void
        counts = _bucket_counts(void)
        # The incidents as they stand before anything is put back (retracted ones included).
        before = {str(i.pk): _figures(i) for i in _overlapping(void)}
        restored = Report.objects.filter(void=void).update(void=None)
        if counts:
            bucket_increment(increments=counts)
        _restore(void.retracted)
        _, after, _ = _incidents_follow(void, now=now, voiding=False)
        void.undone_at, void.undone_by = now, _user(actor)
        void.save(update_fields=["undone_at", "undone_by"])
        audit_record(
            actor=actor,
            action="burst.undo",
            target=void,
            before={"reports_voided": restored, "incidents": before},
            after={
                "reports_restored": restored,
                "buckets": len(counts),
                "incidents": after,
                "restored": [r["id"] for r in void.retracted],
            },
        )
    return void


def _validate(*, kind: str, key: str, start: datetime, end: datetime) -> None:
    if kind not in BurstKind.values:
        raise BurstInvalid("kind", f"must be one of {sorted(BurstKind.values)}")
    if not key or len(key) > 200:
        raise BurstInvalid("key", "required, at most 200 characters")
    if start.tzinfo is None or end.tzinfo is None:
        raise BurstInvalid("start", "start and end must carry a time zone")
    if not start < end:
        raise BurstInvalid("end", "must be after start")
    if end - start > MAX_WINDOW:
        raise BurstInvalid("end", f"a burst lasts at most {MAX_WINDOW}")


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _bucket_counts(void: BurstVoid) -> Counter[BucketKey]:
    """The void's reports per minute bucket (the drain's own keying of a report)."""
    rows = Report.objects.filter(void=void).values_list(
        "service_id", "received_at", "kind", "platform", "problem", "country"
    )
    return Counter(
        BucketKey(service_id, floor_to_minute(at), kind, platform, problem, country)
        for service_id, at, kind, platform, problem, country in rows.iterator()
    )


def _buckets_subtract(counts: Counter[BucketKey]) -> None:
    """Take each count out of its bucket, in key order (the drain's lock order)."""
    for key, count in sorted(counts.items()):
        updated = MinuteBucket.objects.filter(**key._asdict(), count__gte=count).update(
            count=F("count") - count
        )
        if updated != 1:  # the bucket no longer holds these reports: change nothing
            raise BurstInvalid(
                "start", f"the minute {key.minute:%Y-%m-%d %H:%M} no longer holds these reports"
            )


def _overlapping(void: BurstVoid) -> list[Incident]:
    """Incidents of the service whose minutes meet [start, end)."""
    return list(
        Incident.objects.filter(service_id=void.service_id, started_at__lt=void.end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=floor_to_minute(void.start)))
        .order_by("started_at", "id")
    )


def _incidents_follow(
    void: BurstVoid, *, now: datetime, voiding: bool
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Recompute the overlapping incidents' figures from the buckets; when voiding, retract
    those that do not stand without the burst. Returns (before, after, retracted)."""
    incidents = _overlapping(void)
    before = {str(i.pk): _figures(i) for i in incidents}
    shares = {
        SeriesKey(void.service_id, d, v): share
        for d, v, share in SeriesBaseline.objects.filter(service_id=void.service_id).values_list(
            "dimension", "value", "share"
        )
    }
    end = floor_to_minute(now)
    retracted = []
    for incident in incidents:
        incident_refresh(incident=incident, figures=None, shares=shares, now=end, diversity=None)
        if (
            voiding
            and incident.visibility != Incident.Visibility.RETRACTED
            and not incident_stands(incident, now=end)
        ):
            retracted.append(
                {"id": incident.pk, "visibility": incident.visibility, "at": now.isoformat()}
            )
            incident_retract(incident, at=now)
    after = {str(i.pk): _figures(i) for i in incidents}
    # The service's summary (level, 15-minute count, sparkline) without the burst, or with it.
    statuses_rebuild(now=now, service_ids=[void.service_id])
    return before, after, retracted


def _restore(retracted: list[dict[str, Any]]) -> None:
    """Give back what the void retracted, unless someone has changed it since."""
    by_id = {entry["id"]: entry for entry in retracted}
    for incident in Incident.objects.filter(pk__in=list(by_id)):
        entry = by_id[incident.pk]
        at = datetime.fromisoformat(entry["at"])
        if incident.visibility != Incident.Visibility.RETRACTED or incident.retracted_at != at:
            continue
        if entry["visibility"] == Incident.Visibility.PUBLIC:
            incident_restore(incident)
        else:  # it was still suspicious (never announced): back to that
            incident.visibility, incident.retracted_at = entry["visibility"], None
            incident.save(update_fields=["visibility", "retracted_at", "updated_at"])


def incident_stands(incident: Incident, *, now: datetime) -> bool:
    """Whether the detector, replayed from rest with the stored baseline over the incident's
    minutes as the buckets stand now, has an incident open at any of them."""
    end = (incident.ended_at + MINUTE) if incident.ended_at else floor_to_minute(now)
    start = incident.started_at - WINDOW * MINUTE
    key = SeriesKey(incident.service_id, incident.dimension, incident.value)
    counts = series_counts(
        service_ids=[incident.service_id],
        start=start,
        end=end,
        dimensions=(incident.dimension,),
    )
    index = counts.index()
    values = counts.values[index[key]] if key in index else np.zeros(counts.values.shape[1])
    baseline = baseline_of(key=key, at=end)
    state = DetectorState.new(1)
    first = WINDOW  # the incident's first minute
    for j in range(len(values)):
        result = step(baseline, state, values[j : j + 1], now=start.timestamp() + 60.0 * j)
        state = result.state
        if j >= first and result.level[0] > 0:
            return True
    return False


def _figures(incident: Incident) -> dict[str, Any]:
    return {
        "visibility": incident.visibility,
        "total": incident.total,
        "peak_count": incident.peak_count,
        "peak_quarter_count": incident.peak_quarter_count,
    }
