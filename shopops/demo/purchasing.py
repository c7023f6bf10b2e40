"""Demo purchase orders, written after the catalogue, suppliers and stock (`purchasing_seed`).

A few POs per scale, spread over the last ~300 days before the end date and over every status: drafts
(one breaking its supplier's MOQ), approved, sent and still in transit (some already late), partially
received, received, closed, cancelled. Arrivals are sampled around each supplier's lead time (some early,
many a few days late) and some receipts find defective units, so the supplier scorecards, the late-PO
count and the learned lead times show something.

Everything goes through `inventory.purchasing`'s services (the good units of each receipt into stock through
the ledger, reference the PO number), so the demo obeys the same rules as the pages. Deterministic by seed
(its own random stream), a few dozen POs: well under a second.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from inventory import purchasing
from inventory.models import PurchaseOrder, PurchaseOrderLine, Receipt, StockMovement, Supplier, Warehouse

# What the reset deletes first (children before parents; suppliers, SKUs and warehouses follow).
PURCHASING_MODELS = [Receipt, PurchaseOrderLine, PurchaseOrder]
ORDERS = {"tiny": 14, "small": 42, "large": 84}
# Status cycle: what each PO becomes, in turn.
PLAN = ["received", "partial", "sent", "closed", "draft", "approved", "received", "cancelled", "partial"]


def _quantity(item, rng) -> int:
    """A valid order quantity for the supplier's terms: at least the MOQ, whole case packs."""
    packs = -(-item.min_order_qty // item.case_pack)
    return packs * item.case_pack * int(rng.integers(1, 4))


def purchasing_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    rng = np.random.default_rng([seed, 50_505])
    suppliers = [s for s in Supplier.objects.filter(active=True).order_by("code") if s.items.exists()]
    warehouses = list(Warehouse.objects.filter(active=True).order_by("code"))
    if not suppliers or not warehouses:
        return {"purchase_orders": 0, "receipts": 0}
    n = ORDERS.get(scale, ORDERS["tiny"])
    # Oldest first, so that each supplier's lead time is learned in date order.
    offsets = sorted((int(v) for v in rng.integers(5, 300, n)), reverse=True)
    for i, offset in enumerate(offsets):
        supplier = suppliers[i % len(suppliers)]
        warehouse = warehouses[int(rng.integers(len(warehouses)))]
        items = list(supplier.items.select_related("sku").order_by("sku__code"))
        chosen = rng.permutation(len(items))[: int(rng.integers(1, 4))].tolist()
        lines = [
            purchasing.LineInput(sku_code=items[k].sku.code, quantity=_quantity(items[k], rng))
            for k in chosen
        ]
        target = PLAN[i % len(PLAN)]
        if target == "draft" and items[chosen[0]].min_order_qty > 1 and i % 2:
            # A draft a planner still has to fix: below the MOQ, approval would refuse it.
            lines[0] = purchasing.LineInput(sku_code=lines[0].sku_code, quantity=1)
        order = purchasing.po_create(
            supplier=supplier, warehouse=warehouse, lines=lines, note="demo", user=None
        )
        if target == "draft":
            continue
        purchasing.po_approve(order=order, user=None)
        if target == "approved":
            continue
        ordered_on = end_date - timedelta(days=offset)
        order = purchasing.po_send(order=order, ordered_on=ordered_on)
        if target == "cancelled":
            purchasing.po_cancel(order=order)
            continue
        if target == "sent":
            continue
        supplier.refresh_from_db()
        delay = int(round(rng.normal(2.0, 3.0)))  # days after the expected date (negative: early)
        arrived = order.expected_on + timedelta(days=delay)
        if arrived > end_date:
            continue  # still in transit
        order_lines = list(order.lines.order_by("pk"))
        receipts = []
        for line in order_lines:
            quantity = line.quantity
            if target == "partial" and line is order_lines[0]:
                quantity = max(line.quantity // 2, 1) if line.quantity > 1 else 0
            defective = int(rng.binomial(quantity, 0.04)) if quantity and rng.random() < 0.4 else 0
            if quantity:
                receipts.append(purchasing.ReceiptInput(line.pk, quantity, defective))
        if target == "partial" and len(order_lines) > 1:
            receipts = receipts[:1]
        if receipts:
            purchasing.po_receive(order=order, receipts=receipts, received_on=arrived)
        if target == "closed":
            purchasing.po_close(order=order)
    return {
        "purchase_orders": PurchaseOrder.objects.count(),
        "receipts": Receipt.objects.count(),
        "stock_movements": StockMovement.objects.count(),
    }
