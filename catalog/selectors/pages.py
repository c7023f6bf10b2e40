"""Reads for the catalogue's three main pages: the pricing overview, the catalogue list and the SKU page.

Margins and floors of many SKUs are computed in the database (one query, sortable and filterable on 10k
SKUs); the figures of one SKU come from `catalog.pricing` so that they match the floor guard to the cent.
The SQL follows the same definitions as `catalog.pricing`:

- landed cost = unit cost + inbound + packaging (a bundle: the sum of its components' landed cost x qty);
- the floor = a loss leader's own floor while it lasts, else the category's (or a parent category's)
  override, else the shop-wide setting;
- below the floor = price <= 0 or (price - landed) < floor x price, compared exactly (in whole cents and
  basis points, so that SQLite's floating point cannot misjudge a price sitting exactly on the floor).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf, Round
from django.db.models.lookups import LessThan, LessThanOrEqual
from django.utils import timezone

from catalog import pricing
from catalog.models import (
    SKU,
    BundleComponent,
    CategoryCommission,
    ChannelPrice,
    CompetitorPrice,
    PriceChange,
    PriceRecommendation,
    PricingSettings,
)
from catalog.services import costs_of, floor_of

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
FRACTION_FIELD = DecimalField(max_digits=5, decimal_places=4)
ZERO_MONEY = Value(Decimal("0.00"), output_field=MONEY_FIELD)
COMPETITOR_DAYS = 30  # competitor offers older than this are not "latest"

# The catalogue list's sortable columns: `sort` parameter -> the annotation it orders by.
SKU_SORTS = {
    "code": "code",
    "price": "shown_price",
    "margin": "margin_sort",
    "sales": "units_28d",
    "cover": "cover_days",
}
MARGIN_OK, MARGIN_BELOW = "ok", "below"


# --- margins and floors in SQL ------------------------------------------------------------------------


BUNDLES_INLINE = 500  # up to this many bundles, their landed costs go into the SQL as constants


def _landed_expression(prefix: str = "", bundles: dict[int, Decimal] | None = None):
    """Landed cost of the SKU at `prefix` ("" for a SKU queryset, "sku__" for rows pointing at a SKU).

    A bundle's comes from its components. With few bundles (the usual case) their landed costs, read
    first in one query, enter the SQL as constants: a correlated sum per row would make PostgreSQL cost
    every row of the list as a sub-query (and compile the query with JIT)."""
    own = (
        F(f"{prefix}unit_cost")
        + Coalesce(F(f"{prefix}costs__inbound_cost"), ZERO_MONEY)
        + Coalesce(F(f"{prefix}costs__packaging_cost"), ZERO_MONEY)
    )
    bundles = bundle_landed_map() if bundles is None else bundles
    key = f"{prefix}id" if prefix else "pk"
    if not bundles:  # no bundle at all
        return ExpressionWrapper(own, output_field=MONEY_FIELD)
    if len(bundles) <= BUNDLES_INLINE:
        return Case(
            *[
                When(Q(**{key: pk}), then=Value(landed, output_field=MONEY_FIELD))
                for pk, landed in bundles.items()
            ],
            default=own,
            output_field=MONEY_FIELD,
        )
    components = (
        BundleComponent.objects.filter(bundle_id=OuterRef(key))
        .order_by()
        .values("bundle_id")
        .annotate(
            total=Sum(
                (
                    F("component__unit_cost")
                    + Coalesce(F("component__costs__inbound_cost"), ZERO_MONEY)
                    + Coalesce(F("component__costs__packaging_cost"), ZERO_MONEY)
                )
                * F("quantity"),
                output_field=MONEY_FIELD,
            )
        )
        .values("total")
    )
    return Coalesce(Subquery(components, output_field=MONEY_FIELD), own, output_field=MONEY_FIELD)


def bundle_landed_map() -> dict[int, Decimal]:
    """bundle SKU id -> its landed cost: the sum of its components' landed cost x quantity."""
    landed: dict[int, Decimal] = defaultdict(lambda: Decimal("0.00"))
    rows = BundleComponent.objects.values_list(
        "bundle_id",
        "quantity",
        "component__unit_cost",
        "component__costs__inbound_cost",
        "component__costs__packaging_cost",
    )
    for bundle_id, quantity, unit_cost, inbound, packaging in rows:
        landed[bundle_id] += (unit_cost + (inbound or 0) + (packaging or 0)) * quantity
    return dict(landed)


def _floor_expressions(prefix: str, *, setting: Decimal, today: date):
    """(floor value, floor source) of the SKU at `prefix`, as SQL expressions."""
    category = f"{prefix}product__category__"
    levels = [f"{category}pricing__margin_floor", f"{category}parent__pricing__margin_floor"]
    levels.append(f"{category}parent__parent__pricing__margin_floor")
    loss_leader = Q(**{f"{prefix}costs__loss_leader": True, f"{prefix}costs__loss_leader_until__gte": today})
    has_category = Q()
    for level in levels:
        has_category |= Q(**{f"{level}__isnull": False})
    value = Case(
        When(loss_leader, then=F(f"{prefix}costs__loss_leader_floor")),
        default=Coalesce(*[F(level) for level in levels], Value(setting, output_field=FRACTION_FIELD)),
        output_field=FRACTION_FIELD,
    )
    source = Case(
        When(loss_leader, then=Value("loss_leader")),
        When(has_category, then=Value("category")),
        default=Value("setting"),
        output_field=CharField(),
    )
    return value, source


def _margin_annotate(
    qs: QuerySet, *, prefix: str, price, settings: PricingSettings, today: date, bundles=None
) -> QuerySet:
    """Add shown_price, landed_cost, floor_value, floor_source, below_floor and margin_sort."""
    floor_value, floor_source = _floor_expressions(prefix, setting=settings.margin_floor, today=today)
    qs = qs.annotate(
        shown_price=price,
        landed_cost=_landed_expression(prefix, bundles),
        floor_value=floor_value,
        floor_source=floor_source,
    )
    price_cents = Round(F("shown_price") * 100)
    profit_cents = price_cents - Round(F("landed_cost") * 100)
    floor_bp = Round(F("floor_value") * 10000)
    return qs.annotate(
        below_floor=Case(
            When(LessThanOrEqual(F("shown_price"), 0), then=Value(True)),
            When(LessThan(profit_cents * 10000, floor_bp * price_cents), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        margin_sort=(
            Cast(F("shown_price") - F("landed_cost"), FloatField())
            / Cast(NullIf(F("shown_price"), 0), FloatField())
        ),
    )


def _with_channel_price(qs: QuerySet[SKU], channel: str) -> tuple[QuerySet[SKU], object]:
    """The queryset joined to the SKU's price on `channel` (one row at most: unique per SKU and channel),
    and the expression of the price shown: that price, else the list price."""
    if not channel:
        return qs, F("list_price")
    qs = qs.annotate(
        on_channel=FilteredRelation("channel_prices", condition=Q(channel_prices__channel=channel))
    )
    return qs, Coalesce(F("on_channel__price"), F("list_price"), output_field=MONEY_FIELD)


def sku_margin_list(
    *,
    category: str = "",
    role: str = "",
    channel: str = "",
    margin: str = "",
    active: bool | None = None,
    search: str = "",
    ordering: str = "code",
    today: date | None = None,
    settings: PricingSettings | None = None,
) -> QuerySet[SKU]:
    """The catalogue list: SKUs with their price on `channel` (its channel price, else the list price),
    landed cost, gross margin (margin_sort, a float for ordering), floor and floor status, 28-day units
    and days of cover, all computed in one query. `margin` is "ok" or "below" (the floor);
    `ordering` is a key of SKU_SORTS, "-" for descending; SKUs without figures sort last."""
    settings = settings or PricingSettings.current()
    today = today or timezone.localdate()
    qs = SKU.objects.select_related("product__category")
    if category:
        qs = qs.filter(Q(product__category__code=category) | Q(product__category__parent__code=category))
    if role:
        qs = qs.filter(role=role)
    if active is not None:
        qs = qs.filter(active=active)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    qs, price = _with_channel_price(qs, channel)
    qs = _margin_annotate(qs, prefix="", price=price, settings=settings, today=today)
    qs = qs.annotate(units_28d=Coalesce(F("stats__units_28d"), 0), cover_days=F("stats__cover_days"))
    if margin == MARGIN_BELOW:
        qs = qs.filter(below_floor=True)
    elif margin == MARGIN_OK:
        qs = qs.filter(below_floor=False)
    key = ordering.lstrip("-")
    field = F(SKU_SORTS.get(key, "code"))
    order = field.desc(nulls_last=True) if ordering.startswith("-") else field.asc(nulls_last=True)
    return qs.order_by(order, "id")


def margin_of(row) -> Decimal | None:
    """The exact gross margin of a row of `sku_margin_list` (margin_sort is only for ordering)."""
    return pricing.gross_margin(pricing.money(row.shown_price), pricing.money(row.landed_cost))


def margin_row_tidy(row):
    """Put a row's computed figures to their places (SQLite returns computed decimals unrounded, e.g.
    0.300000000000000 for a 30 % floor) and add `margin`, the exact gross margin."""
    row.shown_price = pricing.money(row.shown_price)
    row.landed_cost = pricing.money(row.landed_cost)
    row.floor_value = pricing.fraction(row.floor_value)
    row.margin = pricing.gross_margin(row.shown_price, row.landed_cost)
    return row


# --- the pricing overview -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Breach:
    sku: SKU
    channel: str  # "" = the list price
    price: Decimal
    landed: Decimal
    margin: Decimal | None
    floor: Decimal
    floor_source: str
    floor_price: Decimal


@dataclass(frozen=True)
class Breaches:
    rows: list[Breach]  # the lowest margins first, at most `limit`
    count: int  # prices below the floor (a SKU may break it at its list price and on channels)
    sku_count: int  # SKUs with at least one such price


def floor_breaches_get(
    *,
    channels: list[str],
    limit: int | None = None,
    today: date | None = None,
    settings: PricingSettings | None = None,
) -> Breaches:
    """Active SKUs whose list price, or price on one of `channels` (the active channels' codes), is below
    their margin floor today: the `limit` lowest margins (all when None) and how many there are."""
    settings = settings or PricingSettings.current()
    today = today or timezone.localdate()
    bundles = bundle_landed_map()
    skus = _margin_annotate(
        SKU.objects.filter(active=True).select_related("product__category"),
        prefix="",
        price=F("list_price"),
        settings=settings,
        today=today,
        bundles=bundles,
    ).filter(below_floor=True)
    by_channel = _margin_annotate(
        ChannelPrice.objects.filter(sku__active=True, channel__in=channels).select_related(
            "sku__product__category"
        ),
        prefix="sku__",
        price=F("price"),
        settings=settings,
        today=today,
        bundles=bundles,
    ).filter(below_floor=True)
    # One pass over each table finds every breach; only the lowest `limit` of each are then read in full.
    sku_rows = [(pk, pk, margin) for pk, margin in skus.values_list("pk", "margin_sort")]
    channel_rows = list(by_channel.values_list("pk", "sku_id", "margin_sort"))
    sku_ids = [sku_id for _pk, sku_id, _m in sku_rows]
    channel_sku_ids = [sku_id for _pk, sku_id, _m in channel_rows]
    if limit is not None:

        def lowest(found):
            return [
                row[0] for row in heapq.nsmallest(limit, found, key=lambda r: (r[2] is not None, r[2] or 0))
            ]

        skus = skus.filter(pk__in=lowest(sku_rows))
        by_channel = by_channel.filter(pk__in=lowest(channel_rows))
    rows = [(sku, "", margin_row_tidy(sku)) for sku in skus]
    rows += [(cp.sku, cp.channel, margin_row_tidy(cp)) for cp in by_channel]
    breaches = [
        Breach(
            sku=sku,
            channel=channel,
            price=row.shown_price,
            landed=row.landed_cost,
            margin=row.margin,
            floor=row.floor_value,
            floor_source=row.floor_source,
            floor_price=pricing.floor_price(row.landed_cost, row.floor_value),
        )
        for sku, channel, row in rows
    ]
    breaches.sort(key=lambda b: (b.margin if b.margin is not None else Decimal("-99"), b.sku.code, b.channel))
    return Breaches(
        rows=breaches[:limit] if limit is not None else breaches,
        count=len(sku_ids) + len(channel_sku_ids),
        sku_count=len(set(sku_ids) | set(channel_sku_ids)),
    )


def floor_override_list(*, limit: int = 10) -> QuerySet[PriceChange]:
    """The latest price changes that were let through below the margin floor."""
    return PriceChange.objects.filter(floor_override=True).select_related("sku", "changed_by")[:limit]


@dataclass(frozen=True)
class RangeMix:
    rows: list[pricing.MixRow]
    count: int
    revenue: Decimal

    @property
    def flagged(self) -> int:
        return sum(1 for r in self.rows if r.count_flag or r.revenue_flag)


def range_mix_get() -> RangeMix:
    """The active range's mix by role, by SKU count and by 90-day revenue, against pricing.ROLE_BANDS."""
    rows = [
        (role, revenue)
        for role, revenue in SKU.objects.filter(active=True)
        .annotate(revenue=Coalesce(F("stats__revenue_90d"), ZERO_MONEY))
        .values_list("role", "revenue")
    ]
    mix = pricing.range_mix(rows, list(SKU.Role.values))
    return RangeMix(rows=mix, count=len(rows), revenue=sum((r for _, r in rows), Decimal("0.00")))


def recommendation_waiting_count(*, today: date | None = None) -> int:
    today = today or timezone.localdate()
    return PriceRecommendation.objects.filter(
        status=PriceRecommendation.Status.PENDING, expires_on__gte=today
    ).count()


class Offer(NamedTuple):
    sku_id: int
    competitor: str
    channel: str
    price: Decimal
    seen_at: datetime


@dataclass(frozen=True)
class SKURef:
    id: int
    code: str
    name: str


def competitor_latest(
    *, sku_ids=None, now: datetime | None = None, prices_only: bool = False
) -> dict[int, list[Offer]]:
    """sku id -> each competitor's latest offer seen in the last COMPETITOR_DAYS days (newest first).
    `prices_only` skips reading channel and time (channel "", seen_at None): 30k offers load 4x faster."""
    now = now or timezone.now()
    qs = CompetitorPrice.objects.filter(seen_at__gte=now - timedelta(days=COMPETITOR_DAYS), seen_at__lte=now)
    if sku_ids is not None:
        qs = qs.filter(sku_id__in=sku_ids)
    qs = qs.order_by("sku_id", "competitor", "-seen_at", "-id")
    if connection.vendor == "postgresql":
        qs = qs.distinct("sku_id", "competitor")
    latest: dict[int, list[Offer]] = defaultdict(list)
    seen = set()
    if prices_only:
        rows = (
            (pk, who, "", price, None) for pk, who, price in qs.values_list("sku_id", "competitor", "price")
        )
    else:
        rows = qs.values_list("sku_id", "competitor", "channel", "price", "seen_at")
    for row in rows:
        key = row[:2]
        if key in seen:
            continue
        seen.add(key)
        latest[row[0]].append(Offer(*row))
    if not prices_only:
        for offers in latest.values():
            offers.sort(key=lambda o: o.seen_at, reverse=True)
    return dict(latest)


@dataclass(frozen=True)
class CompetitorAlert:
    sku: SKURef
    price: Decimal
    band: pricing.Band
    gap: Decimal  # our price over the median, as a fraction


def competitor_alert_list(
    *, now: datetime | None = None, settings: PricingSettings | None = None
) -> tuple[list[CompetitorAlert], list[pricing.Gap]]:
    """(SKUs priced above the competitors' median by more than the alert gap, widest gap first;
    price bands where competitors sell and we have no active product)."""
    settings = settings or PricingSettings.current()
    latest = competitor_latest(now=now, prices_only=True)
    skus = SKU.objects.filter(active=True).values_list("id", "code", "name", "list_price")
    alerts, ours = [], []
    for pk, code, name, price in skus.iterator(chunk_size=10000):
        ours.append(price)
        offers = latest.get(pk)
        if not offers:
            continue
        band = pricing.competitor_band([o.price for o in offers])
        if pricing.above_band(price, band, settings.competitor_gap):
            gap = pricing.fraction(price / band.median - 1)
            alerts.append(CompetitorAlert(sku=SKURef(pk, code, name), price=price, band=band, gap=gap))
    alerts.sort(key=lambda a: (-a.gap, a.sku.code))
    theirs = [o.price for offers in latest.values() for o in offers]
    gaps = pricing.price_band_gaps(ours, theirs, pricing.DEFAULT_BAND_EDGES)
    return alerts, gaps


# --- the SKU page -------------------------------------------------------------------------------------


def sku_page_get(*, code: str) -> SKU:
    """The SKU with everything its page shows at a glance (raises SKU.DoesNotExist)."""
    return SKU.objects.select_related(
        "product__category__parent__parent", "product__category__pricing", "costs"
    ).get(code=code)


def _category_chain(sku: SKU) -> list[int]:
    ids, category = [], sku.product.category
    while category is not None:
        ids.append(category.pk)
        category = category.parent
    return ids


def commission_rates(sku: SKU, channels) -> dict[str, Decimal]:
    """channel code -> the commission the SKU pays there: its category's override (the nearest category
    up the tree that has one), else the channel's own rate."""
    chain = _category_chain(sku)
    overrides = {}
    for row in CategoryCommission.objects.filter(category_id__in=chain):
        overrides.setdefault(row.channel, {})[row.category_id] = row.rate
    rates = {}
    for channel in channels:
        mine = overrides.get(channel.code, {})
        rate = next((mine[c] for c in chain if c in mine), None)
        rates[channel.code] = channel.commission_rate if rate is None else rate
    return rates


@dataclass(frozen=True)
class ChannelMargin:
    channel: str  # "" = the list price with no channel costs
    channel_name: str
    price: Decimal
    has_own_price: bool
    commission_rate: Decimal
    commission_overridden: bool
    payment_fee_rate: Decimal
    breakdown: pricing.Breakdown
    breach: bool


@dataclass(frozen=True)
class SKUPricing:
    costs: pricing.Costs
    landed: Decimal  # a bundle's: its components'
    floor: pricing.Floor
    floor_price: Decimal
    base: pricing.Breakdown  # the list price, channel-less
    channels: list[ChannelMargin]


def sku_pricing_get(
    sku: SKU, *, channels, today: date | None = None, settings: PricingSettings | None = None
) -> SKUPricing:
    """The SKU's cost build-up at its list price and on every one of `channels` (objects with code, name,
    commission_rate, payment_fee_rate), with its margin floor."""
    settings = settings or PricingSettings.current()
    costs = costs_of(sku, settings)
    components = list(BundleComponent.objects.filter(bundle=sku).select_related("component__costs"))
    if components:  # a bundle's purchase cost is its components' landed cost
        landed = pricing.bundle_landed(
            [pricing.Component(costs_of(c.component, settings).landed, c.quantity) for c in components]
        )
        costs = pricing.Costs(purchase=landed, shipping=costs.shipping, marketing_rate=costs.marketing_rate)
    floor = floor_of(sku, today=today, settings=settings)
    own_prices = dict(ChannelPrice.objects.filter(sku=sku).values_list("channel", "price"))
    rates = commission_rates(sku, channels)
    rows = []
    for channel in channels:
        price = own_prices.get(channel.code, sku.list_price)
        b = pricing.breakdown(
            price,
            costs,
            pricing.ChannelRates(channel.code, rates[channel.code], channel.payment_fee_rate),
        )
        rows.append(
            ChannelMargin(
                channel=channel.code,
                channel_name=channel.name,
                price=b.price,
                has_own_price=channel.code in own_prices,
                commission_rate=rates[channel.code],
                commission_overridden=rates[channel.code] != channel.commission_rate,
                payment_fee_rate=channel.payment_fee_rate,
                breakdown=b,
                breach=pricing.breaks_floor(b.price, costs.landed, floor.value),
            )
        )
    return SKUPricing(
        costs=costs,
        landed=costs.landed,
        floor=floor,
        floor_price=pricing.floor_price(costs.landed, floor.value),
        base=pricing.breakdown(sku.list_price, costs),
        channels=rows,
    )


def sku_price_change_list(*, sku: SKU) -> QuerySet[PriceChange]:
    """The SKU's audit, newest first."""
    return PriceChange.objects.filter(sku=sku).select_related("changed_by").order_by("-changed_at", "-id")


def sku_price_history(*, sku: SKU, now: datetime | None = None) -> dict[str, list[tuple[datetime, Decimal]]]:
    """Step series of the list price and the unit cost over time, from the audit: a point where each
    value started and one at `now` with today's value. Without changes, a flat line from the SKU's
    creation."""
    now = now or timezone.now()
    changes = list(
        PriceChange.objects.filter(
            sku=sku, field__in=[PriceChange.Field.LIST_PRICE, PriceChange.Field.UNIT_COST], channel=""
        )
        .order_by("changed_at", "id")
        .values_list("field", "changed_at", "old_value", "new_value")
    )
    series = {}
    for name, current in (("list_price", sku.list_price), ("unit_cost", sku.unit_cost)):
        mine = [c for c in changes if c[0] == name]
        start = min([sku.created_at, *[c[1] for c in mine]])
        points = []
        if mine:
            if mine[0][2] is not None:
                points.append((start, mine[0][2]))
            points.extend((at, new) for _, at, _, new in mine)
        else:
            points.append((start, current))
        points.append((max(now, points[-1][0]), current))
        series[name] = points
    return series


@dataclass(frozen=True)
class CompetitorView:
    band: pricing.Band | None
    our_price: Decimal
    above: bool  # above the median by more than the alert gap
    offers: list[Offer]  # each competitor's latest offer (the band's input)
    recent: list[CompetitorPrice]  # the latest offers as recorded


def sku_competitors_get(
    *, sku: SKU, now: datetime | None = None, settings: PricingSettings | None = None
) -> CompetitorView:
    settings = settings or PricingSettings.current()
    offers = competitor_latest(sku_ids=[sku.pk], now=now).get(sku.pk, [])
    band = pricing.competitor_band([o.price for o in offers])
    recent = list(CompetitorPrice.objects.filter(sku=sku).order_by("-seen_at", "-id")[:10])
    return CompetitorView(
        band=band,
        our_price=sku.list_price,
        above=pricing.above_band(sku.list_price, band, settings.competitor_gap),
        offers=offers,
        recent=recent,
    )


@dataclass(frozen=True)
class BundleLine:
    component: SKU
    quantity: int
    landed: Decimal
    available: int

    @property
    def total(self) -> Decimal:
        return self.landed * self.quantity


@dataclass(frozen=True)
class BundleView:
    lines: list[BundleLine]
    landed: Decimal
    available: int


def sku_bundle_get(*, sku: SKU, available_of, settings: PricingSettings | None = None) -> BundleView | None:
    """The bundle's components, its landed cost and how many bundles their stock makes; None when the SKU
    is not a bundle. `available_of(sku_id)` gives a component's available stock."""
    settings = settings or PricingSettings.current()
    components = list(
        BundleComponent.objects.filter(bundle=sku)
        .select_related("component__costs")
        .order_by("component__code")
    )
    if not components:
        return None
    lines = [
        BundleLine(
            component=c.component,
            quantity=c.quantity,
            landed=costs_of(c.component, settings).landed,
            available=available_of(c.component_id),
        )
        for c in components
    ]
    parts = [pricing.Component(line.landed, line.quantity, line.available) for line in lines]
    return BundleView(
        lines=lines, landed=pricing.bundle_landed(parts), available=pricing.bundle_available(parts)
    )


def sku_recommendation_list(*, sku: SKU, limit: int = 5) -> list[PriceRecommendation]:
    return list(
        PriceRecommendation.objects.filter(sku=sku)
        .select_related("decided_by")
        .order_by("-business_date", "-id")[:limit]
    )


def sku_in_bundles(*, sku: SKU) -> QuerySet[BundleComponent]:
    """The bundles this SKU is a component of."""
    return BundleComponent.objects.filter(component=sku).select_related("bundle").order_by("bundle__code")


__all__ = [
    "MARGIN_BELOW",
    "MARGIN_OK",
    "Offer",
    "SKURef",
    "SKU_SORTS",
    "Breach",
    "BundleView",
    "ChannelMargin",
    "CompetitorAlert",
    "CompetitorView",
    "RangeMix",
    "SKUPricing",
    "commission_rates",
    "competitor_alert_list",
    "competitor_latest",
    "Breaches",
    "floor_breaches_get",
    "floor_override_list",
    "margin_of",
    "margin_row_tidy",
    "range_mix_get",
    "recommendation_waiting_count",
    "sku_bundle_get",
    "sku_competitors_get",
    "sku_in_bundles",
    "sku_margin_list",
    "sku_page_get",
    "sku_price_change_list",
    "sku_price_history",
    "sku_pricing_get",
    "sku_recommendation_list",
]
