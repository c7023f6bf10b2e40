"""The service overview: what needs attention today first (breached and at-risk tickets, escalations
waiting for their report, returns and compensation waiting for the shop), then the figures (queue, SLA
attainment, response times, CSAT, NPS, knowledge-base coverage) and their charts."""

import json
from datetime import timedelta

import plotly.graph_objects as go
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from service.models import Ticket
from service.selectors import overview as overview_selectors
from service.selectors.knowledge import kb_coverage
from service.selectors.satisfaction import NPS_AVERAGE_HIGH, NPS_AVERAGE_LOW, NPS_LEADER
from shopops.common import roles
from shopops.common.dates import day_start

CHART_LAYOUT = {
    "template": "plotly_white",
    "height": 280,
    "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
    "showlegend": False,
}


def _figure(figure: go.Figure) -> dict:
    return json.loads(figure.to_json())


def backlog_figure(rows: list[dict]) -> dict:
    figure = go.Figure(
        go.Scatter(
            x=[row["day"].isoformat() for row in rows],
            y=[row["open"] for row in rows],
            mode="lines+markers",
            line={"color": "#0d6efd"},
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    figure.update_layout(**CHART_LAYOUT, yaxis={"title": _("Open tickets"), "rangemode": "tozero"})
    return _figure(figure)


def nps_month_figure(rows: list[dict]) -> dict:
    """NPS per month against the e-commerce average band (30-40, shaded) and the leader line (60)."""
    months = [row["label"] for row in rows]
    figure = go.Figure(
        go.Bar(
            x=months,
            y=[None if row["nps"] is None else float(row["nps"]) for row in rows],
            marker_color="#198754",
            customdata=[row["count"] for row in rows],
            hovertemplate="%{x}: NPS %{y}<br>" + _("answers") + ": %{customdata}<extra></extra>",
        )
    )
    figure.update_layout(
        **CHART_LAYOUT,
        yaxis={"title": "NPS", "range": [-100, 100]},
        xaxis={"type": "category"},
        shapes=[
            {
                "type": "rect",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": float(NPS_AVERAGE_LOW),
                "y1": float(NPS_AVERAGE_HIGH),
                "fillcolor": "#ffc107",
                "opacity": 0.2,
                "line": {"width": 0},
                "layer": "below",
            },
            {
                "type": "line",
                "xref": "paper",
                "yref": "y",
                "x0": 0,
                "x1": 1,
                "y0": float(NPS_LEADER),
                "y1": float(NPS_LEADER),
                "line": {"color": "#198754", "dash": "dash"},
            },
        ],
        annotations=[
            {
                "xref": "paper",
                "yref": "y",
                "x": 1,
                "y": float(NPS_AVERAGE_HIGH),
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("e-commerce average 30-40"),
                "font": {"size": 10},
            },
            {
                "xref": "paper",
                "yref": "y",
                "x": 1,
                "y": float(NPS_LEADER),
                "xanchor": "right",
                "yanchor": "bottom",
                "showarrow": False,
                "text": _("leaders 60+"),
                "font": {"size": 10},
            },
        ],
    )
    return _figure(figure)


def first_response_figure(rows: list[dict]) -> dict:
    figure = go.Figure(
        go.Bar(
            x=[row["day"].isoformat() for row in rows],
            y=[None if row["median"] is None else float(row["median"]) for row in rows],
            customdata=[row["count"] for row in rows],
            marker_color="#6f42c1",
            hovertemplate="%{x}: %{y} min<br>" + _("answered") + ": %{customdata}<extra></extra>",
        )
    )
    figure.update_layout(**CHART_LAYOUT, yaxis={"title": _("Median first response (minutes)")})
    return _figure(figure)


@roles.area_required(roles.SERVICE)
@roles.reading_page
def overview(request):
    """What needs attention today, then the figures of the last 7 / 30 days and the charts."""
    data = overview_selectors.service_overview()
    today = data["today"]
    for ticket in data["breached"]:
        ticket.url = reverse("service:ticket-detail", args=[ticket.number])
    for clock in data["at_risk"]:
        clock.ticket.url = reverse("service:ticket-detail", args=[clock.ticket.number])
    for escalation in data["escalations"]:
        escalation.ticket.url = reverse("service:ticket-detail", args=[escalation.ticket.number])
        escalation.report_url = reverse("service:escalation-report", args=[escalation.ticket.number])
    for request_ in data["returns"]["oldest"]:
        request_.url = reverse("service:return-detail", args=[request_.number])
    statuses = overview_selectors.OPEN_STATUSES
    for row in data["queue_by_team"] + data["queue_by_agent"]:
        row["by_status"] = [row[status] for status in statuses]
    kb = kb_coverage(start=day_start(today - timedelta(days=29)), end=day_start(today + timedelta(days=1)))
    return render(
        request,
        "service/overview.html",
        {
            **data,
            "status_labels": [Ticket.Status(status).label for status in statuses],
            "kb": kb,
            "backlog_chart": backlog_figure(data["backlog"]),
            "nps_chart": nps_month_figure(data["nps_trend"]),
            "first_response_chart": first_response_figure(data["first_response_by_day"]),
            "satisfaction_url": reverse("service:satisfaction"),
        },
    )
