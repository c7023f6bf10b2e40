from django.contrib import admin
from unfold.admin import ModelAdmin, TabularInline

from orders.models import Channel, Customer, Order, OrderLine
from shopops.common import pii


@admin.register(Channel)
class ChannelAdmin(ModelAdmin):
    list_display = [
        "code",
        "name",
        "kind",
        "commission_rate",
        "payment_fee_rate",
        "settlement_days",
        "currency",
    ]


@admin.register(Customer)
class CustomerAdmin(ModelAdmin):
    list_display = ["external_id", "channel", "name", "province"]
    list_filter = ["channel"]
    search_fields = ["external_id"]
    search_help_text = "External id, or a whole name, phone or email (personal data is encrypted)."

    def get_search_results(self, request, queryset, search_term):
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        personal = pii.hash_match(search_term.strip())
        if personal is not None:
            queryset |= self.model.objects.filter(personal)
        return queryset, duplicates


class OrderLineInline(TabularInline):
    model = OrderLine
    extra = 0
    raw_id_fields = ["sku"]


@admin.register(Order)
class OrderAdmin(ModelAdmin):
    list_display = ["external_id", "channel", "status", "placed_at", "total"]
    list_filter = ["channel", "status"]
    search_fields = ["external_id"]
    raw_id_fields = ["customer"]
    date_hierarchy = "placed_at"
    inlines = [OrderLineInline]
    show_full_result_count = False
