"""Selector output to Plotly figure dicts: no queries here, so charts are unit-testable.

Over 300 lines: every Plotly figure of the site, sharing one layout and style."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _
from django_countries import countries

from outages.selectors import BandSeries


def spike_chart(series: list[tuple[datetime, int]], *, title: str) -> dict[str, Any]:
    """Reports per minute as a filled line; the last (partial) minute drawn dotted."""
    x = [moment.isoformat() for moment, _ in series]
    y = [count for _, count in series]
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Reports per minute"),
            "x": x[:-1],
            "y": y[:-1],
            "fill": "tozeroy",
            "line": {"color": REPORTS_COLOUR, "width": 1.5},
            "hovertemplate": "%{x|%H:%M}: %{y} " + _("reports") + "<extra></extra>",
        }
    ]
    if len(series) >= 2:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("This minute (so far)"),
                "x": x[-2:],
                "y": y[-2:],
                "line": {"color": "#c0392b", "width": 1.5, "dash": "dot"},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    return {
        "data": traces,
        "layout": {
            "title": {"text": title},
            "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
            "xaxis": {"type": "date"},
            "yaxis": {
                "rangemode": "tozero",
                "title": {"text": _("reports per minute")},
                **integer_ticks(max([*y, 1])),
            },
            "showlegend": False,
            "height": 320,
        },
    }


# Display buckets per chart resolution: a day of minutes is drawn per 5 minutes (the table
# under the chart keeps every minute), a week per hour, a month per 3 hours.
DISPLAY_STEPS = {
    timedelta(minutes=1): timedelta(minutes=5),
    timedelta(minutes=15): timedelta(hours=1),
    timedelta(hours=1): timedelta(hours=3),
}
END = datetime.min.replace(tzinfo=UTC)  # an empty series' start and end: no incident drawn
REPORTS_COLOUR = "#c0392b"
TYPICAL_COLOUR = "#3b6ea8"


@dataclass(frozen=True)
class Shade:
    """An incident as the chart marks it: its span, level and peak minute."""

    start: datetime
    end: datetime | None
    level: int
    peak_at: datetime | None = None


def display_step(resolution: timedelta) -> timedelta:
    """The interval a range is drawn with (its resolution when none is set)."""
    return DISPLAY_STEPS.get(resolution, resolution)


def display_series(series: BandSeries) -> BandSeries:
    """The series summed into clock-aligned display buckets; a first bucket the series only
    partly covers is left out (it would read as a dip), the last one is the one in progress."""
    step = display_step(series.resolution)
    if step == series.resolution or not series.times:
        return series
    per = int(step / series.resolution)
    size, first = int(step.total_seconds()), series.times[0].timestamp()
    # Evenly spaced: the first clock-aligned point, then slices of `per` points.
    skip = int((-first % size) // series.resolution.total_seconds())
    starts = range(skip, len(series.times), per)

    def summed(values: Sequence[float | None]) -> list[float | None]:
        out: list[float | None] = []
        for i in starts:
            part = values[i : i + per]
            out.append(None if None in part else sum(v for v in part if v is not None))
        return out

    return BandSeries(
        times=[series.times[i] for i in starts],
        counts=[sum(series.counts[i : i + per]) for i in starts],
        expected=summed(series.expected),
        lower=summed(series.lower),
        upper=summed(series.upper),
        resolution=step,
    )


def band_chart(
    series: BandSeries, *, title: str, incidents: Sequence[Shade] = ()
) -> dict[str, Any]:
    """Reports per display bucket against the baseline's typical band, incidents shaded with
    their start and peak marked. The band is an area between its edges, the typical value a
    thick dashed line, reports a solid line: it reads without colour. Texts are translated
    here (the view's language); times are drawn in the reader's zone by chart.js."""
    shown = display_series(series)
    # Evenly spaced: a start and a step instead of a timestamp per point (and per trace).
    grid = {
        "x0": shown.times[0].isoformat() if shown.times else None,
        "dx": shown.resolution.total_seconds() * 1000,
    }
    unit = _unit(shown.resolution)
    reports = _("reports")
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Typical (low)"),
            "uid": "lower",
            **grid,
            "y": shown.lower,
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Typical range"),
            "uid": "upper",
            **grid,
            "y": shown.upper,
            "fill": "tonexty",
            "fillcolor": "rgba(59,110,168,0.28)",
            "line": {"width": 0},
            "hoverinfo": "skip",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Typical"),
            **grid,
            "y": shown.expected,
            "line": {"color": TYPICAL_COLOUR, "width": 2.5, "dash": "dash"},
            "uid": "expected",
            "hovertemplate": _("typical") + " %{y:.0f}<extra></extra>",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "name": _("Problem reports %(unit)s") % {"unit": unit},
            "uid": "counts",
            **grid,
            "y": shown.counts,
            "line": {"color": REPORTS_COLOUR, "width": 2.5, "shape": "linear"},
            "hovertemplate": "%{x|%e %b %H:%M}: %{y} " + reports + "<extra></extra>",
        },
    ]
    shapes: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    first, end = (shown.times[0], shown.times[-1] + shown.resolution) if shown.times else (END, END)
    for incident in [i for i in incidents if (i.end or end) > first and i.start < end]:
        shapes += _incident_shapes(incident, end=end, first=first)
        annotations.append(_note(max(incident.start, first), _("Start"), incident.level))
        peak = _peak_point(shown, incident)
        if peak is not None:
            traces.append(_peak_marker(*peak))
    top = max([*shown.counts, *(v or 0 for v in shown.upper), 1])
    return {
        "data": traces,
        "layout": {
            **_time_layout(title, f"{reports} {unit}", top),
            "shapes": shapes,
            "annotations": annotations,
            "hovermode": "x unified",
            "height": 340,
        },
        "meta": {"kind": "band"},
    }


def _time_layout(title: str, y_title: str, top: float) -> dict[str, Any]:
    """What every reports-over-time chart's layout shares: title, margins, date axis, a y-axis
    from zero with whole-number ticks up to `top`, the legend under the plot."""
    return {
        "title": {"text": title, "x": 0, "xanchor": "left", "font": {"size": 16}},
        "margin": {"l": 44, "r": 10, "t": 40, "b": 40},
        "xaxis": {"type": "date"},
        "yaxis": {"rangemode": "tozero", "title": {"text": y_title}, **integer_ticks(top)},
        "legend": {"orientation": "h", "y": -0.18},
    }


def integer_ticks(top: float) -> dict[str, Any]:
    """A y-axis of whole reports: a step of 1, 2, 5 or 10 times a power of ten giving about
    five ticks up to `top` (never 0.5 for a service with 0-1 reports)."""
    raw = max(top / 5, 1.0)
    power = 10 ** int(math.floor(math.log10(raw)))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return {"tick0": 0, "dtick": step, "tickformat": ",d", "range": [0, top * 1.08]}


def _incident_shapes(incident: Shade, *, end: datetime, first: datetime) -> list[dict[str, Any]]:
    """The incident's span, shaded, and a line at its start."""
    colour = "192,57,43" if incident.level == 2 else "230,126,34"
    start = max(incident.start, first).isoformat()
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "x0": start,
            "x1": (incident.end or end).isoformat(),
            "fillcolor": f"rgba({colour},0.16)",
            "line": {"width": 0},
            "layer": "below",
        },
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "y0": 0,
            "y1": 1,
            "x0": start,
            "x1": start,
            "line": {"color": f"rgb({colour})", "width": 1.5, "dash": "dot"},
        },
    ]


def _note(at: datetime, text: str, level: int) -> dict[str, Any]:
    # At the foot of the start line, written leftwards: the peak's label is at the top.
    return {
        "x": at.isoformat(),
        "xref": "x",
        "yref": "paper",
        "y": 0,
        "yanchor": "bottom",
        "text": text,
        "showarrow": False,
        "xanchor": "right",
        "font": {"size": 12, "color": REPORTS_COLOUR if level == 2 else "#b36200"},
    }


def _peak_point(shown: BandSeries, incident: Shade) -> tuple[datetime, int] | None:
    """The display bucket holding the incident's peak minute, or its highest bucket."""
    stop = incident.end or (shown.times[-1] + shown.resolution)
    inside = [
        (t, c)
        for t, c in zip(shown.times, shown.counts, strict=True)
        if t + shown.resolution > incident.start and t < stop
    ]
    if not inside:
        return None
    if incident.peak_at is not None:
        for t, c in inside:
            if t <= incident.peak_at < t + shown.resolution:
                return t, c
    return max(inside, key=lambda point: point[1])


def _peak_marker(at: datetime, count: int) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "markers+text",
        "name": _("Peak"),
        "uid": "peak",
        "x": [at.isoformat()],
        "y": [count],
        "text": [_("Peak")],
        "textposition": "top center",
        "cliponaxis": False,
        "marker": {
            "symbol": "diamond",
            "size": 11,
            "color": REPORTS_COLOUR,
            "line": {"width": 1.5, "color": "#fff"},
        },
        "hovertemplate": _("Peak") + ": %{y} " + _("reports") + "<extra></extra>",
        "showlegend": False,
    }


def _unit(resolution: timedelta) -> str:
    minutes = int(resolution.total_seconds() // 60)
    if minutes == 1:
        return _("per minute")
    if minutes < 60:
        return _("per %(minutes)d min") % {"minutes": minutes}
    hours = minutes // 60
    return _("per hour") if hours == 1 else _("per %(hours)d hours") % {"hours": hours}


def sparkline_points(
    values: Sequence[float], *, width: int = 120, height: int = 24, top: float | None = None
) -> str:
    """An SVG polyline's points for a small inline sparkline (no script needed); `top` is the
    value drawn at the top edge (default: the largest value, at least 1)."""
    if not values:
        return ""
    top = top or max(max(values), 1)
    step = width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{height - 1 - (height - 2) * v / top:.1f}" for i, v in enumerate(values)
    )


def live_series(series: BandSeries, *, intervals: int | None = None) -> dict[str, Any]:
    """The last display buckets of a band chart's series on band_chart's grid (start and step
    in ms), each keyed by the uid of the trace it updates (live.js places points by time)."""
    series = display_series(series)
    if intervals is not None:
        series = BandSeries(
            times=series.times[-intervals:],
            counts=series.counts[-intervals:],
            expected=series.expected[-intervals:],
            lower=series.lower[-intervals:],
            upper=series.upper[-intervals:],
            resolution=series.resolution,
        )
    return {
        "x0": series.times[0].isoformat() if series.times else None,
        "dx": series.resolution.total_seconds() * 1000,
        "y": {
            "lower": series.lower,
            "upper": series.upper,
            "expected": series.expected,
            "counts": series.counts,
        },
    }


REGION_COLOURS = ("#c0392b", "#3b6ea8", "#b36200")


def region_chart(lines: Sequence[tuple[str, BandSeries]], *, title: str) -> dict[str, Any]:
    """One country's problem reports per display bucket, a line per service (its most
    reported ones), on the band chart's axes."""
    traces: list[dict[str, Any]] = []
    top = 1
    unit = ""
    for (name, series), colour in zip(lines, REGION_COLOURS, strict=False):
        shown = display_series(series)
        unit = _unit(shown.resolution)
        top = max([top, *shown.counts])
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": name,
                "x0": shown.times[0].isoformat() if shown.times else None,
                "dx": shown.resolution.total_seconds() * 1000,
                "y": shown.counts,
                "line": {"color": colour, "width": 2.5},
                "hovertemplate": name
                + " %{x|%e %b %H:%M}: %{y} "
                + _("reports")
                + "<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": {
            **_time_layout(title, f"{_('reports')} {unit}", top),
            "showlegend": True,  # even with one line: the legend names its service
            "height": 320,
        },
    }


def country_map(counts: Mapping[str, int], *, title: str, topojson_url: str) -> dict[str, Any]:
    """Problem reports by country (ISO alpha-2 keys; "??" and unknown codes left out) as a
    choropleth. `topojson_url` is the folder plotly fetches world_110m.json from: ours, so the
    map never loads from plotly's CDN. The figure's `config` is passed to Plotly.newPlot."""
    located = [
        (code, countries.alpha3(code), countries.name(code), count)
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        if count > 0 and countries.alpha3(code)
    ]
    trace: dict[str, Any] = {
        "type": "choropleth",
        "locationmode": "ISO-3",
        "locations": [alpha3 for _, alpha3, _, _ in located],
        "z": [count for _, _, _, count in located],
        "text": [str(name) for _, _, name, _ in located],
        "customdata": [code for code, _, _, _ in located],
        "colorscale": [[0.0, "#fde0d9"], [1.0, "#a50f15"]],
        "zmin": 0,
        "marker": {"line": {"color": "#fff", "width": 0.5}},
        "colorbar": {"title": {"text": _("reports")}, "thickness": 12},
        "hovertemplate": "%{text}: %{z} " + _("reports") + "<extra></extra>",
    }
    return {
        "data": [trace],
        "layout": {
            "title": {"text": title},
            "margin": {"l": 0, "r": 0, "t": 40, "b": 0},
            "geo": {
                "scope": "world",
                "resolution": 110,
                "projection": {"type": "natural earth"},
                # The whole inhabited world, whatever the countries with reports.
                "lonaxis": {"range": [-180, 180]},
                "lataxis": {"range": [-58, 84]},
                "showframe": False,
                "showcoastlines": False,
                "showcountries": True,
                "countrycolor": "#bbb",
                "showland": True,
                "landcolor": "#f2f2f2",
            },
            "height": 360,
        },
        "config": {"topojsonURL": topojson_url},
    }
