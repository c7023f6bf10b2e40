"""Demo data for the pricing pages, written after the catalogue, orders and stock (`pricing_seed`).

Per SKU: extra costs (inbound logistics, packaging, outbound shipping by weight and price), a price history
(PriceChange rows, source "seed") that ends at today's list price, and for some SKUs channel prices, member
tier prices and competitor offers (three competitors, 30 % of SKUs, some cheaper, some dearer). Shop-wide:
a channel adjustment per channel, a few category commission overrides, one category floor override, two
loss leaders, and (scales small and large) three bundles. SKUs under the margin floor come from the
catalogue itself (thin-margin traffic items) and from the extra costs pushing a few 40-42 % items under.

Deterministic by seed (its own random stream, so the rest of the demo does not change), columns computed
with numpy and written with COPY / executemany like the rest of the seed: 10k SKUs take about a second.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from catalog import pricing
from catalog.models import (
    SKU,
    BundleComponent,
    Category,
    CategoryCommission,
    CategoryPricing,
    ChannelAdjustment,
    ChannelPrice,
    CompetitorPrice,
    MemberTierPrice,
    PriceChange,
    PriceRecommendation,
    Product,
    SKUCost,
    SKUStats,
)
from shopops.demo import reference as ref
from shopops.demo.writer import Col, next_id, rows_write, sequences_reset

# What the reset deletes first (children of SKUs and categories; the seed's own tables follow).
PRICING_MODELS = [
    PriceRecommendation,
    SKUStats,
    CompetitorPrice,
    PriceChange,
    BundleComponent,
    MemberTierPrice,
    ChannelPrice,
    ChannelAdjustment,
    SKUCost,
    CategoryCommission,
    CategoryPricing,
]

DAY = 86_400
COMPETITORS = [("优品电器旗舰店", "tmall"), ("净家生活专营店", "jd"), ("极简家居官方店", "pinduoduo")]
# channel -> (adjustment, round to 9)
ADJUSTMENTS = {
    "tmall": ("0.0000", True),
    "jd": ("0.0000", True),
    "pinduoduo": ("-0.0500", True),
    "douyin": ("0.0300", True),
    "own_store": ("-0.0200", False),
    "shopify": ("0.1500", True),
}
# (category code, channel, rate): category deals replacing the channel's own commission
COMMISSIONS = [
    ("cleaning-appliances", "tmall", "0.0400"),
    ("personal-care", "douyin", "0.1500"),
    ("kitchen-appliances", "jd", "0.0600"),
    ("cleaning-supplies", "douyin", "0.0800"),
]
FLOOR_OVERRIDE = ("cleaning-appliances", "0.3500")  # big-ticket and fought over: a lower floor
LOSS_LEADERS = [
    ("爆款引流：带动同系列主力款与耗材销售", 45),
    ("618 预热引流款，限时保本价", 20),
]
PRICE_REASONS = [
    "季度调价",
    "采购成本上涨，调整售价",
    "跟随竞品价格",
    "大促结束，恢复日常价",
    "新品期结束，正式定价",
]
COST_REASONS = ["供应商年度调价", "原材料上涨"]
# bundles: (name of the kit, main product type, component type, quantity of the component)
BUNDLES = [
    ("清洁套装", "电动牙刷", "电动牙刷替换刷头", 3),
    ("全屋清洁组合", "扫地机器人", "扫地机边刷滚刷套装", 2),
    ("口腔护理组合", "冲牙器", "冲牙器喷头", 3),
]


def _x9_cents(cents: np.ndarray) -> np.ndarray:
    """Nearest whole-yuan price ending in 9 (X99 from ¥1,000), in cents; at least ¥9."""
    yuan = np.asarray(cents, dtype=float) / 100
    tens = np.rint((yuan + 1) / 10) * 10 - 1
    hundreds = np.rint((yuan + 1) / 100) * 100 - 1
    return (np.maximum(np.where(yuan >= 1000, hundreds, tens), 9) * 100).astype(np.int64)


def _cents(values) -> np.ndarray:
    return np.array([int(v * 100) for v in values], dtype=np.int64)


def _money(cents: int) -> Decimal:
    return Decimal(int(cents)) / 100


def pricing_seed(*, scale: str, seed: int, end_date: date, tz: ZoneInfo) -> dict[str, int]:
    """Write the pricing demo data for the SKUs already seeded; returns row counts per table."""
    rng = np.random.default_rng([seed, 20_404])
    counts: dict[str, int] = {}
    rows = list(
        SKU.objects.order_by("id").values_list(
            "id", "unit_cost", "list_price", "weight_kg", "role", "product__category_id", "name", "created_at"
        )
    )
    if not rows:
        return counts
    sku_id = np.array([r[0] for r in rows], dtype=np.int64)
    cost = _cents(r[1] for r in rows)
    price = _cents(r[2] for r in rows)
    weight = np.array([float(r[3]) for r in rows])
    role = np.array([r[4] for r in rows])
    created = np.array([int(r[7].timestamp()) for r in rows], dtype=np.int64)
    n = len(rows)
    end_ts = int(datetime(end_date.year, end_date.month, end_date.day, 18, tzinfo=tz).timestamp())
    category_ids = dict(Category.objects.values_list("code", "id"))

    # -- shop-wide settings: channel adjustments, category commissions, one category floor ------------
    ChannelAdjustment.objects.bulk_create(
        ChannelAdjustment(
            channel=code,
            percent=Decimal(ADJUSTMENTS.get(code, ("0", True))[0]),
            round_to_9=ADJUSTMENTS.get(code, ("0", True))[1],
        )
        for code, *_rest in ref.CHANNELS
    )
    counts["channel_adjustments"] = len(ref.CHANNELS)
    commissions = [
        CategoryCommission(category_id=category_ids[c], channel=ch, rate=Decimal(rate))
        for c, ch, rate in COMMISSIONS
        if c in category_ids
    ]
    CategoryCommission.objects.bulk_create(commissions)
    counts["category_commissions"] = len(commissions)
    floors = []
    if FLOOR_OVERRIDE[0] in category_ids:
        floors.append(
            CategoryPricing(
                category_id=category_ids[FLOOR_OVERRIDE[0]], margin_floor=Decimal(FLOOR_OVERRIDE[1])
            )
        )
    CategoryPricing.objects.bulk_create(floors)
    counts["category_floors"] = len(floors)

    # -- bundles (new SKUs made of existing ones; not at tiny scale, whose catalogue tests count) -----
    bundle_rows = _bundles(scale, rows, cost, price) if scale != "tiny" else []
    counts["bundles"] = len(bundle_rows)

    # -- extra costs per SKU -----------------------------------------------------------------------
    inbound = np.rint(cost * 0.01 + weight * 30).astype(np.int64)  # 1 % of cost + ¥0.30 per kg
    packaging = np.rint(50 + price * 0.003 + weight * 10).astype(np.int64)
    shipping = 600 + np.maximum(np.ceil(weight) - 1, 0).astype(np.int64) * 200
    marketing = np.full(n, None, dtype=object)
    marketing[(role == "hero") & (rng.random(n) < 0.3)] = "0.0800"
    marketing[role == "image"] = "0.1000"
    landed = cost + inbound + packaging
    margin = (price - landed) / price
    # Loss leaders: the two hero SKUs with the thinnest margins, each with its reason and end date.
    leader = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    until = np.full(n, None, dtype=object)
    heroes = np.flatnonzero(role == "hero")
    for (text, days), index in zip(
        LOSS_LEADERS, heroes[np.argsort(margin[heroes], kind="stable")][:2], strict=False
    ):
        leader[index], reason[index] = True, text
        until[index] = (end_date + timedelta(days=days)).isoformat()
    start = next_id(SKUCost)
    since = np.maximum(created, end_ts - 400 * DAY)
    counts["sku_costs"] = rows_write(
        SKUCost,
        {
            "id": Col("int", np.arange(start, start + n, dtype=np.int64)),
            "created_at": Col("ts", since),
            "updated_at": Col("ts", since),
            "sku": Col("int", sku_id),
            "inbound_cost": Col("money", inbound),
            "packaging_cost": Col("money", packaging),
            "shipping_cost": Col("money", shipping),
            "marketing_rate": Col("str", marketing.tolist()),
            "loss_leader": Col("bool", leader),
            "loss_leader_floor": Col("str", np.where(leader, "0.0500", "0.0000").tolist()),
            "loss_leader_reason": Col("str", reason.tolist()),
            "loss_leader_until": Col("str", until.tolist()),
        },
    )

    # -- price history: the last changes of each SKU's list price (and some purchase costs) ----------
    counts["price_changes"] = _history(rng, sku_id, cost, price, landed, role, created, end_ts)

    # -- channel prices and member tier prices -------------------------------------------------------
    channel_rows = []
    for code, share in (("pinduoduo", 0.08), ("douyin", 0.05)):
        percent, rounding = ADJUSTMENTS[code]
        for i in np.flatnonzero(rng.random(n) < share).tolist():
            value = pricing.channel_price(_money(price[i]), Decimal(percent), rounding)
            channel_rows.append(ChannelPrice(sku_id=int(sku_id[i]), channel=code, price=value))
    ChannelPrice.objects.bulk_create(channel_rows, batch_size=2000)
    counts["channel_prices"] = len(channel_rows)
    tier_rows = []
    members = np.flatnonzero(np.isin(role, ["hero", "core"]) & (rng.random(n) < 0.12)).tolist()
    for i in members:
        for tier, discount in (("gold", "0.05"), ("platinum", "0.08")):
            value = pricing.tier_price(_money(price[i]), Decimal(discount))
            tier_rows.append(MemberTierPrice(sku_id=int(sku_id[i]), tier=tier, price=value))
    MemberTierPrice.objects.bulk_create(tier_rows, batch_size=2000)
    counts["tier_prices"] = len(tier_rows)

    # -- competitor offers: 30 % of SKUs, three competitors, three sightings over two months ---------
    counts["competitor_prices"] = _competitors(rng, sku_id, price, end_ts)
    sequences_reset([SKUCost, PriceChange, CompetitorPrice])
    return counts


def _history(rng, sku_id, cost, price, landed, role, created, end_ts) -> int:
    n = len(sku_id)
    k = rng.choice(4, size=n, p=[0.35, 0.35, 0.2, 0.1])
    k[role == "new"] = 0  # new products keep their launch price
    field, olds, news, margins, reasons, at, skus = [], [], [], [], [], [], []
    factors = np.array([0.9, 0.95, 1.05, 1.1, 1.15])
    for i in np.flatnonzero(k).tolist():
        days = np.sort(rng.choice(np.arange(7, 330), size=int(k[i]), replace=False))[::-1]  # oldest first
        values = [int(price[i])]
        for _ in range(int(k[i])):
            values.append(int(_x9_cents(np.array([values[-1] * factors[rng.integers(5)]]))[0]))
        values.reverse()  # oldest price first; the last is today's list price
        for step, d in enumerate(days.tolist()):
            old, new = values[step], values[step + 1]
            if old == new:
                continue
            t = max(end_ts - d * DAY + int(rng.integers(-8, 3)) * 3600, int(created[i]) + DAY)
            skus.append(sku_id[i])
            field.append("list_price")
            olds.append(old)
            news.append(new)
            margins.append(f"{(new - landed[i]) / new:.4f}")
            reasons.append(PRICE_REASONS[int(rng.integers(len(PRICE_REASONS)))])
            at.append(t)
    for i in np.flatnonzero(rng.random(n) < 0.1).tolist():  # purchase cost rose once
        old = int(np.rint(cost[i] * 0.95 / 10) * 10)
        if old == cost[i]:
            continue
        skus.append(sku_id[i])
        field.append("unit_cost")
        olds.append(old)
        news.append(int(cost[i]))
        margins.append(f"{(price[i] - landed[i]) / price[i]:.4f}")
        reasons.append(COST_REASONS[int(rng.integers(len(COST_REASONS)))])
        at.append(max(end_ts - int(rng.integers(20, 200)) * DAY, int(created[i]) + DAY))
    m = len(skus)
    start = next_id(PriceChange)
    return rows_write(
        PriceChange,
        {
            "id": Col("int", np.arange(start, start + m, dtype=np.int64)),
            "sku": Col("int", np.array(skus, dtype=np.int64)),
            "field": Col("str", field),
            "channel": Col("const", ""),
            "tier": Col("const", ""),
            "old_value": Col("money", np.array(olds, dtype=np.int64)),
            "new_value": Col("money", np.array(news, dtype=np.int64)),
            "reason": Col("str", reasons),
            "floor_override": Col("const", False),
            "margin": Col("str", margins),
            "source": Col("const", "seed"),
            "changed_by": Col("const", None),
            "changed_at": Col("ts", np.array(at, dtype=np.int64)),
        },
    )


def _competitors(rng, sku_id, price, end_ts) -> int:
    n = len(sku_id)
    chosen = np.flatnonzero(rng.random(n) < 0.3)
    # Where the competitors sit: half close to us, a quarter clearly cheaper (match), a quarter dearer.
    kind = rng.choice(3, size=len(chosen), p=[0.5, 0.25, 0.25])
    low = np.array([0.93, 0.72, 1.04])[kind]
    high = np.array([1.07, 0.86, 1.2])[kind]
    base = rng.uniform(low, high)
    skus, names, channels, prices, seen = [], [], [], [], []
    for j, i in enumerate(chosen.tolist()):
        for c, (name, channel) in enumerate(COMPETITORS):
            if rng.random() > 0.85:
                continue
            level = base[j] * rng.uniform(0.96, 1.04)
            for days_ago, drift in ((55, 1.04), (28, 1.02), (2, 1.0)):
                value = int(_x9_cents(np.array([price[i] * level * drift]))[0])
                skus.append(sku_id[i])
                names.append(name)
                channels.append(channel)
                prices.append(value)
                seen.append(end_ts - days_ago * DAY - c * 3600 - int(rng.integers(0, 3600)))
    m = len(skus)
    start = next_id(CompetitorPrice)
    return rows_write(
        CompetitorPrice,
        {
            "id": Col("int", np.arange(start, start + m, dtype=np.int64)),
            "sku": Col("int", np.array(skus, dtype=np.int64)),
            "competitor": Col("str", names),
            "channel": Col("str", channels),
            "price": Col("money", np.array(prices, dtype=np.int64)),
            "seen_at": Col("ts", np.array(seen, dtype=np.int64)),
            "source": Col("const", "seed"),
            "created_at": Col("ts", np.array(seen, dtype=np.int64)),
        },
    )


def _bundles(scale, rows, cost, price) -> list[int]:
    """Up to three kits: a main product with a few of its consumables, priced at ~90 % of the parts."""
    made = []
    for number, (kit, main_type, part_type, quantity) in enumerate(BUNDLES, start=1):
        main = next(
            (
                j
                for j, r in enumerate(rows)
                if main_type in r[6] and "替换" not in r[6] and "喷头" not in r[6] and "套装" not in r[6]
            ),
            None,
        )
        part = next((j for j, r in enumerate(rows) if part_type in r[6]), None)
        if main is None or part is None:
            continue
        total = int(price[main] + quantity * price[part])
        value = int(_x9_cents(np.array([total * 0.9]))[0])
        main_sku = SKU.objects.select_related("product").get(pk=rows[main][0])
        product = Product.objects.create(
            category_id=main_sku.product.category_id,
            name=f"{main_sku.product.name} {kit}",
            brand=main_sku.product.brand,
        )
        bundle = SKU.objects.create(
            product=product,
            code=f"BND-{number:03d}",
            name=f"{main_sku.name} {kit}（含{quantity}个{part_type}）",
            unit_cost=_money(cost[main] + quantity * cost[part]),
            list_price=_money(value),
            weight_kg=main_sku.weight_kg + quantity * rows[part][3],
            role=SKU.Role.CORE,
        )
        BundleComponent.objects.bulk_create(
            [
                BundleComponent(bundle=bundle, component_id=rows[main][0], quantity=1),
                BundleComponent(bundle=bundle, component_id=rows[part][0], quantity=quantity),
            ]
        )
        made.append(bundle.pk)
    return made
