"""Reads for the SKU contribution margin: the period's facts in a few aggregated queries, handed to the
pure arithmetic of finance.margins.

Queries for a period [start, end) of shop dates:
1. counted orders placed in the period, grouped per (order, SKU) in SQL (orders.selectors.counted_orders):
   line net, cost of goods and units per SKU of each order, with the order's discount, refund, exchange
   rate and shipped flag;
2. approved compensations decided in the period (service.selectors.compensation.compensation_costs), and
   the lines of the few orders outside the period that an order-only compensation names;
3. ad spend per (campaign, channel) of the period's days, and the campaigns' SKUs. Marketing has no
   selector with spend per campaign *and* channel (ad_totals_by_campaign sums the channels, channel_roi
   sums the campaigns), so this module reads marketing.models.AdMetricDay and Campaign directly;
4. the SKUs and channels shown (catalog and orders selectors).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db.models import BigIntegerField, Case, DecimalField, F, Sum, Value, When
from django.db.models.functions import Cast, Round

from catalog.selectors import skus as catalog_skus
from finance import margins
from finance.models import FinanceSettings
from marketing.models import AdMetricDay, Campaign
from orders import selectors as order_selectors
from service.selectors import compensation as compensation_selectors
from shopops.common.dates import day_range

SORTS = {
    "contribution": lambda r: (r.contribution, r.extra["sku_code"], r.extra["channel_code"]),
    "revenue": lambda r: (r.revenue, r.extra["sku_code"], r.extra["channel_code"]),
    "margin": lambda r: (
        r.margin if r.margin is not None else Decimal("-999999"),
        r.extra["sku_code"],
        r.extra["channel_code"],
    ),
    "sku": lambda r: (r.extra["sku_code"], r.extra["channel_code"]),
}
DEFAULT_SORT = "contribution"  # ascending: the worst first
WORST_SHOWN = 15

_NET = DecimalField(max_digits=20, decimal_places=2)


@dataclass
class MarginReport:
    start: date
    end: date
    rows: list[margins.MarginRow]  # filtered and sorted
    totals: margins.MarginRow  # of `rows`
    loss_count: int  # loss-making rows among `rows`
    loss_total: Decimal  # their summed contribution (negative)
    worst: list[margins.MarginRow]  # the WORST_SHOWN lowest contributions among the loss-making rows
    unallocated_compensation: Decimal = Decimal("0.00")
    unallocated_ad_spend: Decimal = Decimal("0.00")
    benchmark: dict = field(default_factory=dict)

    @property
    def contribution_after_unallocated(self) -> Decimal:
        return self.totals.contribution - self.unallocated_compensation - self.unallocated_ad_spend


def _cents(expression):
    """An amount as integer cents computed in SQL (rounded first: SQLite computes decimals in floats)."""
    return Cast(Round(expression * 100), BigIntegerField())


def _order_facts(queryset) -> list[margins.OrderFacts]:
    """Counted orders of `queryset` as OrderFacts, the lines grouped per (order, SKU) in SQL: one query,
    integer cents, no per-row conversions (the exchange rate only where it is not 1)."""
    rows = (
        queryset.order_by()
        .annotate(
            discount_c=_cents(F("order_discount")),
            refund_c=_cents(F("refund_amount")),
            rate=Case(When(exchange_rate=1, then=Value(None)), default=F("exchange_rate")),
            shipped=Case(When(shipped_at__isnull=True, then=Value(0)), default=Value(1)),
        )
        .values("id", "channel_id", "discount_c", "refund_c", "rate", "shipped", "lines__sku_id")
        .annotate(
            net=_cents(
                Sum(F("lines__quantity") * F("lines__unit_price") - F("lines__discount"), output_field=_NET)
            ),
            cogs=_cents(Sum(F("lines__quantity") * F("lines__unit_cost"), output_field=_NET)),
            units=Sum("lines__quantity"),
        )
        .order_by("id", "lines__sku_id")
        .values_list(
            "id",
            "channel_id",
            "discount_c",
            "refund_c",
            "rate",
            "shipped",
            "lines__sku_id",
            "net",
            "cogs",
            "units",
        )
    )
    out: list[margins.OrderFacts] = []
    current, lines = None, []

    def flush():
        if current is not None and lines:
            order_id, channel_id, discount, refund, rate, shipped = current
            out.append(
                margins.OrderFacts(
                    order_id=order_id,
                    channel_id=channel_id,
                    lines=tuple(lines),
                    order_discount=discount or 0,
                    refund=refund or 0,
                    exchange_rate=margins.ONE if rate is None else Decimal(rate),
                    shipped=bool(shipped),
                )
            )

    for order_id, channel_id, discount, refund, rate, shipped, sku_id, net, cogs, units in rows:
        if current is None or current[0] != order_id:
            flush()
            current, lines = (order_id, channel_id, discount, refund, rate, shipped), []
        if sku_id is None:
            continue
        lines.append(margins.LineFacts(sku_id=sku_id, net=net or 0, cogs=cogs or 0, units=units or 0))
    flush()
    return out


def _compensations(start: date, end: date, channel_ids: dict[str, int]) -> list[margins.CompensationFacts]:
    out = []
    for row in compensation_selectors.compensation_costs(start=start, end=end):
        channel_id = None
        if row["order"]:
            channel_id = channel_ids.get(row["order"].split(":", 1)[0])
        out.append(
            margins.CompensationFacts(
                amount=margins.to_cents(row["amount"]),
                sku_id=row["sku_id"],
                order_id=row["order_id"],
                order_channel_id=channel_id,
            )
        )
    return out


def _ad_spends(start: date, end: date) -> list[margins.AdSpendFacts]:
    """Ad spend of the days [start, end) per channel and set of campaign SKUs (campaigns with the same
    SKUs on a channel are summed before they are split)."""
    rows = list(
        AdMetricDay.objects.filter(day__gte=start, day__lt=end)
        .values("campaign_id", "channel_id")
        .annotate(spend=Sum("spend"))
        .order_by("campaign_id", "channel_id")
    )
    campaign_skus = dict(
        Campaign.objects.filter(id__in={r["campaign_id"] for r in rows}).values_list("id", "sku_ids")
    )
    grouped: dict[tuple[int, tuple[int, ...]], int] = defaultdict(int)
    for row in rows:
        sku_ids = tuple(
            sorted({int(s) for s in (campaign_skus.get(row["campaign_id"]) or []) if str(s).isdigit()})
        )
        grouped[(row["channel_id"], sku_ids)] += margins.to_cents(row["spend"] or 0)
    return [
        margins.AdSpendFacts(channel_id=channel_id, spend=spend, sku_ids=sku_ids)
        for (channel_id, sku_ids), spend in sorted(grouped.items())
    ]


def _channels() -> dict[int, object]:
    return {channel.id: channel for channel in order_selectors.channel_all()}


def margin_compute(*, start: date, end: date) -> margins.MarginResult:
    """Contribution margin per (SKU, channel) of the whole shop over [start, end), unfiltered, with the
    display data (`extra`: sku_code, sku_name, category_id, category_name, channel_code, channel_name)."""
    lo, hi = day_range(start, end)
    channels = _channels()
    channel_ids = {channel.code: pk for pk, channel in channels.items()}
    counted = order_selectors.counted_orders()
    orders = _order_facts(counted.filter(placed_at__gte=lo, placed_at__lt=hi))
    compensations = _compensations(start, end, channel_ids)
    in_period = {order.order_id for order in orders}
    outside = {
        c.order_id for c in compensations if c.sku_id is None and c.order_id and c.order_id not in in_period
    }
    logistics = FinanceSettings.get().logistics_cost_per_order
    extra_lines = {}
    if outside:
        logistics_cents = margins.to_cents(logistics)
        for order in _order_facts(counted.filter(id__in=outside)):
            extra_lines[order.order_id] = [
                (r.sku_id, r.channel_id, r.revenue)
                for r in margins.order_lines_split(order, logistics_per_order=logistics_cents)
            ]
    ad_spends = _ad_spends(start, end)
    wanted_skus = {sku_id for spend in ad_spends for sku_id in spend.sku_ids}
    skus = {
        row["id"]: row
        for row in catalog_skus.sku_list()
        .filter(id__in=wanted_skus)
        .values("id", "code", "name", "product__category_id", "product__category__name")
    }
    result = margins.contribution_margins(
        orders,
        channel_rates={pk: (c.commission_rate, c.payment_fee_rate) for pk, c in channels.items()},
        logistics_per_order=logistics,
        compensations=compensations,
        ad_spends=ad_spends,
        extra_order_lines=extra_lines,
        known_sku_ids=set(skus),
    )
    missing = {row.sku_id for row in result.rows} - set(skus)
    if missing:
        skus.update(
            (row["id"], row)
            for row in catalog_skus.sku_list()
            .filter(id__in=missing)
            .values("id", "code", "name", "product__category_id", "product__category__name")
        )
    for row in result.rows:
        sku = skus.get(row.sku_id, {})
        channel = channels.get(row.channel_id)
        row.extra = {
            "sku_code": sku.get("code", str(row.sku_id)),
            "sku_name": sku.get("name", ""),
            "category_id": sku.get("product__category_id"),
            "category_name": sku.get("product__category__name", ""),
            "channel_code": channel.code if channel else str(row.channel_id),
            "channel_name": channel.name if channel else "",
        }
    return result


def category_ids_with_descendants(code: str) -> set[int]:
    """The id of the category `code` and of all its subcategories (empty when unknown)."""
    rows = list(catalog_skus.category_list().values_list("id", "code", "parent_id"))
    children = defaultdict(list)
    for pk, _code, parent in rows:
        if parent:
            children[parent].append(pk)
    roots = [pk for pk, c, _parent in rows if c == code]
    seen: set[int] = set()
    while roots:
        pk = roots.pop()
        if pk not in seen:
            seen.add(pk)
            roots.extend(children[pk])
    return seen


def margin_report(
    *,
    start: date,
    end: date,
    channel: str = "",
    category: str = "",
    loss_only: bool = False,
    sort: str = DEFAULT_SORT,
    result: margins.MarginResult | None = None,
) -> MarginReport:
    """The margins page: rows of [start, end) filtered by channel code, category code (with its
    subcategories) and loss-making, sorted (`sort` a key of SORTS, '-' prefix for descending; default
    contribution ascending, the worst first), with totals, the loss-making summary and the worst rows.
    The largest cost driver of a loss-making row is measured against the cost shares of all the rows the
    channel and category filters keep (see finance.margins.largest_driver)."""
    result = result or margin_compute(start=start, end=end)
    rows = result.rows
    if channel:
        rows = [row for row in rows if row.extra["channel_code"] == channel]
    if category:
        ids = category_ids_with_descendants(category)
        rows = [row for row in rows if row.extra["category_id"] in ids]
    benchmark = margins.cost_shares(rows)
    margins.drivers_name(rows, benchmark)
    losses = [row for row in rows if row.loss_making]
    if loss_only:
        rows = losses
    descending = sort.startswith("-")
    key = SORTS.get(sort.lstrip("-"), SORTS[DEFAULT_SORT])
    rows = sorted(rows, key=key, reverse=descending)
    worst = sorted(losses, key=SORTS["contribution"])[:WORST_SHOWN]
    return MarginReport(
        start=start,
        end=end,
        rows=rows,
        totals=margins.margin_totals(rows),
        loss_count=len(losses),
        loss_total=sum((row.contribution for row in losses), Decimal("0.00")),
        worst=worst,
        unallocated_compensation=result.unallocated_compensation
        if not (channel or category)
        else Decimal("0.00"),
        unallocated_ad_spend=result.unallocated_ad_spend if not (channel or category) else Decimal("0.00"),
        benchmark=benchmark,
    )


def _month_chunks(start: date, end: date) -> list[tuple[date, date]]:
    chunks, cursor = [], start
    while cursor < end:
        following = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
        chunks.append((cursor, min(following, end)))
        cursor = following
    return chunks


def sku_margin_detail(*, sku_id: int, start: date, end: date) -> dict:
    """One SKU over [start, end): its rows per channel and, per calendar month of the period (partial
    months at the ends), its rows summed over the channels. Each month is computed for the whole shop,
    since ad spend is split by revenue share."""
    by_channel = [row for row in margin_compute(start=start, end=end).rows if row.sku_id == sku_id]
    benchmark = margins.cost_shares(by_channel)
    margins.drivers_name(by_channel, benchmark)
    months = []
    for lo, hi in _month_chunks(start, end):
        rows = [row for row in margin_compute(start=lo, end=hi).rows if row.sku_id == sku_id]
        total = margins.margin_totals(rows)
        total.sku_id = sku_id
        total.extra = {"start": lo, "end": hi}
        margins.drivers_name([total], benchmark)
        months.append(total)
    return {
        "by_channel": sorted(by_channel, key=lambda r: r.extra["channel_code"]),
        "totals": margins.margin_totals(by_channel),
        "months": months,
    }
