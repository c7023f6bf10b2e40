"""The marketing overview: what needs attention today — promotions live now and coming, the promotion
calendar of the next 90 days, campaign budgets burning faster than their days, campaigns whose ad
metrics left their bands — and the customer base per channel."""

import json
from datetime import timedelta

import plotly.graph_objects as go
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.selectors import promotions as promotion_selectors
from marketing.selectors.campaigns import campaign_budget_burn, campaign_calendar, campaigns_out_of_band
from marketing.views_promotions import ADD_PERMISSION
from orders import selectors as order_selectors
from shopops.common import roles
from shopops.common.dates import shop_today

WINDOW_DAYS = 30
CALENDAR_DAYS = 90
PROMOTIONS_SHOWN = 20
CALENDAR_COLORS = {"planning": "#adb5bd", "campaign": "#0d6efd", "promotion": "#198754"}


def calendar_figure(items: list[dict], *, start, end) -> dict | None:
    """A timeline of the calendar: one row per campaign or promotion, its planning period (campaigns) in
    grey before its days. Bars span whole shop days (``ends_on`` inclusive)."""
    if not items:
        return None
    figure = go.Figure()
    names = [f"{item['name']} ({item['code']})" for item in items]
    day_ms = 24 * 3600 * 1000

    def bars(key: str, label: str, rows: list[tuple[str, object, object]]):
        if not rows:
            return
        figure.add_trace(
            go.Bar(
                name=label,
                orientation="h",
                y=[name for name, _s, _e in rows],
                base=[first.isoformat() for _n, first, _e in rows],
                x=[((last - first).days + 1) * day_ms for _n, first, last in rows],
                marker_color=CALENDAR_COLORS[key],
                customdata=[[first.isoformat(), last.isoformat()] for _n, first, last in rows],
                hovertemplate="%{y}<br>%{customdata[0]} – %{customdata[1]}<extra>" + label + "</extra>",
            )
        )

    planning, campaigns, promotions = [], [], []
    for name, item in zip(names, items, strict=True):
        if item.get("planning_starts_on") and item["planning_starts_on"] < item["starts_on"]:
            planning.append((name, item["planning_starts_on"], item["starts_on"] - timedelta(days=1)))
        target = promotions if item["source"] == "promotion" else campaigns
        target.append((name, item["starts_on"], item["ends_on"]))
    bars("planning", _("Planning"), planning)
    bars("campaign", _("Campaign"), campaigns)
    bars("promotion", _("Promotion"), promotions)
    figure.update_layout(
        template="plotly_white",
        barmode="overlay",
        height=max(220, 60 + 28 * len(items)),
        margin={"l": 20, "r": 20, "t": 30, "b": 40},
        xaxis={"type": "date", "range": [start.isoformat(), (end + timedelta(days=1)).isoformat()]},
        yaxis={"autorange": "reversed", "automargin": True, "categoryorder": "array", "categoryarray": names},
        legend={"orientation": "h", "y": -0.15},
        shapes=[
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": start.isoformat(),
                "x1": start.isoformat(),
                "y0": 0,
                "y1": 1,
                "line": {"color": "#dc3545", "dash": "dot"},
            }
        ],
    )
    return json.loads(figure.to_json())


@roles.area_required(roles.MARKETING_AREA)
@roles.reading_page
def overview(request):
    """Promotions live and upcoming, the calendar of the next 90 days, budget burn and out-of-band
    campaigns, and the customer base per channel over the last 30 days (new and returning customers)."""
    today = shop_today()
    now = timezone.now()
    live_qs = promotion_selectors.promotion_list(status="live", now=now).order_by(
        F("ends_at").asc(nulls_last=True), "code"
    )
    live = list(live_qs[:PROMOTIONS_SHOWN])
    live_count = live_qs.count()
    upcoming_qs = promotion_selectors.promotion_list(status="upcoming", now=now).order_by("starts_at", "code")
    upcoming = list(upcoming_qs[:PROMOTIONS_SHOWN])
    upcoming_count = upcoming_qs.count()
    calendar_end = today + timedelta(days=CALENDAR_DAYS - 1)
    calendar = campaign_calendar(start=today, end=calendar_end)
    for item in calendar:
        item["planning_now"] = bool(
            item.get("planning_starts_on") and item["planning_starts_on"] <= today < item["starts_on"]
        )
    rows = order_selectors.customer_base_by_channel(start=today - timedelta(days=WINDOW_DAYS), end=today)
    for row in rows:
        row["returning_share"] = round(row["returning"] / row["customers"], 4) if row["customers"] else None
    return render(
        request,
        "marketing/overview.html",
        {
            "rows": rows,
            "days": WINDOW_DAYS,
            "today": today,
            "live": live,
            "live_count": live_count,
            "upcoming": upcoming,
            "upcoming_count": upcoming_count,
            "shown": PROMOTIONS_SHOWN,
            "calendar": calendar,
            "calendar_days": CALENDAR_DAYS,
            "calendar_end": calendar_end,
            "calendar_chart": calendar_figure(calendar, start=today, end=calendar_end),
            "burn": campaign_budget_burn(today=today),
            "out_of_band": campaigns_out_of_band(today=today),
            "can_add": request.user.has_perm(ADD_PERMISSION),
        },
    )
