"""Reads of stock."""

from collections.abc import Iterable, Sequence

from django.db.models import F, IntegerField, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from catalog import selectors as catalog_selectors
from inventory.models import StockLevel, StockMovement, Warehouse


def warehouse_list() -> QuerySet[Warehouse]:
    return Warehouse.objects.filter(active=True).order_by("code")


def warehouse_summary() -> list[dict]:
    """Per warehouse: SKUs stocked, units on hand and reserved, inventory value at cost, SKUs out of stock."""
    rows = (
        StockLevel.objects.values("warehouse__code", "warehouse__name", "warehouse__region")
        .annotate(
            units_on_hand=Coalesce(Sum("on_hand"), 0),
            units_reserved=Coalesce(Sum("reserved"), 0),
            value=Sum(F("on_hand") * F("sku__unit_cost")),
            stocked=Sum(1, filter=Q(on_hand__gt=0), output_field=IntegerField()),
            out_of_stock=Sum(1, filter=Q(on_hand__lte=F("reserved")), output_field=IntegerField()),
        )
        .order_by("warehouse__code")
    )
    return [
        {
            "code": r["warehouse__code"],
            "name": r["warehouse__name"],
            "region": r["warehouse__region"],
            "on_hand": r["units_on_hand"],
            "reserved": r["units_reserved"],
            "value": r["value"] or 0,
            "stocked": r["stocked"] or 0,
            "out_of_stock": r["out_of_stock"] or 0,
        }
        for r in rows
    ]


def stock_level_list(
    *, warehouse: str = "", search: str = "", only_unavailable: bool = False, ordering: str = "sku__code"
) -> QuerySet[StockLevel]:
    qs = StockLevel.objects.select_related("sku", "warehouse").annotate(
        available_qty=F("on_hand") - F("reserved")
    )
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if search:
        qs = qs.filter(Q(sku__code__icontains=search) | Q(sku__name__icontains=search))
    if only_unavailable:
        qs = qs.filter(on_hand__lte=F("reserved"))
    allowed = {"sku__code", "-sku__code", "available_qty", "-available_qty", "on_hand", "-on_hand"}
    return qs.order_by(ordering if ordering in allowed else "sku__code", "id")


def ledger_mismatches() -> list[dict]:
    """Stock levels that disagree with the sum of their ledger rows (should be none)."""
    sums = {
        (r["sku_id"], r["warehouse_id"]): r
        for r in StockMovement.objects.values("sku_id", "warehouse_id").annotate(
            on_hand=Sum("on_hand_delta"), reserved=Sum("reserved_delta")
        )
    }
    bad = []
    for level in StockLevel.objects.values("sku_id", "warehouse_id", "on_hand", "reserved").iterator():
        ledger = sums.pop((level["sku_id"], level["warehouse_id"]), {"on_hand": 0, "reserved": 0})
        if ledger["on_hand"] != level["on_hand"] or ledger["reserved"] != level["reserved"]:
            bad.append({**level, "ledger_on_hand": ledger["on_hand"], "ledger_reserved": ledger["reserved"]})
    for (sku_id, warehouse_id), ledger in sums.items():
        if ledger["on_hand"] or ledger["reserved"]:
            bad.append(
                {
                    "sku_id": sku_id,
                    "warehouse_id": warehouse_id,
                    "on_hand": None,
                    "reserved": None,
                    "ledger_on_hand": ledger["on_hand"],
                    "ledger_reserved": ledger["reserved"],
                }
            )
    return bad


def stock_sku_list(*, sku_codes: Sequence[str] = ()) -> QuerySet:
    """The SKUs whose stock clients read (catalog's SKUs, only id and code), ordered by id.

    Every SKU is included, also without stock, so that a channel can mark it sold out.
    """
    return catalog_selectors.sku_client_list(codes=sku_codes).select_related(None).only("id", "code")


def stock_available_list(*, skus: Iterable) -> list[dict]:
    """Available-to-sell of the given SKUs, in their order, from one read of their stock levels:

    [{"sku": code, "available": units, "warehouses": [{"warehouse": code, "available": units}, ...]}]

    Per warehouse, available = on hand - reserved, floored at 0 (never negative); the SKU's figure is the
    sum of its warehouses, so the two always agree. Only active warehouses count (orders are never routed
    to inactive ones), and only those holding a stock level for the SKU are listed, by warehouse code.
    """
    skus = list(skus)
    rows = (
        StockLevel.objects.filter(sku_id__in=[sku.id for sku in skus], warehouse__active=True)
        .order_by("sku_id", "warehouse__code")
        .values_list("sku_id", "warehouse__code", "on_hand", "reserved")
    )
    by_sku: dict[int, list[dict]] = {}
    for sku_id, code, on_hand, reserved in rows:
        by_sku.setdefault(sku_id, []).append({"warehouse": code, "available": max(on_hand - reserved, 0)})
    return [
        {
            "sku": sku.code,
            "available": sum(w["available"] for w in by_sku.get(sku.id, [])),
            "warehouses": by_sku.get(sku.id, []),
        }
        for sku in skus
    ]


def stock_available_by_sku() -> dict[int, int]:
    """Available-to-sell per SKU id over the active warehouses, in one aggregate query: the sum per
    warehouse of on hand - reserved floored at 0 (as `stock_available_list`). SKUs without stock levels
    are absent (read them as 0)."""
    from django.db.models import Value
    from django.db.models.functions import Greatest

    rows = (
        StockLevel.objects.filter(warehouse__active=True)
        .values("sku_id")
        .annotate(
            available=Sum(Greatest(F("on_hand") - F("reserved"), Value(0)), output_field=IntegerField())
        )
        .order_by()
    )
    return {row["sku_id"]: row["available"] or 0 for row in rows}


def sku_stock_by_warehouse(sku_id: int) -> list[dict]:
    """One SKU's stock in each active warehouse that holds a stock level for it, by warehouse code:
    [{"warehouse": code, "warehouse_name": name, "on_hand", "reserved", "available"}], where available =
    on hand - reserved (never negative). Read by catalog's SKU page (settings.SHOPOPS_SKU_STOCK_SELECTOR)."""
    rows = (
        StockLevel.objects.filter(sku_id=sku_id, warehouse__active=True)
        .order_by("warehouse__code")
        .values_list("warehouse__code", "warehouse__name", "on_hand", "reserved")
    )
    return [
        {
            "warehouse": code,
            "warehouse_name": name,
            "on_hand": on_hand,
            "reserved": reserved,
            "available": max(on_hand - reserved, 0),
        }
        for code, name, on_hand, reserved in rows
    ]
