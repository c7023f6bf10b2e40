from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    StockLevel,
    StockMovement,
    Stocktake,
    Supplier,
    SupplierSKU,
    Transfer,
    TransferLine,
    Warehouse,
)


@admin.register(Warehouse)
class WarehouseAdmin(ModelAdmin):
    list_display = ["code", "name", "region", "province", "active"]


@admin.register(StockLevel)
class StockLevelAdmin(ModelAdmin):
    """Read-only: stock changes only through the ledger services."""

    list_display = ["sku", "warehouse", "on_hand", "reserved"]
    list_filter = ["warehouse"]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "warehouse"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(StockLevelAdmin):
    list_display = ["created_at", "sku", "warehouse", "kind", "on_hand_delta", "reserved_delta", "reference"]
    list_filter = ["kind", "warehouse"]
    search_fields = ["sku__code", "reference"]


@admin.register(Supplier)
class SupplierAdmin(ModelAdmin):
    list_display = ["code", "name", "tier", "lead_time_days", "payment_terms_days", "active"]
    list_filter = ["tier"]


@admin.register(SupplierSKU)
class SupplierSKUAdmin(ModelAdmin):
    list_display = ["supplier", "sku", "unit_cost", "min_order_qty", "case_pack"]
    raw_id_fields = ["sku"]


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PurchaseOrderLineInline(_ReadOnly, TabularInline):
    model = PurchaseOrderLine
    extra = 0


@admin.register(PurchaseOrder)
class PurchaseOrderAdmin(_ReadOnly, ModelAdmin):
    """Read-only: purchase orders move through the services (amounts, receipts into stock) on the pages."""

    list_display = ["number", "supplier", "warehouse", "status", "ordered_on", "expected_on", "amount"]
    list_filter = ["status", "warehouse"]
    search_fields = ["number", "supplier__code"]
    list_select_related = ["supplier", "warehouse"]
    inlines = [PurchaseOrderLineInline]


@admin.register(Receipt)
class ReceiptAdmin(_ReadOnly, ModelAdmin):
    """Read-only: receipts move stock and are written only by the receiving service."""

    list_display = ["received_on", "line", "quantity", "defective", "created_by"]
    list_select_related = ["line__order", "line__sku"]


class TransferLineInline(_ReadOnly, TabularInline):
    model = TransferLine
    extra = 0


@admin.register(Transfer)
class TransferAdmin(_ReadOnly, ModelAdmin):
    """Read-only: transfers move stock only through inventory.ledger (the transfer pages)."""

    list_display = ["number", "source", "destination", "status", "shipped_at", "expected_on", "received_at"]
    list_filter = ["status"]
    search_fields = ["number"]
    list_select_related = ["source", "destination"]
    inlines = [TransferLineInline]


@admin.register(Stocktake)
class StocktakeAdmin(_ReadOnly, ModelAdmin):
    """Read-only: stocktakes adjust stock only through inventory.ledger (the stocktake pages)."""

    list_display = ["number", "warehouse", "zone", "status", "created_at", "approved_by", "approved_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["number"]
    list_select_related = ["warehouse", "approved_by"]  # lines (a sheet can hold thousands): on the page
