"""SKU contribution margin: pure arithmetic over plain data, no database.

The selector (finance.selectors.margins) reads the facts with aggregated SQL and hands them here:

- ``OrderFacts``: one counted order placed in the period, with its lines grouped per SKU (net amount in
  the order's currency, cost of goods in the shop currency, units).
- compensation and ad-spend records.

Every amount is worked in integer cents and every split uses largest-remainder rounding, so that the
parts of a split sum exactly to the whole (an order's discount over its lines, its refund, the logistics
cost of a shipped order, a compensation over an order's lines, a channel's ad spend over its SKUs).

Per SKU and channel over the period:
    revenue        = line net (quantity x unit price - line discount) - the order discount allocated to
                     the order's lines by line net, in the shop currency (x the order's exchange rate,
                     rounded per order, then split over the lines by their revenue in order currency)
    cost of goods  = quantity x unit cost (the cost recorded on the line, shop currency)
    commission     = revenue x channel commission rate       (rounded per SKU and channel)
    payment fee    = revenue x channel payment fee rate      (rounded per SKU and channel)
    logistics      = logistics cost per order of each shipped order, split over its lines by revenue
    refunds        = the order's refund (x exchange rate, rounded per order) split over its lines by revenue
    compensation   = approved compensations decided in the period (see ``compensation_allocate``)
    ad spend       = the channel's ad spend, split over the channel's SKUs by revenue (campaign SKUs only
                     when the campaign names SKUs)
    contribution   = revenue - every cost; margin = contribution / revenue
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
ONE = Decimal("1")

# The costs of a margin row, in the order the page shows them, with the names the driver column uses.
COSTS = (
    ("cogs", _("Cost of goods")),
    ("commission", _("Platform commission")),
    ("payment_fee", _("Payment fees")),
    ("logistics", _("Logistics")),
    ("refunds", _("Returns and refunds")),
    ("compensation", _("Compensation")),
    ("ad_spend", _("Ad spend")),
)
COST_KEYS = tuple(key for key, _label in COSTS)
COST_LABELS = dict(COSTS)


# -- largest-remainder allocation -------------------------------------------------------------------------


def allocate_cents(total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` integer cents over integer `weights` with largest-remainder rounding: each part is
    the floor of its exact share, and the cents left over go one each to the parts with the largest
    remainders (ties: the earlier part). Parts always sum to `total`. Negative weights count as zero; when
    no weight is positive the split is equal. A negative total is split as its opposite, negated."""
    count = len(weights)
    if count == 0:
        if total:
            raise ValueError("Cannot allocate an amount over nothing.")
        return []
    if total < 0:
        return [-part for part in allocate_cents(-total, weights)]
    if count == 1:
        return [total]
    clean = [w if w > 0 else 0 for w in weights]
    whole = sum(clean)
    if whole == 0:
        clean, whole = [1] * count, count
    parts, remainders = [], []
    for weight in clean:
        part, remainder = divmod(total * weight, whole)
        parts.append(part)
        remainders.append(remainder)
    left = total - sum(parts)
    if left:
        for index in sorted(range(count), key=lambda i: (-remainders[i], i))[:left]:
            parts[index] += 1
    return parts


def allocate(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """`allocate_cents` for money: split `total` (rounded half-up to the cent) over any non-negative
    Decimal weights; the parts (Decimals to the cent) sum exactly to the total."""
    cents = int((Decimal(total).quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())
    fractions = [Fraction(Decimal(w)) for w in weights]
    scale = 1
    for value in fractions:
        scale = scale * value.denominator // _gcd(scale, value.denominator)
    integer_weights = [int(value * scale) for value in fractions]
    return [Decimal(part) / 100 for part in allocate_cents(cents, integer_weights)]


def _gcd(a: int, b: int) -> int:
    while b:
        a, b = b, a % b
    return a


def to_cents(value) -> int:
    """Decimal money -> integer cents, rounded half-up."""
    return int((Decimal(value) * 100).quantize(ONE, rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def _round_cents(value: Decimal) -> int:
    return int(value.quantize(ONE, rounding=ROUND_HALF_UP))


# -- facts in, rows out -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineFacts:
    """An order's lines of one SKU: net in the order's currency and cost of goods in the shop's, cents."""

    sku_id: int
    net: int  # sum of quantity x unit price - line discount, order currency, cents
    cogs: int  # sum of quantity x unit cost, shop currency, cents
    units: int = 0


@dataclass(frozen=True)
class OrderFacts:
    order_id: int
    channel_id: int
    lines: tuple[LineFacts, ...]
    order_discount: int = 0  # order currency, cents
    refund: int = 0  # order currency, cents
    exchange_rate: Decimal = ONE
    shipped: bool = False


@dataclass(frozen=True)
class LineResult:
    sku_id: int
    channel_id: int
    revenue: int
    cogs: int
    units: int
    logistics: int
    refunds: int


def order_lines_split(order: OrderFacts, *, logistics_per_order: int) -> list[LineResult]:
    """One order's revenue, refund and logistics per line (cents, shop currency).

    The order discount is split over the lines by line net (order currency); the order's revenue in the
    shop currency, (lines net - order discount) x exchange rate rounded to the cent, is split over the
    lines by their net after discount (with a rate of 1 that is exactly the net after discount); the
    refund (x rate, rounded) and, for a shipped order, `logistics_per_order` are split by revenue."""
    lines = order.lines
    nets = [line.net for line in lines]
    if order.order_discount:
        after = [n - d for n, d in zip(nets, allocate_cents(order.order_discount, nets), strict=True)]
    else:
        after = nets
    if order.exchange_rate == ONE:
        revenues = after
    else:
        revenue_total = _round_cents(Decimal(sum(after)) * order.exchange_rate)
        revenues = allocate_cents(revenue_total, after)
    if order.refund:
        refund = order.refund
        if order.exchange_rate != ONE:
            refund = _round_cents(Decimal(refund) * order.exchange_rate)
        refunds = allocate_cents(refund, revenues)
    else:
        refunds = [0] * len(lines)
    if order.shipped and logistics_per_order:
        logistics = allocate_cents(logistics_per_order, revenues)
    else:
        logistics = [0] * len(lines)
    return [
        LineResult(
            sku_id=line.sku_id,
            channel_id=order.channel_id,
            revenue=revenue,
            cogs=line.cogs,
            units=line.units,
            logistics=logistic,
            refunds=refunded,
        )
        for line, revenue, logistic, refunded in zip(lines, revenues, logistics, refunds, strict=True)
    ]


@dataclass(frozen=True)
class CompensationFacts:
    """An approved compensation: `sku_id` and/or `order_id` say where it belongs (both may be None);
    `order_channel_id` is the channel of its order when it has one."""

    amount: int  # cents
    sku_id: int | None = None
    order_id: int | None = None
    order_channel_id: int | None = None


@dataclass(frozen=True)
class AdSpendFacts:
    """Ad spend of one channel in the period, for the campaigns naming these SKUs (() = every SKU)."""

    channel_id: int
    spend: int  # cents
    sku_ids: tuple[int, ...] = ()


@dataclass
class MarginRow:
    """One SKU on one channel over the period, amounts in Decimal (shop currency)."""

    sku_id: int
    channel_id: int
    units: int = 0
    revenue: Decimal = Decimal("0.00")
    cogs: Decimal = Decimal("0.00")
    commission: Decimal = Decimal("0.00")
    payment_fee: Decimal = Decimal("0.00")
    logistics: Decimal = Decimal("0.00")
    refunds: Decimal = Decimal("0.00")
    compensation: Decimal = Decimal("0.00")
    ad_spend: Decimal = Decimal("0.00")
    driver: str = ""  # key of the largest cost driver, set on loss-making rows (see `drivers_name`)
    extra: dict = field(default_factory=dict)  # display data the selector adds (SKU code, channel name...)

    @property
    def total_cost(self) -> Decimal:
        return sum((getattr(self, key) for key in COST_KEYS), Decimal("0.00"))

    @property
    def contribution(self) -> Decimal:
        return self.revenue - self.total_cost

    @property
    def margin(self) -> Decimal | None:
        """Contribution / revenue as a fraction (4 places), None without revenue."""
        if not self.revenue:
            return None
        return (self.contribution / self.revenue).quantize(RATE, rounding=ROUND_HALF_UP)

    @property
    def loss_making(self) -> bool:
        return self.contribution < 0

    @property
    def driver_label(self) -> str:
        return str(COST_LABELS[self.driver]) if self.driver else ""

    def costs(self) -> dict[str, Decimal]:
        return {key: getattr(self, key) for key in COST_KEYS}


@dataclass
class MarginResult:
    rows: list[MarginRow]
    unallocated_compensation: Decimal = Decimal("0.00")
    unallocated_ad_spend: Decimal = Decimal("0.00")


@dataclass
class _Acc:
    units: int = 0
    revenue: int = 0
    cogs: int = 0
    logistics: int = 0
    refunds: int = 0
    compensation: int = 0
    ad_spend: int = 0


def compensation_allocate(
    compensations: Iterable[CompensationFacts],
    *,
    order_lines: Mapping[int, Sequence[tuple[int, int, int]]],
    revenue_by_key: Mapping[tuple[int, int], int],
) -> tuple[dict[tuple[int, int], int], int]:
    """Where compensations go, in cents: ({(sku_id, channel_id): amount}, unallocated).

    - with a SKU: to that SKU on its order's channel; without an order, on the channel where the SKU had
      the most revenue in the period (ties: the lower channel id); a SKU without revenue and without an
      order stays unallocated;
    - else with an order: split over that order's lines by revenue (`order_lines`: order id ->
      [(sku_id, channel_id, revenue cents)]); an order whose lines are unknown stays unallocated;
    - else unallocated."""
    best_channel: dict[int, tuple[int, int]] = {}
    for (sku_id, channel_id), revenue in revenue_by_key.items():
        current = best_channel.get(sku_id)
        if current is None or (revenue, -channel_id) > (current[0], -current[1]):
            best_channel[sku_id] = (revenue, channel_id)
    out: dict[tuple[int, int], int] = defaultdict(int)
    unallocated = 0
    for comp in compensations:
        if comp.sku_id is not None:
            channel_id = comp.order_channel_id
            if channel_id is None and comp.sku_id in best_channel:
                channel_id = best_channel[comp.sku_id][1]
            if channel_id is None:
                unallocated += comp.amount
            else:
                out[(comp.sku_id, channel_id)] += comp.amount
        elif comp.order_id is not None and order_lines.get(comp.order_id):
            lines = order_lines[comp.order_id]
            shares = allocate_cents(comp.amount, [revenue for _sku, _channel, revenue in lines])
            for (sku_id, channel_id, _revenue), share in zip(lines, shares, strict=True):
                out[(sku_id, channel_id)] += share
        else:
            unallocated += comp.amount
    return dict(out), unallocated


def ad_spend_allocate(
    spends: Iterable[AdSpendFacts],
    *,
    revenue_by_key: Mapping[tuple[int, int], int],
    known_sku_ids: set[int] | None = None,
) -> tuple[dict[tuple[int, int], int], int]:
    """Where ad spend goes, in cents: ({(sku_id, channel_id): amount}, unallocated).

    Each record's spend is split over the channel's SKUs by their revenue share in the period (only the
    campaign's SKUs when it names some). When none of those SKUs sold on the channel, a campaign naming
    SKUs splits its spend equally over them (known SKUs only) -- money spent on SKUs that sold nothing is
    exactly what the page must show -- and a campaign for every SKU stays unallocated."""
    by_channel: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for (sku_id, channel_id), revenue in sorted(revenue_by_key.items()):
        by_channel[channel_id].append((sku_id, revenue))
    out: dict[tuple[int, int], int] = defaultdict(int)
    unallocated = 0
    for spend in spends:
        if not spend.spend:
            continue
        candidates = by_channel.get(spend.channel_id, [])
        if spend.sku_ids:
            wanted = set(spend.sku_ids)
            candidates = [(sku_id, revenue) for sku_id, revenue in candidates if sku_id in wanted]
        selling = [(sku_id, revenue) for sku_id, revenue in candidates if revenue > 0]
        if selling:
            shares = allocate_cents(spend.spend, [revenue for _sku, revenue in selling])
            for (sku_id, _revenue), share in zip(selling, shares, strict=True):
                out[(sku_id, spend.channel_id)] += share
            continue
        targets = sorted(
            sku_id for sku_id in set(spend.sku_ids) if known_sku_ids is None or sku_id in known_sku_ids
        )
        if not targets:
            unallocated += spend.spend
            continue
        for sku_id, share in zip(targets, allocate_cents(spend.spend, [1] * len(targets)), strict=True):
            out[(sku_id, spend.channel_id)] += share
    return dict(out), unallocated


def contribution_margins(
    orders: Iterable[OrderFacts],
    *,
    channel_rates: Mapping[int, tuple[Decimal, Decimal]],
    logistics_per_order: Decimal,
    compensations: Iterable[CompensationFacts] = (),
    ad_spends: Iterable[AdSpendFacts] = (),
    extra_order_lines: Mapping[int, Sequence[tuple[int, int, int]]] | None = None,
    known_sku_ids: set[int] | None = None,
) -> MarginResult:
    """Contribution margin per (SKU, channel) from the period's counted orders, compensations and ad
    spend. `channel_rates`: channel id -> (commission rate, payment fee rate). `extra_order_lines`: the
    line revenues (order id -> [(sku_id, channel_id, revenue cents)]) of orders outside the period that a
    compensation names. Rows come sorted by (sku_id, channel_id); drivers are not set here (see
    `drivers_name`)."""
    logistics_cents = to_cents(logistics_per_order)
    compensations = list(compensations)
    wanted_orders = {c.order_id for c in compensations if c.sku_id is None and c.order_id is not None}
    order_lines: dict[int, list[tuple[int, int, int]]] = dict(extra_order_lines or {})
    acc: dict[tuple[int, int], _Acc] = defaultdict(_Acc)
    for order in orders:
        results = order_lines_split(order, logistics_per_order=logistics_cents)
        for line in results:
            row = acc[(line.sku_id, line.channel_id)]
            row.units += line.units
            row.revenue += line.revenue
            row.cogs += line.cogs
            row.logistics += line.logistics
            row.refunds += line.refunds
        if order.order_id in wanted_orders:
            order_lines[order.order_id] = [(r.sku_id, r.channel_id, r.revenue) for r in results]
    revenue_by_key = {key: row.revenue for key, row in acc.items()}
    comp_by_key, comp_left = compensation_allocate(
        compensations, order_lines=order_lines, revenue_by_key=revenue_by_key
    )
    for key, amount in comp_by_key.items():
        acc[key].compensation += amount
    ads_by_key, ads_left = ad_spend_allocate(
        ad_spends, revenue_by_key=revenue_by_key, known_sku_ids=known_sku_ids
    )
    for key, amount in ads_by_key.items():
        acc[key].ad_spend += amount
    rows = []
    for (sku_id, channel_id), row in sorted(acc.items()):
        revenue = from_cents(row.revenue)
        commission_rate, fee_rate = channel_rates.get(channel_id, (Decimal("0"), Decimal("0")))
        rows.append(
            MarginRow(
                sku_id=sku_id,
                channel_id=channel_id,
                units=row.units,
                revenue=revenue,
                cogs=from_cents(row.cogs),
                commission=(revenue * commission_rate).quantize(CENT, rounding=ROUND_HALF_UP),
                payment_fee=(revenue * fee_rate).quantize(CENT, rounding=ROUND_HALF_UP),
                logistics=from_cents(row.logistics),
                refunds=from_cents(row.refunds),
                compensation=from_cents(row.compensation),
                ad_spend=from_cents(row.ad_spend),
            )
        )
    return MarginResult(
        rows=rows, unallocated_compensation=from_cents(comp_left), unallocated_ad_spend=from_cents(ads_left)
    )


# -- reading the rows -------------------------------------------------------------------------------------


def cost_shares(rows: Iterable[MarginRow]) -> dict[str, Decimal]:
    """Each cost as a share of revenue over `rows` (the benchmark the driver is measured against)."""
    rows = list(rows)
    revenue = sum((row.revenue for row in rows), Decimal("0"))
    if revenue <= 0:
        return {}
    return {key: sum((getattr(row, key) for row in rows), Decimal("0")) / revenue for key in COST_KEYS}


def largest_driver(row: MarginRow, benchmark: Mapping[str, Decimal] | None = None) -> str:
    """The cost that most explains a row's loss, as a key of COSTS.

    Without a benchmark: the largest cost. With one (each cost's share of revenue across the rows
    compared, see `cost_shares`): the cost furthest above what the row would pay at that typical share,
    cost - revenue x share, so that a SKU losing money on refunds is named for refunds and not for its
    cost of goods, which is the largest cost of almost every SKU. Ties: the order of COSTS."""
    costs = row.costs()
    if not any(costs.values()):
        return ""
    if not benchmark or row.revenue <= 0:
        return max(COST_KEYS, key=lambda key: (costs[key], -COST_KEYS.index(key)))
    excess = {key: costs[key] - row.revenue * benchmark.get(key, Decimal("0")) for key in COST_KEYS}
    return max(COST_KEYS, key=lambda key: (excess[key], -COST_KEYS.index(key)))


def drivers_name(rows: Sequence[MarginRow], benchmark: Mapping[str, Decimal] | None = None) -> None:
    """Set `driver` on every loss-making row (and clear it on the others)."""
    for row in rows:
        row.driver = largest_driver(row, benchmark) if row.loss_making else ""


def margin_totals(rows: Iterable[MarginRow]) -> MarginRow:
    """The sum of `rows` as one row (sku_id and channel_id 0)."""
    total = MarginRow(sku_id=0, channel_id=0)
    for row in rows:
        total.units += row.units
        total.revenue += row.revenue
        for key in COST_KEYS:
            setattr(total, key, getattr(total, key) + getattr(row, key))
    return total
