from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin, TabularInline

from inventory.models import (
    DemandDay,
    InventorySettings,
    PurchaseOrder,
    PurchaseOrderLine,
    Receipt,
    ReplenishmentSuggestion,
    SKUClass,
    SKUForecast,
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


@admin.register(InventorySettings)
class InventorySettingsAdmin(ModelAdmin):
    """The planners' numbers: service levels per class, safety-stock floors, order cycle, overstock and
    dead-stock days, forecast horizon, ABC shares and XYZ cut-offs (one row)."""

    list_display = [
        "service_level_a",
        "service_level_b",
        "service_level_c",
        "review_days",
        "overstock_days",
        "dead_stock_days",
        "updated_at",
    ]
    fieldsets = [
        (_("Service levels"), {"fields": ["service_level_a", "service_level_b", "service_level_c"]}),
        (
            _("Safety stock and ordering"),
            {"fields": ["floor_days_a", "floor_days_b", "floor_days_c", "review_days"]},
        ),
        (_("Classification"), {"fields": ["abc_a_share", "abc_b_share", "xyz_x_cv", "xyz_y_cv"]}),
        (_("KPIs and forecast"), {"fields": ["overstock_days", "dead_stock_days", "horizon_days"]}),
    ]

    def has_add_permission(self, request):  # one row: InventorySettings.current()
        return not InventorySettings.objects.exists() and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SKUForecast)
class SKUForecastAdmin(_ReadOnly, ModelAdmin):
    """Read-only: written by the nightly forecast."""

    list_display = ["sku", "business_date", "model", "mean_daily", "wape", "bias", "intermittent"]
    list_filter = ["model", "intermittent", "business_date"]
    search_fields = ["sku__code"]
    list_select_related = ["sku"]
    exclude = ["daily", "lower", "upper"]  # 90 numbers each: on the SKU stock page


@admin.register(SKUClass)
class SKUClassAdmin(_ReadOnly, ModelAdmin):
    """Read-only: written by the nightly classification."""

    list_display = ["sku", "abc", "xyz", "revenue_90d", "revenue_share", "demand_cv", "business_date"]
    list_filter = ["abc", "xyz"]
    search_fields = ["sku__code"]
    list_select_related = ["sku"]


@admin.register(ReplenishmentSuggestion)
class ReplenishmentSuggestionAdmin(_ReadOnly, ModelAdmin):
    """Read-only: planners approve or dismiss suggestions on the replenishment page."""

    list_display = ["business_date", "sku", "warehouse", "kind", "status", "supplier", "quantity", "amount"]
    list_filter = ["business_date", "kind", "status", "warehouse"]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "warehouse", "supplier"]
    raw_id_fields = ["sku", "purchase_order", "transfer"]


@admin.register(DemandDay)
class DemandDayAdmin(_ReadOnly, ModelAdmin):
    """Read-only: the demand record is built nightly from the ledger."""

    list_display = [
        "day",
        "sku",
        "warehouse",
        "reserved",
        "cancelled",
        "unmet",
        "closing_available",
        "stockout",
    ]
    list_filter = ["stockout", "warehouse"]
    search_fields = ["sku__code"]
    list_select_related = ["sku", "warehouse"]
    date_hierarchy = "day"
