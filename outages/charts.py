"""Selector output to Plotly figure dicts: no queries here, so charts are unit-testable."""

from __future__ import annotations

from datetime import datetime
from typing import Any


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
