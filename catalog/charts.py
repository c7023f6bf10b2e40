"""Plotly figures for the catalogue's pages, built server-side as JSON data (rendered by the local
plotly.js through templates/shopops/_chart.html). Labels arrive translated from the view."""

import json
from datetime import datetime
from decimal import Decimal

import plotly.graph_objects as go

from shopops.common.money import format_money

SUBTOTALS = {"price", "gross_profit", "contribution"}
LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}}


def figure_data(figure: go.Figure) -> dict:
    """The figure as plain JSON data, for `json_script` in a template."""
    return json.loads(figure.to_json())


def cost_waterfall_figure(steps: list[tuple[str, Decimal]], *, labels: dict[str, str], title: str) -> dict:
    """The cost build-up from the price down to the contribution: `steps` from Breakdown.steps()."""
    measures = [
        "absolute" if key == "price" else "total" if key in SUBTOTALS else "relative" for key, _ in steps
    ]
    figure = go.Figure(
        go.Waterfall(
            x=[str(labels.get(key, key)) for key, _ in steps],
            y=[float(value) for _, value in steps],
            measure=measures,
            text=[format_money(value) for _, value in steps],
            textposition="outside",
            connector={"line": {"color": "#adb5bd"}},
            decreasing={"marker": {"color": "#dc3545"}},
            increasing={"marker": {"color": "#198754"}},
            totals={"marker": {"color": "#1f77b4"}},
        )
    )
    figure.update_layout(title=title, height=360, showlegend=False, yaxis={"tickprefix": "¥"}, **LAYOUT)
    return figure_data(figure)


def price_history_figure(
    series: dict[str, list[tuple[datetime, Decimal]]], *, names: dict[str, str], title: str
) -> dict:
    """Step lines of the list price and the unit cost over time."""
    colors = {"list_price": "#1f77b4", "unit_cost": "#ff7f0e"}
    figure = go.Figure()
    for key, points in series.items():
        figure.add_trace(
            go.Scatter(
                x=[at.isoformat() for at, _ in points],
                y=[float(value) for _, value in points],
                name=str(names.get(key, key)),
                mode="lines+markers",
                line={"shape": "hv", "color": colors.get(key)},
            )
        )
    figure.update_layout(
        title=title,
        height=320,
        hovermode="x unified",
        yaxis={"tickprefix": "¥", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        **LAYOUT,
    )
    return figure_data(figure)


def daily_sales_figure(rows: list[dict], *, units_label: str, revenue_label: str, title: str) -> dict:
    """Units per day (bars) and revenue (line, right axis)."""
    x = [row["day"].isoformat() for row in rows]
    figure = go.Figure()
    figure.add_trace(go.Bar(x=x, y=[row["units"] for row in rows], name=units_label, marker_color="#1f77b4"))
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[float(row["revenue"]) for row in rows],
            name=revenue_label,
            yaxis="y2",
            mode="lines",
            line={"color": "#2ca02c", "width": 1.5},
        )
    )
    figure.update_layout(
        title=title,
        height=300,
        yaxis={"rangemode": "tozero"},
        yaxis2={
            "overlaying": "y",
            "side": "right",
            "tickprefix": "¥",
            "showgrid": False,
            "rangemode": "tozero",
        },
        legend={"orientation": "h", "y": -0.25},
        **LAYOUT,
    )
    return figure_data(figure)
