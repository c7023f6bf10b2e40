"""Pricing a cart: ``promotion_quote`` (the API ``POST /api/v1/pricing/quote`` and the editor's
simulator) and ``warnings_for_draft`` (margin-floor and gift-cost warnings before saving).

The promotions are compiled once into an ``engine.PromotionIndex`` kept in process and rebuilt when
the promotions version stamp in the Django cache changes (``promotion_create`` / ``promotion_update``
bump it on commit, so every process sees edits) or when the promotions table's fingerprint changes
(rows saved by any other path: the admin, a test factory). Per quote only what depends on the cart
and the customer is read, each in one query and only when a promotion that can touch the cart needs
it: SKU prices on the channel and margin floors, the customer's membership tier, usage counts
(``Promotion.used``, ``PromotionCustomerUsage``), flash-sale remainders, presented coupons, gift costs.

Rules of the data given to the engine (``marketing.engine`` states the application order and the
rounding):

- A line's price is the SKU's ``ChannelPrice`` on the channel, else its list price. Its floor is the
  lowest unit price that keeps the SKU's margin floor (landed cost / (1 - floor), rounded up; the
  floor is the loss leader's own floor while the SKU is a loss leader, else its category's, else the
  shop-wide one), so no promotion takes a line below its margin floor unless the promotion is a loss
  leader. Line categories are the SKU's category and its ancestors (category codes, 3 levels).
- Coupons: presented codes are looked up in ``Coupon`` (one query): an inactive code, one used up
  (``used >= usage_limit``) or used up by this customer (``per_customer_limit``) is rejected with its
  reason; a valid one unlocks its promotion. A code that is no Coupon but is the code of a
  coupon-required promotion without generated codes unlocks that promotion (a public code).
- Flash sales: units left = pool quantity - claimed + units of expired holds; the customer's own
  held units are theirs (counted as available to them and not against their cap).
- Unknown customers are guests: no membership tier, no usage.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing import engine
from marketing.promotion_params import SCOPE_KEYS, params_as_json
from marketing.selectors import promotions as sel
from marketing.services.promotions import promotions_version_get

__all__ = [
    "MAX_LINES",
    "index_get",
    "promotion_quote",
    "quote_as_json",
    "warnings_for_draft",
]

MAX_LINES = 200
CENT = Decimal("0.01")
GIFT_BAND = (Decimal("0.05"), Decimal("0.15"))


# ---------------------------------------------------------------------------------------------
# The cached index
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Cached:
    key: tuple
    index: engine.PromotionIndex
    promos: dict[str, engine.Promotion]  # code -> engine promotion
    ids: dict[str, int]  # code -> promotion id
    coupon_codes: dict[str, str] = field(default_factory=dict)  # upper-cased code -> promotion code
    channels: set[str] = field(default_factory=set)
    categories: dict = field(default_factory=dict)  # category id -> selectors' CategoryInfo
    margin_floor: Decimal = Decimal("0.4000")  # the shop-wide setting


_lock = threading.Lock()
_cached: _Cached | None = None


def _engine_promotion(row: Any) -> engine.Promotion:
    """An engine.Promotion from a Promotion row or from cleaned draft data (a dict)."""
    get = row.get if isinstance(row, dict) else lambda name, default=None: getattr(row, name, default)
    params = get("params") or {}
    if isinstance(row, dict):
        params = params_as_json(params)
    scope = get("scope") or {}
    code = get("code")
    return engine.Promotion(
        code=code,
        kind=get("kind"),
        params=params,
        name=get("name") or "",
        scope=engine.Scope(**{key: frozenset(scope.get(key) or ()) for key in SCOPE_KEYS}),
        starts_at=get("starts_at"),
        ends_at=get("ends_at"),
        priority=get("priority") or 0,
        exclusive=bool(get("exclusive")),
        coupon_required=bool(get("coupon_required")),
        coupon_codes=frozenset({code.upper()}) if get("coupon_required") else frozenset(),
        usage_limit=get("usage_limit"),
        per_customer_limit=get("per_customer_limit"),
        loss_leader=bool(get("loss_leader")),
    )


def _build(key: tuple) -> _Cached:
    promos: dict[str, engine.Promotion] = {}
    ids: dict[str, int] = {}
    for row in sel.promotions_for_index():
        try:
            promo = _engine_promotion(row)
            engine.PromotionIndex([promo])  # compiles: a row with broken params is left out
        except (KeyError, ValueError, TypeError, ArithmeticError):
            continue
        promos[row.code] = promo
        ids[row.code] = row.pk
    coupon_codes = {promo.code.upper(): promo.code for promo in promos.values() if promo.coupon_required}
    return _Cached(
        key=key,
        index=engine.PromotionIndex(promos.values()),
        promos=promos,
        ids=ids,
        coupon_codes=coupon_codes,
        channels=sel.channel_codes(),
        categories=sel.category_tree_get(),
        margin_floor=key[1][3] if key[1][3] is not None else sel.margin_floor_setting(),
    )


def index_get(fingerprint: tuple | None = None) -> _Cached:
    """The cached promotions index, rebuilt when the version stamp or the table's fingerprint
    (``promotion_fingerprint``; pass it when already read) changed."""
    global _cached
    key = (promotions_version_get(), fingerprint if fingerprint is not None else sel.promotion_fingerprint())
    current = _cached
    if current is not None and current.key == key:
        return current
    with _lock:
        if _cached is None or _cached.key != key:
            _cached = _build(key)
        return _cached


# ---------------------------------------------------------------------------------------------
# Quote
# ---------------------------------------------------------------------------------------------
def _lines_clean(lines: Any, errors: dict[str, list[str]]) -> list[tuple[str, int]]:
    if not isinstance(lines, (list, tuple)) or not lines:
        errors["lines"] = [_("Give at least one line.")]
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = [_("At most %(count)s lines.") % {"count": MAX_LINES}]
        return []
    out = []
    for n, line in enumerate(lines):
        if not isinstance(line, dict):
            errors[f"lines[{n}]"] = [_("Must be an object with sku and quantity.")]
            continue
        sku = line.get("sku")
        quantity = line.get("quantity")
        if not isinstance(sku, str) or not sku.strip():
            errors[f"lines[{n}].sku"] = [_("This field is required.")]
        if isinstance(quantity, str) and quantity.strip().isdigit():
            quantity = int(quantity.strip())
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors[f"lines[{n}].quantity"] = [_("Enter a whole number, 1 or more.")]
        elif quantity > 100_000:
            errors[f"lines[{n}].quantity"] = [_("At most 100000.")]
        if f"lines[{n}].sku" not in errors and f"lines[{n}].quantity" not in errors:
            out.append((sku.strip(), quantity))
    return out


def promotion_quote(
    *,
    channel: str,
    lines: list[dict],
    customer: str | None = None,
    coupon_codes: list[str] = (),
    at: datetime | None = None,
    draft: dict | None = None,
    member_tier: str | None = None,
) -> engine.Quote:
    """Price a cart with the promotions in force at ``at`` (default now) on ``channel``.

    ``lines``: ``[{"sku": code, "quantity": n}]``; ``customer``: the customer's external id on the
    channel (None or unknown: a guest); ``coupon_codes``: codes as presented. ``draft``: CLEANED data of
    an unsaved promotion (``promotion_clean``) priced as if it were saved and active, replacing a saved
    promotion with the same code (the editor's "try a cart" simulator). ``member_tier``: price as a
    member of that tier when the customer is not known (a guest, or no customer: the simulator); a known
    customer's own tier wins.

    Returns ``engine.Quote`` (Decimals): lines (gift lines at zero with ``gift=True``), subtotal,
    discount_total, total, applied, rejected_coupons (with the codes as presented), hints, warnings,
    trace. Raises ``ValidationError`` with field errors (``channel``, ``lines``, ``lines[2].sku``
    "Unknown SKU", ``lines[0].quantity``, ``coupon_codes``, ``at``); nothing is written.
    """
    errors: dict[str, list[str]] = {}
    channel = (channel or "").strip() if isinstance(channel, str) else ""
    if not channel:
        errors["channel"] = [_("This field is required.")]
    cart = _lines_clean(lines, errors)
    if isinstance(coupon_codes, str) or not all(isinstance(c, str) for c in coupon_codes or ()):
        errors["coupon_codes"] = [_("Must be a list of codes.")]
        coupon_codes = ()
    if at is None:
        at = timezone.now()
    elif not isinstance(at, datetime):
        errors["at"] = [_("Enter a date and time.")]
    elif timezone.is_naive(at):
        at = timezone.make_aware(at, timezone.get_current_timezone())
    if customer is not None and not isinstance(customer, str):
        errors["customer"] = [_("Give the customer's external id.")]
        customer = None
    customer_ref = customer.strip() if customer and customer.strip() else None

    # One query: the promotions' fingerprint, the customer and the cart's SKUs.
    today = timezone.localdate(at) if isinstance(at, datetime) else timezone.localdate()
    read = sel.quote_cart_read(codes=[code for code, _q in cart], channel=channel, customer_ref=customer_ref)
    cached = index_get(read.fingerprint)
    if channel and channel not in cached.channels and channel not in sel.channel_codes():
        errors["channel"] = [_("Unknown channel: %(code)s.") % {"code": channel}]
    skus = {
        row[0]: sel.quote_sku(row, tree=cached.categories, setting=cached.margin_floor, today=today)
        for row in read.rows
    }
    for n, (code, _q) in enumerate(cart):
        sku = skus.get(code)
        if sku is None:
            errors[f"lines[{n}].sku"] = [_("Unknown SKU: %(code)s.") % {"code": code}]
        elif not sku.active:
            errors[f"lines[{n}].sku"] = [_("SKU %(code)s is not for sale.") % {"code": code}]
    if errors:
        raise ValidationError(errors)
    customer_id, tier = read.customer_id, read.tier
    if customer_id is None and member_tier:
        tier = member_tier

    # The index: the cached one, or for a draft a throwaway one with the draft in place.
    index, promos, ids = cached.index, cached.promos, cached.ids
    coupon_map = cached.coupon_codes
    if draft is not None:
        promos = dict(promos)
        promos.pop(draft["code"], None)
        draft_promo = _engine_promotion(draft)
        promos[draft_promo.code] = draft_promo
        index = engine.PromotionIndex(promos.values())
        coupon_map = {p.code.upper(): p.code for p in promos.values() if p.coupon_required}

    cart_lines = []
    for code, quantity in cart:
        sku = skus[code]
        cart_lines.append(
            engine.CartLine(
                sku=code,
                quantity=quantity,
                unit_price=sku.price,
                category_ids=sku.categories,
                floor_price=sku.floor_price,
            )
        )

    # Promotions that can touch this cart (as the engine finds them) and the coupons presented.
    candidates: dict[str, engine.Promotion] = {}
    for rule in index.everywhere:
        candidates[rule.promo.code] = rule.promo
    for line in cart_lines:
        for rule in index.by_sku.get(line.sku, ()):
            candidates[rule.promo.code] = rule.promo
        for category in line.category_ids:
            for rule in index.by_category.get(category, ()):
                candidates[rule.promo.code] = rule.promo

    rejected_early: list[engine.RejectedCoupon] = []
    presented_for: dict[str, str] = {}  # code given to the engine -> code as presented
    engine_codes: list[str] = []
    presented = [c for c in (coupon_codes or ()) if c and c.strip()]
    if presented:
        found = sel.coupons_get(codes=[c.strip().upper() for c in presented])
        for raw in presented:
            norm = raw.strip().upper()
            coupon = found.get(norm)
            if coupon is not None:
                promo_code = coupon["promotion_code"]
                why = None
                if not coupon["active"]:
                    why = _("coupon is not active")
                elif coupon["customer_id"] is not None and coupon["customer_id"] != customer_id:
                    why = _("coupon was issued to another customer")
                elif coupon["usage_limit"] is not None and coupon["used"] >= coupon["usage_limit"]:
                    why = _("coupon already used up")
                elif (
                    coupon["per_customer_limit"] is not None
                    and customer_id is not None
                    and sel.coupon_customer_uses(coupon_id=coupon["id"], customer_id=customer_id)
                    >= coupon["per_customer_limit"]
                ):
                    why = _("coupon already used by this customer")
                elif promo_code not in promos:
                    why = _("the coupon's promotion is not active")
                elif not promos[promo_code].coupon_required:
                    why = _("no coupon needed: the promotion applies by itself")
            else:
                promo_code = coupon_map.get(norm)
                why = None
                if promo_code is None or (
                    promo_code in ids and sel.promotion_has_coupons(promotion_id=ids[promo_code])
                ):
                    why = _("unknown coupon")
            if why is None and promo_code.upper() in presented_for:
                why = _("duplicate coupon")
            if why is not None:
                rejected_early.append(engine.RejectedCoupon(raw, why))
                continue
            presented_for[promo_code.upper()] = raw
            engine_codes.append(promo_code.upper())
            candidates[promo_code] = promos[promo_code]

    # What the candidates need from the database, in one query.
    limited = [c for c, p in candidates.items() if p.usage_limit is not None and c in ids]
    per_customer = [
        c
        for c, p in candidates.items()
        if p.per_customer_limit is not None and c in ids and p.kind != "flash_sale"
    ]
    flash = [c for c, p in candidates.items() if p.kind == "flash_sale" and c in ids]
    gifts = {str((p.params or {}).get("gift_sku")) for p in candidates.values() if p.kind == "gift"}
    needs = sel.quote_needs_get(
        used_ids=[ids[c] for c in limited],
        customer_id=customer_id,
        customer_ids=[ids[c] for c in per_customer],
        flash_ids=[ids[c] for c in flash],
        customer_ref=customer_ref,
        gift_codes=gifts,
        now=at,
    )
    total_usage = {c: needs.used.get(ids[c], 0) for c in limited}
    customer_usage = {c: needs.customer_used.get(ids[c], 0) for c in per_customer}
    flash_remaining: dict[str, int] = {}
    for c in flash:
        left, claimed, held = needs.flash.get(ids[c], (None, 0, 0))
        if left is not None:
            flash_remaining[c] = left + held
        customer_usage[c] = max(0, claimed - held)
    gift_costs = needs.gift_costs

    ctx = engine.QuoteContext(
        channel=channel,
        at=at,
        member_tier=tier,
        coupon_codes=tuple(engine_codes),
        customer_usage=customer_usage,
        total_usage=total_usage,
        flash_remaining=flash_remaining,
        gift_costs=gift_costs,
    )
    quote = index.quote(cart_lines, ctx)
    for item in quote.rejected_coupons:
        item.code = presented_for.get(item.code.upper(), item.code)
    quote.rejected_coupons = rejected_early + quote.rejected_coupons
    return quote


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def _m(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def quote_as_json(quote: engine.Quote, *, explain: bool = False) -> dict:
    """The API's answer: money as strings with 2 decimals; gift lines carry ``"gift": true``;
    ``warnings`` always, ``trace`` with ``explain``."""
    lines = []
    for line in quote.lines:
        item = {
            "sku": line.sku,
            "quantity": line.quantity,
            "unit_price": _m(line.unit_price),
            "discount": _m(line.discount),
            "total": _m(line.total),
        }
        if line.gift:
            item["gift"] = True
        lines.append(item)
    out = {
        "lines": lines,
        "subtotal": _m(quote.subtotal),
        "discount_total": _m(quote.discount_total),
        "total": _m(quote.total),
        "applied": [{"code": a.code, "amount": _m(a.amount)} for a in quote.applied],
        "rejected_coupons": [{"code": r.code, "reason": r.reason} for r in quote.rejected_coupons],
        "hints": [
            {
                "code": h.code,
                "amount_needed": _m(h.amount_needed),
                "saving": _m(h.saving),
                "message": h.message,
            }
            for h in quote.hints
        ],
        "warnings": [{"code": w.code, "message": w.message} for w in quote.warnings],
    }
    if explain:
        out["trace"] = [{"code": t.code, "message": t.message} for t in quote.trace]
    return out


# ---------------------------------------------------------------------------------------------
# Warnings before saving
# ---------------------------------------------------------------------------------------------
SHOWN_SKUS = 5


def _effective_percent(draft: dict) -> Decimal | None:
    """The largest share of a unit's price the promotion can take, as a percent number, for the
    kinds that discount by a share (None for flash_sale, bundle_price, amount_off, gift)."""
    kind, p = draft["kind"], draft["params"]
    if kind == "percent_off":
        return Decimal(p["percent"])
    if kind == "member_price":
        return max((Decimal(v) for v in p["tiers"].values()), default=None)
    if kind == "threshold_percent":
        return max((Decimal(t["percent"]) for t in p["tiers"]), default=None)
    if kind == "threshold_amount":
        return max((Decimal(t["amount"]) / Decimal(t["threshold"]) * 100 for t in p["tiers"]), default=None)
    if kind == "buy_x_get_y":
        return Decimal(p["get"]) * Decimal(p.get("percent") or 100) / (p["buy"] + p["get"])
    return None


def warnings_for_draft(draft: dict) -> list[str]:
    """Margin-floor and gift-cost warnings of a promotion before it is saved (CLEANED data).

    - Margin floor (skipped for a loss-leader promotion): the lowest unit price the promotion can
      give each SKU in its scope (every active SKU when the scope is empty; the prices on the scoped
      channels, else the list price) is compared with the SKU's floor price (landed / (1 - margin
      floor)). Lowest unit price: percent_off, member_price (best tier), threshold_percent (best
      tier): price x (1 - percent); threshold_amount: the best amount/threshold ratio as a percent;
      buy_x_get_y: get x percent / (buy + get); amount_off: the amount spread over ``min_quantity``
      units (1 when absent), or as a share of ``min_spend`` when that is the larger base;
      bundle_price: price / quantity (checked on each SKU's own price); flash_sale: its price.
      One warning per promotion: how many SKUs, the first few with price and floor. The engine caps
      those lines at their floor when pricing; the warning says so.
    - Gift: the gift's landed cost x quantity outside 5-15 % of the threshold.
    Returns translated messages; empty when there is nothing to say.
    """
    warnings: list[str] = []
    kind, p, scope = draft["kind"], draft["params"], draft.get("scope") or {}
    today = timezone.localdate()
    if kind == "gift":
        cost = sel.gift_costs_get(codes=[p["gift_sku"]]).get(p["gift_sku"])
        if cost is not None:
            total = (cost * (p.get("quantity") or 1)).quantize(CENT, rounding=ROUND_HALF_UP)
            share = total / Decimal(p["threshold"])
            if not GIFT_BAND[0] <= share <= GIFT_BAND[1]:
                warnings.append(
                    _(
                        "The gift %(sku)s costs ¥%(cost)s, %(share)s %% of the threshold ¥%(threshold)s: "
                        "outside the 5-15 %% band."
                    )
                    % {
                        "sku": p["gift_sku"],
                        "cost": total,
                        "share": (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
                        "threshold": p["threshold"],
                    }
                )
        return warnings
    if draft.get("loss_leader"):
        return warnings

    codes = _scope_sku_codes(draft)
    channels = list(scope.get("channels") or []) or [""]
    below: list[tuple[str, Decimal, Decimal]] = []
    tree, setting = sel.category_tree_get(), sel.margin_floor_setting()
    for channel in channels:
        skus = sel.quote_skus_get(codes=codes, channel=channel, today=today, setting=setting, tree=tree)
        for code in codes:
            sku = skus.get(code)
            if sku is None or not sku.active:
                continue
            lowest = _lowest_unit_price(draft, sku.price)
            if lowest is not None and lowest < sku.floor_price and code not in {b[0] for b in below}:
                below.append((code, lowest, sku.floor_price))
    if below:
        shown = ", ".join(
            _("%(sku)s ¥%(price)s < floor ¥%(floor)s") % {"sku": code, "price": price, "floor": floor}
            for code, price, floor in below[:SHOWN_SKUS]
        )
        more = len(below) - SHOWN_SKUS
        if more > 0:
            shown += " " + _("and %(count)s more") % {"count": more}
        warnings.append(
            _(
                "This promotion can take %(count)s SKU(s) below their margin floor (%(skus)s); "
                "when pricing, those lines stop at the floor unless the promotion is a loss leader."
            )
            % {"count": len(below), "skus": shown}
        )
    return warnings


def _lowest_unit_price(draft: dict, price: Decimal) -> Decimal | None:
    kind, p = draft["kind"], draft["params"]
    if kind == "flash_sale":
        return Decimal(p["price"])
    if kind == "bundle_price":
        return (Decimal(p["price"]) / p["quantity"]).quantize(CENT, rounding=ROUND_HALF_UP)
    if kind == "amount_off":
        units = p.get("min_quantity") or 1
        off_per_unit = Decimal(p["amount"]) / units
        if p.get("min_spend"):
            off_per_unit = min(off_per_unit, price * Decimal(p["amount"]) / Decimal(p["min_spend"]))
        return max(Decimal(0), (price - off_per_unit).quantize(CENT, rounding=ROUND_HALF_UP))
    percent = _effective_percent(draft)
    if percent is None:
        return None
    return (price * (1 - percent / 100)).quantize(CENT, rounding=ROUND_HALF_UP)


def _scope_sku_codes(draft: dict) -> list[str]:
    from catalog.models import SKU

    if draft["kind"] == "flash_sale":
        return [draft["params"]["sku"]]
    scope = draft.get("scope") or {}
    qs = SKU.objects.filter(active=True)
    skus, categories = scope.get("skus") or [], scope.get("categories") or []
    if skus or categories:
        q = Q(code__in=skus)
        if categories:
            q |= (
                Q(product__category__code__in=categories)
                | Q(product__category__parent__code__in=categories)
                | Q(product__category__parent__parent__code__in=categories)
            )
        qs = qs.filter(q)
    return list(qs.order_by("code").values_list("code", flat=True))
