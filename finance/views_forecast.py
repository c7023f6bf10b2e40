"""The 13-week cash-flow forecast pages: the table (weeks x lines) per scenario with the actual weeks, the
chart, the accuracy and the rebuild button; its export; the drill-down behind one number; the scenarios."""

import json
from decimal import Decimal

import plotly.graph_objects as go
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from finance.forms_forecast import CellForm, ScenarioForm
from finance.models import ForecastItem, Line, Scenario
from finance.selectors import alerts as alert_selectors
from finance.selectors import forecast as selectors
from finance.services import forecast as services
from finance.services.alerts import alerts_evaluate, format_value
from inventory.models import PurchaseOrder, ReplenishmentSuggestion
from marketing.models import Campaign
from shopops.common import roles
from shopops.common.dates import shop_yesterday
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

REBUILD = "finance.change_forecastrun"
ADD_SCENARIO = "finance.add_scenario"
CHANGE_SCENARIO = "finance.change_scenario"
ACTUAL_COLUMNS = 4
CHART_LAYOUT = {
    "template": "plotly_white",
    "height": 360,
    "margin": {"l": 60, "r": 20, "t": 30, "b": 40},
    "legend": {"orientation": "h", "y": -0.15},
    "barmode": "relative",
}


def _scenario(request) -> Scenario:
    code = request.GET.get("scenario") or "base"
    try:
        return selectors.scenario_get(code=code)
    except Scenario.DoesNotExist as exc:
        raise Http404(_("No such scenario.")) from exc


def _row_label(key: str) -> str:
    return {
        "opening": _("Opening balance"),
        "total_in": _("Total inflows"),
        "total_out": _("Total outflows"),
        "net": _("Net cash flow"),
        "closing": _("Closing balance"),
    }.get(key) or str(dict(Line.choices).get(key, key))


def forecast_figure(*, run, weeks) -> dict:
    """Weekly closing balance (line), inflows and outflows (bars), the cushion (horizontal line)."""
    x = [w.week_start.isoformat() for w in weeks]
    figure = go.Figure()
    figure.add_trace(
        go.Bar(x=x, y=[float(w.inflow) for w in weeks], name=_("Inflows"), marker_color="#198754")
    )
    figure.add_trace(
        go.Bar(x=x, y=[-float(w.outflow) for w in weeks], name=_("Outflows"), marker_color="#dc3545")
    )
    figure.add_trace(
        go.Scatter(
            x=x,
            y=[float(w.closing) for w in weeks],
            name=_("Closing balance"),
            mode="lines+markers",
            line={"color": "#0d6efd"},
        )
    )
    if x:
        figure.add_trace(
            go.Scatter(
                x=[x[0], x[-1]],
                y=[float(run.cushion)] * 2,
                name=_("Safety cushion"),
                mode="lines",
                line={"color": "#fd7e14", "dash": "dot"},
            )
        )
    figure.update_layout(**CHART_LAYOUT)
    return json.loads(figure.to_json())


def _table_context(run) -> dict:
    weeks = selectors.forecast_weeks(run=run)
    actuals = (
        selectors.week_actuals_before(week_start=weeks[0].week_start, weeks=ACTUAL_COLUMNS) if weeks else []
    )
    columns, rows = selectors.forecast_table(run=run, actuals=actuals)
    table = []
    for row in rows:
        cells = []
        for column, amount in zip(columns, row.cells, strict=True):
            link = ""
            if not column["actual"] and row.kind in ("in", "out") and amount:
                link = (
                    reverse("finance:forecast-cell")
                    + "?"
                    + urlencode({"scenario": run.scenario.code, "week": column["index"], "line": row.key})
                )
            cells.append({"amount": amount, "link": link, "column": column})
        table.append({"key": row.key, "label": _row_label(row.key), "kind": row.kind, "cells": cells})
    return {"columns": columns, "table": table, "weeks": weeks}


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def forecast(request):
    """The forecast table of a scenario, with the actual weeks before it, the chart, the accuracy."""
    scenario = _scenario(request)
    run = selectors.forecast_latest(scenario_code=scenario.code)
    context = {
        "scenario": scenario,
        "scenarios": selectors.scenario_list(),
        "run": run,
        "can_rebuild": request.user.has_perm(REBUILD),
        "can_edit_scenarios": request.user.has_perm(CHANGE_SCENARIO),
        "accuracy": selectors.forecast_accuracy(),
        "alerts": [
            _alert_row(a) for a in alert_selectors.alert_live_for_scenario(scenario_code=scenario.code)
        ],
    }
    if run is not None:
        context.update(_table_context(run))
        context["chart"] = forecast_figure(run=run, weeks=context["weeks"])
        context["below_cushion"] = run.lowest_closing < run.cushion
    return render(request, "finance/forecast/forecast.html", context)


ALERT_BADGE = {"watch": "info", "warning": "warning", "critical": "danger"}


def _alert_row(alert) -> dict:
    """A live alert of the scenario as the forecast page shows it: level, what crossed, its playbook."""
    return {
        "alert": alert,
        "badge": ALERT_BADGE.get(alert.level, "secondary"),
        "value": format_value(alert.metric, alert.value),
        "threshold": format_value(alert.metric, alert.threshold),
        "actions": [
            {"action": a, "owner": roles.ROLES.get(a.owner_role, a.owner_role)} for a in alert.actions.all()
        ],
    }


@roles.permission_required(roles.FINANCE_AREA, REBUILD)
@require_POST
def forecast_rebuild(request):
    """Build every scenario's forecast for yesterday (the last finished business day), then evaluate the
    alerts on it."""
    business_date = shop_yesterday()
    runs = services.cashflow_forecast_build(business_date=business_date)
    alerts_evaluate(business_date=business_date)
    messages.success(
        request,
        _("Forecast rebuilt as of %(date)s for %(count)s scenarios.")
        % {"date": business_date.isoformat(), "count": len(runs)},
    )
    code = request.POST.get("scenario") or "base"
    return redirect(reverse("finance:forecast") + "?" + urlencode({"scenario": code}))


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def forecast_export(request):
    """The table of a scenario's newest run (actual weeks included) as CSV or XLSX."""
    scenario = _scenario(request)
    fmt = request.GET.get("fmt") or request.GET.get("export") or "csv"
    if fmt not in EXPORT_FORMATS:
        return HttpResponseBadRequest(_("Unknown export format."))
    run = selectors.forecast_latest(scenario_code=scenario.code)
    if run is None:
        raise Http404(_("No forecast has been built for this scenario yet."))
    weeks = selectors.forecast_weeks(run=run)
    actuals = (
        selectors.week_actuals_before(week_start=weeks[0].week_start, weeks=ACTUAL_COLUMNS) if weeks else []
    )
    columns, rows = selectors.forecast_table(run=run, actuals=actuals)
    headers = [_("Line")] + [
        f"{c['week_start'].isoformat()} ({_('actual') if c['actual'] else _('forecast')})" for c in columns
    ]
    return export_response(
        filename=f"cash-forecast-{scenario.code}-{run.business_date.isoformat()}",
        fmt=fmt,
        headers=headers,
        rows=([_row_label(r.key), *r.cells] for r in rows),
    )


def _item_links(request, items) -> list[dict]:
    """Each item of a page with a link to what is behind it (when the user may open that page)."""
    user = request.user
    ids = {kind: [i.ref_id for i in items if i.ref_kind == kind] for kind in ForecastItem.Ref.values}

    def as_ints(values):
        return [int(v) for v in values if v.isdigit()]

    po_numbers = dict(PurchaseOrder.objects.filter(pk__in=as_ints(ids["po"])).values_list("pk", "number"))
    campaign_codes = dict(Campaign.objects.filter(pk__in=as_ints(ids["campaign"])).values_list("pk", "code"))
    suggestion_skus = dict(
        ReplenishmentSuggestion.objects.filter(pk__in=as_ints(ids["suggestion"])).values_list(
            "pk", "sku__code"
        )
    )
    can = {area: roles.can_open(user, area) for area in (roles.ORDERS, roles.INVENTORY, roles.MARKETING_AREA)}
    out = []
    for item in items:
        key = int(item.ref_id) if item.ref_id.isdigit() else None
        link = ""
        if item.ref_kind == ForecastItem.Ref.ORDER and key and can[roles.ORDERS]:
            link = reverse("orders:order-detail", args=[key])
        elif item.ref_kind == ForecastItem.Ref.PURCHASE_ORDER and key in po_numbers and can[roles.INVENTORY]:
            link = reverse("inventory:po-detail", args=[po_numbers[key]])
        elif item.ref_kind == ForecastItem.Ref.SUGGESTION and key in suggestion_skus and can[roles.INVENTORY]:
            link = reverse("inventory:sku-stock", args=[suggestion_skus[key]])
        elif item.ref_kind == ForecastItem.Ref.COMMITMENT and key:
            link = reverse("finance:expense-edit", args=[key])
        elif (
            item.ref_kind == ForecastItem.Ref.CAMPAIGN and key in campaign_codes and can[roles.MARKETING_AREA]
        ):
            link = reverse("marketing:campaign-detail", args=[campaign_codes[key]])
        elif item.ref_kind == ForecastItem.Ref.CHANNEL:
            link = reverse("finance:receivables") + "?" + urlencode({"channel": item.ref_id})
        out.append({"item": item, "link": link})
    return out


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def forecast_cell(request):
    """The items behind one number of the table (scenario, week, line), paginated, each linked to its
    source; the total equals the cell."""
    # Without parameters: the first week's settlements (the link target of the table's first cell).
    form = CellForm({"week": request.GET.get("week", "0"), "line": request.GET.get("line", Line.SETTLEMENTS)})
    if not form.is_valid():
        return HttpResponseBadRequest(
            "; ".join(f"{field}: {' '.join(errors)}" for field, errors in form.errors.items())
        )
    scenario = _scenario(request)
    run = selectors.forecast_latest(scenario_code=scenario.code)
    if run is None:
        messages.info(request, _("No forecast has been built for this scenario yet."))
        return redirect(f"{reverse('finance:forecast')}?scenario={scenario.code}")
    week_index, line = form.cleaned_data["week"], form.cleaned_data["line"]
    items = selectors.forecast_items(run=run, week_index=week_index, line=line)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"cash-forecast-{scenario.code}-w{week_index}-{line}",
            fmt=fmt,
            headers=[_("Due on"), _("Amount"), _("Source"), _("Source id"), _("Label")],
            rows=(
                (i.due_on, i.amount, i.get_ref_kind_display(), i.ref_id, i.label) for i in items.iterator()
            ),
        )
    page_obj = paginate(request, items)
    week = next((w for w in selectors.forecast_weeks(run=run) if w.index == week_index), None)
    total = items.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return render(
        request,
        "finance/forecast/cell.html",
        {
            "scenario": scenario,
            "run": run,
            "week": week,
            "line": line,
            "line_label": dict(Line.choices)[line],
            "cell": selectors.cell_total(run=run, week_index=week_index, line=line),
            "total": total,
            "page_obj": page_obj,
            "rows": _item_links(request, list(page_obj)),
            "query": querystring_without_page(request),
        },
    )


@roles.area_required(roles.FINANCE_AREA)
@roles.reading_page
def scenario_list(request):
    """The scenarios with their multipliers and the newest run's lowest balance."""
    scenarios = selectors.scenario_list()
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="scenarios",
            fmt=fmt,
            headers=[
                _("Code"),
                _("Name"),
                _("Sales multiplier"),
                _("Settlement delay (days)"),
                _("Planned purchases multiplier"),
                _("Expenses multiplier"),
                _("Advertising multiplier"),
                _("Built in"),
                _("Raise alerts"),
            ],
            rows=(
                (
                    s.code,
                    str(s.label),
                    s.sales_multiplier,
                    s.settlement_delay_days,
                    s.purchase_multiplier,
                    s.expense_multiplier,
                    s.ads_multiplier,
                    _("yes") if s.builtin else _("no"),
                    _("yes") if s.evaluate_alerts else _("no"),
                )
                for s in scenarios
            ),
        )
    page_obj = paginate(request, scenarios)
    latest = {s.pk: selectors.forecast_latest(scenario_code=s.code) for s in page_obj}
    return render(
        request,
        "finance/forecast/scenario_list.html",
        {
            "page_obj": page_obj,
            "rows": [{"scenario": s, "run": latest[s.pk]} for s in page_obj],
            "query": querystring_without_page(request),
            "can_add": request.user.has_perm(ADD_SCENARIO),
            "can_change": request.user.has_perm(CHANGE_SCENARIO),
        },
    )


def _save_and_build(request, form, scenario=None):
    try:
        saved = services.scenario_save(scenario=scenario, values=form.values())
    except ValidationError as exc:
        errors_to_form(form, exc)
        return None
    services.cashflow_forecast_build(business_date=shop_yesterday(), scenario_codes=[saved.code])
    messages.success(request, _("Scenario %(name)s saved and its forecast built.") % {"name": saved.name})
    return redirect(reverse("finance:forecast") + "?" + urlencode({"scenario": saved.code}))


@roles.permission_required(roles.FINANCE_AREA, ADD_SCENARIO)
def scenario_create(request):
    form = ScenarioForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        response = _save_and_build(request, form)
        if response is not None:
            return response
    return render(
        request,
        "finance/forecast/scenario_form.html",
        {"form": form, "scenario": None},
        status=400 if form.errors else 200,
    )


@roles.permission_required(roles.FINANCE_AREA, CHANGE_SCENARIO)
def scenario_edit(request, code):
    try:
        scenario = selectors.scenario_get(code=code)
    except Scenario.DoesNotExist as exc:
        raise Http404(_("No such scenario.")) from exc
    form = ScenarioForm(request.POST or None, instance=scenario)
    if request.method == "POST" and form.is_valid():
        response = _save_and_build(request, form, scenario=selectors.scenario_get(code=code))
        if response is not None:
            return response
    return render(
        request,
        "finance/forecast/scenario_form.html",
        {"form": form, "scenario": scenario},
        status=400 if form.errors else 200,
    )


@roles.permission_required(roles.FINANCE_AREA, CHANGE_SCENARIO)
@require_POST
def scenario_delete(request, code):
    try:
        scenario = selectors.scenario_get(code=code)
    except Scenario.DoesNotExist as exc:
        raise Http404(_("No such scenario.")) from exc
    try:
        services.scenario_delete(scenario=scenario)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("finance:scenario-list")
    messages.success(request, _("Scenario %(name)s deleted.") % {"name": scenario.name})
    return redirect("finance:scenario-list")
