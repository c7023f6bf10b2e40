"""`{% purchasing_links %}`: the suppliers and purchase-order block of the inventory overview (counts of
late POs and of core SKUs short of qualified suppliers), so the overview view needs no change."""

from django import template

from inventory import purchasing

register = template.Library()


@register.inclusion_tag("inventory/_purchasing_links.html")
def purchasing_links():
    return {
        "late_orders": purchasing.po_late_count(),
        "open_orders": purchasing.purchase_order_list().filter(status__in=purchasing.OPEN_STATUSES).count(),
        "shortfall": purchasing.sku_supplier_shortfall_count(),
        "minimum": purchasing.MIN_QUALIFIED_SUPPLIERS,
    }
