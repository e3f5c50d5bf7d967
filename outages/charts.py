"""Selector output to Plotly figure dicts: no queries here, so charts are unit-testable."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

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
            "name": "Reports per minute",
            "x": x[:-1],
            "y": y[:-1],
            "fill": "tozeroy",
            "line": {"color": "#c0392b", "width": 1.5},
            "hovertemplate": "%{x|%H:%M} UTC: %{y} reports<extra></extra>",
        }
    ]
    if len(series) >= 2:
        traces.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "This minute (so far)",
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
            "yaxis": {"rangemode": "tozero", "title": {"text": "reports / min"}},
            "showlegend": False,
            "height": 320,
        },
    }


def band_chart(
    series: BandSeries,
    *,
    title: str,
    incidents: Sequence[tuple[datetime, datetime | None, int]] = (),
) -> dict[str, Any]:
    """Reports per interval against the baseline's typical band, incident periods shaded.
    The band is drawn as an area between its lower and upper edge; reports as a line with
    markers, so it reads without colour."""
    # Evenly spaced: a start and a step instead of a timestamp per point (and per trace).
    grid = {
        "x0": series.times[0].isoformat() if series.times else None,
        "dx": series.resolution.total_seconds() * 1000,
    }
    unit = _unit(series.resolution)
    traces: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines", "name": "Typical (low)", "uid": "lower", **grid,
         "y": series.lower, "line": {"width": 0}, "hoverinfo": "skip", "showlegend": False},
        {"type": "scatter", "mode": "lines", "name": "Typical range", "uid": "upper", **grid,
         "y": series.upper, "fill": "tonexty", "fillcolor": "rgba(120,120,120,0.25)",
         "line": {"width": 0}, "hoverinfo": "skip"},
        {"type": "scatter", "mode": "lines", "name": "Typical", **grid, "y": series.expected,
         "line": {"color": "#777", "width": 1, "dash": "dash"}, "uid": "expected",
         "hovertemplate": "typical %{y:.1f}<extra></extra>"},
        {"type": "scatter", "mode": "lines", "name": f"Reports {unit}", "uid": "counts", **grid,
         "y": series.counts, "line": {"color": "#c0392b", "width": 1.6},
         "hovertemplate": "%{x|%d %b %H:%M} UTC: %{y} reports<extra></extra>"},
    ]  # fmt: skip
    end = series.times[-1] + series.resolution if series.times else None
    shapes = [
        {"type": "rect", "xref": "x", "yref": "paper", "y0": 0, "y1": 1,
         "x0": start.isoformat(), "x1": _isoformat(stop or end),
         "fillcolor": "rgba(192,57,43,0.10)" if level == 2 else "rgba(230,126,34,0.10)",
         "line": {"width": 0}, "layer": "below"}
        for start, stop, level in incidents
    ]  # fmt: skip
    return {
        "data": traces,
        "layout": {
            "title": {"text": title},
            "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
            "xaxis": {"type": "date"},
            "yaxis": {"rangemode": "tozero", "title": {"text": f"reports {unit}"}},
            "legend": {"orientation": "h", "y": -0.2},
            "shapes": shapes,
            "height": 340,
        },
    }


def _isoformat(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _unit(resolution: timedelta) -> str:
    minutes = int(resolution.total_seconds() // 60)
    return "per minute" if minutes == 1 else f"per {minutes} min" if minutes < 60 else "per hour"


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


def live_series(series: BandSeries) -> dict[str, Any]:
    """The last intervals of a band chart's series on band_chart's grid (start and step in
    ms), each keyed by the uid of the trace it updates (live.js places points by time)."""
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
        "colorbar": {"title": {"text": "reports"}, "thickness": 12},
        "hovertemplate": "%{text}: %{z} reports<extra></extra>",
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
