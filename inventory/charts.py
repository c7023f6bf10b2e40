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


BAND = "rgba(31, 119, 180, 0.18)"


def forecast_figure(history: list[dict], days: list[dict], *, labels: dict[str, str], title: str) -> dict:
    """Daily demand history (bars; stockout days marked), then the forecast line with its interval band."""
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=[h["date"].isoformat() for h in history],
            y=[h["demand"] for h in history],
            name=str(labels["history"]),
            marker={"color": "#6c757d"},
        )
    )
    outs = [h for h in history if h["stockout"]]
    if outs:
        figure.add_trace(
            go.Scatter(
                x=[h["date"].isoformat() for h in outs],
                y=[h["demand"] for h in outs],
                name=str(labels["stockout"]),
                mode="markers",
                marker={"color": "#dc3545", "symbol": "x", "size": 8},
            )
        )
    if days:
        x = [d["date"].isoformat() for d in days]
        if all(d["upper"] is not None and d["lower"] is not None for d in days):
            figure.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=[d["upper"] for d in days] + [d["lower"] for d in days][::-1],
                    fill="toself",
                    fillcolor=BAND,
                    line={"width": 0},
                    hoverinfo="skip",
                    name=str(labels["interval"]),
                )
            )
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[d["forecast"] for d in days],
                name=str(labels["forecast"]),
                mode="lines",
                line={"color": "#1f77b4", "width": 2},
            )
        )
    figure.update_layout(
        title=title,
        height=340,
        yaxis={"title": str(labels["units"]), "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
        bargap=0.1,
        **LAYOUT,
    )
    return figure_data(figure)


def projection_figure(
    projection, *, reorder_point=None, safety_stock=None, labels: dict[str, str], title: str
) -> dict:
    """Projected stock day by day ([date or ISO date, units] pairs) with the reorder point and safety stock
    as lines."""
    points = [(p[0], p[1]) for p in projection]
    x = [d.isoformat() if hasattr(d, "isoformat") else str(d) for d, _units in points]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(x=x, y=[float(units) for _d, units in points], name=str(labels["stock"]), mode="lines")
    )
    for key, value, color in (
        ("reorder_point", reorder_point, "#fd7e14"),
        ("safety_stock", safety_stock, "#dc3545"),
    ):
        if value is not None and x:
            figure.add_trace(
                go.Scatter(
                    x=[x[0], x[-1]],
                    y=[float(value), float(value)],
                    name=str(labels[key]),
                    mode="lines",
                    line={"color": color, "dash": "dash"},
                )
            )
    figure.update_layout(title=title, height=300, legend={"orientation": "h", "y": -0.25}, **LAYOUT)
    return figure_data(figure)


def accuracy_figure(rows, *, labels: dict[str, str], title: str) -> dict:
    """Pooled WAPE and bias (in %) per group (rows with .label, .wape, .bias)."""
    x = [str(r.label) for r in rows]
    figure = go.Figure()
    for key, color in (("wape", "#1f77b4"), ("bias", "#fd7e14")):
        figure.add_trace(
            go.Bar(
                x=x,
                y=[None if getattr(r, key) is None else float(getattr(r, key) * 100) for r in rows],
                name=str(labels[key]),
                marker={"color": color},
            )
        )
    figure.update_layout(
        title=title,
        height=300,
        barmode="group",
        yaxis={"ticksuffix": "%"},
        legend={"orientation": "h", "y": -0.25},
        **LAYOUT,
    )
    return figure_data(figure)


def value_figure(rows, *, labels: dict[str, str], title: str) -> dict:
    """Inventory value per group (rows with .name, .value), largest first."""
    figure = go.Figure(
        go.Bar(
            x=[r.name for r in rows],
            y=[float(r.value) for r in rows],
            name=str(labels["value"]),
            marker={"color": "#198754"},
        )
    )
    figure.update_layout(title=title, height=300, yaxis={"tickprefix": "¥"}, **LAYOUT)
    return figure_data(figure)
