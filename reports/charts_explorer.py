"""Plotly figures of the KPI explorer, built server-side from reports.kpis series (rendered by charts.js)."""

from datetime import date

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from reports import kpis
from reports.charts import PALETTE, figure_data

ANOMALY_COLOR = "#d62728"


def _layout(figure: go.Figure, *, title: str, height: int = 320, **extra) -> dict:
    figure.update_layout(
        title=title,
        height=height,
        template="plotly_white",
        hovermode="x unified",
        margin={"l": 60, "r": 60, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        **extra,
    )
    return figure_data(figure)


def _x(series: list[dict]) -> list[str]:
    return [row["period_start"].isoformat() for row in series]


def _num(value):
    return None if value is None else float(value)


def _pct(value):
    return None if value is None else float(value) * 100


def flagged_periods(anomalies, *, metric: str, start: date, granularity: str) -> set[date]:
    """The period starts (of a series at `granularity` from `start`) holding an anomaly of `metric`."""
    return {max(kpis.bucket_start(a.day, granularity), start) for a in anomalies if a.metric == metric}


def _anomaly_markers(figure, series, key, flagged, *, yaxis="y", scale=_num) -> None:
    rows = [row for row in series if row["period_start"] in flagged]
    if not rows:
        return
    figure.add_trace(
        go.Scatter(
            x=_x(rows),
            y=[scale(row[key]) for row in rows],
            name=_("Anomaly"),
            mode="markers",
            yaxis=yaxis,
            marker={"color": ANOMALY_COLOR, "size": 12, "symbol": "circle-open", "line": {"width": 3}},
        )
    )


def gmv_orders_figure(series: list[dict], *, flagged_gmv=(), flagged_orders=()) -> dict:
    x = _x(series)
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=x, y=[_num(r["gmv"]) for r in series], name=str(kpis.KPI_LABELS["gmv"]), marker_color=PALETTE[1]
        )
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[r["orders"] for r in series],
            name=str(kpis.KPI_LABELS["orders"]),
            yaxis="y2",
            mode="lines+markers",
            line={"color": PALETTE[2]},
        )
    )
    _anomaly_markers(figure, series, "gmv", set(flagged_gmv))
    _anomaly_markers(figure, series, "orders", set(flagged_orders), yaxis="y2")
    return _layout(
        figure,
        title=_("GMV and orders"),
        height=360,
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero"},
    )


def line_figure(series: list[dict], key: str, *, percent: bool = False, flagged=()) -> dict:
    scale = _pct if percent else _num
    figure = go.Figure(
        go.Scatter(
            x=_x(series),
            y=[scale(r[key]) for r in series],
            name=str(kpis.KPI_LABELS[key]),
            mode="lines+markers",
            connectgaps=False,
            line={"color": PALETTE[3]},
        )
    )
    _anomaly_markers(figure, series, key, set(flagged), scale=scale)
    extra = {"yaxis": {"ticksuffix": "%"}} if percent else {}
    return _layout(figure, title=str(kpis.KPI_LABELS[key]), **extra)


def customers_figure(series: list[dict]) -> dict:
    x = _x(series)
    figure = go.Figure()
    for index, key in enumerate(("new_customers", "returning_customers")):
        figure.add_trace(
            go.Bar(
                x=x,
                y=[r[key] for r in series],
                name=str(kpis.KPI_LABELS[key]),
                marker_color=PALETTE[4 + index],
            )
        )
    return _layout(figure, title=_("New and returning customers"), barmode="stack")


def category_figure(days: list[dict], *, category_name: str) -> dict:
    """`days`: [{"day", "revenue", "units"}] of one category's counted lines."""
    x = [d["day"].isoformat() for d in days]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(x=x, y=[float(d["revenue"]) for d in days], name=_("Line revenue"), marker_color=PALETTE[1])
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[d["units"] for d in days],
            name=_("Units"),
            yaxis="y2",
            mode="lines+markers",
            line={"color": PALETTE[2]},
        )
    )
    return _layout(
        figure,
        title=_("%(category)s: daily line revenue and units") % {"category": category_name},
        yaxis2={"overlaying": "y", "side": "right", "rangemode": "tozero"},
    )
