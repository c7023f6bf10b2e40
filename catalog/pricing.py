"""Pricing arithmetic: plain functions over plain data, no database. Money is Decimal, rounded half-up to
the cent at each published figure (a commission, a fee, a price); fractions are Decimal (0.4000 = 40 %).

Definitions used everywhere (pages, API, guard, recommendations):

- landed cost    = purchase cost + inbound logistics + packaging (what one unit costs on our shelf)
- gross profit   = price - landed cost;          gross margin = gross profit / price
- variable costs = outbound shipping estimate + commission + payment fee + marketing allocation,
                   the last three each = round(price x rate)
- contribution   = gross profit - variable costs; contribution margin = contribution / price

The margin floor applies to the gross margin. The lowest price that keeps a floor f is
landed / (1 - f), rounded *up* to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from statistics import median

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
FOUR = Decimal("0.0001")

# The target share of the range for each product role (domain brief); the image product has no band.
ROLE_BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "hero": (Decimal("0.15"), Decimal("0.20")),
    "core": (Decimal("0.50"), Decimal("0.60")),
    "long_tail": (Decimal("0.20"), Decimal("0.30")),
    "new": (Decimal("0.05"), Decimal("0.10")),
}


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fraction(value) -> Decimal:
    return Decimal(value).quantize(FOUR, rounding=ROUND_HALF_UP)


# --- cost build-up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Costs:
    """What one unit of a SKU costs before the channel takes its share."""

    purchase: Decimal
    inbound: Decimal = ZERO
    packaging: Decimal = ZERO
    shipping: Decimal = ZERO  # outbound, per unit, estimated
    marketing_rate: Decimal = ZERO

    @property
    def landed(self) -> Decimal:
        return self.purchase + self.inbound + self.packaging


@dataclass(frozen=True)
class ChannelRates:
    code: str
    commission_rate: Decimal = ZERO
    payment_fee_rate: Decimal = ZERO


@dataclass(frozen=True)
class Breakdown:
    """One SKU on one channel at one price: every step of the waterfall, to the cent."""

    price: Decimal
    purchase: Decimal
    inbound: Decimal
    packaging: Decimal
    landed: Decimal
    gross_profit: Decimal
    gross_margin: Decimal | None
    shipping: Decimal
    commission: Decimal
    payment_fee: Decimal
    marketing: Decimal
    contribution: Decimal
    contribution_margin: Decimal | None

    def steps(self) -> list[tuple[str, Decimal]]:
        """The waterfall: price, each cost as a negative amount, and the two subtotals."""
        return [
            ("price", self.price),
            ("purchase", -self.purchase),
            ("inbound", -self.inbound),
            ("packaging", -self.packaging),
            ("gross_profit", self.gross_profit),
            ("shipping", -self.shipping),
            ("commission", -self.commission),
            ("payment_fee", -self.payment_fee),
            ("marketing", -self.marketing),
            ("contribution", self.contribution),
        ]


def breakdown(price: Decimal, costs: Costs, rates: ChannelRates | None = None) -> Breakdown:
    rates = rates or ChannelRates(code="")
    price = money(price)
    landed = costs.landed
    commission = money(price * rates.commission_rate)
    payment_fee = money(price * rates.payment_fee_rate)
    marketing = money(price * costs.marketing_rate)
    gross_profit = price - landed
    contribution = gross_profit - costs.shipping - commission - payment_fee - marketing
    return Breakdown(
        price=price,
        purchase=costs.purchase,
        inbound=costs.inbound,
        packaging=costs.packaging,
        landed=landed,
        gross_profit=gross_profit,
        gross_margin=fraction(gross_profit / price) if price else None,
        shipping=costs.shipping,
        commission=commission,
        payment_fee=payment_fee,
        marketing=marketing,
        contribution=contribution,
        contribution_margin=fraction(contribution / price) if price else None,
    )


def gross_margin(price: Decimal, landed: Decimal) -> Decimal | None:
    return fraction((price - landed) / price) if price else None


# --- the margin floor ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Floor:
    """The floor that applies to a SKU today, and where it comes from."""

    value: Decimal
    source: str  # "setting", "category", "loss_leader"


def floor_for(
    *,
    setting: Decimal,
    category_floor: Decimal | None = None,
    loss_leader: bool = False,
    loss_leader_floor: Decimal = ZERO,
    loss_leader_until: date | None = None,
    today: date,
) -> Floor:
    """A loss leader's own floor while it lasts (through `loss_leader_until`), else the category's
    override, else the shop-wide setting."""
    if loss_leader and loss_leader_until is not None and today <= loss_leader_until:
        return Floor(loss_leader_floor, "loss_leader")
    if category_floor is not None:
        return Floor(category_floor, "category")
    return Floor(setting, "setting")


def floor_price(landed: Decimal, floor: Decimal) -> Decimal:
    """The lowest price whose gross margin is at least `floor`: landed / (1 - floor), rounded up."""
    if floor >= 1:
        raise ValueError("A margin floor must be below 100 %.")
    return (landed / (1 - floor)).quantize(CENT, rounding=ROUND_CEILING)


def breaks_floor(price: Decimal, landed: Decimal, floor: Decimal) -> bool:
    """Exact, not on the rounded margin: 72.83 on a landed cost of 43.70 is 39.997 %, under a 40 % floor."""
    return price <= 0 or price - landed < floor * price


# --- price tools --------------------------------------------------------------------------------------


def cost_plus(landed: Decimal, markup: Decimal) -> Decimal:
    """Cost-plus: price = landed cost x (1 + markup), to the cent."""
    return money(landed * (1 + markup))


def round_to_9(price: Decimal, minimum: Decimal | None = None) -> Decimal:
    """Psychological (X9) rounding to the *nearest* price that ends in 9, a tie going up, never below
    `minimum` (then the next such price up). The step depends on the band the price is in:

    - under ¥10:            prices ending in .9 (step ¥1):     6.32 -> 5.90,  9.99 -> 9.90
    - ¥10 up to ¥999.99:    whole yuan ending in 9 (step ¥10): 63.20 -> 59, 64.00 -> 69 (tie), 70.00 -> 69,
                                                               129.50 -> 129, 999.99 -> 999
    - ¥1,000 and above:     whole yuan ending in 99 (step ¥100): 1,049 -> 1,099 (tie), 1,320 -> 1,299

    A price that already ends so stays as it is. Nothing rounds below the band's first such price
    (0.90, 9, 999).
    """
    price = money(price)
    step, offset = _band(price)
    below = max(_floor_9(price, step, offset), offset)
    above = below + step if below < price else below
    result = money(above if (above - price) <= (price - below) else below)
    if minimum is not None and result < minimum:
        result = ceil_9(minimum)
    return result


def ceil_9(price: Decimal) -> Decimal:
    """The smallest price ending in 9 (by the bands of `round_to_9`) at or above `price`."""
    price = money(price)
    step, offset = _band(price)
    below = max(_floor_9(price, step, offset), offset)
    result = money(below if below >= price else below + step)
    return ceil_9(result) if _band(result) != (step, offset) else result  # crossed into the next band


def _band(price: Decimal) -> tuple[Decimal, Decimal]:
    if price < 10:
        return Decimal("1"), Decimal("0.90")
    if price < 1000:
        return Decimal("10"), Decimal("9")
    return Decimal("100"), Decimal("99")


def _floor_9(price: Decimal, step: Decimal, offset: Decimal) -> Decimal:
    return ((price - offset) / step).to_integral_value(rounding=ROUND_FLOOR) * step + offset


def adjust(price: Decimal, percent: Decimal) -> Decimal:
    """price x (1 + percent), to the cent (percent -0.10 = 10 % off)."""
    return money(price * (1 + percent))


def channel_price(base: Decimal, percent: Decimal, rounding: bool, minimum: Decimal | None = None) -> Decimal:
    """A channel's price derived from the base price: + percent, then X9 rounding if the channel asks."""
    price = adjust(base, percent)
    return round_to_9(price, minimum) if rounding else price


def tier_price(base: Decimal, discount: Decimal) -> Decimal:
    """A member tier's price: base x (1 - discount), to the cent."""
    return money(base * (1 - discount))


# --- bundles ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    landed: Decimal
    quantity: int
    available: int = 0


def bundle_landed(components: list[Component]) -> Decimal:
    return sum((c.landed * c.quantity for c in components), ZERO)


def bundle_available(components: list[Component]) -> int:
    """How many bundles the components' stock makes: the scarcest component decides."""
    if not components:
        return 0
    return max(0, min(c.available // c.quantity for c in components))


# --- range mix ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MixRow:
    role: str
    count: int
    count_share: Decimal
    revenue: Decimal
    revenue_share: Decimal
    band: tuple[Decimal, Decimal] | None
    count_flag: str  # "", "below", "above"
    revenue_flag: str


def range_mix(rows: list[tuple[str, Decimal]], roles: list[str]) -> list[MixRow]:
    """The range's actual mix by role, by SKU count and by revenue, against ROLE_BANDS.
    `rows` are (role, revenue) per active SKU."""
    total_count = len(rows)
    total_revenue = sum((r for _, r in rows), ZERO)
    out = []
    for role in roles:
        mine = [r for ro, r in rows if ro == role]
        count_share = fraction(Decimal(len(mine)) / total_count) if total_count else ZERO
        revenue = sum(mine, ZERO)
        revenue_share = fraction(revenue / total_revenue) if total_revenue else ZERO
        band = ROLE_BANDS.get(role)
        out.append(
            MixRow(
                role=role,
                count=len(mine),
                count_share=count_share,
                revenue=revenue,
                revenue_share=revenue_share,
                band=band,
                count_flag=_flag(count_share, band) if total_count else "",
                revenue_flag=_flag(revenue_share, band) if total_revenue else "",
            )
        )
    return out


def _flag(share: Decimal, band) -> str:
    if band is None:
        return ""
    low, high = band
    return "below" if share < low else "above" if share > high else ""


# --- competitors --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Band:
    low: Decimal
    median: Decimal
    high: Decimal
    count: int


def competitor_band(prices: list[Decimal]) -> Band | None:
    if not prices:
        return None
    return Band(min(prices), money(median(prices)), max(prices), len(prices))


def above_band(price: Decimal, band: Band | None, gap: Decimal) -> bool:
    """Priced above the competitors' median by more than `gap` (a fraction)."""
    return band is not None and price > band.median * (1 + gap)


@dataclass(frozen=True)
class Gap:
    low: Decimal
    high: Decimal
    competitor_offers: int


def price_band_gaps(ours: list[Decimal], theirs: list[Decimal], edges: list[Decimal]) -> list[Gap]:
    """Bands (between consecutive `edges`) where competitors sell and we have no product."""
    gaps = []
    for low, high in zip(edges, edges[1:], strict=False):
        offers = sum(1 for p in theirs if low <= p < high)
        if offers and not any(low <= p < high for p in ours):
            gaps.append(Gap(low, high, offers))
    return gaps


DEFAULT_BAND_EDGES = [Decimal(x) for x in (0, 20, 50, 80, 100, 150, 200, 300, 500, 800, 1000, 2000, 5000)]


# --- recommendations ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the nightly recommendation knows about one SKU."""

    price: Decimal
    landed: Decimal
    floor: Decimal
    cover_days: Decimal | None  # stock / daily demand; None when there is no demand
    units_28d: int
    units_prev_28d: int
    lead_time_days: int
    competitor_prices: list[Decimal] = field(default_factory=list)
    promotion_soon: str = ""  # the name of a promotion starting soon, "" if none


@dataclass(frozen=True)
class Rules:
    markdown_cover_days: int = 90
    markdown_step: Decimal = Decimal("0.10")
    raise_step: Decimal = Decimal("0.05")
    competitor_gap: Decimal = Decimal("0.10")
    strong_growth: Decimal = Decimal("0.20")  # demand is strong when 28-day units grew by this much


@dataclass(frozen=True)
class Recommendation:
    action: str  # "markdown", "raise", "match", "hold"
    price: Decimal
    reason: str  # a key of REASONS
    figures: dict


def recommend(facts: Facts, rules: Rules) -> Recommendation:
    """The nightly rules, in order (the first that applies wins):

    1. a promotion starts soon -> hold (prices stay stable before a campaign);
    2. markdown: cover above `markdown_cover_days` and sales slowing (28-day units below the 28 days
       before) -> price x (1 - markdown_step), X9-rounded, never below the floor price;
    3. raise: cover under the lead time and demand strong (28-day units >= (1 + strong_growth) x the
       28 days before, and some sales) -> price x (1 + raise_step), X9-rounded;
    4. match: priced above the competitors' median by more than `competitor_gap` -> the median,
       X9-rounded, never below the floor price;
    5. hold.
    A markdown or match the floor stops entirely becomes a hold with that reason. Figures carry the
    numbers the reason quotes (as strings, for JSON).
    """
    minimum = floor_price(facts.landed, facts.floor)
    figures = {
        "price": str(facts.price),
        "floor_price": str(minimum),
        "floor": str(facts.floor),
        "cover_days": None if facts.cover_days is None else str(facts.cover_days),
        "units_28d": facts.units_28d,
        "units_prev_28d": facts.units_prev_28d,
        "lead_time_days": facts.lead_time_days,
    }
    band = competitor_band(facts.competitor_prices)
    if band:
        figures["competitor_median"] = str(band.median)
        figures["competitors"] = band.count
    if facts.promotion_soon:
        return Recommendation(
            "hold", facts.price, "promotion", {**figures, "promotion": facts.promotion_soon}
        )
    cover = facts.cover_days
    slowing = facts.units_28d < facts.units_prev_28d
    if cover is not None and cover > rules.markdown_cover_days and slowing:
        target = round_to_9(adjust(facts.price, -rules.markdown_step), minimum)
        figures["step"] = str(rules.markdown_step)
        if target >= facts.price:
            return Recommendation("hold", facts.price, "markdown_floor", figures)
        return Recommendation("markdown", target, "markdown", figures)
    strong = facts.units_28d > 0 and facts.units_28d >= facts.units_prev_28d * (1 + rules.strong_growth)
    if cover is not None and cover < facts.lead_time_days and strong:
        target = round_to_9(adjust(facts.price, rules.raise_step), minimum)
        if target <= facts.price:  # the rise rounded away: the next X9 price up (staff review the size)
            target = ceil_9(facts.price + CENT)
        figures["step"] = str(rules.raise_step)
        return Recommendation("raise", target, "raise", figures)
    if above_band(facts.price, band, rules.competitor_gap):
        target = round_to_9(band.median, minimum)
        figures["gap"] = str(rules.competitor_gap)
        if target >= facts.price:
            return Recommendation("hold", facts.price, "match_floor", figures)
        return Recommendation("match", target, "match", figures)
    return Recommendation("hold", facts.price, "hold", figures)
