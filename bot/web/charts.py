"""Plotly figure specs (plain JSON) for the profile page; the browser draws them.

The page embeds the spec as inert JSON and /static/charts.js hands it to plotly.js, which
is served from the plotly wheel by this process, so charts work offline. Colours come from
the page's theme in charts.js; everything here is data and labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from storage.dashboard import DayActivity

from .data import TopicAccuracy


def progress_figure(days: Sequence[DayActivity]) -> dict[str, Any]:
    """Total points after each day of play (line) and that day's accuracy (markers)."""
    x, total, accuracy, running = [], [], [], 0
    for day in days:
        running += day.points
        x.append(day.day)
        total.append(running)
        accuracy.append(round(100 * day.correct / day.answered, 1) if day.answered else None)
    return {
        "data": [
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": "Points (total)",
                "x": x,
                "y": total,
                "hovertemplate": "%{x}: %{y} points<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": "Accuracy that day",
                "x": x,
                "y": accuracy,
                "yaxis": "y2",
                "marker": {"symbol": "diamond", "size": 9},
                "hovertemplate": "%{x}: %{y}% right<extra></extra>",
            },
        ],
        "layout": {
            "margin": {"l": 56, "r": 56, "t": 40, "b": 40},
            "height": 320,
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "xaxis": {"type": "date"},
            "yaxis": {"title": {"text": "Points"}, "rangemode": "tozero"},
            "yaxis2": {
                "title": {"text": "Accuracy (%)"},
                "overlaying": "y",
                "side": "right",
                "range": [0, 105],
                "tickvals": [0, 25, 50, 75, 100],
                "showgrid": False,
            },
        },
    }


def topics_figure(topics: Sequence[TopicAccuracy]) -> dict[str, Any]:
    """Share of right answers per topic, weakest at the top."""
    ordered = list(reversed(topics))  # plotly draws horizontal bars bottom-up
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "name": "Accuracy",
                "y": [t.topic for t in ordered],
                "x": [round(100 * t.accuracy.ratio, 1) for t in ordered],
                "text": [f"{t.accuracy.correct}/{t.accuracy.answered}" for t in ordered],
                "textposition": "auto",
                "hovertemplate": "%{y}: %{x}% right (%{text})<extra></extra>",
            }
        ],
        "layout": {
            "margin": {"l": 140, "r": 16, "t": 16, "b": 48},
            "height": max(160, 48 + 36 * len(ordered)),
            "xaxis": {"title": {"text": "Right answers (%)"}, "range": [0, 100]},
            "yaxis": {"automargin": True},
        },
    }
