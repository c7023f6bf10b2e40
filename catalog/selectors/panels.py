"""Data from apps above catalog (stock from inventory, sales from orders) for the SKU page.

Catalog sits below inventory and orders and must not import them (shared/design.md layers). The
composition root names their selectors in settings (shopops/settings/base.py):

- SHOPOPS_SKU_STOCK_SELECTOR(sku_id) -> [{"warehouse", "warehouse_name", "on_hand", "reserved",
  "available"}, ...]
- SHOPOPS_SKU_SALES_SELECTOR(sku_id, days=N) -> [{"day", "units", "revenue"}, ...] for the last N days

A setting left blank hides its panel (an empty list), so catalog also runs on its own.
"""

from django.conf import settings
from django.utils.module_loading import import_string


def _selector(name: str):
    path = getattr(settings, name, "")
    return import_string(path) if path else None


def sku_stock(sku_id: int) -> list[dict]:
    """The SKU's stock by warehouse."""
    selector = _selector("SHOPOPS_SKU_STOCK_SELECTOR")
    return list(selector(sku_id)) if selector else []


def sku_available(sku_id: int) -> int:
    """Units of the SKU available to sell, all warehouses."""
    return sum(row["available"] for row in sku_stock(sku_id))


def sku_daily_sales(sku_id: int, *, days: int = 90) -> list[dict]:
    """The SKU's sales per day over the last `days` days (counted orders only)."""
    selector = _selector("SHOPOPS_SKU_SALES_SELECTOR")
    return list(selector(sku_id, days=days)) if selector else []
