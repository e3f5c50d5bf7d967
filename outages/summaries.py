"""The words pages use: status sentences and the journalist's summary of an incident.

No queries here: callers pass what selectors read, so every wording is unit-testable.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from outages.models import Incident
from outages.selectors import ServiceStatus

APP_PLATFORMS = ("ios", "android", "desktop")


def status_sentence(name: str, status: ServiceStatus) -> str:
    if status.level == 0:
        return _("No current problems: reports are at their usual level.")
    since = f"{status.since:%H:%M} UTC" if status.since else ""
    if status.level == 1:
        return _("Possible problems with %(name)s since %(since)s.") % {
            "name": name, "since": since,
        }  # fmt: skip
    return _("Users report problems with %(name)s since %(since)s.") % {
        "name": name, "since": since,
    }  # fmt: skip


def about(count: float) -> str:
    """A count rounded the way a reporter would say it: 9,801 -> "9,800"."""
    if count < 100:
        return f"{round(count):,}"
    digits = int(np.floor(np.log10(count))) - 1
    return f"{round(count, -digits):,.0f}"


def incident_summary(incident: Incident) -> str:
    """E.g. "Reports peaked at about 9,800 per 15 minutes near 00:38 UTC; 89% web, 11% app;
    27 countries; international." """
    parts = [
        _("Reports peaked at about %(count)s per 15 minutes near %(time)s UTC")
        % {
            "count": about(incident.peak_quarter_count),
            "time": f"{incident.peak_quarter_at or incident.peak_at:%H:%M}",
        }  # fmt: skip
    ]
    app = sum(share for name, share in incident.platforms.items() if name in APP_PLATFORMS)
    web = incident.platforms.get("web", 0.0)
    if incident.platforms:
        parts.append(_("%(web)d%% web, %(app)d%% app") % {"web": round(100 * web),
                                                           "app": round(100 * app)})  # fmt: skip
    countries = len([c for c in incident.countries if c["country"] != "??"])
    if countries:
        parts.append(ngettext("%(n)d country", "%(n)d countries", countries) % {"n": countries})
    if incident.scope:
        parts.append(str(Incident.Scope(incident.scope).label).lower())
    return "; ".join(parts) + "."


def spike_shape(incident: Incident, counts: list[int], *, now: datetime) -> dict[str, object]:
    """Time to peak, peak / baseline, duration and number of waves of an incident, from its
    problem reports per minute since its start."""
    end = incident.ended_at or now
    minutes = max((end - incident.started_at) / timedelta(minutes=1), 1.0)
    per_quarter = incident.expected_total / minutes * 15 if incident.expected_total else 0.0
    peak_at = incident.peak_quarter_at or incident.peak_at
    return {
        "time_to_peak": max(peak_at - incident.started_at, timedelta(0)),
        "peak_ratio": round(incident.peak_quarter_count / per_quarter, 1) if per_quarter else None,
        "duration": end - incident.started_at,
        "waves": waves(counts),
    }


def waves(counts: list[int], *, width: int = 15, drop: float = 0.3) -> int:
    """Peaks of the 15-minute moving sum that stand out: each at least `drop` x the highest
    above the lowest point between it and the previous one."""
    if not counts:
        return 0
    smooth = np.convolve(np.asarray(counts, float), np.ones(width), mode="same")
    top = smooth.max()
    if top <= 0:
        return 0
    found, low, high = 0, np.inf, -np.inf
    rising = True
    for value in smooth:
        if rising:
            high = max(high, value)
            if high - value > drop * top:  # came down enough: that was a wave
                found += 1
                rising, low = False, value
        else:
            low = min(low, value)
            if value - low > drop * top:
                rising, high = True, value
    return found + (1 if rising and high - low > drop * top or found == 0 else 0)
