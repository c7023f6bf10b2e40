"""The promotions engine: prices a cart exactly, safely and with an explanation.

Pure: plain dataclasses in (``CartLine``, ``QuoteContext``, ``Promotion``), a plain ``Quote`` out.
No Django, no ORM, no database, no imports from other apps. The caller (``promotion_quote``)
loads the promotions once, keeps a ``PromotionIndex`` cached in process, and passes the usage
counts, flash-sale remainders and gift costs it read from the database in the context.

Money is ``Decimal`` at the edges and whole cents (``int``) inside, so every sum is exact; input
prices are rounded half-up to the cent. Percentages are percent numbers ("20" = 20 %), kept to
four decimals.

Rules (issue 6, "The engine"):

1. Stages. Line-level kinds first (flash_sale, member_price, percent_off, buy_x_get_y,
   bundle_price, amount_off on lines), then order-level kinds (threshold_amount,
   threshold_percent, gift, amount_off with ``level: "order"``) on the subtotal as discounted
   so far, then promotions that need a coupon, in the same two stages. ``amount_off`` is a
   line-level kind unless its params say ``"level": "order"``; the two compute the same way
   (an amount split over the in-scope lines) and differ only in the stage, so an order
   amount_off sees the lines after every line-level discount.
2. Order inside a stage: higher ``priority`` first, then the kind order listed above, then code.
   Non-exclusive promotions combine: each one works on the lines as the ones before it left
   them. An exclusive promotion combines with nothing else on its lines (the lines in its
   scope, whether or not it ends up discounting them): other promotions still apply to the
   rest of the cart. Where exclusive promotions compete, every combination of exclusive
   promotions with pairwise disjoint lines is priced (plus the one with no exclusive
   promotion at all, i.e. all non-exclusive ones stacked) and the cheapest total for the
   customer wins; on a tie the combination found first wins (fewer exclusive promotions,
   then the application order of point 2). A gift's value does not count in the comparison.
   With more than ``MAX_EXCLUSIVE_SEARCH`` competing exclusive promotions the combinations
   are limited to "none" and a greedy pick by priority.
3. Rounding. Percentages are computed on each line and rounded half-up to the cent. An amount
   spread over several lines (amount_off, threshold_amount, a bundle's saving) is split in
   proportion to the lines' current value, rounded down to the cent, and the cents left over
   go to the lines with the largest remainders (ties: the earlier line), so the parts add up
   exactly to the amount. Unit-level kinds (max_affected_items, buy_x_get_y, bundle_price,
   flash_sale) see a line as ``quantity`` units of its current value split the same way (a
   line of ¥10.00 x 3 is units of ¥3.34, ¥3.33, ¥3.33).
4. Safety. A discount is capped at the line's current value, so no line, order or total goes
   below zero. A line never goes below its floor (``floor_price`` x quantity: the unit cost or
   the minimum price) unless the promotion or the SKU is a loss leader; a capped discount is
   reported in the trace. The part of an amount lost to a cap is not moved to other lines.
5. Eligibility. A promotion applies when ``starts_at <= at < ends_at`` (either may be open),
   the channel and the member tier are in scope (empty = all), its total usage is below
   ``usage_limit`` and the customer's below ``per_customer_limit``, and, when it needs a
   coupon, one of its codes was presented (codes are compared stripped and upper-cased).
   A line is in scope when its SKU or one of its category ids (its category and ancestors) is
   in the scope; an empty SKU and category scope means every line. A presented coupon that
   cannot apply is returned in ``rejected_coupons`` with the reason; so is one that applied to
   nothing in the chosen combination.

Kinds and params (money as Decimal, percent numbers as Decimal):

- ``percent_off {percent, min_quantity, min_spend, max_affected_items}``: percent off the
  in-scope lines when they hold ``min_quantity`` units and ``min_spend``; with
  ``max_affected_items`` only the N cheapest units are discounted.
- ``amount_off {amount, min_quantity, min_spend, max_affected_items, level}``: the amount,
  at most the value of the affected units, split over them.
- ``threshold_amount {tiers: [{threshold, amount}]}`` (满减) and
  ``threshold_percent {tiers: [{threshold, percent}]}`` (满折): the highest tier whose
  threshold the in-scope subtotal reaches; a hint gives the gap to the next tier.
- ``buy_x_get_y {buy, get, percent, max_applications}``: each application needs buy + get
  units in scope; the get x applications cheapest units are ``percent`` off (default 100).
- ``bundle_price {quantity, price, max_applications}``: the most expensive units are grouped
  by ``quantity``; a group costing more than ``price`` is sold for ``price``.
- ``gift {threshold, gift_sku, quantity}``: a gift line at zero price once the in-scope
  subtotal reaches the threshold; its cost (``QuoteContext.gift_costs``) is checked against
  5-15 % of that subtotal and a warning is reported outside the band. A hint gives the gap.
- ``flash_sale {sku, price, quantity, per_customer}``: the SKU at ``price`` inside the
  schedule, for at most min(remaining in the pool, remaining for the customer) units; the
  caller passes the pool's remainder in ``QuoteContext.flash_remaining`` (default
  ``quantity`` minus ``total_usage``), the customer's is ``per_customer`` minus their usage.
- ``member_price {tiers: {"gold": "10", ...}}``: percent off for the customer's tier.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "AppliedPromotion",
    "CartLine",
    "Hint",
    "Promotion",
    "PromotionIndex",
    "Quote",
    "QuoteContext",
    "QuoteLine",
    "RejectedCoupon",
    "Scope",
    "TraceStep",
    "QuoteWarning",
    "quote_cart",
]

LINE_KINDS = ("flash_sale", "member_price", "percent_off", "buy_x_get_y", "bundle_price", "amount_off")
ORDER_KINDS = ("threshold_amount", "threshold_percent", "amount_off", "gift")
KINDS = frozenset(LINE_KINDS + ORDER_KINDS)
_KIND_RANK = {kind: rank for rank, kind in enumerate(LINE_KINDS + ORDER_KINDS[:2] + ("gift",))}

GIFT_BAND = (Decimal("0.05"), Decimal("0.15"))  # checked in integers in _Pass._gift
MAX_EXCLUSIVE_SEARCH = 8
_PCT_SCALE = 10_000  # percent numbers kept to 4 decimals
_PCT_DIV = 100 * _PCT_SCALE
_ZERO = Decimal("0.00")


# ---------------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    quantity: int
    unit_price: Decimal
    category_ids: frozenset = frozenset()
    floor_price: Decimal | None = None  # per unit: unit cost or minimum price; None = no floor
    loss_leader: bool = False


@dataclass(frozen=True, slots=True)
class Scope:
    skus: frozenset = frozenset()
    categories: frozenset = frozenset()
    channels: frozenset = frozenset()
    member_tiers: frozenset = frozenset()


@dataclass(frozen=True, slots=True)
class Promotion:
    code: str
    kind: str
    params: Mapping[str, Any]
    name: str = ""
    scope: Scope = field(default_factory=Scope)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    priority: int = 0
    exclusive: bool = False
    coupon_required: bool = False
    coupon_codes: frozenset = frozenset()
    usage_limit: int | None = None
    per_customer_limit: int | None = None
    loss_leader: bool = False


@dataclass(frozen=True, slots=True)
class QuoteContext:
    channel: str
    at: datetime
    member_tier: str | None = None
    coupon_codes: tuple = ()
    customer_usage: Mapping[str, int] = field(default_factory=dict)  # promotion code -> uses
    total_usage: Mapping[str, int] = field(default_factory=dict)  # promotion code -> uses
    flash_remaining: Mapping[str, int] = field(default_factory=dict)  # flash code -> units left
    gift_costs: Mapping[str, Decimal] = field(default_factory=dict)  # gift SKU -> unit cost


# ---------------------------------------------------------------------------------------------
# Outputs
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class QuoteLine:
    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    total: Decimal
    gift: bool = False


@dataclass(slots=True)
class AppliedPromotion:
    code: str
    amount: Decimal


@dataclass(slots=True)
class RejectedCoupon:
    code: str
    reason: str


@dataclass(slots=True)
class Hint:
    code: str
    amount_needed: Decimal
    saving: Decimal
    message: str


@dataclass(slots=True)
class QuoteWarning:
    code: str
    message: str


@dataclass(slots=True)
class TraceStep:
    code: str
    message: str


@dataclass(slots=True)
class Quote:
    lines: list[QuoteLine]
    subtotal: Decimal
    discount_total: Decimal
    total: Decimal
    applied: list[AppliedPromotion]
    rejected_coupons: list[RejectedCoupon]
    hints: list[Hint]
    warnings: list[QuoteWarning]
    trace: list[TraceStep]


# ---------------------------------------------------------------------------------------------
# Money helpers (cents)
# ---------------------------------------------------------------------------------------------
def _cents(value: Any) -> int:
    if type(value) is not Decimal:
        value = Decimal(value)
    return int(value.scaleb(2).to_integral_value(ROUND_HALF_UP))


_MONEY_CACHE: dict[int, Decimal] = {}  # Decimals are immutable: sharing them is safe


def _money(cents: int) -> Decimal:
    money = _MONEY_CACHE.get(cents)
    if money is None:
        if len(_MONEY_CACHE) >= 100_000:
            _MONEY_CACHE.clear()
        money = _MONEY_CACHE[cents] = Decimal(cents).scaleb(-2)
    return money


_YUAN_CACHE: dict[int, str] = {}


def _yuan(cents: int) -> str:
    """``cents`` as ``¥12.34``: the text of ``f"¥{_money(cents)}"``, without a Decimal."""
    text = _YUAN_CACHE.get(cents)
    if text is None:
        if len(_YUAN_CACHE) >= 100_000:
            _YUAN_CACHE.clear()
        whole, part = divmod(abs(cents), 100)
        text = _YUAN_CACHE[cents] = f"¥{'-' if cents < 0 else ''}{whole}.{part:02d}"
    return text


def _pct(value: Any) -> int:
    scaled = int((Decimal(value) * _PCT_SCALE).to_integral_value(ROUND_HALF_UP))
    return max(0, min(scaled, _PCT_DIV))


_PCT_LABELS: dict[int, str] = {}


def _pct_label(scaled: int) -> str:
    label = _PCT_LABELS.get(scaled)
    if label is None:  # at most _PCT_DIV + 1 labels: percentages are clamped to 0-100 %
        label = _PCT_LABELS[scaled] = f"{(Decimal(scaled) / _PCT_SCALE).normalize():f} %"
    return label


def _pct_of(cents: int, scaled: int) -> int:
    """``scaled`` percent of ``cents``, rounded half-up to the cent (cents are never negative)."""
    return (cents * scaled + _PCT_DIV // 2) // _PCT_DIV


def split_amount(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` cents in proportion to ``weights`` so that the parts add up exactly
    (largest remainder; ties go to the earlier weight). Parts never exceed their weight when
    ``amount <= sum(weights)``."""
    total = sum(weights)
    if total <= 0 or amount <= 0:
        return [0] * len(weights)
    shares = [amount * weight for weight in weights]
    parts = [share // total for share in shares]
    left = amount - sum(parts)
    if left:
        remainders = [share % total for share in shares]
        # largest remainder first; the sort is stable, so ties keep the earlier weight first
        for position in sorted(range(len(weights)), key=lambda k: -remainders[k])[:left]:
            parts[position] += 1
    return parts


def _opt(params: Mapping[str, Any], key: str) -> Any:
    value = params.get(key)
    return None if value in (None, "") else value


# ---------------------------------------------------------------------------------------------
# Compiled promotions
# ---------------------------------------------------------------------------------------------
@dataclass(slots=True)
class _Rule:
    promo: Promotion
    stage: int  # 0 line, 1 order
    coupon: bool
    sort_key: tuple
    p: dict
    skus: frozenset
    categories: frozenset
    all_lines: bool
    handler: str  # the _Pass method for the kind
    rank: int = 0  # position in sort_key order among the index's rules (set by PromotionIndex)


def _compile(promo: Promotion) -> _Rule:
    kind = promo.kind
    if kind not in KINDS:
        raise ValueError(f"{promo.code}: unknown promotion kind {kind!r}")
    params = promo.params or {}
    p: dict[str, Any] = {}
    stage = 0
    if kind in ("percent_off", "amount_off"):
        if kind == "percent_off":
            p["percent"] = _pct(params["percent"])
        else:
            p["amount"] = _cents(params["amount"])
            stage = 1 if (params.get("level") or "line") == "order" else 0
        p["min_quantity"] = int(_opt(params, "min_quantity") or 0)
        p["min_spend"] = _cents(_opt(params, "min_spend") or 0)
        max_items = _opt(params, "max_affected_items")
        p["max_items"] = None if max_items is None else int(max_items)
    elif kind in ("threshold_amount", "threshold_percent"):
        stage = 1
        tiers = []
        for tier in params["tiers"]:
            value = _cents(tier["amount"]) if kind == "threshold_amount" else _pct(tier["percent"])
            tiers.append((_cents(tier["threshold"]), value))
        p["tiers"] = sorted(tiers)
    elif kind == "buy_x_get_y":
        p["buy"] = int(params["buy"])
        p["get"] = int(params["get"])
        p["percent"] = _pct(_opt(params, "percent") or 100)
        p["max_applications"] = _opt(params, "max_applications")
        if p["buy"] < 0 or p["get"] < 1:
            raise ValueError(f"{promo.code}: buy_x_get_y needs buy >= 0 and get >= 1")
    elif kind == "bundle_price":
        p["quantity"] = int(params["quantity"])
        p["price"] = _cents(params["price"])
        p["max_applications"] = _opt(params, "max_applications")
        if p["quantity"] < 1:
            raise ValueError(f"{promo.code}: bundle_price needs quantity >= 1")
    elif kind == "gift":
        stage = 1
        p["threshold"] = _cents(params["threshold"])
        p["gift_sku"] = str(params["gift_sku"])
        p["quantity"] = int(_opt(params, "quantity") or 1)
    elif kind == "flash_sale":
        p["sku"] = str(params["sku"])
        p["price"] = _cents(params["price"])
        p["quantity"] = _opt(params, "quantity")
        p["per_customer"] = _opt(params, "per_customer")
    elif kind == "member_price":
        p["tiers"] = {str(tier): _pct(percent) for tier, percent in params["tiers"].items()}
    if p.get("max_applications") is not None:
        p["max_applications"] = int(p["max_applications"])
    skus = frozenset(promo.scope.skus)
    categories = frozenset(promo.scope.categories)
    if kind == "flash_sale":  # a flash sale is always about its one SKU
        skus, categories = frozenset({p["sku"]}), frozenset()
    coupon = bool(promo.coupon_required)
    return _Rule(
        promo=promo,
        stage=stage,
        coupon=coupon,
        sort_key=(coupon, stage, -promo.priority, _KIND_RANK[kind], promo.code),
        p=p,
        skus=skus,
        categories=categories,
        all_lines=not skus and not categories,
        handler="_" + kind,
    )


def _norm_code(code: str) -> str:
    return code.strip().upper()


# ---------------------------------------------------------------------------------------------
# One pass over the cart with a fixed set of promotions
# ---------------------------------------------------------------------------------------------
def _units(cur: list[int], qty: list[int], idx: Iterable[int], cheapest: bool) -> list[list[int]]:
    """Runs ``[value, count, line]`` of the units of ``idx``, cheapest (or dearest) first."""
    runs = []
    for i in idx:
        base, extra = divmod(cur[i], qty[i])
        if extra:
            runs.append([base + 1, extra, i])
        if qty[i] - extra:
            runs.append([base, qty[i] - extra, i])
    if cheapest:
        runs.sort(key=lambda run: (run[0], run[2]))
    else:
        runs.sort(key=lambda run: (-run[0], run[2]))
    return runs


def _take(runs: list[list[int]], n: int) -> dict[int, int]:
    """Take ``n`` units from the front of ``runs`` (consumed in place): value per line."""
    taken: dict[int, int] = {}
    while n > 0 and runs:
        run = runs[0]
        k = min(n, run[1])
        taken[run[2]] = taken.get(run[2], 0) + run[0] * k
        run[1] -= k
        n -= k
        if not run[1]:
            runs.pop(0)
    return taken


class _Pass:
    __slots__ = ("applied", "cur", "effects", "floors", "gifts", "hints", "lines", "qty", "trace", "warnings")

    def __init__(self, lines: list[CartLine], base: list[int], floors: list[int], qty: list[int]):
        self.lines = lines
        self.cur = list(base)
        self.floors = floors
        self.qty = qty
        self.applied: list[tuple[str, int]] = []
        self.effects: dict[str, int] = {}
        self.trace: list[TraceStep] = []
        self.hints: list[Hint] = []
        self.gifts: list[QuoteLine] = []
        self.warnings: list[QuoteWarning] = []

    # -- applying a discount -------------------------------------------------------------------
    def _apply(self, rule: _Rule, wanted: Mapping[int, int], what: str) -> int:
        promo = rule.promo
        cur = self.cur
        floors = None if promo.loss_leader else self.floors  # a loss leader line's floor is 0
        total = 0
        notes = []
        for i, amount in wanted.items():
            if amount <= 0:
                continue
            floor = floors[i] if floors else 0
            room = cur[i] - floor if cur[i] > floor else 0
            if amount > room:
                if floor:
                    notes.append(
                        f"{self.lines[i].sku} capped at its floor {_yuan(floor)}: "
                        f"{_yuan(room)} instead of {_yuan(amount)}"
                    )
                else:
                    notes.append(
                        f"{self.lines[i].sku} capped at zero: {_yuan(room)} instead of {_yuan(amount)}"
                    )
                amount = room
            cur[i] -= amount
            total += amount
        code = promo.code
        if total:
            self.applied.append((code, total))
            self.effects[code] = self.effects.get(code, 0) + total
            self.trace.append(TraceStep(code, f"{promo.kind}: {what}; discount {_yuan(total)}"))
        else:
            self.trace.append(TraceStep(code, f"{promo.kind}: {what}; no discount"))
        for note in notes:
            self.trace.append(TraceStep(code, note))
        return total

    def _skip(self, rule: _Rule, why: str) -> None:
        self.trace.append(TraceStep(rule.promo.code, f"{rule.promo.kind}: not applied, {why}"))

    def _split(self, amount: int, values: Mapping[int, int]) -> dict[int, int]:
        return dict(zip(values, split_amount(amount, list(values.values())), strict=True))

    def _conditions(self, rule: _Rule, idx: list[int]) -> str | None:
        p = rule.p
        if p["min_quantity"]:
            units = sum([self.qty[i] for i in idx])
            if units < p["min_quantity"]:
                return f"needs {p['min_quantity']} units in scope, the cart has {units}"
        spend = sum([self.cur[i] for i in idx]) if p["min_spend"] else 0
        if spend < p["min_spend"]:
            return f"needs {_yuan(p['min_spend'])} spent in scope, the cart has {_yuan(spend)}"
        return None

    # -- kinds ---------------------------------------------------------------------------------
    def run(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        getattr(self, rule.handler)(rule, idx, ctx)

    def _affected(self, rule: _Rule, idx: list[int]) -> dict[int, int]:
        max_items = rule.p["max_items"]
        if max_items is None:
            return {i: self.cur[i] for i in idx}
        return _take(_units(self.cur, self.qty, idx, cheapest=True), max_items)

    def _percent_off(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        why = self._conditions(rule, idx)
        if why:
            return self._skip(rule, why)
        pct = rule.p["percent"]
        affected = self._affected(rule, idx)
        self._apply(rule, {i: _pct_of(v, pct) for i, v in affected.items()}, f"{_pct_label(pct)} off")

    def _amount_off(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        why = self._conditions(rule, idx)
        if why:
            return self._skip(rule, why)
        affected = self._affected(rule, idx)
        amount = min(rule.p["amount"], sum(affected.values()))
        self._apply(rule, self._split(amount, affected), f"{_yuan(rule.p['amount'])} off")

    def _member_price(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        pct = rule.p["tiers"].get(ctx.member_tier) if ctx.member_tier else None
        if pct is None:
            return self._skip(rule, f"no member price for tier {ctx.member_tier!r}")
        self._apply(
            rule,
            {i: _pct_of(self.cur[i], pct) for i in idx},
            f"member tier {ctx.member_tier} {_pct_label(pct)} off",
        )

    def _flash_sale(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        p = rule.p
        code = rule.promo.code
        left = ctx.flash_remaining.get(code)
        if left is None:
            left = None if p["quantity"] is None else int(p["quantity"]) - ctx.total_usage.get(code, 0)
        if p["per_customer"] is not None:
            mine = int(p["per_customer"]) - ctx.customer_usage.get(code, 0)
            left = mine if left is None else min(left, mine)
        wanted = {}
        units = 0
        for i in idx:
            k = self.qty[i] if left is None else min(self.qty[i], left - units)
            if k <= 0:
                break
            value = sum(_take(_units(self.cur, self.qty, (i,), cheapest=False), k).values())
            wanted[i] = max(0, value - p["price"] * k)
            units += k
        if not units:
            return self._skip(rule, "sold out or the customer's limit is reached")
        self._apply(rule, wanted, f"{units} unit(s) of {p['sku']} at {_yuan(p['price'])}")

    def _buy_x_get_y(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        p = rule.p
        units = sum([self.qty[i] for i in idx])
        applications = units // (p["buy"] + p["get"])
        if p["max_applications"] is not None:
            applications = min(applications, p["max_applications"])
        if not applications:
            return self._skip(rule, f"needs {p['buy'] + p['get']} units in scope, the cart has {units}")
        free = _take(_units(self.cur, self.qty, idx, cheapest=True), applications * p["get"])
        pct = p["percent"]
        self._apply(
            rule,
            {i: _pct_of(v, pct) for i, v in free.items()},
            f"buy {p['buy']} get {p['get']} at {_pct_label(pct)} off, {applications} time(s)",
        )

    def _bundle_price(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        p = rule.p
        size, price = p["quantity"], p["price"]
        runs = _units(self.cur, self.qty, idx, cheapest=False)
        wanted: dict[int, int] = {}
        applications = 0
        while p["max_applications"] is None or applications < p["max_applications"]:
            if sum(run[1] for run in runs) < size:
                break
            group = _take(runs, size)
            value = sum(group.values())
            if value <= price:
                break
            for i, part in self._split(value - price, group).items():
                wanted[i] = wanted.get(i, 0) + part
            applications += 1
        if not applications:
            return self._skip(rule, f"no {size} units in scope costing more than {_yuan(price)}")
        self._apply(rule, wanted, f"{applications} bundle(s) of {size} for {_yuan(price)}")

    def _threshold_amount(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        self._threshold(rule, idx, percent=False)

    def _threshold_percent(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        self._threshold(rule, idx, percent=True)

    def _threshold(self, rule: _Rule, idx: list[int], percent: bool) -> None:
        code = rule.promo.code
        subtotal = sum([self.cur[i] for i in idx])
        reached = None
        for threshold, value in rule.p["tiers"]:
            if subtotal >= threshold:
                reached = (threshold, value)
                continue
            needed = threshold - subtotal
            if percent:
                saving = _pct_of(threshold, value)
                message = f"add {_yuan(needed)} more to get {_pct_label(value)} off (save {_yuan(saving)})"
            else:
                saving = min(value, threshold)
                message = f"add {_yuan(needed)} more to save {_yuan(saving)}"
            self.hints.append(Hint(code, _money(needed), _money(saving), message))
            break
        if reached is None:
            return self._skip(rule, f"subtotal {_yuan(subtotal)} is below the first tier")
        threshold, value = reached
        if percent:
            wanted = {i: _pct_of(self.cur[i], value) for i in idx}
            what = f"subtotal {_yuan(subtotal)} reaches {_yuan(threshold)}: {_pct_label(value)} off"
        else:
            wanted = self._split(min(value, subtotal), {i: self.cur[i] for i in idx})
            what = f"subtotal {_yuan(subtotal)} reaches {_yuan(threshold)}: {_yuan(value)} off"
        self._apply(rule, wanted, what)

    def _gift(self, rule: _Rule, idx: list[int], ctx: QuoteContext) -> None:
        p = rule.p
        code = rule.promo.code
        subtotal = sum([self.cur[i] for i in idx])
        if subtotal < p["threshold"]:
            needed = p["threshold"] - subtotal
            self.hints.append(
                Hint(
                    code,
                    _money(needed),
                    _money(0),
                    f"add {_yuan(needed)} more to get a free gift ({p['gift_sku']})",
                )
            )
            return self._skip(rule, f"subtotal {_yuan(subtotal)} is below {_yuan(p['threshold'])}")
        sku, quantity = p["gift_sku"], p["quantity"]
        self.gifts.append(QuoteLine(sku, quantity, _money(0), _money(0), _money(0), gift=True))
        self.applied.append((code, 0))
        self.effects[code] = self.effects.get(code, 0)
        self.trace.append(
            TraceStep(
                code,
                f"gift: subtotal {_yuan(subtotal)} reaches {_yuan(p['threshold'])}: {quantity} x {sku} free",
            )
        )
        unit_cost = ctx.gift_costs.get(sku)
        if unit_cost is None:
            message = f"gift {sku}: cost unknown, cannot check the 5-15 % band"
            self.warnings.append(QuoteWarning(code, message))
            return None
        cost = _cents(unit_cost) * quantity
        # 5 % <= cost / subtotal <= 15 %, in integers (an empty subtotal is outside the band)
        if not (subtotal and 20 * cost >= subtotal and 100 * cost <= 15 * subtotal):
            share = Decimal(cost) / Decimal(subtotal) if subtotal else Decimal(1)
            shown = (share * 100).quantize(Decimal("0.1"), ROUND_HALF_UP)
            self.warnings.append(
                QuoteWarning(
                    code,
                    f"gift {sku} costs {_yuan(cost)}, {shown} % "
                    f"of the qualifying subtotal {_yuan(subtotal)}: outside the 5-15 % band",
                )
            )
        return None


# ---------------------------------------------------------------------------------------------
# The index and the quote
# ---------------------------------------------------------------------------------------------
class PromotionIndex:
    """Promotions compiled once and indexed by SKU, category and coupon code, so a cart only
    looks at the promotions that can touch it. Build it when promotions change; reuse it."""

    def __init__(self, promotions: Iterable[Promotion]):
        self.rules: list[_Rule] = []
        self.by_sku: dict[Any, list[_Rule]] = {}
        self.by_category: dict[Any, list[_Rule]] = {}
        self.everywhere: list[_Rule] = []
        self.by_coupon: dict[str, _Rule] = {}
        for promo in promotions:
            rule = _compile(promo)
            self.rules.append(rule)
            if rule.coupon:
                for code in promo.coupon_codes:
                    self.by_coupon[_norm_code(code)] = rule
                continue
            if rule.all_lines:
                self.everywhere.append(rule)
            for sku in rule.skus:
                self.by_sku.setdefault(sku, []).append(rule)
            for category in rule.categories:
                self.by_category.setdefault(category, []).append(rule)
        # Rank the rules once so a quote sorts its promotions by an int (equal keys, equal rank).
        previous = None
        for rank, rule in enumerate(sorted(self.rules, key=lambda r: r.sort_key)):
            rule.rank = previous.rank if previous and previous.sort_key == rule.sort_key else rank
            previous = rule

    def quote(self, lines: Iterable[CartLine], ctx: QuoteContext) -> Quote:
        return _quote(self, list(lines), ctx)


def quote_cart(lines: Iterable[CartLine], ctx: QuoteContext, promotions: Iterable[Promotion]) -> Quote:
    """Price a cart against ``promotions`` (builds a throwaway index; cache a PromotionIndex instead)."""
    return PromotionIndex(promotions).quote(lines, ctx)


def _ineligible(rule: _Rule, ctx: QuoteContext) -> str | None:
    promo = rule.promo
    at = ctx.at
    if promo.starts_at is not None and at < promo.starts_at:
        return "not valid yet"
    if promo.ends_at is not None and at >= promo.ends_at:
        return "expired"
    scope = promo.scope
    if scope.channels and ctx.channel not in scope.channels:
        return "not valid on this channel"
    if scope.member_tiers and ctx.member_tier not in scope.member_tiers:
        return "not valid for this membership tier"
    code = promo.code
    if promo.usage_limit is not None and ctx.total_usage.get(code, 0) >= promo.usage_limit:
        return "usage limit reached"
    if promo.per_customer_limit is not None and ctx.customer_usage.get(code, 0) >= promo.per_customer_limit:
        return "per-customer limit reached"
    return None


def _scope_lines(rule: _Rule, lines: list[CartLine]) -> list[int]:
    if rule.all_lines:
        return list(range(len(lines)))
    skus, categories = rule.skus, rule.categories
    return [
        i
        for i, line in enumerate(lines)
        if line.sku in skus or (categories and not categories.isdisjoint(line.category_ids))
    ]


def _quote(index: PromotionIndex, lines: list[CartLine], ctx: QuoteContext) -> Quote:
    for line in lines:
        if line.quantity < 1 or line.unit_price < 0:
            raise ValueError(f"{line.sku}: quantity must be at least 1 and the unit price not negative")
    qty = [line.quantity for line in lines]
    units = [_cents(line.unit_price) for line in lines]
    base = [unit * line.quantity for unit, line in zip(units, lines, strict=True)]
    floors = [
        0 if line.floor_price is None or line.loss_leader else _cents(line.floor_price * line.quantity)
        for line in lines
    ]
    trace: list[TraceStep] = []
    rejected: list[RejectedCoupon] = []

    # Candidates: promotions indexed under the cart's SKUs and categories, plus cart-wide ones,
    # in the order first met. The index hits are the scope: a line is in a promotion's scope
    # exactly when its SKU or one of its categories is indexed under the promotion.
    everywhere = list(range(len(lines)))
    candidates: dict[int, tuple[_Rule, list[int]]] = {}
    for rule in index.everywhere:
        candidates[id(rule)] = (rule, everywhere)
    by_sku, by_category = index.by_sku, index.by_category
    for i, line in enumerate(lines):
        hits = by_sku.get(line.sku, [])
        if by_category:
            for category in line.category_ids:
                hits = hits + by_category.get(category, [])
        for rule in hits:
            found = candidates.get(id(rule))
            if found is None:
                candidates[id(rule)] = (rule, [i])
            elif found[1][-1] != i:  # not yet hit by this line (cart-wide rules hold every line)
                found[1].append(i)
    eligible: list[tuple[_Rule, list[int]]] = []
    for rule, idx in candidates.values():
        why = _ineligible(rule, ctx)
        if why:
            if why not in ("not valid yet", "expired"):
                trace.append(TraceStep(rule.promo.code, f"{rule.promo.kind}: not applied, {why}"))
            continue
        if idx:  # empty only for a cart-wide promotion on an empty cart
            eligible.append((rule, idx))

    # Coupons presented.
    coupon_of: dict[str, str] = {}  # promotion code -> presented coupon code
    for presented in ctx.coupon_codes:
        code = _norm_code(presented)
        rule = index.by_coupon.get(code)
        if rule is None:
            rejected.append(RejectedCoupon(presented, "unknown coupon"))
            continue
        if rule.promo.code in coupon_of:
            rejected.append(RejectedCoupon(presented, "duplicate coupon"))
            continue
        why = _ineligible(rule, ctx)
        if why is None:
            idx = _scope_lines(rule, lines)
            if not idx:
                why = "no eligible items in the cart"
        if why:
            rejected.append(RejectedCoupon(presented, why))
            trace.append(TraceStep(rule.promo.code, f"coupon {presented} rejected: {why}"))
            continue
        coupon_of[rule.promo.code] = presented
        eligible.append((rule, idx))

    eligible.sort(key=lambda item: item[0].rank)

    # Exclusivity: price each combination of exclusive promotions on disjoint lines.
    lines_of = {id(rule): idx for rule, idx in eligible}
    exclusives = [(rule, frozenset(idx)) for rule, idx in eligible if rule.promo.exclusive]
    options: list[tuple[_Rule, ...]] = [()]
    if exclusives:
        if len(exclusives) <= MAX_EXCLUSIVE_SEARCH:
            options = _disjoint_sets(exclusives)
        else:
            chosen, used = [], frozenset()
            for rule, idx in sorted(exclusives, key=lambda item: -item[0].promo.priority):
                if used.isdisjoint(idx):
                    chosen.append(rule)
                    used |= idx
            options = [(), tuple(chosen)]
    best: _Pass | None = None
    best_option: tuple[_Rule, ...] = ()
    for option in options:
        blocked: set[int] = set()
        for rule in option:
            blocked.update(lines_of[id(rule)])
        state = _Pass(lines, base, floors, qty)
        for rule, idx in eligible:
            if rule.promo.exclusive:
                if rule not in option:
                    continue
            elif blocked:
                idx = [i for i in idx if i not in blocked]
                if not idx:
                    continue
            state.run(rule, idx, ctx)
        if best is None or sum(state.cur) < sum(best.cur):
            best, best_option = state, option
    assert best is not None
    if len(options) > 1:
        names = ", ".join(rule.promo.code for rule in best_option) or "no exclusive promotion"
        trace.append(
            TraceStep(
                "",
                f"{len(options)} combinations of exclusive promotions priced; best for the customer: {names}",
            )
        )
    trace.extend(best.trace)

    # Coupons that did nothing in the chosen combination.
    chosen_codes = {rule.promo.code for rule in best_option}
    for promo_code, presented in coupon_of.items():
        if promo_code in best.effects:
            continue
        rule = next(r for r, _ in eligible if r.promo.code == promo_code)
        covered = {i for r in best_option for i in lines_of[id(r)]}
        if rule.promo.exclusive and promo_code not in chosen_codes:
            reason = "a better offer applies"
        elif not rule.promo.exclusive and covered and covered.issuperset(lines_of[id(rule)]):
            reason = "cannot be combined with " + ", ".join(r.promo.code for r in best_option)
        else:
            reason = "conditions not met"
        rejected.append(RejectedCoupon(presented, reason))

    out_lines = []
    cur = best.cur
    for i, line in enumerate(lines):
        discount = base[i] - cur[i]
        out_lines.append(
            QuoteLine(
                line.sku,
                line.quantity,
                _money(units[i]),
                _money(discount) if discount else _ZERO,
                _money(cur[i]),
            )
        )
    out_lines.extend(best.gifts)
    subtotal = sum(base)
    total = sum(best.cur)
    return Quote(
        lines=out_lines,
        subtotal=_money(subtotal),
        discount_total=_money(subtotal - total),
        total=_money(total),
        applied=[AppliedPromotion(code, _money(amount)) for code, amount in best.applied],
        rejected_coupons=rejected,
        hints=best.hints,
        warnings=best.warnings,
        trace=trace,
    )


def _disjoint_sets(exclusives: list[tuple[_Rule, frozenset]]) -> list[tuple[_Rule, ...]]:
    """Every set of exclusive promotions whose lines do not overlap, the empty set first."""
    found: list[tuple[_Rule, ...]] = []

    def walk(start: int, chosen: tuple[_Rule, ...], used: frozenset) -> None:
        found.append(chosen)
        for k in range(start, len(exclusives)):
            rule, idx = exclusives[k]
            if used.isdisjoint(idx):
                walk(k + 1, (*chosen, rule), used | idx)

    walk(0, (), frozenset())
    found.sort(key=len)  # stable: fewer exclusive promotions first, then priority order
    return found
