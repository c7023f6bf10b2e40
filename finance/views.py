"""The finance overview: cash today, the 13-week forecast chart with the cushion, runway and cushion, the
live alerts, the working-capital metrics with the CCC trend, and the channel economics."""

import json
from datetime import timedelta

import plotly.graph_objects as go
from django.shortcuts import render
from django.utils.translation import gettext as _

from finance.models import Level
from finance.selectors import channels as channel_selectors
from finance.selectors import overview as overview_selectors
from shopops.common import roles
from shopops.common.dates import shop_today

WINDOW_DAYS = 30
BADGE = {Level.WATCH: "info", Level.WARNING: "warning", Level.CRITICAL: "danger"}
CHART_LAYOUT = {
    "template": "plotly_white",
    "height": 320,
    "margin": {"l": 60, "r": 20, "t": 20, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
}


def _figure(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())


def forecast_figure(*, base_run, base_weeks, pessimistic_run, pessimistic_weeks) -> dict:
    """The base run's closing balance per week, the pessimistic run's as a dashed line, the cushion as a
    horizontal line and the lowest point annotated."""
    figure = go.Figure()
    x = [w.week_start.isoformat() for w in base_weeks]
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[float(w.closing) for w in base_weeks],
            name=_("Closing balance (base)"),
            mode="lines+markers",
            line={"color": "#0d6efd"},
        )
    )
    if pessimistic_run is not None and pessimistic_weeks:
        figure.add_trace(
            go.Scatter(
                x=[w.week_start.isoformat() for w in pessimistic_weeks],
                y=[float(w.closing) for w in pessimistic_weeks],
                name=_("Closing balance (%(scenario)s)") % {"scenario": pessimistic_run.scenario.label},
                mode="lines",
                line={"color": "#dc3545", "dash": "dash"},
            )
        )
    shapes, annotations = [], []
    if base_run.cushion:
        shapes.append(
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": float(base_run.cushion),
                "y1": float(base_run.cushion),
                "line": {"color": "#fd7e14", "dash": "dot"},
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "yref": "y",
                "x": 1,
                "y": float(base_run.cushion),
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("safety cushion"),
                "font": {"size": 10},
            }
        )
    annotations.append(
        {
            "x": base_run.lowest_week_start.isoformat(),
            "y": float(base_run.lowest_closing),
            "text": _("lowest: %(amount)s") % {"amount": f"{base_run.lowest_closing:,.0f}"},
            "showarrow": True,
            "arrowhead": 2,
            "ay": 30,
        }
    )
    figure.update_layout(**CHART_LAYOUT, shapes=shapes, annotations=annotations, yaxis={"tickformat": ",.0f"})
    return _figure(figure)


def ccc_figure(trend) -> dict:
    """Cash conversion cycle and its parts per snapshot."""
    x = [s.business_date.isoformat() for s in trend]
    figure = go.Figure()
    series = (
        ("ccc", _("CCC"), "#0d6efd", 3),
        ("dso", _("DSO"), "#198754", 1),
        ("dio", _("DIO"), "#6f42c1", 1),
        ("dpo", _("DPO"), "#fd7e14", 1),
    )
    for field, name, color, width in series:
        figure.add_trace(
            go.Scatter(
                x=x,
                y=[None if getattr(s, field) is None else float(getattr(s, field)) for s in trend],
                name=name,
                mode="lines",
                line={"color": color, "width": width},
            )
        )
    figure.update_layout(**CHART_LAYOUT, yaxis={"title": _("days")})
    return _figure(figure)


@roles.area_required(roles.FINANCE_AREA)
def overview(request):
    """What needs attention first (live alerts, runway, cushion), then the forecast, the metrics and the
    channel economics of the last 30 days. Read-only: a POST needs a finance write permission."""
    roles.post_requires(request, "finance.change_metricsnapshot")
    today = shop_today()
    data = overview_selectors.finance_overview(today=today)
    for alert in data["live_alerts"]:
        alert.badge = BADGE.get(alert.level, "secondary")
    rows, totals = channel_selectors.channel_economics(start=today - timedelta(days=WINDOW_DAYS), end=today)
    chart = (
        forecast_figure(
            base_run=data["base_run"],
            base_weeks=data["base_weeks"],
            pessimistic_run=data["pessimistic_run"],
            pessimistic_weeks=data["pessimistic_weeks"],
        )
        if data["base_run"] is not None and data["base_weeks"]
        else None
    )
    trend = [s for s in data["trend"] if s.ccc is not None]
    return render(
        request,
        "finance/overview.html",
        {
            **data,
            "live_counts": [
                (level, label, data["live_counts"].get(level, 0), BADGE[level])
                for level, label in Level.choices
            ],
            "forecast_chart": chart,
            "ccc_chart": ccc_figure(data["trend"]) if len(trend) >= 2 else None,
            "rows": rows,
            "totals": totals,
            "days": WINDOW_DAYS,
        },
    )
