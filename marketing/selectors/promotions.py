"""Reads for promotions: the lists the API and pages show, and what a quote reads per cart.

The quote service (``marketing.services.quote``) keeps the promotions themselves cached in process;
per cart it reads only what depends on the cart and the customer, each in one query and only when
a promotion that can touch the cart needs it: SKU prices and floors, the customer's membership tier,
usage counts, flash-sale remainders, coupons and gift costs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_CEILING, Decimal

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils import timezone

from catalog.models import Category, CategoryPricing, PricingSettings
from marketing.models import Coupon, Promotion, Redemption

__all__ = [
    "PROMOTION_STATUSES",
    "QuoteSKU",
    "coupons_get",
    "CartRead",
    "CategoryInfo",
    "QuoteNeeds",
    "category_tree_get",
    "quote_sku",
    "gift_costs_get",
    "promotion_fingerprint",
    "promotion_get",
    "promotion_has_coupons",
    "promotion_list",
    "promotion_status",
    "promotions_for_index",
    "quote_cart_read",
    "quote_needs_get",
    "quote_skus_get",
]

CENT = Decimal("0.01")
PROMOTION_STATUSES = ("live", "upcoming", "ended", "draft")


# ---------------------------------------------------------------------------------------------
# Lists
# ---------------------------------------------------------------------------------------------
def promotion_status(promotion: Promotion, *, now: datetime | None = None) -> str:
    """ "draft" (inactive), "upcoming" (starts later), "ended" (ends_at passed) or "live"."""
    now = now or timezone.now()
    if not promotion.active:
        return "draft"
    if promotion.ends_at is not None and promotion.ends_at <= now:
        return "ended"
    if promotion.starts_at is not None and promotion.starts_at > now:
        return "upcoming"
    return "live"


def promotion_list(
    *,
    status: str = "",
    kind: str = "",
    search: str = "",
    coupon_required: bool | None = None,
    active_at: datetime | None = None,
    now: datetime | None = None,
) -> QuerySet[Promotion]:
    """Promotions, newest start first then code. ``status``: live / upcoming / ended / draft (see
    ``promotion_status``); ``kind``: a Promotion.Kind; ``search``: in code or name (case-insensitive);
    ``active_at``: active promotions whose window contains that instant."""
    now = now or timezone.now()
    qs = Promotion.objects.all()
    if status == "draft":
        qs = qs.filter(active=False)
    elif status == "ended":
        qs = qs.filter(active=True, ends_at__lte=now)
    elif status == "upcoming":
        qs = qs.filter(active=True, starts_at__gt=now).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    elif status == "live":
        qs = qs.filter(active=True).filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
        qs = qs.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    if kind:
        qs = qs.filter(kind=kind)
    if search:
        qs = qs.filter(Q(code__icontains=search) | Q(name__icontains=search))
    if coupon_required is not None:
        qs = qs.filter(coupon_required=coupon_required)
    if active_at is not None:
        qs = qs.filter(active=True).filter(Q(starts_at__isnull=True) | Q(starts_at__lte=active_at))
        qs = qs.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=active_at))
    return qs.order_by("-starts_at", "code", "id")


def promotion_get(*, code: str) -> Promotion:
    """The promotion with this code (exact, else case-insensitive); raises Promotion.DoesNotExist."""
    promotion = Promotion.objects.filter(code=code).first()
    if promotion is None:
        promotion = Promotion.objects.get(code__iexact=code)
    return promotion


# ---------------------------------------------------------------------------------------------
# What the cached index is built from
# ---------------------------------------------------------------------------------------------
_FINGERPRINT = """
    SELECT COUNT(*), MAX(updated_at), MAX(id),
           (SELECT margin_floor FROM catalog_pricingsettings ORDER BY id LIMIT 1),
           (SELECT MAX(updated_at) FROM catalog_category),
           (SELECT COUNT(*) FROM catalog_category),
           (SELECT MAX(updated_at) FROM catalog_categorypricing),
           (SELECT COUNT(*) FROM catalog_categorypricing)
    FROM marketing_promotion
"""
FINGERPRINT_WIDTH = 8


def promotion_fingerprint() -> tuple:
    """A cheap stamp of what the cached index holds: the promotions table (rows, last update, largest
    id), the shop-wide margin floor and the category tree with its floor overrides (last update and
    rows of each). It changes whenever any of them is created, saved or deleted by any path (the
    admin, a factory in a test), so a cached index is never stale even without a version bump.
    Element 3 is the margin floor setting (None: no settings row, the default applies)."""
    with connection.cursor() as cursor:
        cursor.execute(_FINGERPRINT)
        return tuple(cursor.fetchone())


def promotions_for_index() -> list[Promotion]:
    """Every active promotion (ended ones too: a quote may be priced as of a past moment)."""
    return list(
        Promotion.objects.filter(active=True)
        .only(
            "id",
            "code",
            "name",
            "kind",
            "params",
            "scope",
            "starts_at",
            "ends_at",
            "priority",
            "exclusive",
            "coupon_required",
            "usage_limit",
            "per_customer_limit",
            "loss_leader",
        )
        .order_by("id")
    )


def margin_floor_setting() -> Decimal:
    row = PricingSettings.objects.order_by("pk").values_list("margin_floor", flat=True).first()
    return row if row is not None else PricingSettings._meta.get_field("margin_floor").default


# ---------------------------------------------------------------------------------------------
# Per cart
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class QuoteSKU:
    code: str
    id: int
    active: bool
    price: Decimal  # the channel's price, else the list price
    landed: Decimal  # purchase + inbound + packaging
    floor_price: Decimal  # lowest unit price keeping the margin floor (catalog's definition)
    floor_source: str  # "setting", "category", "loss_leader"
    categories: frozenset  # category codes: the SKU's category and all its ancestors


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    codes: frozenset  # the category's code and its ancestors' codes
    floor: Decimal | None  # the nearest margin-floor override: the category's, its parent's or grandparent's


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values))


def floor_price(landed: Decimal, floor: Decimal) -> Decimal:
    """The lowest price whose gross margin is at least ``floor``: landed / (1 - floor), rounded up
    to the cent (``catalog.pricing.floor_price``)."""
    if floor >= 1:
        return landed
    return (landed / (1 - floor)).quantize(CENT, rounding=ROUND_CEILING)


def category_tree_get() -> dict[int, CategoryInfo]:
    """category id -> CategoryInfo, for every category (two small queries). Floors as the catalog
    pages compute them: the category's own override, else its parent's, else its grandparent's."""
    parents = dict(Category.objects.values_list("id", "parent_id"))
    codes = dict(Category.objects.values_list("id", "code"))
    overrides = dict(
        CategoryPricing.objects.filter(margin_floor__isnull=False).values_list("category_id", "margin_floor")
    )
    tree = {}
    for pk in parents:
        chain, node = [], pk
        while node is not None and node not in chain and len(chain) < 20:
            chain.append(node)
            node = parents.get(node)
        floor = next((overrides[c] for c in chain[:3] if c in overrides), None)
        tree[pk] = CategoryInfo(codes=frozenset(codes[c] for c in chain), floor=floor)
    return tree


# code, id, active, list price, channel price, unit cost, inbound, packaging, loss leader, its floor,
# until, category id
_SKU_SELECT = """
    SELECT s.code, s.id, s.active, s.list_price, cp.price, s.unit_cost,
           sc.inbound_cost, sc.packaging_cost, sc.loss_leader, sc.loss_leader_floor,
           sc.loss_leader_until, pr.category_id
    FROM catalog_sku s
    JOIN catalog_product pr ON pr.id = s.product_id
    LEFT JOIN catalog_skucost sc ON sc.sku_id = s.id
    LEFT JOIN catalog_channelprice cp ON cp.sku_id = s.id AND cp.channel = %s
"""
_EMPTY = CategoryInfo(codes=frozenset(), floor=None)


def quote_sku(row, *, tree: dict[int, CategoryInfo], setting: Decimal, today: date) -> QuoteSKU:
    """A QuoteSKU from a row of ``_SKU_SELECT``: the floor that applies on ``today`` is a loss
    leader's own floor while it lasts, else the category tree's override, else ``setting``."""
    (
        code,
        pk,
        active,
        list_price,
        channel_price,
        unit_cost,
        inbound,
        packaging,
        loss_leader,
        ll_floor,
        until,
        cat,
    ) = row
    landed = Decimal(unit_cost) + Decimal(inbound or 0) + Decimal(packaging or 0)
    if isinstance(until, str):  # SQLite
        until = date.fromisoformat(until)
    category = tree.get(cat, _EMPTY)
    if loss_leader and until is not None and today <= until:
        floor, source = Decimal(ll_floor or 0), "loss_leader"
    elif category.floor is not None:
        floor, source = Decimal(category.floor), "category"
    else:
        floor, source = Decimal(setting), "setting"
    return QuoteSKU(
        code=code,
        id=pk,
        active=bool(active),
        price=Decimal(channel_price if channel_price is not None else list_price).quantize(CENT),
        landed=landed,
        floor_price=floor_price(landed, floor),
        floor_source=source,
        categories=category.codes,
    )


def quote_skus_get(
    *, codes, channel: str, today: date, setting: Decimal | None = None, tree=None
) -> dict[str, QuoteSKU]:
    """code -> QuoteSKU for the given SKU codes that exist: the price on ``channel`` (its
    ChannelPrice, else the list price), the landed cost and the margin floor that applies on
    ``today`` (a loss leader's own floor while it lasts, else the nearest category override up to
    the grandparent, else the shop-wide setting: as the catalog pages compute it)."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    if setting is None:
        setting = margin_floor_setting()
    if tree is None:
        tree = category_tree_get()
    sql = f"{_SKU_SELECT} WHERE s.code IN ({_placeholders(codes)})"  # noqa: S608 - placeholders only
    with connection.cursor() as cursor:
        cursor.execute(sql, [channel, *codes])
        rows = cursor.fetchall()
    return {row[0]: quote_sku(row, tree=tree, setting=setting, today=today) for row in rows}


@dataclass(frozen=True, slots=True)
class CartRead:
    fingerprint: tuple  # promotion_fingerprint()
    customer_id: int | None
    tier: str | None
    rows: list  # rows of _SKU_SELECT: turn them into QuoteSKU with quote_sku()


def quote_cart_read(*, codes, channel: str, customer_ref: str | None) -> CartRead:
    """What every quote reads, in ONE query: the fingerprint (``promotion_fingerprint``), the
    customer's id and membership tier on ``channel`` ((None, None) for a customer ShopOps does not
    know: a guest) and the cart's SKU rows."""
    # A NUL character cannot be stored (PostgreSQL refuses it even in a parameter): such a code, channel or
    # customer matches nothing.
    codes = list(dict.fromkeys(code for code in codes if "\x00" not in code))
    channel = "" if "\x00" in channel else channel
    customer_ref = None if customer_ref and "\x00" in customer_ref else customer_ref
    sku_filter = f"s.code IN ({_placeholders(codes)})" if codes else "1 = 0"
    sql = f"""
        WITH fp AS ({_FINGERPRINT}), cu AS (
            SELECT c.id, m.tier FROM orders_customer c
            JOIN orders_channel ch ON ch.id = c.channel_id
            LEFT JOIN marketing_membership m ON m.customer_id = c.id
            WHERE ch.code = %s AND c.external_id = %s
        ), sk AS ({_SKU_SELECT} WHERE {sku_filter})
        SELECT fp.*, cu.*, sk.* FROM fp LEFT JOIN cu ON 1 = 1 LEFT JOIN sk ON 1 = 1
    """  # noqa: S608 - only %s placeholders are interpolated
    with connection.cursor() as cursor:
        cursor.execute(sql, [channel, customer_ref if customer_ref else None, channel, *codes])
        rows = cursor.fetchall()
    first, width = rows[0], FINGERPRINT_WIDTH
    skus = [row[width + 2 :] for row in rows if row[width + 2] is not None]
    return CartRead(
        fingerprint=tuple(first[:width]), customer_id=first[width], tier=first[width + 1] or None, rows=skus
    )


@dataclass(slots=True)
class QuoteNeeds:
    used: dict  # promotion id -> Promotion.used
    customer_used: dict  # promotion id -> PromotionCustomerUsage.used
    flash: dict  # promotion id -> (left or None, claimed by the customer, held by the customer)
    gift_costs: dict  # SKU code -> landed cost


def quote_needs_get(
    *,
    used_ids=(),
    customer_id: int | None = None,
    customer_ids=(),
    flash_ids=(),
    customer_ref: str | None = None,
    gift_codes=(),
    now: datetime | None = None,
) -> QuoteNeeds:
    """What the promotions that can touch a cart need, in ONE query (nothing when nothing is needed):
    ``Promotion.used`` of ``used_ids``; the customer's ``PromotionCustomerUsage`` of ``customer_ids``;
    ``flash_remaining_get`` of ``flash_ids``; ``gift_costs_get`` of ``gift_codes``."""
    used_ids, customer_ids, flash_ids = list(used_ids), list(customer_ids), list(flash_ids)
    gift_codes = list(dict.fromkeys(gift_codes))
    if customer_id is None:
        customer_ids = []
    parts, params = [], []
    if used_ids:
        parts.append(
            f"""
            SELECT 'u', id, used, 0, 0, CAST(NULL AS NUMERIC), CAST(NULL AS TEXT) FROM marketing_promotion
            WHERE id IN ({_placeholders(used_ids)})
            """  # noqa: S608 - only %s placeholders are interpolated
        )
        params += used_ids
    if customer_ids:
        parts.append(
            f"""
            SELECT 'c', promotion_id, used, 0, 0, CAST(NULL AS NUMERIC), CAST(NULL AS TEXT)
            FROM marketing_promotioncustomerusage
            WHERE customer_id = %s AND promotion_id IN ({_placeholders(customer_ids)})
            """  # noqa: S608 - only %s placeholders are interpolated
        )
        params += [customer_id, *customer_ids]
    if flash_ids:
        ref = customer_ref or ""
        if connection.vendor != "postgresql":  # SQLite compares datetimes as text: pass them as stored
            now = connection.ops.adapt_datetimefield_value(now)
        parts.append(
            f"""
            SELECT 'f', p.id,
                   CASE WHEN fp.id IS NULL THEN NULL ELSE fp.quantity - fp.claimed + COALESCE((
                       SELECT SUM(c.quantity) FROM marketing_flashsaleclaim c
                       WHERE c.promotion_id = p.id AND c.status = 'held' AND c.expires_at <= %s), 0) END,
                   COALESCE((SELECT fc.claimed FROM marketing_flashsalecustomercount fc
                             WHERE fc.promotion_id = p.id AND fc.customer_ref = %s), 0)
                   - COALESCE((SELECT SUM(c.quantity) FROM marketing_flashsaleclaim c
                               WHERE c.promotion_id = p.id AND c.customer_ref = %s AND c.status = 'held'
                                 AND c.expires_at <= %s), 0),
                   COALESCE((SELECT SUM(c.quantity) FROM marketing_flashsaleclaim c
                             WHERE c.promotion_id = p.id AND c.customer_ref = %s AND c.status = 'held'
                               AND c.expires_at > %s), 0),
                   CAST(NULL AS NUMERIC), CAST(NULL AS TEXT)
            FROM marketing_promotion p
            LEFT JOIN marketing_flashsalepool fp ON fp.promotion_id = p.id
            WHERE p.id IN ({_placeholders(flash_ids)})
            """  # noqa: S608 - only %s placeholders are interpolated
        )
        params += [now, ref, ref, now, ref, now, *flash_ids]
    if gift_codes:
        parts.append(
            f"""
            SELECT 'g', 0, 0, 0, 0,
                   s.unit_cost + COALESCE(sc.inbound_cost, 0) + COALESCE(sc.packaging_cost, 0), s.code
            FROM catalog_sku s LEFT JOIN catalog_skucost sc ON sc.sku_id = s.id
            WHERE s.code IN ({_placeholders(gift_codes)})
            """  # noqa: S608 - only %s placeholders are interpolated
        )
        params += gift_codes
    needs = QuoteNeeds(used={}, customer_used={}, flash={}, gift_costs={})
    if not parts:
        return needs
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        rows = cursor.fetchall()
    for kind, pk, a, b, c, cost, code in rows:
        if kind == "u":
            needs.used[pk] = int(a)
        elif kind == "c":
            needs.customer_used[pk] = int(a)
        elif kind == "f":
            mine = max(0, int(b)) if customer_ref else 0
            needs.flash[pk] = (None if a is None else max(0, int(a)), mine, int(c) if customer_ref else 0)
        else:
            needs.gift_costs[code] = Decimal(cost)
    return needs


def coupons_get(*, codes) -> dict[str, dict]:
    """Upper-cased code -> {"id", "promotion_id", "promotion_code", "active", "usage_limit",
    "per_customer_limit", "used", "customer_id"} for the presented codes that exist, one query
    (``customer_id``: the owner of a personal coupon, else None)."""
    codes = list(dict.fromkeys(code for code in codes if code and "\x00" not in code))  # NUL: no such code
    if not codes:
        return {}
    rows = Coupon.objects.filter(code__in=codes).values(
        "id",
        "code",
        "promotion_id",
        "promotion__code",
        "active",
        "usage_limit",
        "per_customer_limit",
        "used",
        "customer_id",
    )
    return {row["code"]: {**row, "promotion_code": row.pop("promotion__code")} for row in rows}


def coupon_customer_uses(*, coupon_id: int, customer_id: int) -> int:
    """Accepted redemptions of one coupon by one customer."""
    return Redemption.objects.filter(
        coupon_id=coupon_id, customer_id=customer_id, status=Redemption.Status.ACCEPTED
    ).count()


def promotion_has_coupons(*, promotion_id: int) -> bool:
    """Does the promotion have generated or single Coupon codes? (Then its own code is no coupon.)"""
    return Coupon.objects.filter(promotion_id=promotion_id).exists()


def gift_costs_get(*, codes) -> dict[str, Decimal]:
    """SKU code -> landed unit cost (purchase + inbound + packaging) of the gift SKUs, one query."""
    codes = list(dict.fromkeys(codes))
    if not codes:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.code, s.unit_cost, sc.inbound_cost, sc.packaging_cost FROM catalog_sku s
            LEFT JOIN catalog_skucost sc ON sc.sku_id = s.id
            WHERE s.code IN ({_placeholders(codes)})
            """,  # noqa: S608 - only %s placeholders are interpolated
            codes,
        )
        return {
            code: Decimal(cost) + Decimal(inbound or 0) + Decimal(packaging or 0)
            for code, cost, inbound, packaging in cursor.fetchall()
        }


def channel_codes() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM orders_channel")
        return {row[0] for row in cursor.fetchall()}
