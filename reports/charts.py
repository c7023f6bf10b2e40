"""Plotly figures built server-side; templates render them with the local plotly.js."""

import json

import pandas as pd
import plotly.graph_objects as go

PALETTE = ["#d62728", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]


def figure_data(figure: go.Figure) -> dict:
    """The figure as plain JSON data, for `json_script` in a template (no inline script needed)."""
    return json.loads(figure.to_json())


def gmv_by_channel_figure(frame: pd.DataFrame, *, title: str, yaxis_title: str) -> dict:
    figure = go.Figure()
    for index, channel in enumerate(frame.columns):
        figure.add_trace(
            go.Scatter(
                x=[d.isoformat() for d in frame.index],
                y=[float(v) for v in frame[channel]],
                name=str(channel),
                mode="lines",
                stackgroup="gmv",
                line={"width": 0.5, "color": PALETTE[index % len(PALETTE)]},
            )
        )
    figure.update_layout(
        title=title,
        yaxis_title=yaxis_title,
        hovermode="x unified",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        template="plotly_white",
    )
    return figure_data(figure)


def weekly_gmv_figure(weeks: list[dict], *, title: str, gmv_label: str, orders_label: str) -> dict:
    x = [w["week_start"].isoformat() for w in weeks]
    figure = go.Figure()
    figure.add_trace(go.Bar(x=x, y=[float(w["gmv"]) for w in weeks], name=gmv_label, marker_color="#1f77b4"))
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[w["orders"] for w in weeks],
            name=orders_label,
            yaxis="y2",
            mode="lines+markers",
            line={"color": "#d62728"},
        )
    )
    figure.update_layout(
        title=title,
        height=340,
        template="plotly_white",
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
        yaxis2={"overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.2},
    )
    return figure_data(figure)
