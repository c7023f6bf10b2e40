"""Plotly figures for inventory's pages, built server-side as JSON data (rendered by the local plotly.js
through templates/shopops/_chart.html). Labels arrive translated from the view."""

import json

import plotly.graph_objects as go

LAYOUT = {"template": "plotly_white", "margin": {"l": 50, "r": 20, "t": 50, "b": 50}}
COLORS = {"on_time_rate": "#198754", "fill_rate": "#1f77b4", "defect_rate": "#dc3545"}


def figure_data(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())


def scorecard_figure(quarters, *, names: dict[str, str], title: str) -> dict:
    """On-time, fill and defect rates (in %) per quarter; a quarter without data leaves a gap."""
    x = [q.label for q in quarters]
    figure = go.Figure()
    for key, name in names.items():
        values = [getattr(q, key) for q in quarters]
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[None if v is None else float(v * 100) for v in values],
                name=str(name),
                mode="lines+markers",
                line={"color": COLORS.get(key)},
            )
        )
    figure.update_layout(
        title=title,
        height=300,
        yaxis={"ticksuffix": "%", "range": [0, 105]},
        xaxis={"type": "category"},
        legend={"orientation": "h", "y": -0.2},
        **LAYOUT,
    )
    return figure_data(figure)
