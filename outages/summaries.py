"""The words pages use: status sentences and the journalist's summary of an incident.

No queries here: callers pass what selectors read, so every wording is unit-testable. Sentences
are HTML-safe strings: each time in them is a `<time>` element in UTC, which the page's script
(static/outages/time.js) rewrites to the reader's own time zone.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django_countries import countries as country_names

from outages.models import Incident
from outages.selectors import StatusReading

APP_PLATFORMS = ("ios", "android", "desktop")
# Incident.Scope's labels as they read inside a sentence ("…; 27 countries; international.").
SCOPE_WORDS = {
    Incident.Scope.ONE: gettext_lazy("one country"),
    Incident.Scope.SEVERAL: gettext_lazy("several countries"),
    Incident.Scope.INTERNATIONAL: gettext_lazy("international"),
}
# Platforms as they read inside a sentence ("…; 98% API, 2% web; …").
PLATFORM_WORDS = {
    "web": gettext_lazy("web"),
    "ios": gettext_lazy("iOS app"),
    "android": gettext_lazy("Android app"),
    "desktop": gettext_lazy("desktop app"),
    "api": gettext_lazy("API"),
    "other": gettext_lazy("other"),
}


def time_html(moment: datetime, *, date: bool = False) -> SafeString:
    """`<time datetime="…">14:05 UTC</time>` (with the day first when `date`)."""
    moment = moment.astimezone(UTC)
    text = f"{moment:%Y-%m-%d %H:%M}" if date else f"{moment:%H:%M}"
    return format_html(
        '<time datetime="{}" data-utc="{}">{} UTC</time>',
        moment.isoformat(),
        "datetime" if date else "time",
        text,
    )


def duration_words(span: timedelta) -> str:
    """A duration at minute precision: "45 min", "2 h 05 min", "3 d 4 h"."""
    minutes = max(int(span.total_seconds() // 60), 0)
    hours, minute = divmod(minutes, 60)
    days, hour = divmod(hours, 24)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hour}
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minute}
    return _("%(m)d min") % {"m": minute}


def status_sentence(name: str, status: StatusReading) -> SafeString:
    if status.level == 0:
        return format_html("{}", _("No current problems: reports are at their usual level."))
    since = time_html(status.since) if status.since else ""
    if status.level == 1:
        wording = _("Possible problems with {name} since {since}.")
    else:
        wording = _("Users report problems with {name} since {since}.")
    return format_html(wording, name=name, since=since)


def about(count: float) -> str:
    """A count rounded the way a reporter would say it: 9,801 -> "9,800" ("9 800" in French)."""
    if count < 100:
        return number_format(round(count), force_grouping=True)
    digits = int(np.floor(np.log10(count))) - 1
    return number_format(round(count, -digits), decimal_pos=0, force_grouping=True)


def ratio_text(ratio: float | None) -> str:
    """A ratio (peak / typical, × usual) as people read it: one decimal below 10 ("2.4"), whole
    numbers from 10 with the language's grouping ("37", "3,680"; "3 680" in French); "—"
    without one. Rounded half up from the tenths, so 9.96 reads "10", never "10.0"."""
    if ratio is None or not math.isfinite(ratio):
        return "—"
    tenths = Decimal(str(ratio)).quantize(Decimal("0.1"), ROUND_HALF_UP)
    if tenths < 10:
        return number_format(tenths, decimal_pos=1)
    whole = tenths.quantize(Decimal(1), ROUND_HALF_UP)
    return number_format(whole, decimal_pos=0, force_grouping=True)


def incident_summary(incident: Incident) -> SafeString:
    """E.g. "Reports peaked at about 9,800 per 15 minutes near 00:38 UTC; 89% web, 11% app;
    27 countries; international." An incident the detection pass has not counted yet says so,
    alone (rather than "peaked at about 0"): its shares and scope come from those counts."""
    if not incident.peak_quarter_count:
        return format_html("{}", _("No reports counted yet for this incident."))
    parts: list[str] = [
        format_html(
            _("Reports peaked at about {count} per 15 minutes near {time}"),
            count=about(incident.peak_quarter_count),
            # Never before the incident began: a young incident's peak quarter-hour mostly
            # precedes it ("problems from 05:45 ... peaked near 05:39" would mislead).
            time=time_html(max(incident.peak_quarter_at or incident.peak_at, incident.started_at)),
        )
    ]
    if incident.platforms:
        parts.append(platform_words(incident.platforms))
    countries = len([c for c in incident.countries if c["country"] != "??"])
    if countries:
        parts.append(ngettext("%(n)d country", "%(n)d countries", countries) % {"n": countries})
    if incident.scope:
        parts.append(scope_phrase(incident))
    return format_html("{}.", format_html_join("; ", "{}", ((part,) for part in parts)))


def platform_words(platforms: dict[str, float]) -> str:
    """ "89% web, 11% app" when people came by the web site and the apps (the usual case),
    else the two largest platforms: "98% API, 2% web" (a cloud service's reports)."""
    app = sum(share for name, share in platforms.items() if name in APP_PLATFORMS)
    web = platforms.get("web", 0.0)
    if web + app >= 0.8:
        shares = {"web": round(100 * web), "app": round(100 * app)}
        return _("%(web)d%% web, %(app)d%% app") % shares
    top = sorted(platforms.items(), key=lambda item: -item[1])[:2]
    return ", ".join(
        f"{round(100 * share)}% {PLATFORM_WORDS.get(name, name)}" for name, share in top
    )


def scope_phrase(incident: Incident) -> str:
    """The scope in words; for one country, which one ("mostly in France"), since reports from
    a dozen countries and "one country" side by side read as a contradiction."""
    if incident.scope == Incident.Scope.ONE and incident.countries:
        top = max(
            incident.countries,
            key=lambda c: float(c["count"]) - float(c["expected"] or 0.0),
        )
        name = country_names.name(str(top["country"])) or str(top["country"])
        return _("mostly in %(country)s") % {"country": name}
    return scope_words(incident.scope)


def scope_words(scope: str) -> str:
    return str(SCOPE_WORDS.get(scope, scope))  # type: ignore[call-overload]


def spike_shape(
    incident: Incident, counts: list[int], *, now: datetime, peak_ratio: float | None
) -> dict[str, object]:
    """Time to peak, peak / typical (outages.figures.incident_peak_ratio), duration and number
    of waves of an incident, from its problem reports per minute since its start. No time to
    peak (None) before any report is counted: there is no peak yet."""
    end = incident.ended_at or now
    peak_at = incident.peak_quarter_at or incident.peak_at
    counted = bool(incident.peak_quarter_count)
    return {
        "time_to_peak": max(peak_at - incident.started_at, timedelta(0)) if counted else None,
        "peak_ratio": peak_ratio,
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
