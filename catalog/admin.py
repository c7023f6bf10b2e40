from django.contrib import admin
from unfold.admin import ModelAdmin

from catalog.models import SKU, Category, Product


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
