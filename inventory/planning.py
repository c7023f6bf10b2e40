"""Planning services: the nightly SKU classes and replenishment suggestions, and the planner's actions.

- `sku_class_build` (nightly, after the SKU facts): ABC by the catalogue's 90-day revenue (catalog SKUStats,
  written by the step before) and XYZ by the variation of weekly demand over the last 13 weeks of
  inventory's own demand record; one SKUClass row per active SKU, replaced each night.
- `replenishment_build` (nightly, after the forecast): per SKU and warehouse the maths of
  `inventory.replenishment` (pure; the simulation in bench/replenishment_sim.py runs the same functions) on
  - the SKU's latest forecast made on or before the date (shifted by the days since it was made),
  - the warehouse's share of the SKU's demand over 90 days (`demand.warehouse_shares_get`; without any
    recorded demand, equal shares over the warehouses holding the SKU),
  - the daily sigma scaled by the share (see replenishment's docstring),
  - the class's service level (read as the fill rate the class gets: z from the loss function, see
    replenishment's docstring) and safety-stock floor, and the order cycle (InventorySettings),
  - the lead time and spread of the preferred supplier (qualified, active suppliers of the SKU by tier,
    scorecard over the last 4 quarters = on-time x fill x (1 - defect), unit cost),
  - available stock (on hand - reserved, less units on draft transfers out), inbound open PO lines
    (approved, sent, partially received: ordered - received, at the expected date; an approved PO not yet
    sent at date + the supplier's lead time) and transfers to the warehouse (draft or in transit).
  The date's OPEN suggestions are replaced; ordered and dismissed ones stay (and are not suggested again
  that date).
- `suggestions_approve`: purchase suggestions grouped by (supplier, warehouse) into purchase orders that are
  created and APPROVED at once (the planner's approval is the approval; sending stays a separate step), and
  transfer suggestions grouped by (source, destination) into DRAFT transfers (the source warehouse ships
  them). Suggestions become ordered and point at their document.
- `sku_replenishment_explain`: the same computation for one SKU, returned step by step for the SKU page.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors as catalog_selectors
from inventory import classification, purchasing, replenishment
from inventory.demand import demand_history_get, warehouse_shares_get
from inventory.ledger import transfer_create
from inventory.models import (
    InventorySettings,
    PurchaseOrder,
    PurchaseOrderLine,
    ReplenishmentSuggestion,
    SKUClass,
    SKUForecast,
    StockLevel,
    Supplier,
    SupplierSKU,
    Transfer,
    TransferLine,
    Warehouse,
)
from shopops.common.money import to_money

Suggestion = ReplenishmentSuggestion
XYZ_WEEKS = 13
QTY = Decimal("0.001")
DAYS = Decimal("0.01")
FRACTION = Decimal("0.0001")
OPEN_PO = (PurchaseOrder.Status.APPROVED, PurchaseOrder.Status.SENT, PurchaseOrder.Status.PARTIAL)
OPEN_TRANSFER = (Transfer.Status.DRAFT, Transfer.Status.IN_TRANSIT)


# ---------------------------------------------------------------------------------------------------------
# Classes


@transaction.atomic
def sku_class_build(*, business_date: date) -> dict:
    """Write SKUClass for every active SKU as of `business_date`; return counts per class."""
    settings = InventorySettings.current()
    rows = list(catalog_selectors.sku_list(active=True).values_list("pk", "stats__revenue_90d"))
    sku_ids = [pk for pk, _revenue in rows]
    abc = classification.abc_classify(
        {pk: Decimal(revenue or 0) for pk, revenue in rows},
        a_share=settings.abc_a_share,
        b_share=settings.abc_b_share,
    )
    history = demand_history_get(end_date=business_date, days=XYZ_WEEKS * 7, sku_ids=sku_ids)
    xyz = (
        classification.xyz_classify(
            classification.weekly_totals(history.demand, XYZ_WEEKS),
            x_cv=settings.xyz_x_cv,
            y_cv=settings.xyz_y_cv,
        )
        if sku_ids
        else []
    )
    objs = [
        SKUClass(
            sku_id=pk,
            business_date=business_date,
            abc=abc[pk].abc,
            xyz=xyz_class,
            revenue_90d=to_money(abc[pk].revenue),
            revenue_share=abc[pk].cumulative_share,
            demand_cv=cv,
        )
        for pk, (xyz_class, cv) in zip(sku_ids, xyz, strict=True)
    ]
    SKUClass.objects.bulk_create(
        objs,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["sku"],
        update_fields=["business_date", "abc", "xyz", "revenue_90d", "revenue_share", "demand_cv"],
    )
    counts = defaultdict(int)
    for obj in objs:
        counts[obj.abc] += 1
        counts[obj.xyz] += 1
    return {"skus": len(objs), **{k: counts[k] for k in "ABCXYZ"}}


# ---------------------------------------------------------------------------------------------------------
# Inputs of the replenishment maths


@dataclass
class _Inputs:
    business_date: date
    settings: InventorySettings
    forecasts: dict[int, SKUForecast]
    classes: dict[int, str]
    cells: dict[int, dict[int, dict]]  # sku -> warehouse -> {on_hand, available, inbound: [(date, units)]}
    shares: dict[int, dict[int, float]]
    options: dict[int, list[replenishment.SupplierOption]]
    warehouses: dict[int, Warehouse] = field(default_factory=dict)


def _supplier_score(supplier: Supplier, today: date) -> float | None:
    """On-time rate x fill rate x (1 - defect rate) over the scorecard's 4 quarters (None: no history)."""
    card = purchasing.supplier_scorecard(supplier, today=today)
    lines = sum(q.lines_received for q in card.quarters)
    timely = sum(q.lines_on_time for q in card.quarters)
    ordered = sum(q.units_ordered for q in card.quarters)
    filled = sum(q.units_filled for q in card.quarters)
    received = sum(q.units_received for q in card.quarters)
    defective = sum(q.units_defective for q in card.quarters)
    parts = []
    if lines:
        parts.append(timely / lines)
    if ordered:
        parts.append(min(filled / ordered, 1.0))
    if received:
        parts.append(1 - defective / received)
    return math.prod(parts) if parts else None


def supplier_scores_get(*, business_date: date) -> dict[int, float | None]:
    """Each qualified, active supplier's score (see `_supplier_score`): computed once a night and handed
    to the chunks of the replenishment step."""
    return {
        s.pk: _supplier_score(s, business_date) for s in Supplier.objects.filter(qualified=True, active=True)
    }


def _inputs_gather(
    business_date: date, sku_ids: list[int] | None = None, scores: dict[int, float | None] | None = None
) -> _Inputs:
    settings = InventorySettings.current()
    if sku_ids is None:
        # Every active SKU: a subquery, not a list of ten thousand ids quoted into each statement.
        sku_ids = catalog_selectors.sku_list(active=True).values("pk")
    latest = (
        SKUForecast.objects.filter(sku_id=OuterRef("sku_id"), business_date__lte=business_date)
        .order_by("-business_date")
        .values("business_date")[:1]
    )
    forecasts = {
        f.sku_id: f
        for f in SKUForecast.objects.filter(sku_id__in=sku_ids, business_date=Subquery(latest)).only(
            "sku_id", "business_date", "model", "daily", "sigma_daily", "mean_daily"
        )
    }
    classes = dict(SKUClass.objects.filter(sku_id__in=sku_ids).values_list("sku_id", "abc"))
    warehouses = {w.pk: w for w in Warehouse.objects.filter(active=True)}
    cells: dict[int, dict[int, dict]] = defaultdict(dict)

    def cell(sku_id: int, wh_id: int) -> dict:
        return cells[sku_id].setdefault(wh_id, {"on_hand": 0, "available": 0, "inbound": []})

    for sku_id, wh_id, on_hand, reserved in StockLevel.objects.filter(
        sku_id__in=sku_ids, warehouse_id__in=warehouses
    ).values_list("sku_id", "warehouse_id", "on_hand", "reserved"):
        c = cell(sku_id, wh_id)
        c["on_hand"], c["available"] = on_hand, on_hand - reserved
    for sku_id, wh_id, quantity, received, expected, lead in PurchaseOrderLine.objects.filter(
        sku_id__in=sku_ids,
        order__status__in=OPEN_PO,
        order__warehouse_id__in=warehouses,
        quantity__gt=F("received"),
    ).values_list(
        "sku_id",
        "order__warehouse_id",
        "quantity",
        "received",
        "order__expected_on",
        "order__supplier__lead_time_days",
    ):
        cell(sku_id, wh_id)["inbound"].append(
            (expected or business_date + timedelta(days=lead), quantity - received)
        )
    for sku_id, source, destination, status, quantity, received, expected in TransferLine.objects.filter(
        sku_id__in=sku_ids, transfer__status__in=OPEN_TRANSFER, quantity__gt=F("received")
    ).values_list(
        "sku_id",
        "transfer__source_id",
        "transfer__destination_id",
        "transfer__status",
        "quantity",
        "received",
        "transfer__expected_on",
    ):
        if destination in warehouses:
            arrive = expected or business_date + timedelta(days=replenishment.DEFAULT_TRANSFER_DAYS)
            cell(sku_id, destination)["inbound"].append((arrive, quantity - received))
        if status == Transfer.Status.DRAFT and source in warehouses:
            cell(sku_id, source)["available"] -= quantity  # promised away, still on the shelf
    shares = warehouse_shares_get(
        end_date=business_date, sku_ids=None if isinstance(sku_ids, QuerySet) else list(sku_ids)
    )
    for sku_id, by_wh in shares.items():
        if sku_id in forecasts:
            for wh_id in by_wh:
                if wh_id in warehouses:
                    cell(sku_id, wh_id)
    options: dict[int, list[replenishment.SupplierOption]] = defaultdict(list)
    items = list(
        SupplierSKU.objects.filter(sku_id__in=sku_ids, supplier__qualified=True, supplier__active=True)
        .select_related("supplier")
        .order_by("supplier_id", "sku_id")
    )
    if scores is None:
        scores = {s.pk: _supplier_score(s, business_date) for s in {item.supplier for item in items}}
    for item in items:
        s = item.supplier
        options[item.sku_id].append(
            replenishment.SupplierOption(
                supplier_id=s.pk,
                name=s.name,
                tier=s.tier,
                lead_time_days=float(s.lead_time_days),
                lead_time_spread_days=float(s.lead_time_spread_days),
                unit_cost=item.unit_cost,
                min_order_qty=item.min_order_qty,
                case_pack=item.case_pack,
                score=scores[s.pk],
            )
        )
    return _Inputs(
        business_date, settings, forecasts, classes, dict(cells), shares, dict(options), warehouses
    )


def _plan(inputs: _Inputs, sku_id: int) -> replenishment.SkuPlan | None:
    forecast = inputs.forecasts.get(sku_id)
    cells = inputs.cells.get(sku_id)
    if forecast is None or not cells:
        return None
    offset = (inputs.business_date - forecast.business_date).days
    daily = [float(v) for v in (forecast.daily or [])[offset:]]
    shares = inputs.shares.get(sku_id) or {}
    known = sum(shares.get(wh, 0.0) for wh in cells)
    states = [
        replenishment.WarehouseState(
            warehouse_id=wh,
            on_hand=c["on_hand"],
            available=c["available"],
            inbound=tuple(c["inbound"]),
            share=(shares.get(wh, 0.0) / known) if known > 0 else 1.0 / len(cells),
        )
        for wh, c in sorted(cells.items())
    ]
    abc = inputs.classes.get(sku_id, SKUClass.ABC.C)
    settings = inputs.settings
    params = replenishment.PlanParams(
        service_level=float(settings.service_level(abc)),
        floor_days=settings.floor_days(abc),
        review_days=settings.review_days,
    )
    return replenishment.sku_plan(
        sku_id=sku_id,
        today=inputs.business_date,
        daily=daily,
        sigma=float(forecast.sigma_daily),
        warehouses=states,
        suppliers=inputs.options.get(sku_id, []),
        params=params,
    )


def _decimal(value: float, step: Decimal) -> Decimal:
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


def _header(inputs: _Inputs, sku_id: int, warehouse_id: int) -> dict:
    forecast = inputs.forecasts.get(sku_id)
    return {
        "sku_id": sku_id,
        "warehouse_id": warehouse_id,
        "business_date": inputs.business_date.isoformat(),
        "abc": inputs.classes.get(sku_id, SKUClass.ABC.C),
        "forecast": {
            "model": forecast.model,
            "made_on": forecast.business_date.isoformat(),
            "days_since": (inputs.business_date - forecast.business_date).days,
        }
        if forecast
        else None,
    }


def _suggestion_rows(inputs: _Inputs, plan: replenishment.SkuPlan) -> list[ReplenishmentSuggestion]:
    abc = inputs.classes.get(plan.sku_id, SKUClass.ABC.C)
    rows = []
    for s in plan.suggestions:
        cell = plan.cell(s.warehouse_id)
        transfer = s.kind == "transfer"
        lead = replenishment.DEFAULT_TRANSFER_DAYS if transfer else cell.lead_time_days
        spread = 0.0 if transfer else cell.lead_time_spread_days
        explanation = {
            **_header(inputs, plan.sku_id, s.warehouse_id),
            **plan.explain(s.warehouse_id, projection=False),
        }
        explanation["kind"] = s.kind
        if transfer:
            explanation["source_warehouse_id"] = s.source_warehouse_id
        rows.append(
            ReplenishmentSuggestion(
                business_date=inputs.business_date,
                sku_id=plan.sku_id,
                warehouse_id=s.warehouse_id,
                kind=s.kind,
                supplier_id=s.supplier.supplier_id if s.supplier else None,
                source_warehouse_id=s.source_warehouse_id,
                abc=abc,
                service_level=_decimal(cell.service_level, FRACTION),
                z=_decimal(cell.z, QTY),
                on_hand=cell.on_hand,
                available=cell.available,
                inbound=cell.inbound,
                daily_demand=_decimal(cell.daily_demand, QTY),
                sigma_demand=_decimal(cell.sigma_demand, QTY),
                lead_time_days=_decimal(lead, DAYS),
                lead_time_spread_days=_decimal(spread, DAYS),
                safety_stock=cell.safety.units,
                reorder_point=cell.reorder_point,
                order_up_to=cell.order_up_to,
                projected_stockout_on=cell.projected_stockout_on,
                next_arrival_on=cell.next_arrival_on,
                quantity_needed=s.quantity_needed,
                quantity=s.quantity,
                unit_cost=to_money(s.unit_cost),
                amount=s.amount if not transfer else to_money(0),
                explanation=explanation,
            )
        )
    return rows


@transaction.atomic
def replenishment_build(
    *, business_date: date, sku_ids: list[int] | None = None, scores: dict[int, float | None] | None = None
) -> dict:
    """Write the replenishment suggestions of `business_date` (see the module docstring) for `sku_ids`
    (default: every active SKU); return counts. The nightly step runs it in chunks of SKUs on the workers
    (`replenishment_chunks`); each chunk replaces only its own SKUs' open suggestions."""
    inputs = _inputs_gather(business_date, sku_ids, scores)
    rows_of_date = Suggestion.objects.filter(business_date=business_date)
    if sku_ids is not None:
        rows_of_date = rows_of_date.filter(sku_id__in=sku_ids)
    kept = set(
        rows_of_date.exclude(status=Suggestion.Status.OPEN).values_list(
            "sku_id", "warehouse_id", "kind", "source_warehouse_id"
        )
    )
    rows_of_date.filter(status=Suggestion.Status.OPEN).delete()
    rows = []
    planned = 0
    for sku_id in sorted(inputs.forecasts):
        plan = _plan(inputs, sku_id)
        if plan is None:
            continue
        planned += 1
        rows.extend(
            r
            for r in _suggestion_rows(inputs, plan)
            if (r.sku_id, r.warehouse_id, r.kind, r.source_warehouse_id) not in kept
        )
    Suggestion.objects.bulk_create(rows, batch_size=2000)
    purchases = [r for r in rows if r.kind == Suggestion.Kind.PURCHASE]
    return {
        "skus": planned,
        "suggestions": len(rows),
        "purchases": len(purchases),
        "transfers": len(rows) - len(purchases),
        "amount": str(to_money(sum((r.amount for r in purchases), Decimal(0)))),
        "kept": len(kept),
    }


def replenishment_chunks(*, business_date: date, chunk_size: int = 1000) -> list[list[int]]:
    """The night's work split for the workers: the active SKUs in chunks (id order). The date's open
    suggestions are removed first, so that SKUs no longer active keep none."""
    Suggestion.objects.filter(business_date=business_date, status=Suggestion.Status.OPEN).exclude(
        sku_id__in=catalog_selectors.sku_list(active=True).values("pk")
    ).delete()
    sku_ids = catalog_selectors.sku_ids_active()
    return [sku_ids[i : i + chunk_size] for i in range(0, len(sku_ids), chunk_size)]


def replenishment_summary_merge(details: list[dict]) -> dict:
    """The chunks' counts added up (amounts as exact decimals)."""
    total = {"skus": 0, "suggestions": 0, "purchases": 0, "transfers": 0, "kept": 0, "chunks": len(details)}
    amount = Decimal(0)
    for detail in details:
        for key in ("skus", "suggestions", "purchases", "transfers", "kept"):
            total[key] += detail.get(key, 0)
        amount += Decimal(detail.get("amount", "0"))
    total["amount"] = str(to_money(amount))
    return total


# ---------------------------------------------------------------------------------------------------------
# The planner's actions


def _open_locked(suggestion_ids) -> list[ReplenishmentSuggestion]:
    ids = sorted(set(suggestion_ids))
    rows = list(
        Suggestion.objects.select_for_update(of=("self",))
        .filter(pk__in=ids)
        .select_related("sku", "supplier", "warehouse", "source_warehouse")
        .order_by("pk")
    )
    if len(rows) != len(ids):
        raise ValidationError(_("Some suggestions no longer exist."))
    closed = [r for r in rows if r.status != Suggestion.Status.OPEN]
    if closed:
        raise ValidationError(
            _("Only open suggestions can be approved or dismissed: %(skus)s.")
            % {"skus": ", ".join(sorted({r.sku.code for r in closed}))}
        )
    return rows


@transaction.atomic
def suggestions_approve(
    *, suggestion_ids: list[int], quantities: dict[int, int] | None = None, user
) -> list[PurchaseOrder | Transfer]:
    """Turn open suggestions into orders, with the planner's quantities where given ({suggestion id: units}).

    Purchase suggestions are grouped by (supplier, warehouse) into one purchase order each (lines merged per
    SKU), created and APPROVED at once: the planner's approval is the PO's approval, and the supplier's terms
    (MOQ, case pack) are checked by `purchasing.po_approve` (a violation refuses the whole approval). Sending
    the PO stays a separate step. Transfer suggestions are grouped by (source, destination) into DRAFT
    transfers expected after the transfer days; the source warehouse ships them. Returns the POs, then the
    transfers."""
    quantities = quantities or {}
    rows = _open_locked(suggestion_ids)
    for row in rows:
        if row.pk in quantities:
            qty = quantities[row.pk]
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
                raise ValidationError(_("Quantities must be whole numbers of at least 1."))
            row.quantity = qty
    purchases: dict[tuple[int, int], list[ReplenishmentSuggestion]] = defaultdict(list)
    moves: dict[tuple[int, int], list[ReplenishmentSuggestion]] = defaultdict(list)
    for row in rows:
        if row.kind == Suggestion.Kind.PURCHASE:
            if row.supplier is None:
                raise ValidationError(_("%(sku)s has no supplier to buy from.") % {"sku": row.sku.code})
            purchases[(row.supplier_id, row.warehouse_id)].append(row)
        else:
            moves[(row.source_warehouse_id, row.warehouse_id)].append(row)
    documents: list[PurchaseOrder | Transfer] = []
    for (_supplier, _wh), group in sorted(purchases.items()):
        units: dict[str, int] = defaultdict(int)
        for row in group:
            units[row.sku.code] += row.quantity
        order = purchasing.po_create(
            supplier=group[0].supplier,
            warehouse=group[0].warehouse,
            lines=[purchasing.LineInput(sku_code=code, quantity=qty) for code, qty in sorted(units.items())],
            note=_("Replenishment %(date)s") % {"date": group[0].business_date.isoformat()},
            user=user,
        )
        order = purchasing.po_approve(order=order, user=user)
        for row in group:
            row.purchase_order = order
        documents.append(order)
    today = timezone.localdate()
    for (_source, _wh), group in sorted(moves.items()):
        units: dict[int, int] = defaultdict(int)
        for row in group:
            units[row.sku_id] += row.quantity
        moved = transfer_create(
            source=group[0].source_warehouse,
            destination=group[0].warehouse,
            lines=sorted(units.items()),
            expected_on=max(today, group[0].business_date)
            + timedelta(days=replenishment.DEFAULT_TRANSFER_DAYS),
            note=_("Replenishment %(date)s") % {"date": group[0].business_date.isoformat()},
            user=user,
        )
        for row in group:
            row.transfer = moved
        documents.append(moved)
    for row in rows:
        row.status = Suggestion.Status.ORDERED
        row.amount = (
            to_money(row.unit_cost * row.quantity) if row.kind == Suggestion.Kind.PURCHASE else row.amount
        )
    Suggestion.objects.bulk_update(rows, ["status", "quantity", "amount", "purchase_order", "transfer"])
    return documents


@transaction.atomic
def suggestion_dismiss(*, suggestion_ids: list[int], user) -> int:
    """Dismiss open suggestions (they stay, dismissed, and are not suggested again that date)."""
    rows = _open_locked(suggestion_ids)
    Suggestion.objects.filter(pk__in=[r.pk for r in rows]).update(status=Suggestion.Status.DISMISSED)
    return len(rows)


# ---------------------------------------------------------------------------------------------------------
# The maths for one SKU page


def sku_replenishment_explain(*, sku_id: int, warehouse_id: int, business_date: date | None = None) -> dict:
    """The replenishment maths of one SKU in one warehouse, step by step: inputs, z, the safety-stock formula
    with its numbers and floor, ROP, order-up-to, the projection [(date, stock)], the need, transfers, the
    rounding to MOQ / case pack and the supplier choice with the ranked options. `business_date` defaults to
    today's date in the shop's time zone. Without a forecast, {"available": False}."""
    business_date = business_date or timezone.localdate()
    inputs = _inputs_gather(business_date, [sku_id])
    header = _header(inputs, sku_id, warehouse_id)
    plan = _plan(inputs, sku_id)
    if plan is None:
        return {**header, "available": False}
    data = {**header, "available": True, **plan.explain(warehouse_id)}
    cell = plan.cell(warehouse_id)
    supplier = plan.supplier
    data["rounding"] = (
        {
            "needed": cell.purchase_needed,
            "min_order_qty": supplier.min_order_qty,
            "case_pack": supplier.case_pack,
            "quantity": cell.purchase_quantity,
        }
        if supplier and cell
        else None
    )
    data["suggestions"] = [
        {"id": pk, "kind": kind, "status": status, "quantity": qty}
        for pk, kind, status, qty in Suggestion.objects.filter(
            business_date=business_date, sku_id=sku_id, warehouse_id=warehouse_id
        ).values_list("pk", "kind", "status", "quantity")
    ]
    return data
