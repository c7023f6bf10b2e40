"""The KPI explorer (every order KPI of a period with its changes, definitions, charts, series table and
export; a category's line sales) and the anomalies page. Both only read: GET for the REPORTS roles."""

from datetime import timedelta

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from reports import anomalies as anomaly_rules
from reports import areas, kpis
from reports import charts_explorer as charts
from reports.forms_explorer import AnomalyForm, ExplorerForm
from reports.models import ReportSettings
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

SERIES_PAGE_SIZE = 62
EXPLORER_ANOMALIES_SHOWN = 10
CHART_LINES = (("aov", False), ("gross_margin", True), ("return_rate", True))


def kpi_kind(key: str) -> str:
    if key in kpis.MONEY_KPIS:
        return "money"
    if key in kpis.RATE_KPIS:
        return "rate"
    return "int"


def _filters(request, form_class):
    form = form_class(request.GET or None)
    if not form.is_bound:
        return form, form_class.defaults(), 200
    if form.is_valid():
        return form, form.cleaned_data, 200
    return form, form_class.defaults(), 400


def _export_cell(value):
    return "" if value is None else value


def series_export(series: list[dict], *, filename: str, fmt: str):
    headers = [_("Period start"), *[str(kpis.KPI_LABELS[k]) for k in kpis.ORDER_KPIS]]
    rows = ([row["period_start"], *[_export_cell(row[k]) for k in kpis.ORDER_KPIS]] for row in series)
    return export_response(filename=filename, fmt=fmt, headers=headers, rows=rows)


def kpi_cards(compare: dict, anomalies: list) -> list[dict]:
    flagged: dict[str, int] = {}
    for anomaly in anomalies:
        flagged[anomaly.metric] = flagged.get(anomaly.metric, 0) + 1
    cards = []
    for key in kpis.ORDER_KPIS:
        current = compare["current"][key]
        previous = compare["previous"][key]
        last_year = compare["last_year"][key]
        cards.append(
            {
                "key": key,
                "label": kpis.KPI_LABELS[key],
                "definition": kpis.KPI_DEFINITIONS[key],
                "kind": kpi_kind(key),
                "value": current,
                "previous": previous,
                "last_year": last_year,
                "change_previous": kpis.change(current, previous),
                "change_last_year": kpis.change(current, last_year),
                "anomalies": flagged.get(key, 0),
            }
        )
    return cards


def _table_rows(series: list[dict], flagged: dict) -> list[dict]:
    rows = []
    for row in series:
        rows.append(
            {
                "period_start": row["period_start"],
                "cells": [
                    (kpi_kind(k), row[k], row["period_start"] in flagged.get(k, ())) for k in kpis.ORDER_KPIS
                ],
                "flagged": any(row["period_start"] in days for days in flagged.values()),
            }
        )
    return rows


def _category_view(*, start, end, channel_id, category_id) -> dict | None:
    if not category_id:
        return None
    sales = kpis.category_sales(start=start, end=end, channel_id=channel_id, category_id=category_id)
    name = dict(kpis.category_choices()).get(category_id, "")
    revenue = kpis.daily_values(
        metric="revenue", start=start, end=end, channel_id=channel_id, category_id=category_id
    )
    units = kpis.daily_values(
        metric="units", start=start, end=end, channel_id=channel_id, category_id=category_id
    )
    days = [{"day": day, "revenue": revenue[day], "units": units[day]} for day in revenue]
    return {
        "name": name,
        "sales": sales,
        "days": days,
        "figure": charts.category_figure(days, category_name=name),
    }


@roles.area_required(roles.REPORTS)
@require_safe  # under the area check: a role outside reports gets 403
def explorer(request):
    """Every order KPI over the chosen period with changes, charts and the series; ?export=csv|xlsx gives the
    series rows with every KPI."""
    form, filters, status = _filters(request, ExplorerForm)
    start, end, channel_id = filters["start"], filters["end"], filters["channel"]
    granularity, category_id = filters["granularity"], filters["category"]
    series = kpis.kpi_series(start=start, end=end, granularity=granularity, channel_id=channel_id)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS and status == 200:
        return series_export(series, filename=f"kpis-{start:%Y%m%d}-{end:%Y%m%d}-{granularity}", fmt=fmt)
    compare = kpis.kpi_compare(start=start, end=end, channel_id=channel_id)
    anomalies = anomaly_rules.anomaly_list(start=start, end=end, channel_id=channel_id)
    flagged = {
        metric: charts.flagged_periods(anomalies, metric=metric, start=start, granularity=granularity)
        for metric in anomaly_rules.DEFAULT_METRICS
    }
    figures = [
        (
            "kpi-gmv-orders",
            _("GMV and orders"),
            charts.gmv_orders_figure(series, flagged_gmv=flagged["gmv"], flagged_orders=flagged["orders"]),
        ),
        ("kpi-customers", _("New and returning customers"), charts.customers_figure(series)),
    ]
    for key, percent in CHART_LINES:
        figures.append(
            (
                f"kpi-{key}",
                str(kpis.KPI_LABELS[key]),
                charts.line_figure(series, key, percent=percent, flagged=flagged.get(key, ())),
            )
        )
    report_settings = ReportSettings.get()
    query = querystring_without_page(request)
    return render(
        request,
        "reports/explorer/explorer.html",
        {
            "form": form,
            "filters": filters,
            "compare": compare,
            "cards": kpi_cards(compare, anomalies),
            "figures": figures,
            "page_obj": paginate(request, _table_rows(series, flagged), per_page=SERIES_PAGE_SIZE),
            "query": query,
            "labels": [kpis.KPI_LABELS[k] for k in kpis.ORDER_KPIS],
            "definitions": [(kpis.KPI_LABELS[k], kpis.KPI_DEFINITIONS[k]) for k in kpis.ORDER_KPIS],
            "anomalies": anomalies[:EXPLORER_ANOMALIES_SHOWN],
            "anomaly_count": len(anomalies),
            "anomaly_query": _period_query(filters),
            "report_settings": report_settings,
            "category": _category_view(start=start, end=end, channel_id=channel_id, category_id=category_id),
            "last_day": end - timedelta(days=1),
            "areas": areas.area_kpis(start=start, end=end, as_of=min(end, shop_today()) - timedelta(days=1)),
        },
        status=status,
    )


def _period_query(filters: dict) -> str:
    query = f"start={filters['start']:%Y-%m-%d}&end={filters['end']:%Y-%m-%d}"
    if filters.get("channel"):
        query += f"&channel={filters['channel']}"
    return query


ANOMALY_EXPORT_HEADERS = (
    gettext_lazy("Day"),
    gettext_lazy("Figure"),
    gettext_lazy("Value"),
    gettext_lazy("Expected"),
    gettext_lazy("Low"),
    gettext_lazy("High"),
    gettext_lazy("Deviation"),
    gettext_lazy("Direction"),
    gettext_lazy("Largest contributions"),
)


def _anomaly_export(anomalies: list, *, filename: str, fmt: str):
    def rows():
        for a in anomalies:
            yield (
                a.day,
                str(a.label),
                a.value,
                a.expected,
                a.low,
                a.high,
                a.deviation,
                a.direction,
                "; ".join(f"{c['dimension']} {c['name']}: {c['change']:+}" for c in a.contributions),
            )

    return export_response(
        filename=filename, fmt=fmt, headers=[str(h) for h in ANOMALY_EXPORT_HEADERS], rows=rows()
    )


@roles.area_required(roles.REPORTS)
@require_safe  # under the area check: a role outside reports gets 403
def anomaly_page(request):
    """Days whose GMV, orders, AOV or net sales left the expected band (last 28 days by default), each with
    the channels and categories that moved most; paginated; ?export=csv|xlsx."""
    form, filters, status = _filters(request, AnomalyForm)
    metrics = (filters["metric"],) if filters.get("metric") else anomaly_rules.DEFAULT_METRICS
    anomalies = anomaly_rules.anomaly_list(
        start=filters["start"], end=filters["end"], channel_id=filters["channel"], metrics=metrics
    )
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS and status == 200:
        return _anomaly_export(
            anomalies, filename=f"anomalies-{filters['start']:%Y%m%d}-{filters['end']:%Y%m%d}", fmt=fmt
        )
    return render(
        request,
        "reports/explorer/anomalies.html",
        {
            "form": form,
            "filters": filters,
            "page_obj": paginate(request, anomalies, per_page=25),
            "query": querystring_without_page(request),
            "report_settings": ReportSettings.get(),
            "min_weeks": anomaly_rules.MIN_BASELINE_WEEKS,
        },
        status=status,
    )
