from django.contrib import admin
from unfold.admin import ModelAdmin

from catalog.models import (
    SKU,
    Category,
    CategoryCommission,
    CategoryPricing,
    CompetitorPrice,
    PriceChange,
    PricingSettings,
    Product,
)


@admin.register(Category)
class CategoryAdmin(ModelAdmin):
    list_display = ["code", "name", "parent"]
    search_fields = ["code", "name"]


@admin.register(Product)
class ProductAdmin(ModelAdmin):
    list_display = ["name", "category", "brand", "active"]
    list_filter = ["category", "active"]
    search_fields = ["name"]


@admin.register(SKU)
class SKUAdmin(ModelAdmin):
    list_display = ["code", "name", "role", "unit_cost", "list_price", "active"]
    list_filter = ["role", "active", "product__category"]
    search_fields = ["code", "name"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]


@admin.register(PricingSettings)
class PricingSettingsAdmin(ModelAdmin):
    list_display = ["margin_floor", "marketing_rate", "competitor_gap", "markdown_cover_days", "updated_at"]

    def has_add_permission(self, request):  # one row: PricingSettings.current()
        return not PricingSettings.objects.exists() and super().has_add_permission(request)


@admin.register(CategoryPricing)
class CategoryPricingAdmin(ModelAdmin):
    list_display = ["category", "margin_floor"]
    autocomplete_fields = ["category"]


@admin.register(CategoryCommission)
class CategoryCommissionAdmin(ModelAdmin):
    list_display = ["category", "channel", "rate"]
    list_filter = ["channel"]
    autocomplete_fields = ["category"]


@admin.register(CompetitorPrice)
class CompetitorPriceAdmin(ModelAdmin):
    list_display = ["sku", "competitor", "channel", "price", "seen_at", "source"]
    list_filter = ["competitor", "channel"]
    search_fields = ["sku__code", "competitor"]
    list_select_related = ["sku"]
    raw_id_fields = ["sku"]


@admin.register(PriceChange)
class PriceChangeAdmin(ModelAdmin):
    """The audit: read-only for everyone."""

    list_display = [
        "changed_at",
        "sku",
        "field",
        "channel",
        "tier",
        "old_value",
        "new_value",
        "floor_override",
    ]
    list_filter = ["field", "source", "floor_override"]
    search_fields = ["sku__code", "reason"]
    list_select_related = ["sku"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
