"""Exchange rates: what one unit of a currency is worth in the shop currency on a day.

An order in a foreign currency keeps its own amounts and carries its total converted at the rate of the
day it was placed; when that day has no rate, the latest earlier rate is used; with no rate at all the
order is rejected.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings

from orders.models import ExchangeRate


def rates_for(*, pairs: set[tuple[str, date]]) -> dict[tuple[str, date], Decimal | None]:
    """The rate for each (currency, day): that day's, else the latest before it, else None.

    The shop currency is always 1. One query per foreign currency.
    """
    out: dict[tuple[str, date], Decimal | None] = {}
    by_currency: dict[str, list[date]] = {}
    for currency, day in pairs:
        if currency == settings.SHOP_CURRENCY:
            out[(currency, day)] = Decimal(1)
        else:
            by_currency.setdefault(currency, []).append(day)
    for currency, days in by_currency.items():
        known = list(
            ExchangeRate.objects.filter(currency=currency, date__lte=max(days))
            .order_by("date")
            .values_list("date", "rate_to_shop_currency")
        )
        for day in days:
            rate = None
            for rate_day, value in known:  # ascending: the last one not after `day` wins
                if rate_day > day:
                    break
                rate = value
            out[(currency, day)] = rate
    return out


def rate_for(*, currency: str, day: date) -> Decimal | None:
    return rates_for(pairs={(currency, day)})[(currency, day)]
