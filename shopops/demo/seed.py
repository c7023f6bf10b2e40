"""Deterministic demo data: a Chinese multi-channel retailer of small appliances and cleaning products.

`seed_demo(scale=..., seed=..., end_date=...)` fills an empty database with two years of orders ending on
`end_date`, the catalogue, customers, warehouses, suppliers and stock. The same seed and end date give the
same data, row for row: nothing reads the wall clock except the default end date.

How it stays fast (1M orders in minutes): every column is generated with numpy in one go, primary keys are
assigned here (after the tables' current maximum), and rows are written with COPY on PostgreSQL or one
executemany per table inside a single transaction elsewhere (`writer.py`). Money is integer cents until it
is written as an exact "123.45" string; times are UTC epoch seconds.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.db import connection, models, transaction

from catalog.models import SKU, Category, Product
from inventory.models import (
    DemandDay,
    StockLevel,
    StockMovement,
    Supplier,
    SupplierSKU,
    UnmetDemand,
    Warehouse,
)
from marketing import models as marketing_models
from orders.models import (
    Channel,
    Customer,
    CustomerDayFact,
    Order,
    OrderAllocation,
    OrderDayFact,
    OrderEvent,
    OrderException,
    OrderLine,
    OrderSkuDayFact,
    WebhookDelivery,
)
from shopops.common import pii
from shopops.demo import reference as ref
from shopops.demo.finance import FINANCE_MODELS, finance_seed
from shopops.demo.marketing_campaigns import campaigns_seed
from shopops.demo.marketing_coupons import coupons_seed
from shopops.demo.marketing_customers import customers_seed
from shopops.demo.marketing_promotions import promotions_seed
from shopops.demo.pricing import PRICING_MODELS, pricing_seed
from shopops.demo.purchasing import PURCHASING_MODELS, purchasing_seed
from shopops.demo.service import SERVICE_MODELS, service_seed
from shopops.demo.writer import NULL_TS, Col, next_id, rows_write, sequences_reset

DAY = 86_400
HOUR = 3_600


@dataclass(frozen=True)
class Scale:
    skus: int
    orders: int
    suppliers: int
    lines_per_order: tuple[float, ...]  # probability of 1, 2, 3, ... lines


SCALES = {
    "tiny": Scale(skus=20, orders=2_000, suppliers=6, lines_per_order=(0.55, 0.30, 0.15)),
    "small": Scale(skus=300, orders=100_000, suppliers=12, lines_per_order=(0.55, 0.30, 0.15)),
    # Large averages 3 lines per order (up to 5), the shape the design's 1M-order / 3M-line benchmarks assume.
    "large": Scale(
        skus=10_000, orders=1_000_000, suppliers=40, lines_per_order=(0.15, 0.20, 0.30, 0.20, 0.15)
    ),
}

# The tables the seed fills, in an order that deletes children before parents.
# Marketing's rows, children before parents (the reset deletes in this order where it cannot TRUNCATE).
MARKETING_MODELS = [
    getattr(marketing_models, name)
    for name in (
        "ReferralReward",
        "ReferralAttribution",
        "ReferralCode",
        "PromotionResult",
        "Redemption",
        "FlashSaleClaim",
        "FlashSaleCustomerCount",
        "FlashSalePool",
        "PromotionCustomerUsage",
        "Coupon",
        "CouponBatch",
        "Promotion",
        "AdMetricDay",
        "Campaign",
        "PointsEntry",
        "CustomerRFM",
        "Membership",
        "MembershipTierRule",
        "MarketingSettings",
    )
]

SEEDED_MODELS = [
    *FINANCE_MODELS,
    *SERVICE_MODELS,
    *MARKETING_MODELS,
    *PRICING_MODELS,
    *PURCHASING_MODELS,
    WebhookDelivery,
    OrderException,
    OrderEvent,
    OrderAllocation,
    CustomerDayFact,
    OrderSkuDayFact,
    OrderDayFact,
    UnmetDemand,
    DemandDay,
    StockMovement,
    StockLevel,
    OrderLine,
    Order,
    Customer,
    SupplierSKU,
    Supplier,
    SKU,
    Product,
    Category,
    Warehouse,
    Channel,
]

ROLES = ["hero", "core", "long_tail", "new", "image"]
HERO, CORE, LONG_TAIL, NEW, IMAGE = range(5)
STATUSES = ["pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded"]
PENDING, PAID, SHIPPED, DELIVERED, CANCELLED, RETURNED, REFUNDED = range(7)
# What finally happens to an order (whether it has happened by the end date is decided later).
CANCEL_UNPAID, CANCEL_PAID, RETURN, REFUND, NORMAL = range(5)
OUTCOME_P = [0.03, 0.02, 0.02, 0.01, 0.92]


class DemoDataExists(Exception):
    """The database already holds shop data; seeding would mix demo rows into it."""


class DemoResetBlocked(Exception):
    """Rows outside the demo tables protect demo rows from deletion."""


# ---------------------------------------------------------------------------------------------------------
# Public entry points


def demo_data_present() -> bool:
    """True when any table the seed fills already has rows (orders above all)."""
    return any(model._base_manager.exists() for model in [Order, *SEEDED_MODELS])


def demo_data_reset() -> dict[str, int]:
    """Delete everything the seed fills: orders, lines, customers, stock and ledger, catalogue, rollups.

    Rows of other apps that point at these tables follow their foreign key's on_delete (cascade, set null);
    protected ones stop the reset. The stock ledger is append-only for the application; wiping it whole
    here, together with the stock levels it explains, is the one deliberate exception.
    """
    counts = {model._meta.label: model._base_manager.count() for model in SEEDED_MODELS}
    dependents = _external_dependents()
    with transaction.atomic():
        for fk in dependents:
            referring = fk.model._base_manager.filter(**{f"{fk.name}__isnull": False})
            on_delete = fk.remote_field.on_delete
            if on_delete is models.CASCADE:
                referring.delete()
            elif on_delete is models.SET_NULL:
                referring.update(**{fk.name: None})
            elif on_delete is not models.DO_NOTHING and referring.exists():
                raise DemoResetBlocked(
                    f"{fk.model._meta.label}.{fk.name} protects demo rows; delete those rows first."
                )
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not dependents:
                # TRUNCATE refuses while deferred foreign-key checks of this transaction are pending (rows
                # written earlier in it): run them now, then defer again (Django's constraints are deferred).
                tables = ", ".join(quote(m._meta.db_table) for m in SEEDED_MODELS)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {tables}")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for model in SEEDED_MODELS:
                    cursor.execute(f"DELETE FROM {quote(model._meta.db_table)}")  # noqa: S608 (model metadata)
    return counts


def default_end_date() -> date:
    """Yesterday in the shop's time zone (settings.TIME_ZONE): the seed's day runs to 23:59:59, so ending
    today would place orders in the future."""
    return datetime.now(ZoneInfo(settings.TIME_ZONE)).date() - timedelta(days=1)


def seed_demo(
    *, scale: str, seed: int, end_date: date | None = None, progress: Callable[[str], None] | None = None
) -> dict[str, int]:
    """Fill an empty database with demo data; return the number of rows created per table.

    `end_date` is the last day with orders (default: today in settings.TIME_ZONE). Raises DemoDataExists
    when the tables are not empty (reset them with `demo_data_reset()` first).
    """
    if scale not in SCALES:
        raise ValueError(f"Unknown scale {scale!r}; choose one of {', '.join(SCALES)}.")
    tz = ZoneInfo(settings.TIME_ZONE)
    if end_date is None:
        end_date = default_end_date()
    with transaction.atomic():
        if demo_data_present():
            raise DemoDataExists("The database already has shop data.")
        shop = _DemoShop(SCALES[scale], seed=seed, end_date=end_date, tz=tz, progress=progress)
        shop.generate()
        counts = shop.write()
        counts.update(pricing_seed(scale=scale, seed=seed, end_date=end_date, tz=tz))
        counts.update(purchasing_seed(scale=scale, seed=seed, end_date=end_date))
        # Marketing: promotions before their coupons (a coupon switches off a promotion's public code), then
        # campaigns and referrals (rewards are coupons), then membership, points and segments.
        for marketing_seed in (promotions_seed, coupons_seed, campaigns_seed, customers_seed):
            counts.update(marketing_seed(scale=scale, seed=seed, end_date=end_date))
        # Service last: its tickets, reviews, returns and surveys are about the orders above.
        service_counts = service_seed(scale=scale, seed=seed, end_date=end_date)
        counts["stock_movements"] += service_counts.pop("stock_movements")
        counts.update(service_counts)
        # Finance last: settlements, payments and the replayed forecasts and alerts read everything above
        # (its Double 11 stock-up POs are received through the stock ledger).
        movements = StockMovement.objects.count()
        counts.update(finance_seed(scale=scale, seed=seed, end_date=end_date))
        counts["stock_movements"] += StockMovement.objects.count() - movements
        return counts


def _external_dependents():
    """Foreign keys of models outside the seeded set that point at seeded tables."""
    seeded = set(SEEDED_MODELS)
    found = []
    for model in SEEDED_MODELS:
        for field in model._meta.get_fields(include_hidden=True):
            if (
                field.auto_created
                and not field.concrete
                and (field.one_to_many or field.one_to_one)
                and field.related_model not in seeded
            ):
                found.append(field.field)
    return found


# ---------------------------------------------------------------------------------------------------------
# Small helpers


def _x9(yuan: np.ndarray) -> np.ndarray:
    """Psychological prices ending in 9 (X9 定价): 29, 69, 129, 1099 …, in whole yuan."""
    yuan = np.asarray(yuan, dtype=float)
    tens = np.rint((yuan + 1) / 10) * 10 - 1
    hundreds = np.rint((yuan + 1) / 100) * 100 - 1
    return np.where(yuan >= 1000, hundreds, tens).astype(np.int64)


def _sample(rng: np.random.Generator, p: np.ndarray, size: int) -> np.ndarray:
    """Indices drawn with probabilities p (rows of a 2-D p: one row per draw)."""
    # Normalised so that the last cumulative value is exactly 1: zero weights are never drawn.
    if p.ndim == 1:
        cum = np.cumsum(p, dtype=float)
        cum /= cum[-1]
        return np.minimum(np.searchsorted(cum, rng.random(size), side="right"), len(p) - 1)
    cum = np.cumsum(p, axis=1, dtype=float)
    cum /= cum[:, -1:]
    u = rng.random(size)[:, None]
    return np.minimum((u >= cum).sum(axis=1), p.shape[1] - 1)


def _festival(d: date) -> tuple[float, str]:
    """Demand multiplier and campaign coupon code for one day of the promotion calendar."""
    factor, code = 1.0, ""
    y = d.year
    k = (d - date(y, 6, 18)).days  # 618: a ramp through June peaking on the 18th
    if -17 <= k <= -3:
        factor, code = 1.25 + 0.5 * (k + 17) / 14, "618"
    elif k in (-2, -1, 0, 1):
        factor, code = {-2: 2.2, -1: 2.8, 0: 4.0, 1: 1.4}[k], "618"
    elif k == 2:
        factor = 1.15
    k = (d - date(y, 11, 11)).days  # Double 11: pre-sale from ~20 Oct, first wave, the 11th itself
    if -22 <= k <= -12:
        factor, code = 1.3 + 0.2 * (k + 22) / 10, "DOUBLE11"
    elif -11 <= k <= -9:
        factor, code = 2.0, "DOUBLE11"
    elif -8 <= k <= -2:
        factor, code = 1.45, "DOUBLE11"
    elif k in (-1, 0, 1):
        factor, code = {-1: 2.3, 0: 6.0, 1: 1.7}[k], "DOUBLE11"
    elif k in (2, 3):
        factor = 1.3 if k == 2 else 1.15
    k = (d - date(y, 12, 12)).days  # Double 12: smaller
    if -4 <= k <= -1:
        factor, code = 1.2 + 0.1 * (k + 4), "DOUBLE12"
    elif k == 0:
        factor, code = 2.2, "DOUBLE12"
    if (d.month, d.day) in ((3, 7), (3, 8)):  # 女王节
        factor, code = (1.3 if d.day == 7 else 1.6), "QUEEN38"
    for cny_year in (y, y + 1):  # 年货节 before the Spring Festival, then the holiday lull
        cny = ref.SPRING_FESTIVAL.get(cny_year, date(cny_year, 2, 5))
        k = (d - cny).days
        if -30 <= k <= -10:
            factor, code = factor * (1.25 + 0.35 * (k + 30) / 20), "NIANHUO"
        elif -9 <= k <= -1:
            factor *= 1.0 - 0.04 * (k + 9)
        elif 0 <= k <= 6:
            factor *= 0.55
        elif 7 <= k <= 14:
            factor *= 0.75 + 0.03 * (k - 7)
    return factor, code


# ---------------------------------------------------------------------------------------------------------
# The generator


class _DemoShop:
    def __init__(
        self, scale: Scale, *, seed: int, end_date: date, tz: ZoneInfo, progress: Callable[[str], None] | None
    ):
        self.scale = scale
        self.end_date = end_date
        self.tz = tz
        self.progress = progress or (lambda message: None)
        self.started = time.monotonic()
        # One independent stream per part, so that changing one part does not reshuffle the others.
        names = ["catalog", "calendar", "customers", "lines", "money", "timeline", "stock", "suppliers"]
        self.rng = dict(zip(names, np.random.default_rng(seed).spawn(len(names)), strict=True))
        start = end_date - timedelta(days=2 * 365 - 1)  # two years of days, the end date included
        self.start_date = start
        self.days = [start + timedelta(days=i) for i in range((end_date - start).days + 1)]
        self.midnight = np.array(
            [datetime(d.year, d.month, d.day, tzinfo=tz).timestamp() for d in self.days], dtype=np.int64
        )
        self.t_end = int(
            datetime(end_date.year, end_date.month, end_date.day, 23, 59, 59, tzinfo=tz).timestamp()
        )
        self.t_catalog = int(self.midnight[0]) - 60 * DAY + 9 * HOUR

    def _tick(self, what: str):
        self.progress(f"{time.monotonic() - self.started:7.1f}s  {what}")

    def generate(self):
        self._catalog()
        self._tick("catalogue")
        self._orders()
        self._tick("orders")
        self._customers()
        self._tick("customers")
        self._lines()
        self._tick("order lines")
        self._money()
        self._tick("prices and totals")
        self._timeline()
        self._tick("statuses and timestamps")
        self._stock()
        self._tick("stock")
        self._suppliers()
        self._tick("suppliers")

    # -- catalogue ---------------------------------------------------------------------------------

    def _catalog(self):
        rng = self.rng["catalog"]
        n = self.scale.skus
        n_cat = len(ref.CATEGORIES)
        cat_weight = np.array([1.0, 1.2, 1.1, 0.9, 1.0, 0.8, 0.6, 0.7])
        products = []  # (category index, name, brand)
        sku_product, sku_name, sku_cat, sku_price, sku_weight = [], [], [], [], []
        series_counter: dict[tuple[int, int], int] = {}
        while len(sku_product) < n:
            p_index = len(products)
            cat = p_index if p_index < n_cat else int(_sample(rng, cat_weight, 1)[0])
            _code, _name, _consumable, types = ref.CATEGORIES[cat]
            t = int(rng.integers(len(types)))
            type_name, lo, hi, w_lo, w_hi, variant_kind = types[t]
            number = series_counter.get((cat, t), 0) + 1
            series_counter[(cat, t)] = number
            letter = ref.SERIES_LETTERS[(t + number) % len(ref.SERIES_LETTERS)]
            brand = ref.BRANDS[int(rng.integers(len(ref.BRANDS)))]
            name = f"{brand}{type_name} {letter}{number}"
            products.append((cat, name, brand))
            variants = ref.VARIANTS[variant_kind]
            k = int(_sample(rng, np.array([0.25, 0.35, 0.25, 0.15]), 1)[0]) + 1
            k = min(k, len(variants), n - len(sku_product))
            chosen = sorted(rng.choice(len(variants), size=k, replace=False).tolist())
            if variant_kind == "colour":
                chosen = rng.permutation(chosen).tolist()
            base = float(np.exp(rng.uniform(np.log(lo), np.log(hi * 0.8))))
            weight = rng.uniform(w_lo, w_hi)
            for v in chosen:
                label, price_mult, weight_mult = variants[v]
                sku_product.append(p_index)
                sku_name.append(f"{name} {label}")
                sku_cat.append(cat)
                sku_price.append(base * price_mult)
                sku_weight.append(weight * weight_mult)
        self.products = products
        self.sku_product = np.array(sku_product, dtype=np.int64)
        self.sku_name = sku_name
        self.sku_cat = np.array(sku_cat, dtype=np.int64)
        price_yuan = np.clip(_x9(np.array(sku_price)), 29, 1299)
        self.sku_price = price_yuan * 100
        self.sku_weight = np.rint(np.array(sku_weight) * 1000).astype(np.int64)  # grams = thousandths of kg
        self.sku_consumable = np.array([ref.CATEGORIES[c][2] for c in sku_cat])

        # Roles: the dearest one or two SKUs are image products; the rest share the range by the bands.
        n_image = 1 if n < 100 else 2
        n_hero, n_new, n_tail = round(0.17 * n), round(0.07 * n), round(0.24 * n)
        n_core = n - n_image - n_hero - n_new - n_tail
        role = np.empty(n, dtype=np.int64)
        by_price = np.lexsort((np.arange(n), -self.sku_price))
        role[by_price[:n_image]] = IMAGE
        rest = rng.permutation(by_price[n_image:])
        bounds = np.cumsum([n_hero, n_core, n_tail, n_new])
        role[rest[: bounds[0]]] = HERO
        role[rest[bounds[0] : bounds[1]]] = CORE
        role[rest[bounds[1] : bounds[2]]] = LONG_TAIL
        role[rest[bounds[2] :]] = NEW
        self.sku_role = role

        # Unit cost: gross margin mostly 40-65 %; some traffic items (and a few others) below the 40 % floor.
        margin = rng.uniform(0.40, 0.65, n)
        thin = ((role == HERO) & (rng.random(n) < 0.35)) | (rng.random(n) < 0.04)
        margin[thin] = rng.uniform(0.22, 0.39, int(thin.sum()))
        margin[role == IMAGE] = rng.uniform(0.55, 0.68, int((role == IMAGE).sum()))
        self.sku_cost = np.rint(self.sku_price * (1 - margin) / 10).astype(np.int64) * 10

        # Popularity: hero items sell far more than core, long tail rarely; new items only since launch.
        role_base = np.array([25.0, 4.0, 0.35, 2.0, 0.25])
        self.sku_popularity = role_base[role] * rng.lognormal(0.0, 0.7, n) * (self.sku_price / 20_000) ** -0.3
        n_days = len(self.days)
        self.sku_launch = np.zeros(n, dtype=np.int64)
        is_new = role == NEW
        self.sku_launch[is_new] = rng.integers(n_days - 120, n_days - 14, int(is_new.sum()))

    # -- orders: when and where --------------------------------------------------------------------

    def _orders(self):
        rng = self.rng["calendar"]
        n_days = len(self.days)
        festivals = [_festival(d) for d in self.days]
        self.day_code = np.array([code for _f, code in festivals])
        weekday = np.array([ref.WEEKDAY_FACTOR[d.weekday()] for d in self.days])
        trend = 1.0 + 0.35 * np.arange(n_days) / max(n_days - 1, 1)
        weight = trend * weekday * np.array([f for f, _code in festivals])
        counts = rng.multinomial(self.scale.orders, weight / weight.sum())
        day = np.repeat(np.arange(n_days), counts)
        n = len(day)
        peak_day = np.array([(d.month, d.day) in ((11, 11), (6, 18)) for d in self.days])
        hour = np.where(
            peak_day[day],
            _sample(rng, np.array(ref.PEAK_HOUR_PROFILE), n),
            _sample(rng, np.array(ref.HOUR_PROFILE), n),
        )
        placed = self.midnight[day] + hour * HOUR + rng.integers(0, HOUR, n)
        order = np.argsort(placed, kind="stable")
        self.o_day = day[order]
        self.o_placed = placed[order]

        # Channel mix drifts: Douyin grows, Tmall gives up a little; on average 30/20/20/15/10/5 %.
        t = np.arange(n_days) / max(n_days - 1, 1)
        base = np.array([c[7] for c in ref.CHANNELS])
        shift = np.outer(t - 0.5, np.array([-0.06, 0.0, 0.0, 0.08, 0.0, -0.02]))
        shares = np.clip(base + shift, 0.01, None)
        self.o_channel = _sample(rng, shares[self.o_day], n)

    # -- customers ---------------------------------------------------------------------------------

    def _customers(self):
        rng = self.rng["customers"]
        n = len(self.o_day)
        customer = np.empty(n, dtype=np.int64)
        customer_channel = []
        offset = 0
        for c in range(len(ref.CHANNELS)):
            idx = np.flatnonzero(self.o_channel == c)
            if not len(idx):
                continue
            # Orders per customer: heavy-tailed (most buy once, some 2-5 times, a few loyal ones many times).
            parts = []
            total = 0
            while total < len(idx):
                draw = np.floor((1.0 - rng.random(len(idx) // 2 + 16)) ** (-1 / 1.8)).astype(np.int64)
                draw = np.clip(draw, 1, 80)
                parts.append(draw)
                total += int(draw.sum())
            k = np.concatenate(parts)
            cum = np.cumsum(k)
            m = int(np.searchsorted(cum, len(idx))) + 1
            k = k[:m].copy()
            k[-1] -= int(cum[m - 1]) - len(idx)
            local = np.repeat(np.arange(m), k)
            rng.shuffle(local)
            customer[idx] = local + offset
            customer_channel.append(np.full(m, c))
            offset += m
        cust_channel = np.concatenate(customer_channel)
        # Number customers in the order of their first purchase.
        uniq, first = np.unique(customer, return_index=True)
        order = np.argsort(first, kind="stable")
        renumber = np.empty(offset, dtype=np.int64)
        renumber[uniq[order]] = np.arange(offset)
        self.o_customer = renumber[customer]
        self.c_channel = cust_channel[uniq[order]]
        self.c_first = self.o_placed[first[order]]
        last = np.zeros(offset, dtype=np.int64)
        np.maximum.at(last, self.o_customer, self.o_placed)
        self.c_last = last
        self.o_first = np.zeros(n, dtype=bool)
        self.o_first[first[order]] = True
        n_c = offset

        prov_w = np.array([p[1] * p[2] for p in ref.PROVINCES], dtype=float)
        self.c_province = _sample(rng, prov_w, n_c)
        sur_w = np.array([s[1] for s in ref.SURNAMES])
        surname = _sample(rng, sur_w, n_c)
        chars = ref.GIVEN_CHARS
        g1 = rng.integers(0, len(chars), n_c)
        g2 = np.where(rng.random(n_c) < 0.7, rng.integers(0, len(chars), n_c), -1)
        surnames = [s[0] for s in ref.SURNAMES]
        self.c_name = [
            surnames[s] + chars[a] + (chars[b] if b >= 0 else "")
            for s, a, b in zip(surname.tolist(), g1.tolist(), g2.tolist(), strict=True)
        ]
        prefix = np.array([13, 15, 18])[rng.integers(0, 3, n_c)]
        phone = (prefix * 10 + rng.integers(0, 10, n_c)) * 100_000_000 + rng.integers(0, 100_000_000, n_c)
        self.c_phone = list(map(str, phone.tolist()))
        # External ids: channel prefix + a unique scrambled number per channel.
        prefixes = ["tb", "jd_", "pdd", "dy", "wx_o", "shop"]
        local_index = np.zeros(n_c, dtype=np.int64)
        for c in range(len(ref.CHANNELS)):
            mask = self.c_channel == c
            local_index[mask] = np.arange(int(mask.sum()))
        primes = np.array([7_919, 7_927, 7_933, 7_937, 7_949, 7_951])  # coprime to 10**9: a bijection
        multiplier = primes[self.c_channel]
        scrambled = (
            (local_index * multiplier + 104_729 + self.c_channel * 15_485_863) % 1_000_000_000
        ).tolist()
        self.c_external = [
            f"{prefixes[c]}{s:09d}" for c, s in zip(self.c_channel.tolist(), scrambled, strict=True)
        ]
        shopify = [c[0] for c in ref.CHANNELS].index("shopify")
        self.c_email = [
            f"{e}@example.com" if c == shopify else ""
            for c, e in zip(self.c_channel.tolist(), self.c_external, strict=True)
        ]
        self.o_province = self.c_province[self.o_customer]

    # -- order lines -------------------------------------------------------------------------------

    def _lines(self):
        rng = self.rng["lines"]
        n_orders = len(self.o_day)
        n_sku = self.scale.skus
        n_lines = _sample(rng, np.array(self.scale.lines_per_order), n_orders) + 1
        l_order = np.repeat(np.arange(n_orders), n_lines)
        l_channel = self.o_channel[l_order]
        l_day = self.o_day[l_order]
        n = len(l_order)
        # Price-sensitive channels (Pinduoduo, Douyin) lean to cheaper items.
        elasticity = [0.0, 0.0, -0.5, -0.3, 0.0, 0.1]
        is_new = self.sku_role == NEW
        weights = []
        for c in range(len(ref.CHANNELS)):
            w = self.sku_popularity * (self.sku_price / 20_000) ** elasticity[c]
            weights.append((w, np.where(is_new, 0.0, w)))
        sku = np.empty(n, dtype=np.int64)
        for c in range(len(ref.CHANNELS)):
            mask = l_channel == c
            sku[mask] = _sample(rng, weights[c][0], int(mask.sum()))

        def resample(bad: np.ndarray):
            for c in range(len(ref.CHANNELS)):
                mask = bad & (l_channel == c)
                if mask.any():
                    sku[mask] = _sample(rng, weights[c][1], int(mask.sum()))

        resample(is_new[sku] & (l_day < self.sku_launch[sku]))  # not launched yet
        keep = np.ones(n, dtype=bool)
        for attempt in range(12):  # no SKU twice in one order
            key = l_order * n_sku + sku
            order = np.argsort(key, kind="stable")
            dup_sorted = np.zeros(n, dtype=bool)
            dup_sorted[1:] = key[order][1:] == key[order][:-1]
            dup = np.zeros(n, dtype=bool)
            dup[order] = dup_sorted
            if not dup.any():
                break
            if attempt == 11:
                keep = ~dup
            else:
                resample(dup)
        self.l_order = l_order[keep]
        self.l_sku = sku[keep]
        n = len(self.l_order)
        consumable = self.sku_consumable[self.l_sku]
        qty = (
            np.where(
                consumable,
                _sample(rng, np.array([0.70, 0.18, 0.07, 0.03, 0.02]), n),
                _sample(rng, np.array([0.88, 0.09, 0.02, 0.01]), n),
            )
            + 1
        )
        self.l_qty = qty.astype(np.int64)

    # -- money -------------------------------------------------------------------------------------

    def _money(self):
        rng = self.rng["money"]
        n_lines = len(self.l_order)
        n_orders = len(self.o_day)
        list_price = self.sku_price[self.l_sku]
        cost = self.sku_cost[self.l_sku]
        festival = self.day_code[self.o_day[self.l_order]] != ""
        # Promotion prices: frequent during campaigns, rare otherwise; never below cost, always ending in 9.
        promo = rng.random(n_lines) < np.where(festival, 0.35, 0.06)
        promo_price = _x9(list_price / 100 * rng.uniform(0.82, 0.92, n_lines)) * 100
        promo &= (promo_price < list_price) & (promo_price >= cost * 1.02) & (list_price > 3_900)
        price = np.where(promo, promo_price, list_price)
        gross = price * self.l_qty
        # Line discounts: a shop coupon of ¥5/10/20 on some lines, at most 20 % of the line.
        has_discount = (gross >= 9_900) & (rng.random(n_lines) < 0.08)
        amount = np.array([500, 1_000, 2_000])[rng.integers(0, 3, n_lines)]
        discount = np.where(has_discount, np.minimum(amount, (gross // 5) // 100 * 100), 0)
        self.l_price, self.l_discount, self.l_cost = price, discount, cost
        net = gross - discount
        subtotal = np.rint(np.bincount(self.l_order, weights=net, minlength=n_orders)).astype(np.int64)

        # Order discounts: campaign threshold coupons (满减), new-customer and everyday coupons.
        code_day = self.day_code[self.o_day]
        tier = np.select(
            [subtotal >= 99_900, subtotal >= 39_900, subtotal >= 19_900], [12_000, 5_000, 2_000], 0
        )
        u = rng.random(n_orders)
        use_fest = (code_day != "") & (tier > 0) & (u < 0.6)
        use_new = ~use_fest & self.o_first & (subtotal >= 5_900) & (u < 0.25)
        use_everyday = ~use_fest & ~use_new & (subtotal >= 19_900) & (rng.random(n_orders) < 0.10)
        order_discount = np.select([use_fest, use_new, use_everyday], [tier, 1_000, 1_500], 0)
        coupon = np.where(use_fest, code_day, np.where(use_new, "NEW10", np.where(use_everyday, "MJ199", "")))
        after = subtotal - order_discount

        # Shipping: free on most marketplaces; own store, JD, Shopify charge below a threshold; remote +¥10.
        codes = [c[0] for c in ref.CHANNELS]
        ch = self.o_channel
        ship = np.zeros(n_orders, dtype=np.int64)
        ship[(ch == codes.index("own_store")) & (after < 4_900)] = 800
        ship[(ch == codes.index("jd")) & (after < 4_900)] = 600
        ship[(ch == codes.index("shopify")) & (after < 9_900)] = 2_500
        remote = np.isin(
            self.o_province, [i for i, p in enumerate(ref.PROVINCES) if p[0] in ref.REMOTE_PROVINCES]
        )
        ship[remote & (ch != codes.index("pinduoduo"))] += 1_000
        tax = np.zeros(n_orders, dtype=np.int64)  # domestic retail prices include VAT
        self.o_subtotal = subtotal
        self.o_discount = order_discount
        self.o_coupon = coupon
        self.o_shipping = ship
        self.o_tax = tax
        self.o_total = after + ship + tax
        first_line = np.searchsorted(self.l_order, np.arange(n_orders))
        self.o_first_line_net = net[first_line]

        mix = np.array(ref.PAYMENT_MIX)
        self.o_payment = _sample(rng, mix[ch], n_orders)

    # -- statuses and timestamps -------------------------------------------------------------------

    def _timeline(self):
        rng = self.rng["timeline"]
        n = len(self.o_day)
        placed = self.o_placed
        t_end = self.t_end
        outcome = _sample(rng, np.array(OUTCOME_P), n)
        cod = self.o_payment == ref.PAYMENT_METHODS.index("cod")
        outcome[(outcome == CANCEL_PAID) & cod] = CANCEL_UNPAID
        u = rng.random(n)
        pay_delay = np.select(
            [u < 0.80, u < 0.95],
            [rng.integers(10, 300, n), rng.integers(300, 7_200, n)],
            rng.integers(7_200, 72_000, n),
        )
        pay = np.where(cod | (outcome == CANCEL_UNPAID), NULL_TS, placed + pay_delay)
        # Ship within hours (longer in campaign peaks); delivery time grows with distance from the warehouse.
        peak = np.isin(self.day_code[self.o_day], ["DOUBLE11", "618"]) & (rng.random(n) < 0.5)
        held = rng.random(n) < 0.03  # held for stock or an address check: ships days later
        ship_delay = (
            rng.integers(2 * HOUR, 30 * HOUR, n)
            + np.where(peak, rng.integers(0, 72 * HOUR, n), 0)
            + np.where(held, rng.integers(DAY, 5 * DAY, n), 0)
        )
        # Each province ships from the warehouse that serves it; days in transit grow with its rank there.
        province_days = np.empty(len(ref.PROVINCES))
        home = np.empty(len(ref.PROVINCES), dtype=np.int64)
        for p, (name, _pop, _w) in enumerate(ref.PROVINCES):
            w = next(i for i, wh in enumerate(ref.WAREHOUSES) if name in wh[4])
            rank = ref.WAREHOUSES[w][4].index(name)
            home[p] = w
            province_days[p] = (
                5.0 if name in ref.REMOTE_PROVINCES else (1.0, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5)[min(rank, 6)]
            )
        self.province_home = home
        deliver_delay = (province_days[self.o_province] * rng.uniform(0.7, 1.3, n) * DAY).astype(np.int64)
        ships = (outcome != CANCEL_UNPAID) & (outcome != CANCEL_PAID)
        shipped = np.where(ships, np.where(cod, placed, pay) + ship_delay, NULL_TS)
        delivered = np.where(ships, shipped + deliver_delay, NULL_TS)
        pay = np.where(cod & ships, delivered, pay)  # cash on delivery is paid when it arrives
        closed = np.select(
            [outcome == CANCEL_UNPAID, outcome == CANCEL_PAID, outcome == RETURN, outcome == REFUND],
            [
                placed + rng.integers(30 * 60, DAY, n),
                pay + rng.integers(600, 36_000, n),
                delivered + rng.integers(DAY, 7 * DAY, n),
                delivered + rng.integers(DAY // 2, 5 * DAY, n),
            ],
            NULL_TS,
        )
        # What has happened by the end of the end date.
        paid_ok = (pay != NULL_TS) & (pay <= t_end)
        shipped_ok = (shipped != NULL_TS) & (shipped <= t_end)
        delivered_ok = (delivered != NULL_TS) & (delivered <= t_end)
        closed_ok = (closed != NULL_TS) & (closed <= t_end)
        status = np.full(n, PENDING, dtype=np.int64)
        status[paid_ok] = PAID
        status[shipped_ok] = SHIPPED
        status[delivered_ok] = DELIVERED
        status[closed_ok & ((outcome == CANCEL_UNPAID) | (outcome == CANCEL_PAID))] = CANCELLED
        status[closed_ok & (outcome == RETURN)] = RETURNED
        status[closed_ok & (outcome == REFUND)] = REFUNDED
        self.o_paid = np.where(paid_ok, pay, NULL_TS)
        self.o_shipped = np.where(shipped_ok, shipped, NULL_TS)
        self.o_delivered = np.where(delivered_ok, delivered, NULL_TS)
        self.o_closed = np.where(closed_ok, closed, NULL_TS)
        self.o_status = status
        total = self.o_total
        partial_refund = np.rint(total * rng.uniform(0.1, 0.5, n)).astype(np.int64)
        full_return = rng.random(n) < 0.75
        refund = np.select(
            [status == RETURNED, status == REFUNDED, (status == CANCELLED) & (self.o_paid != NULL_TS)],
            [np.where(full_return, total, np.minimum(self.o_first_line_net, total)), partial_refund, total],
            0,
        )
        self.o_refund = refund
        self.o_updated = np.maximum.reduce(
            [placed, self.o_paid, self.o_shipped, self.o_delivered, self.o_closed]
        )

    # -- stock -------------------------------------------------------------------------------------

    def _stock(self):
        rng = self.rng["stock"]
        n_sku, n_wh = self.scale.skus, len(ref.WAREHOUSES)
        role = self.sku_role
        # Which warehouses stock what: hero and core everywhere, new items east and south, the rest east
        # (sometimes a second warehouse too).
        stocked = np.zeros((n_sku, n_wh), dtype=bool)
        stocked[(role == HERO) | (role == CORE)] = True
        stocked[role == NEW, 0:2] = True
        other = (role == LONG_TAIL) | (role == IMAGE)
        stocked[other, 0] = True
        extra = other & (rng.random(n_sku) < 0.3)
        stocked[extra, rng.integers(1, n_wh, n_sku)[extra]] = True
        fallback = np.array(ref.WAREHOUSE_FALLBACK)

        l_home = self.province_home[self.o_province[self.l_order]]
        route = np.full(len(self.l_order), -1, dtype=np.int64)
        for k in range(n_wh):
            cand = fallback[l_home, k]
            take = (route < 0) & stocked[self.l_sku, cand]
            route[take] = cand[take]
        self.l_route = route

        # Demand of the last 28 days, per SKU and warehouse, sizes the stock: a few weeks of cover.
        l_status = self.o_status[self.l_order]
        recent = (self.o_placed[self.l_order] > self.t_end - 28 * DAY) & (l_status != CANCELLED)
        demand = np.zeros((n_sku, n_wh))
        np.add.at(demand, (self.l_sku[recent], route[recent]), self.l_qty[recent])
        daily = demand / 28.0
        cover = np.clip(rng.lognormal(np.log(21), 0.35, n_sku), 7, 60)
        target = np.ceil(daily * cover[:, None]).astype(np.int64)
        slow = stocked & (target < 3)
        target[slow] += rng.integers(0, 9, int(slow.sum()))
        overstock = rng.random(n_sku) < 0.05
        target[overstock] = np.maximum(
            target[overstock] * rng.integers(5, 13, int(overstock.sum()))[:, None], 50
        )
        sold_90 = np.zeros(n_sku)
        window = self.o_placed[self.l_order] > self.t_end - 90 * DAY
        np.add.at(sold_90, self.l_sku[window], self.l_qty[window])
        dead = (sold_90 == 0) & (rng.random(n_sku) < 0.5)  # 呆滞: nothing sold for 90 days but stock left
        target[dead, 0] = rng.integers(20, 300, int(dead.sum()))
        out = (rng.random(n_sku) < 0.03) & (role != IMAGE)  # out of stock everywhere
        target[out] = 0
        local_out = rng.random((n_sku, n_wh)) < 0.05  # out of stock in one warehouse
        target[local_out] = 0
        target[~stocked] = 0

        # Open orders (pending or paid) hold reservations; the stock they reserve is still on hand.
        open_order = (l_status == PENDING) | (l_status == PAID)
        open_lines = np.flatnonzero(open_order)
        need = np.zeros((n_sku, n_wh), dtype=np.int64)
        np.add.at(need, (self.l_sku[open_lines], route[open_lines]), self.l_qty[open_lines])
        on_hand = target + need
        reserved = np.zeros((n_sku, n_wh), dtype=np.int64)

        # Reserve each open line, oldest order first, in the nearest warehouse that has the stock (only
        # what is available, never more).
        res_sku, res_wh, res_qty, res_line = [], [], [], []
        by_time = open_lines[np.lexsort((open_lines, self.o_placed[self.l_order[open_lines]]))]
        for line in by_time.tolist():
            s = int(self.l_sku[line])
            qty = int(self.l_qty[line])
            homes = fallback[int(l_home[line])]
            available = on_hand[s, homes] - reserved[s, homes]
            fits = np.flatnonzero(available >= qty)
            if len(fits):
                w = int(homes[fits[0]])
            else:
                best = int(np.argmax(available))
                if available[best] <= 0:
                    continue
                w, qty = int(homes[best]), int(available[best])
            reserved[s, w] += qty
            res_sku.append(s)
            res_wh.append(w)
            res_qty.append(qty)
            res_line.append(line)
        self.on_hand, self.reserved = on_hand, reserved
        self.res_sku = np.array(res_sku, dtype=np.int64)
        self.res_wh = np.array(res_wh, dtype=np.int64)
        self.res_qty = np.array(res_qty, dtype=np.int64)
        self.res_line = np.array(res_line, dtype=np.int64)
        res_at = self.o_placed[self.l_order[self.res_line]] if len(res_line) else np.zeros(0, dtype=np.int64)
        self.res_at = res_at
        first_open = int(res_at.min()) if len(res_at) else self.t_end
        self.t_opening = min(self.t_end - 3 * DAY, first_open - HOUR)

    # -- suppliers ---------------------------------------------------------------------------------

    def _suppliers(self):
        rng = self.rng["suppliers"]
        n_sup = self.scale.suppliers
        n_cat = len(ref.CATEGORIES)
        tiers = np.array(["strategic", "core", "backup"])[_sample(rng, np.array([0.2, 0.45, 0.35]), n_sup)]
        names, seen = [], set()
        for i in range(n_sup):
            cat = i % n_cat
            consumable = ref.CATEGORIES[cat][2]
            while True:
                town, trade = ref.SUPPLIER_TOWNS[int(rng.integers(len(ref.SUPPLIER_TOWNS)))]
                if consumable and trade not in ("日化", "日用品", "塑料制品", "家居", "塑胶"):
                    trade = "日化"
                w1, w2 = rng.choice(len(ref.SUPPLIER_WORDS), 2, replace=False).tolist()
                name = f"{town}{ref.SUPPLIER_WORDS[w1]}{ref.SUPPLIER_WORDS[w2]}{trade}有限公司"
                if name not in seen:
                    seen.add(name)
                    names.append(name)
                    break
        lead = np.select(
            [tiers == "strategic", tiers == "core"],
            [rng.integers(5, 13, n_sup), rng.integers(7, 21, n_sup)],
            rng.integers(12, 31, n_sup),
        )
        terms = np.select([tiers == "strategic", tiers == "core"], [60, 45], 30)
        terms = np.where(rng.random(n_sup) < 0.2, np.array([30, 45, 60])[rng.integers(0, 3, n_sup)], terms)
        covers = [{i % n_cat} for i in range(n_sup)]
        for i in range(n_sup):
            if rng.random() < 0.5:
                covers[i].add(int(rng.integers(n_cat)))
        self.sup_name, self.sup_tier, self.sup_lead, self.sup_terms = names, tiers, lead, terms

        ss_sup, ss_sku, ss_cost, ss_moq, ss_pack = [], [], [], [], []
        for s in range(self.scale.skus):
            cat = int(self.sku_cat[s])
            important = self.sku_role[s] in (HERO, CORE)
            p = [0.1, 0.4, 0.5] if important else [0.6, 0.35, 0.05]
            k = min(int(_sample(rng, np.array(p), 1)[0]) + 1, n_sup)
            candidates = [i for i in range(n_sup) if cat in covers[i]]
            others = [i for i in range(n_sup) if cat not in covers[i]]
            candidates = rng.permutation(candidates).tolist() + rng.permutation(others).tolist()
            price = int(self.sku_price[s])
            for j, sup in enumerate(candidates[:k]):
                cost = int(self.sku_cost[s])
                if j:
                    cost = int(round(cost * rng.uniform(0.95, 1.08)))
                ss_sup.append(sup)
                ss_sku.append(s)
                ss_cost.append(cost)
                moq_choices = [100, 200, 500] if price < 10_000 else [50, 100] if price < 50_000 else [20, 50]
                ss_moq.append(moq_choices[int(rng.integers(len(moq_choices)))])
                packs = [6, 12, 24] if self.sku_consumable[s] else [1, 2, 4]
                ss_pack.append(packs[int(rng.integers(len(packs)))])
        self.ss_sup = np.array(ss_sup, dtype=np.int64)
        self.ss_sku = np.array(ss_sku, dtype=np.int64)
        self.ss_cost = np.array(ss_cost, dtype=np.int64)
        self.ss_moq = np.array(ss_moq, dtype=np.int64)
        self.ss_pack = np.array(ss_pack, dtype=np.int64)

    # -- writing -----------------------------------------------------------------------------------

    def write(self) -> dict[str, int]:
        counts = {}
        t_cat = self.t_catalog

        def ids(model, n):
            start = next_id(model)
            return np.arange(start, start + n, dtype=np.int64)

        def stamp(value, n):
            return Col("ts", np.full(n, value, dtype=np.int64))

        # Channels
        n = len(ref.CHANNELS)
        channel_id = ids(Channel, n)
        counts["channels"] = rows_write(
            Channel,
            {
                "id": Col("int", channel_id),
                "created_at": stamp(t_cat, n),
                "updated_at": stamp(t_cat, n),
                "code": Col("str", [c[0] for c in ref.CHANNELS]),
                "name": Col("str", [c[1] for c in ref.CHANNELS]),
                "kind": Col("str", [c[2] for c in ref.CHANNELS]),
                "commission_rate": Col("str", [c[3] for c in ref.CHANNELS]),
                "payment_fee_rate": Col("str", [c[4] for c in ref.CHANNELS]),
                "settlement_days": Col("int", np.array([c[5] for c in ref.CHANNELS])),
                "currency": Col("str", [c[6] for c in ref.CHANNELS]),
                "webhook_secret": Col("const", ""),
                "active": Col("const", True),
            },
        )
        # Warehouses
        n = len(ref.WAREHOUSES)
        warehouse_id = ids(Warehouse, n)
        counts["warehouses"] = rows_write(
            Warehouse,
            {
                "id": Col("int", warehouse_id),
                "created_at": stamp(t_cat, n),
                "updated_at": stamp(t_cat, n),
                "code": Col("str", [w[0] for w in ref.WAREHOUSES]),
                "name": Col("str", [w[1] for w in ref.WAREHOUSES]),
                "region": Col("str", [w[2] for w in ref.WAREHOUSES]),
                "province": Col("str", [w[3] for w in ref.WAREHOUSES]),
                "provinces_served": Col(
                    "str", [json.dumps(w[4], ensure_ascii=False) for w in ref.WAREHOUSES]
                ),
                "active": Col("const", True),
            },
        )
        self._tick("written: channels, warehouses")
        # Categories, products, SKUs
        n = len(ref.CATEGORIES)
        category_id = ids(Category, n)
        counts["categories"] = rows_write(
            Category,
            {
                "id": Col("int", category_id),
                "created_at": stamp(t_cat, n),
                "updated_at": stamp(t_cat, n),
                "code": Col("str", [c[0] for c in ref.CATEGORIES]),
                "name": Col("str", [c[1] for c in ref.CATEGORIES]),
                "parent": Col("const", None),
            },
        )
        n = len(self.products)
        product_id = ids(Product, n)
        counts["products"] = rows_write(
            Product,
            {
                "id": Col("int", product_id),
                "created_at": stamp(t_cat, n),
                "updated_at": stamp(t_cat, n),
                "category": Col("int", category_id[[p[0] for p in self.products]]),
                "name": Col("str", [p[1] for p in self.products]),
                "brand": Col("str", [p[2] for p in self.products]),
                "active": Col("const", True),
            },
        )
        n = self.scale.skus
        sku_id = ids(SKU, n)
        width = max(4, len(str(n)))
        sku_created = np.where(
            self.sku_role == NEW,
            self.midnight[np.minimum(self.sku_launch, len(self.days) - 1)] + 10 * HOUR,
            t_cat,
        )
        counts["skus"] = rows_write(
            SKU,
            {
                "id": Col("int", sku_id),
                "created_at": Col("ts", sku_created),
                "updated_at": Col("ts", sku_created),
                "product": Col("int", product_id[self.sku_product]),
                "code": Col("str", [f"SKU-{i:0{width}d}" for i in range(1, n + 1)]),
                "name": Col("str", self.sku_name),
                "unit_cost": Col("money", self.sku_cost),
                "list_price": Col("money", self.sku_price),
                "weight_kg": Col("milli", self.sku_weight),
                "role": Col("str", [ROLES[r] for r in self.sku_role.tolist()]),
                "active": Col("const", True),
            },
        )
        self._tick("written: catalogue")
        # Suppliers
        n = self.scale.suppliers
        supplier_id = ids(Supplier, n)
        counts["suppliers"] = rows_write(
            Supplier,
            {
                "id": Col("int", supplier_id),
                "created_at": stamp(t_cat, n),
                "updated_at": stamp(t_cat, n),
                "code": Col("str", [f"sup-{i:03d}" for i in range(1, n + 1)]),
                "name": Col("str", self.sup_name),
                "tier": Col("str", self.sup_tier.tolist()),
                "lead_time_days": Col("int", self.sup_lead),
                "payment_terms_days": Col("int", self.sup_terms),
                "lead_time_spread_days": Col("const", "0.00"),
                "currency": Col("const", "CNY"),
                "qualified": Col("const", True),
                "active": Col("const", True),
            },
        )
        n = len(self.ss_sku)
        counts["supplier_skus"] = rows_write(
            SupplierSKU,
            {
                "id": Col("int", ids(SupplierSKU, n)),
                "supplier": Col("int", supplier_id[self.ss_sup]),
                "sku": Col("int", sku_id[self.ss_sku]),
                "unit_cost": Col("money", self.ss_cost),
                "min_order_qty": Col("int", self.ss_moq),
                "case_pack": Col("int", self.ss_pack),
            },
        )
        # Customers
        n = len(self.c_channel)
        customer_id = ids(Customer, n)
        counts["customers"] = rows_write(
            Customer,
            {
                "id": Col("int", customer_id),
                "created_at": Col("ts", self.c_first),
                "updated_at": Col("ts", self.c_last),
                "channel": Col("int", channel_id[self.c_channel]),
                "external_id": Col("str", self.c_external),
                # Personal data encrypted in Python before COPY, with its search hashes (shopops.common.pii).
                "name": Col("str", [pii.encrypt(v) for v in self.c_name]),
                "phone": Col("str", [pii.encrypt(v) for v in self.c_phone]),
                "email": Col("str", [pii.encrypt(v) for v in self.c_email]),
                "name_hash": Col("str", [pii.pii_hash("name", v) for v in self.c_name]),
                "phone_hash": Col("str", [pii.pii_hash("phone", v) for v in self.c_phone]),
                "email_hash": Col("str", [pii.pii_hash("email", v) for v in self.c_email]),
                "province": Col("str", np.array([p[0] for p in ref.PROVINCES])[self.c_province].tolist()),
                "first_order_at": Col("ts", self.c_first),
            },
        )
        self._tick("written: suppliers, customers")
        # Orders
        n = len(self.o_day)
        order_id = ids(Order, n)
        self.o_external = self._order_external_ids()
        counts["orders"] = rows_write(
            Order,
            {
                "id": Col("int", order_id),
                "created_at": Col("ts", self.o_placed),
                "updated_at": Col("ts", self.o_updated),
                "channel": Col("int", channel_id[self.o_channel]),
                "external_id": Col("str", self.o_external),
                "customer": Col("int", customer_id[self.o_customer]),
                "status": Col("str", np.array(STATUSES)[self.o_status].tolist()),
                "placed_at": Col("ts", self.o_placed),
                "source_updated_at": Col("ts", self.o_updated),
                "paid_at": Col("ts", self.o_paid),
                "shipped_at": Col("ts", self.o_shipped),
                "delivered_at": Col("ts", self.o_delivered),
                "closed_at": Col("ts", self.o_closed),
                "currency": Col("const", "CNY"),
                "payment_method": Col("str", np.array(ref.PAYMENT_METHODS)[self.o_payment].tolist()),
                "province": Col("str", np.array([p[0] for p in ref.PROVINCES])[self.o_province].tolist()),
                "shipping_fee": Col("money", self.o_shipping),
                "tax": Col("money", self.o_tax),
                "order_discount": Col("money", self.o_discount),
                "coupon_code": Col("str", self.o_coupon.tolist()),
                "total": Col("money", self.o_total),
                "total_shop": Col("money", self.o_total),  # every demo channel sells in CNY
                "exchange_rate": Col("const", "1"),
                "city": Col("const", ""),
                "address": Col("const", ""),
                "payload_hash": Col("const", ""),
                "refund_amount": Col("money", self.o_refund),
                "held_at": Col("const", None),
                "hold_reason": Col("const", ""),
            },
        )
        self._tick("written: orders")
        n = len(self.l_order)
        line_id = ids(OrderLine, n)
        self.line_id = line_id
        counts["order_lines"] = rows_write(
            OrderLine,
            {
                "id": Col("int", line_id),
                "order": Col("int", order_id[self.l_order]),
                "sku": Col("int", sku_id[self.l_sku]),
                "quantity": Col("int", self.l_qty),
                "unit_price": Col("money", self.l_price),
                "discount": Col("money", self.l_discount),
                "unit_cost": Col("money", self.l_cost),
                "backordered": Col("const", 0),
            },
        )
        self._tick("written: order lines")
        self._write_stock(counts, sku_id, warehouse_id)
        self._write_demand(counts, sku_id, warehouse_id)
        self._tick("written: stock")
        sequences_reset(
            [
                Channel,
                Warehouse,
                Category,
                Product,
                SKU,
                Supplier,
                SupplierSKU,
                Customer,
                Order,
                OrderLine,
                StockLevel,
                StockMovement,
                OrderAllocation,
                DemandDay,
            ]
        )
        return counts

    def _order_external_ids(self) -> list[str]:
        """Channel-style order numbers, unique per channel and increasing with time."""
        rng = self.rng["timeline"]
        n = len(self.o_day)
        out = np.empty(n, dtype=object)
        day_text = np.array([d.strftime("%Y%m%d") for d in self.days])
        for c, (code, *_rest) in enumerate(ref.CHANNELS):
            idx = np.flatnonzero(self.o_channel == c)
            seq = np.arange(len(idx), dtype=np.int64)
            if code in ("tmall", "douyin"):  # 19-digit numbers
                base = 3_712_000_000_000_000_000 if code == "tmall" else 6_931_000_000_000_000_000
                values = [str(v) for v in (base + seq * 1_000 + rng.integers(0, 1_000, len(idx))).tolist()]
            elif code == "jd":
                values = [
                    str(v) for v in (280_000_000_000 + seq * 100 + rng.integers(0, 100, len(idx))).tolist()
                ]
            elif code == "pinduoduo":
                num = (seq * 1_000 + rng.integers(0, 1_000, len(idx))).tolist()
                values = [
                    f"{d[2:]}-{v:015d}" for d, v in zip(day_text[self.o_day[idx]].tolist(), num, strict=True)
                ]
            elif code == "own_store":
                values = [
                    f"WX{d}{v:07d}"
                    for d, v in zip(day_text[self.o_day[idx]].tolist(), seq.tolist(), strict=True)
                ]
            else:
                values = [
                    str(v) for v in (5_810_000_000_000 + seq * 10 + rng.integers(0, 10, len(idx))).tolist()
                ]
            out[idx] = values
        return out.tolist()

    def _write_demand(self, counts, sku_id, warehouse_id):
        """Inventory's demand record for the generated history: each order line is demand on its order's
        day at the warehouse that served it; cancelled orders' lines are reserved and cancelled the day they
        were released. The nightly `demand_record_build` keeps it from the ledger afterwards."""
        n_sku, n_wh, n_days = self.scale.skus, len(ref.WAREHOUSES), len(self.days)
        routed = self.l_route >= 0
        key = (self.l_sku * n_wh + self.l_route) * n_days + self.o_day[self.l_order]
        key, qty = key[routed], self.l_qty[routed]
        order = self.l_order[routed]
        cancelled = self.o_status[order] == CANCELLED
        # Cancellations count on the day the reservation was released.
        cancel_day = np.searchsorted(self.midnight, self.o_closed[order[cancelled]], side="right") - 1
        cancel_key = (key[cancelled] - self.o_day[order[cancelled]]) + cancel_day
        size = n_sku * n_wh * n_days
        reserved = np.bincount(key, weights=qty, minlength=size).astype(np.int64)
        cancel = np.bincount(cancel_key, weights=qty[cancelled], minlength=size).astype(np.int64)
        keys = np.flatnonzero(reserved | cancel)
        day = keys % n_days
        sku_wh = keys // n_days
        day_text = np.array([d.isoformat() for d in self.days])
        n = len(keys)
        counts["demand_days"] = rows_write(
            DemandDay,
            {
                "id": Col("int", np.arange(next_id(DemandDay), next_id(DemandDay) + n, dtype=np.int64)),
                "sku": Col("int", sku_id[sku_wh // n_wh]),
                "warehouse": Col("int", warehouse_id[sku_wh % n_wh]),
                "day": Col("str", day_text[day].tolist()),
                "reserved": Col("int", reserved[keys]),
                "cancelled": Col("int", cancel[keys]),
                "unmet": Col("const", 0),
                "closing_available": Col("const", 1),
                "stockout": Col("const", False),
            },
        )

    def _write_stock(self, counts, sku_id, warehouse_id):
        n_sku, n_wh = self.on_hand.shape
        start = next_id(StockLevel)
        level_id = np.arange(start, start + n_sku * n_wh, dtype=np.int64)
        level_sku = np.repeat(np.arange(n_sku), n_wh)
        level_wh = np.tile(np.arange(n_wh), n_sku)
        on_hand = self.on_hand.reshape(-1)
        reserved = self.reserved.reshape(-1)
        if (reserved > on_hand).any() or (on_hand < 0).any():
            raise AssertionError("Generated stock breaks reserved <= on_hand.")
        # Ledger: opening balances, then the closed orders placed since the opening (reserved when placed,
        # then shipped or released), then one reservation per open order line. The opening holds what
        # those orders shipped, so the levels end where they are.
        channel_codes = [c[0] for c in ref.CHANNELS]
        l_status = self.o_status[self.l_order]
        since = np.flatnonzero(
            (self.o_placed[self.l_order] >= self.t_opening)
            & (l_status != PENDING)
            & (l_status != PAID)
            & (self.l_route >= 0)
        )
        since_shipped = since[self.o_shipped[self.l_order[since]] != NULL_TS]
        since_released = since[
            (self.o_shipped[self.l_order[since]] == NULL_TS) & (l_status[since] == CANCELLED)
        ]
        opening = on_hand.copy()
        np.add.at(
            opening, self.l_sku[since_shipped] * n_wh + self.l_route[since_shipped], self.l_qty[since_shipped]
        )
        has_stock = np.flatnonzero(opening > 0)
        n_open, n_res = len(has_stock), len(self.res_sku)
        later = [since, since_shipped, since_released]
        mv_sku = np.concatenate([level_sku[has_stock], *(self.l_sku[x] for x in later), self.res_sku])
        mv_wh = np.concatenate([level_wh[has_stock], *(self.l_route[x] for x in later), self.res_wh])
        mv_at = np.concatenate(
            [
                np.full(n_open, self.t_opening, dtype=np.int64),
                self.o_placed[self.l_order[since]],
                self.o_shipped[self.l_order[since_shipped]],
                self.o_closed[self.l_order[since_released]],
                self.res_at,
            ]
        )
        zeros = np.zeros
        mv_on_hand = np.concatenate(
            [
                opening[has_stock],
                zeros(len(since), dtype=np.int64),
                -self.l_qty[since_shipped],
                zeros(len(since_released) + n_res, dtype=np.int64),
            ]
        )
        mv_reserved = np.concatenate(
            [
                zeros(n_open, dtype=np.int64),
                self.l_qty[since],
                -self.l_qty[since_shipped],
                -self.l_qty[since_released],
                self.res_qty,
            ]
        )
        later_orders = np.concatenate([self.l_order[x] for x in later]).tolist()
        res_orders = self.l_order[self.res_line].tolist()
        references = ["opening balance"] * n_open + [
            f"order {channel_codes[self.o_channel[o]]}:{self.o_external[o]}"
            for o in later_orders + res_orders
        ]
        kinds = (
            ["receipt"] * n_open
            + ["reservation"] * len(since)
            + ["shipment"] * len(since_shipped)
            + ["release"] * len(since_released)
            + ["reservation"] * n_res
        )
        reasons = ["demo data"] * n_open + [""] * (len(later_orders) + n_res)
        updated = np.full(n_sku * n_wh, self.t_opening, dtype=np.int64)
        np.maximum.at(updated, self.res_sku * n_wh + self.res_wh, self.res_at)
        counts["stock_levels"] = rows_write(
            StockLevel,
            {
                "id": Col("int", level_id),
                "sku": Col("int", sku_id[level_sku]),
                "warehouse": Col("int", warehouse_id[level_wh]),
                "on_hand": Col("int", on_hand),
                "reserved": Col("int", reserved),
                "updated_at": Col("ts", updated),
            },
        )
        n = len(mv_sku)
        start = next_id(StockMovement)
        counts["stock_movements"] = rows_write(
            StockMovement,
            {
                "id": Col("int", np.arange(start, start + n, dtype=np.int64)),
                "sku": Col("int", sku_id[mv_sku]),
                "warehouse": Col("int", warehouse_id[mv_wh]),
                "kind": Col("str", kinds),
                "on_hand_delta": Col("int", mv_on_hand),
                "reserved_delta": Col("int", mv_reserved),
                "reference": Col("str", references),
                "reason": Col("str", reasons),
                "created_at": Col("ts", mv_at),
                "created_by": Col("const", None),
            },
        )
        # The orders' side of the same reservations: which line holds how many units where.
        counts["order_allocations"] = rows_write(
            OrderAllocation,
            {
                "id": Col(
                    "int",
                    np.arange(next_id(OrderAllocation), next_id(OrderAllocation) + n_res, dtype=np.int64),
                ),
                "line": Col("int", self.line_id[self.res_line]),
                "warehouse": Col("int", warehouse_id[self.res_wh]),
                "quantity": Col("int", self.res_qty),
                "state": Col("const", "reserved"),
                "updated_at": Col("ts", self.res_at),
            },
        )
