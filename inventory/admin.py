from django.contrib import admin
from unfold.admin import ModelAdmin

from inventory.models import StockLevel, StockMovement, Supplier, SupplierSKU, Warehouse


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
