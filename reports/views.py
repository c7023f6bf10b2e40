from datetime import timedelta

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _

from reports import charts, selectors
from shopops.common import roles
from shopops.common.dates import shop_today

CHART_DAYS = 90


@roles.area_required(roles.HOME)
@roles.reading_page
def home(request):
    today = shop_today()
    frame = selectors.daily_gmv_by_channel(start=today - timedelta(days=CHART_DAYS), end=today)
    figure = charts.gmv_by_channel_figure(
        frame,
        title=_("Daily GMV by channel, last %(days)s days") % {"days": CHART_DAYS},
        yaxis_title=_("GMV (%(currency)s)") % {"currency": settings.SHOP_CURRENCY},
    )
    return render(
        request,
        "reports/home.html",
        {
            "cards": selectors.kpi_cards(today=today),
            "figure": figure,
            "has_sales": not frame.empty and len(frame.columns) > 0,
            "today": today,
        },
    )


@roles.area_required(roles.REPORTS)
@roles.reading_page
def overview(request):
    today = shop_today()
    weeks = selectors.weekly_sales(today=today, weeks=12)
    figure = charts.weekly_gmv_figure(
        weeks, title=_("Weekly GMV and orders"), gmv_label=_("GMV"), orders_label=_("Orders")
    )
    return render(request, "reports/overview.html", {"weeks": weeks, "figure": figure})
