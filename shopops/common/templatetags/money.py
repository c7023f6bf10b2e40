"""Template filters for money and rates; loaded as builtins for every template."""

from decimal import Decimal

from django import template
from django.conf import settings

from shopops.common.money import format_money
from shopops.common.privacy import mask_phone as _mask_phone

register = template.Library()


@register.filter
def money(value, currency=None):
    """`{{ amount|money }}` → ¥1,234.50; `{{ amount|money:"USD" }}` → $1,234.50."""
    return format_money(value, currency or settings.SHOP_CURRENCY)


@register.filter
def pct(value, places=1):
    """A Decimal fraction as a percentage: 0.1234 → 12.3%. Blank for None."""
    if value is None or value == "":
        return "–"
    return f"{Decimal(value) * 100:,.{int(places)}f}%"


@register.filter
def signed_pct(value, places=1):
    """A change as a signed percentage: +12.3% / -4.0%."""
    if value is None or value == "":
        return "–"
    return f"{Decimal(value) * 100:+,.{int(places)}f}%"


@register.filter
def intcomma_plain(value):
    """Integers with thousands separators in every language (zh_Hans has none)."""
    if value is None or value == "":
        return "–"
    return f"{int(value):,}"


@register.filter
def mask_phone(value):
    """138****0000"""
    return _mask_phone(value or "")
