"""The order KPIs, with their exact definitions, read from the order facts (orders.facts keeps them).

For a period [start, end) of shop-local dates, an order counts when it was placed in the period and its
status is neither pending nor cancelled.
- orders: counted orders; units: their quantities; gmv: the sum of their totals (shop currency);
  aov = gmv / orders.
- refunds: amounts refunded in the period (an order's refund is dated by its closing, the after-sales
  event that set it); net_sales = gmv - refunds.
- customers: distinct customers with a counted order in the period; new_customers: those whose first
  counted order ever is in the period; returning_customers = customers - new_customers;
  returning_rate = returning_customers / customers; repurchase_rate = customers with two or more counted
  orders in the period / customers.
- gross_margin = (net_sales - cost of goods of the counted lines) / net_sales.
- return_rate = units returned in the period (lines of orders returned, dated by closing) / units shipped
  in the period (lines of orders shipped then, cancelled ones aside); cancel_rate = cancelled orders /
  all orders placed in the period.
Money is Decimal to the cent; rates are Decimal fractions to 4 places (0.1234 = 12.34 %), None when the
denominator is zero (gross margin also when net sales are not positive). Weeks start on Monday.
"""

import calendar
from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext_lazy as _

from catalog import selectors as catalog_selectors
from orders import selectors as order_selectors
from shopops.common.money import to_money

ZERO = Decimal("0.00")
RATE = Decimal("0.0001")
GRANULARITIES = ("day", "week", "month")

ORDER_KPIS = (
    "orders",
    "units",
    "gmv",
    "aov",
    "refunds",
    "net_sales",
    "customers",
    "new_customers",
    "returning_customers",
    "returning_rate",
    "repurchase_rate",
    "gross_margin",
    "return_rate",
    "cancel_rate",
)
MONEY_KPIS = frozenset({"gmv", "aov", "refunds", "net_sales"})
RATE_KPIS = frozenset({"returning_rate", "repurchase_rate", "gross_margin", "return_rate", "cancel_rate"})

KPI_LABELS = {
    "orders": _("Orders"),
    "units": _("Units"),
    "gmv": _("GMV"),
    "aov": _("Average order value"),
    "refunds": _("Refunds"),
    "net_sales": _("Net sales"),
    "customers": _("Customers"),
    "new_customers": _("New customers"),
    "returning_customers": _("Returning customers"),
    "returning_rate": _("Returning rate"),
    "repurchase_rate": _("Repurchase rate"),
    "gross_margin": _("Gross margin"),
    "return_rate": _("Return rate"),
    "cancel_rate": _("Cancel rate"),
}
KPI_DEFINITIONS = {
    "orders": _(
        "Orders placed in the period whose status is neither pending nor cancelled (counted orders)."
    ),
    "units": _("Quantities of the counted orders' lines."),
    "gmv": _("The sum of the counted orders' totals, in the shop currency."),
    "aov": _("GMV / orders."),
    "refunds": _("Amounts refunded in the period, dated by the after-sales event that refunded them."),
    "net_sales": _("GMV - refunds."),
    "customers": _("Distinct customers with a counted order in the period."),
    "new_customers": _("Customers whose first counted order ever is in the period."),
    "returning_customers": _("Customers - new customers."),
    "returning_rate": _("Returning customers / customers."),
    "repurchase_rate": _("Customers with two or more counted orders in the period / customers."),
    "gross_margin": _("(Net sales - cost of goods of the counted lines) / net sales."),
    "return_rate": _("Units returned in the period / units shipped in the period."),
    "cancel_rate": _("Orders placed in the period and cancelled / all orders placed in the period."),
}


def _rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE, rounding=ROUND_HALF_UP)


def kpis_from_base(base: dict) -> dict:
    """The KPIs from the summed facts of one period: FACT_SUM_COLUMNS plus customers and single."""
    gmv = to_money(base["gmv"] or ZERO)
    refunds = to_money(base["refunds"] or ZERO)
    net_sales = gmv - refunds
    customers = base["customers"]
    new = base["new_customers"]
    returning = customers - new
    return {
        "orders": base["orders"],
        "units": base["units"],
        "gmv": gmv,
        "aov": to_money(gmv / base["orders"]) if base["orders"] else None,
        "refunds": refunds,
        "net_sales": net_sales,
        "customers": customers,
        "new_customers": new,
        "returning_customers": returning,
        "returning_rate": _rate(returning, customers),
        "repurchase_rate": _rate(customers - base["single"], customers),
        # no margin to speak of when refunds of earlier sales eat the period's GMV
        "gross_margin": _rate(net_sales - to_money(base["cost_of_goods"] or ZERO), net_sales)
        if net_sales > 0
        else None,
        "return_rate": _rate(base["returned_units"], base["shipped_units"]),
        "cancel_rate": _rate(base["cancelled"], base["placed_all"]),
    }


def _empty_base() -> dict:
    return {**dict.fromkeys(order_selectors.FACT_SUM_COLUMNS, 0), "customers": 0, "single": 0}


def _add(base: dict, day: dict) -> None:
    for column in order_selectors.FACT_SUM_COLUMNS:
        base[column] += day[column] or 0


def kpi_totals(*, start: date, end: date, channel_id: int | None = None) -> dict:
    """Every order KPI for [start, end), from the facts."""
    base = _empty_base()
    for day in order_selectors.order_fact_days(start=start, end=end, channel_id=channel_id):
        _add(base, day)
    base.update(order_selectors.customer_fact_counts(start=start, end=end, channel_id=channel_id))
    return kpis_from_base(base)


def kpi_totals_direct(*, start: date, end: date, channel_id: int | None = None) -> dict:
    """The same KPIs computed straight from the orders table (for checks, tests and the benchmark)."""
    return kpis_from_base(order_selectors.order_kpi_base_direct(start=start, end=end, channel_id=channel_id))


def bucket_start(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    if granularity == "month":
        return day.replace(day=1)
    return day


def buckets(start: date, end: date, granularity: str) -> list[date]:
    """The period starts of [start, end) at `granularity`; the first is `start` itself (a cut bucket)."""
    out, day = [], start
    while day < end:
        out.append(day)
        if granularity == "day":
            day += timedelta(days=1)
        elif granularity == "week":
            day = bucket_start(day, "week") + timedelta(days=7)
        else:
            day = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return out


def kpi_series(
    *, start: date, end: date, granularity: str = "day", channel_id: int | None = None
) -> list[dict]:
    """One dict per period of [start, end) at `granularity` ("period_start" and every order KPI); buckets are
    cut to the span (a week series starting on a Wednesday starts with that Wednesday)."""
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}")
    starts = buckets(start, end, granularity)
    bases = {b: _empty_base() for b in starts}
    for day in order_selectors.order_fact_days(start=start, end=end, channel_id=channel_id):
        b = max(bucket_start(day["date"], granularity), start)
        _add(bases[b], day)
        if granularity == "day":
            bases[b]["customers"] = day["customers"]
            bases[b]["single"] = day["customers"] - day["repeat_customers"]
    if granularity != "day":
        counts = order_selectors.customer_fact_counts(
            start=start, end=end, channel_id=channel_id, bucket=granularity
        )
        for b, values in counts.items():
            bases[b].update(values)
    return [{"period_start": b, **kpis_from_base(bases[b])} for b in starts]


def year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def kpi_compare(*, start: date, end: date, channel_id: int | None = None) -> dict:
    """The period's KPIs with the same-length period just before and the same dates a year earlier."""
    length = end - start
    previous = (start - length, start)
    last_year = (year_before(start), year_before(end))
    return {
        "current": kpi_totals(start=start, end=end, channel_id=channel_id),
        "previous": kpi_totals(start=previous[0], end=previous[1], channel_id=channel_id),
        "last_year": kpi_totals(start=last_year[0], end=last_year[1], channel_id=channel_id),
        "previous_start": previous[0],
        "previous_end": previous[1],
        "last_year_start": last_year[0],
        "last_year_end": last_year[1],
    }


def change(current, before) -> Decimal | None:
    """Relative change current vs before, a 4-place fraction; None without a base."""
    if current is None or not before:
        return None
    return ((Decimal(current) - Decimal(before)) / abs(Decimal(before))).quantize(
        RATE, rounding=ROUND_HALF_UP
    )


def kpi_by_channel(*, start: date, end: date) -> list[dict]:
    """Per channel over [start, end): the channel and its totals."""
    out = []
    for row in order_selectors.order_fact_channels(start=start, end=end):
        totals = kpi_totals(start=start, end=end, channel_id=row["channel_id"])
        out.append(
            {
                "channel_id": row["channel_id"],
                "channel_code": row["channel__code"],
                "channel_name": row["channel__name"],
                **totals,
            }
        )
    return out


def category_sales(
    *, start: date, end: date, channel_id: int | None = None, category_id: int | None = None
) -> list[dict]:
    """Per category over [start, end), from the counted lines: units, revenue (lines net of their discounts),
    cost of goods and gross margin on that revenue."""
    out = []
    for row in order_selectors.sku_fact_sums(
        start=start, end=end, channel_id=channel_id, category_id=category_id
    ):
        revenue = to_money(row["revenue"] or ZERO)
        cost = to_money(row["cost_of_goods"] or ZERO)
        out.append(
            {
                "category_id": row["sku__product__category_id"],
                "category_name": row["sku__product__category__name"],
                "units": row["units"] or 0,
                "revenue": revenue,
                "cost_of_goods": cost,
                "gross_margin": _rate(revenue - cost, revenue),
            }
        )
    return sorted(out, key=lambda r: -r["revenue"])


DAILY_METRICS = ("gmv", "orders", "units", "aov", "net_sales", "refunds", "revenue")


def daily_values(
    *, metric: str, start: date, end: date, channel_id: int | None = None, category_id: int | None = None
) -> dict:
    """{date: value} of one daily metric over [start, end); every date present (zero when none)."""
    if metric not in DAILY_METRICS:
        raise ValueError(f"metric must be one of {DAILY_METRICS}")
    values: dict[date, Decimal | int] = {}
    if metric == "revenue" or category_id:
        rows = order_selectors.sku_fact_sums(
            start=start, end=end, channel_id=channel_id, category_id=category_id, by="date"
        )
        found = {r["date"]: r for r in rows}
        column = "units" if metric == "units" else "revenue"
        for day in buckets(start, end, "day"):
            value = (found.get(day) or {}).get(column) or 0
            values[day] = value if column == "units" else to_money(value)
        return values
    found = {
        r["date"]: r for r in order_selectors.order_fact_days(start=start, end=end, channel_id=channel_id)
    }
    for day in buckets(start, end, "day"):
        r = found.get(day)
        if r is None:
            values[day] = ZERO if metric in MONEY_KPIS else 0
            continue
        gmv = to_money(r["gmv"] or ZERO)
        values[day] = {
            "gmv": gmv,
            "orders": r["orders"],
            "units": r["units"],
            "aov": to_money(gmv / r["orders"]) if r["orders"] else ZERO,
            "net_sales": gmv - to_money(r["refunds"] or ZERO),
            "refunds": to_money(r["refunds"] or ZERO),
        }[metric]
    return values


def category_choices() -> list[tuple[int, str]]:
    return [(c.pk, c.name) for c in catalog_selectors.category_list()]


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def per_channel_daily(*, metric: str, start: date, end: date) -> dict:
    """{channel_name: {date: value}} of gmv/orders/net_sales per channel (for anomaly contributions)."""
    out: dict[str, dict] = defaultdict(dict)
    for row in order_selectors.order_fact_channels(start=start, end=end):
        out[row["channel__name"]] = daily_values(
            metric=metric, start=start, end=end, channel_id=row["channel_id"]
        )
    return dict(out)
