from django.contrib import admin
from unfold.admin import ModelAdmin

from reports.models import DailySales


@admin.register(DailySales)
class DailySalesAdmin(ModelAdmin):
    list_display = ["date", "channel", "orders", "units", "gmv"]
    list_filter = ["channel"]
    date_hierarchy = "date"
