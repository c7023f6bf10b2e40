"""The planner's pages: the replenishment worklist, the SKU stock page, forecast accuracy and the inventory
KPIs.

Everyone in the inventory area reads them; approving or dismissing suggestions needs
`inventory.change_purchaseorder` (inventory planner, admin): a POST without it is a 403.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from inventory import charts, kpis, ledger, planning, selectors
from inventory.models import (
    ForecastModel,
    PurchaseOrder,
    ReplenishmentSuggestion,
    SKUClass,
    SKUForecast,
    Supplier,
)
from shopops.common import roles
from shopops.common.dates import shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

EDIT_PERMISSION = "inventory.change_purchaseorder"
WORKLIST_PAGE_SIZE = 100
SUPPLIER_REASONS = {
    "only supplier": gettext_lazy("the only qualified supplier"),
    "tier": gettext_lazy("chosen for its tier"),
    "score": gettext_lazy("chosen for its scorecard"),
    "cost": gettext_lazy("chosen for its unit cost"),
    "lead time": gettext_lazy("chosen for its lead time"),
}
HISTORY_DAYS = 180
Kind = ReplenishmentSuggestion.Kind
SuggestionStatus = ReplenishmentSuggestion.Status


# ---------------------------------------------------------------------------------------------------------
# Replenishment worklist


@dataclass
class Group:
    """The worklist's suggestions of one supplier (purchases) or one source warehouse (transfers)."""

    kind: str
    key: str  # supplier or source warehouse code
    name: str
    rows: list = field(default_factory=list)

    @property
    def amount(self) -> Decimal:
        return sum((row.amount for row in self.rows), Decimal("0.00"))

    @property
    def open_rows(self) -> int:
        return sum(row.status == SuggestionStatus.OPEN for row in self.rows)


def _groups(rows) -> list[Group]:
    groups: list[Group] = []
    for row in rows:
        if row.kind == Kind.TRANSFER:
            source = row.source_warehouse
            key, name = (source.code, source.name) if source else ("", _("No source warehouse"))
        else:
            supplier = row.supplier
            key, name = (supplier.code, supplier.name) if supplier else ("", _("No supplier"))
        if not groups or (groups[-1].kind, groups[-1].key) != (row.kind, key):
            groups.append(Group(kind=row.kind, key=key, name=name))
        groups[-1].rows.append(row)
    return groups


def _selected(request) -> tuple[list[int], dict[int, int], list[str]]:
    """The ticked suggestion ids and their (edited) quantities from the worklist form."""
    ids, quantities, errors = [], {}, []
    for value in request.POST.getlist("suggestion"):
        if not value.isdigit():
            continue
        pk = int(value)
        ids.append(pk)
        raw = request.POST.get(f"qty_{pk}", "").strip()
        if raw == "":
            continue
        if not raw.isdigit() or int(raw) < 1:
            errors.append(_("Quantity %(value)s is not a whole number of at least 1.") % {"value": raw})
            continue
        quantities[pk] = int(raw)
    if not ids:
        errors.append(_("Tick at least one suggestion."))
    return ids, quantities, errors


def _approved_message(documents) -> str:
    orders = [d.number for d in documents if isinstance(d, PurchaseOrder)]
    transfers = [d.number for d in documents if not isinstance(d, PurchaseOrder)]
    parts = []
    if orders:
        parts.append(_("purchase orders: %(numbers)s") % {"numbers": ", ".join(orders)})
    if transfers:
        parts.append(_("transfers: %(numbers)s") % {"numbers": ", ".join(transfers)})
    return _("Approved into %(documents)s.") % {"documents": "; ".join(parts)}


@roles.area_required(roles.INVENTORY)
def replenishment(request):
    """Today's suggestions grouped by supplier (purchases) and source warehouse (transfers); a planner ticks
    rows, edits quantities and approves them into purchase orders and transfers, or dismisses them."""
    if request.method == "POST" and not request.user.has_perm(EDIT_PERMISSION):
        raise PermissionDenied
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        ids, quantities, errors = _selected(request)
        if action not in ("approve", "dismiss"):
            errors.append(_("Unknown action."))
        if not errors:
            try:
                if action == "approve":
                    documents = planning.suggestions_approve(
                        suggestion_ids=ids, quantities=quantities, user=request.user
                    )
                else:
                    planning.suggestion_dismiss(suggestion_ids=ids, user=request.user)
            except ValidationError as exc:
                errors = list(exc.messages)
            else:
                if action == "dismiss":
                    messages.success(request, _("Dismissed %(count)d suggestions.") % {"count": len(ids)})
                    return redirect(request.get_full_path())
                messages.success(request, _approved_message(documents))
                if len(documents) == 1 and isinstance(documents[0], PurchaseOrder):
                    return redirect("inventory:po-detail", number=documents[0].number)
                return redirect(request.get_full_path())

    params = request.GET
    status = params.get("status", SuggestionStatus.OPEN)
    rows = kpis.suggestion_list(
        supplier=params.get("supplier", ""),
        warehouse=params.get("warehouse", ""),
        kind=params.get("kind", "") if params.get("kind", "") in Kind.values else "",
        status=status if status in SuggestionStatus.values else "",
        search=params.get("q", "").strip(),
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="replenishment",
            fmt=fmt,
            headers=[
                _("Date"),
                _("Kind"),
                _("Status"),
                _("Supplier"),
                _("From warehouse"),
                _("SKU"),
                _("Warehouse"),
                _("ABC class"),
                _("Available"),
                _("Inbound"),
                _("Daily demand"),
                _("Safety stock"),
                _("Reorder point"),
                _("Order up to"),
                _("Projected stockout"),
                _("Next arrival"),
                _("Needed"),
                _("Quantity"),
                _("Unit cost"),
                _("Amount"),
            ],
            rows=(
                (
                    s.business_date,
                    s.get_kind_display(),
                    s.get_status_display(),
                    s.supplier.code if s.supplier else "",
                    s.source_warehouse.code if s.source_warehouse else "",
                    s.sku.code,
                    s.warehouse.code,
                    s.abc,
                    s.available,
                    s.inbound,
                    s.daily_demand,
                    s.safety_stock,
                    s.reorder_point,
                    s.order_up_to,
                    s.projected_stockout_on,
                    s.next_arrival_on,
                    s.quantity_needed,
                    s.quantity,
                    s.unit_cost,
                    s.amount,
                )
                for s in rows.iterator(chunk_size=2000)
            ),
        )
    page_obj = paginate(request, rows, per_page=WORKLIST_PAGE_SIZE)
    return render(
        request,
        "inventory/replenishment.html",
        {
            "business_date": kpis.suggestion_latest_date(),
            "page_obj": page_obj,
            "groups": _groups(page_obj),
            "query": querystring_without_page(request),
            "filters": params,
            "status": status,
            "statuses": SuggestionStatus.choices,
            "kinds": Kind.choices,
            "suppliers": Supplier.objects.filter(active=True).order_by("code"),
            "warehouses": selectors.warehouse_list(),
            "can_edit": request.user.has_perm(EDIT_PERMISSION),
            "errors": errors,
            "posted": request.POST if errors else {},
        },
        status=400 if errors else 200,
    )


# ---------------------------------------------------------------------------------------------------------
# SKU stock page


def _explain(sku, warehouse_id: int | None) -> tuple[dict | None, str]:
    """planning.sku_replenishment_explain for the SKU in the warehouse, or (None, why not)."""
    if warehouse_id is None:
        return None, _("The SKU has no stock level or suggestion in any warehouse yet.")
    try:
        return planning.sku_replenishment_explain(sku_id=sku.pk, warehouse_id=warehouse_id), ""
    except (ValidationError, ObjectDoesNotExist, LookupError, ValueError) as exc:
        messages_ = getattr(exc, "messages", None)
        return None, " ".join(messages_) if messages_ else str(exc)


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def sku_stock(request, code: str):
    try:
        sku = catalog_selectors.sku_page_get(code=code)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    levels = selectors.sku_stock_by_warehouse(sku.pk)
    suggestions = list(kpis.suggestion_list(sku_id=sku.pk))
    warehouses = {w.code: w for w in selectors.warehouse_list()}
    chosen = request.GET.get("warehouse", "")
    if chosen not in warehouses:
        chosen = suggestions[0].warehouse.code if suggestions else (levels[0]["warehouse"] if levels else "")
    warehouse = warehouses.get(chosen)
    explain, explain_error = _explain(sku, warehouse.pk if warehouse else None)
    if explain is not None and not explain.get("available", True):
        explain, explain_error = (
            None,
            _("No forecast for this SKU yet: the maths start after the nightly run."),
        )
    forecast = kpis.forecast_latest(sku_id=sku.pk)
    end = forecast.business_date if forecast else shop_today()
    history = kpis.demand_daily(sku_id=sku.pk, end=end, days=HISTORY_DAYS)
    days = kpis.forecast_days(forecast) if forecast else []
    labels = {
        "history": _("Demand"),
        "stockout": _("Stockout day"),
        "forecast": _("Forecast"),
        "interval": _("Prediction interval"),
        "units": _("Units per day"),
    }
    projection_chart, transfers_in = None, []
    if explain and explain.get("projection"):
        projection_chart = charts.projection_figure(
            explain["projection"],
            reorder_point=(explain.get("reorder_point") or {}).get("units"),
            safety_stock=(explain.get("safety_stock") or {}).get("units"),
            labels={
                "stock": _("Projected stock"),
                "reorder_point": _("Reorder point"),
                "safety_stock": _("Safety stock"),
            },
            title=_("Projected stock in %(warehouse)s") % {"warehouse": warehouse.name},
        )
    if explain:
        # Keys in the stored maths, in words for the page.
        if explain.get("forecast"):
            model = explain["forecast"].get("model")
            explain["forecast"]["model"] = (
                ForecastModel(model).label if model in ForecastModel.values else model
            )
        if explain.get("supplier"):
            tier = explain["supplier"].get("tier")
            explain["supplier"]["tier"] = Supplier.Tier(tier).label if tier in Supplier.Tier.values else tier
            explain["supplier"]["reason"] = SUPPLIER_REASONS.get(
                explain["supplier"].get("reason"), explain["supplier"].get("reason")
            )
        for option in explain.get("suppliers") or []:
            if option.get("tier") in Supplier.Tier.values:
                option["tier"] = Supplier.Tier(option["tier"]).label
        names = {w.pk: w.name for w in warehouses.values()}
        transfers_in = [(names.get(wh, wh), units) for wh, units in explain.get("transfers_in") or []]
    sku_class = SKUClass.objects.filter(sku=sku).first()
    return render(
        request,
        "inventory/sku_stock.html",
        {
            "sku": sku,
            "sku_class": sku_class,
            "levels": levels,
            "totals": {
                key: sum(level[key] for level in levels) for key in ("on_hand", "reserved", "available")
            },
            "page_obj": paginate(request, ledger.movement_list(sku=sku.code), per_page=25),
            "query": querystring_without_page(request),
            "forecast": forecast,
            "chart": charts.forecast_figure(
                history, days, labels=labels, title=_("Demand history and forecast (all warehouses)")
            ),
            "suggestions": suggestions,
            "warehouse": warehouse,
            "warehouses": warehouses.values(),
            "explain": explain,
            "explain_error": explain_error,
            "transfers_in": transfers_in,
            "projection_chart": projection_chart,
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Forecast accuracy


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def forecast_accuracy(request):
    params = request.GET
    business_date = kpis.forecast_latest_date()
    by_class = kpis.forecast_accuracy_by(business_date=business_date, by="abc") if business_date else []
    by_model = kpis.forecast_accuracy_by(business_date=business_date, by="model") if business_date else []
    model_names = dict(ForecastModel.choices)
    for row in by_model:
        row.label = model_names.get(row.key, row.key)
    for row in by_class:
        row.label = row.key or _("Not classified")
    abc = params.get("abc", "") if params.get("abc", "") in SKUClass.ABC.values else ""
    model = params.get("model", "") if params.get("model", "") in ForecastModel.values else ""
    offenders = (
        kpis.forecast_offender_list(
            business_date=business_date, sort=params.get("sort", "error"), abc=abc, model=model
        )
        if business_date
        else SKUForecast.objects.none()
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="forecast-accuracy",
            fmt=fmt,
            headers=[
                _("SKU"),
                _("Name"),
                _("ABC class"),
                _("Model"),
                _("Actual units, 28 days"),
                _("WAPE"),
                _("Bias"),
                _("Units wrong"),
                _("Intermittent"),
            ],
            rows=(
                (
                    f.sku.code,
                    f.sku.name,
                    getattr(getattr(f.sku, "inventory_class", None), "abc", ""),
                    f.model,
                    f.actual_28d,
                    f.wape,
                    f.bias,
                    f.error_units,
                    f.intermittent,
                )
                for f in offenders.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "inventory/forecast_accuracy.html",
        {
            "business_date": business_date,
            "by_class": by_class,
            "by_model": by_model,
            "total": kpis.forecast_accuracy_total(by_model),
            "target": kpis.FORECAST_ACCURACY_TARGET,
            "page_obj": paginate(request, offenders),
            "query": querystring_without_page(request),
            "filters": params,
            "models": ForecastModel.choices,
            "classes": SKUClass.ABC.choices,
            "chart": charts.accuracy_figure(
                by_model,
                labels={"wape": _("WAPE"), "bias": _("Bias")},
                title=_("WAPE and bias by model"),
            )
            if by_model
            else None,
        },
    )


# ---------------------------------------------------------------------------------------------------------
# Inventory KPIs


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def inventory_kpis(request):
    """The KPIs with value by warehouse and category, and the dead-stock or overstock list (?list=)."""
    params = request.GET
    data = kpis.inventory_kpis_get()
    which = "overstock" if params.get("list") == "overstock" else "dead"
    rows = (kpis.overstock_list if which == "overstock" else kpis.dead_stock_list)(data.as_of)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"{which}-stock",
            fmt=fmt,
            headers=[
                _("SKU"),
                _("Name"),
                _("On hand"),
                _("Available"),
                _("Value"),
                _("Last sale"),
                _("Daily demand"),
                _("Days of cover"),
                _("Excess units"),
                _("Excess value"),
            ],
            rows=(
                (
                    r.code,
                    r.name,
                    r.on_hand,
                    r.available,
                    r.value,
                    r.last_sale,
                    r.daily_demand,
                    r.cover_days,
                    r.excess_units,
                    r.excess_value,
                )
                for r in rows
            ),
        )
    return render(
        request,
        "inventory/inventory_kpis.html",
        {
            "k": data,
            "which": which,
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "chart": charts.value_figure(
                data.by_category,
                labels={"value": _("Inventory value")},
                title=_("Inventory value by category"),
            )
            if data.by_category
            else None,
            "list_url": reverse("inventory:kpis"),
        },
    )
