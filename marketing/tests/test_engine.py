"""The promotions engine, with worked examples in yuan. Pure: no database, no Django."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from marketing.engine import (
    AppliedPromotion,
    CartLine,
    Hint,
    Promotion,
    PromotionIndex,
    QuoteContext,
    RejectedCoupon,
    Scope,
    quote_cart,
    split_amount,
)

AT = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)  # 2026-11-11 10:00 in Shanghai


def line(sku, price, quantity=1, categories=(), floor=None, loss_leader=False):
    return CartLine(
        sku, quantity, D(price), frozenset(categories), None if floor is None else D(floor), loss_leader
    )


def promo(code, kind, params, *, skus=(), categories=(), channels=(), tiers=(), coupons=(), **kwargs):
    scope = Scope(frozenset(skus), frozenset(categories), frozenset(channels), frozenset(tiers))
    if coupons:
        kwargs.update(coupon_required=True, coupon_codes=frozenset(coupons))
    return Promotion(code=code, kind=kind, params=params, scope=scope, **kwargs)


def quote(lines, promotions, **context):
    context.setdefault("channel", "own_store")
    context.setdefault("at", AT)
    return quote_cart(lines, QuoteContext(**context), promotions)


def totals(result):
    return [ql.total for ql in result.lines if not ql.gift]


def discounts(result):
    return [ql.discount for ql in result.lines if not ql.gift]


def pct(code, percent, **kwargs):
    params = {"percent": D(percent)}
    for key in ("min_quantity", "min_spend", "max_affected_items"):
        if key in kwargs:
            params[key] = kwargs.pop(key)
    return promo(code, "percent_off", params, **kwargs)


def off(code, amount, level="line", **kwargs):
    params = {"amount": D(amount), "level": level}
    for key in ("min_quantity", "min_spend", "max_affected_items"):
        if key in kwargs:
            params[key] = kwargs.pop(key)
    return promo(code, "amount_off", params, **kwargs)


def tiers_amount(code, *tiers, **kwargs):
    return promo(
        code, "threshold_amount", {"tiers": [{"threshold": D(t), "amount": D(a)} for t, a in tiers]}, **kwargs
    )


def tiers_percent(code, *tiers, **kwargs):
    return promo(
        code,
        "threshold_percent",
        {"tiers": [{"threshold": D(t), "percent": D(p)} for t, p in tiers]},
        **kwargs,
    )


MANJIAN = tiers_amount("D11", ("199", "20"), ("399", "50"))


# ---------------------------------------------------------------------------------------------
# Every kind: (id, lines, promotions, context, line totals, discount total)
# ---------------------------------------------------------------------------------------------
KIND_CASES = [
    # percent_off: 20 % of ¥99.90 = 19.98; of 2 x ¥35.00 = 14.00.
    (
        "percent_off",
        [line("A", "99.90"), line("B", "35.00", 2)],
        [pct("P20", "20")],
        {},
        ["79.92", "56.00"],
        "33.98",
    ),
    # min_quantity 3 units in scope: 2 units -> nothing.
    (
        "percent_off min_quantity unmet",
        [line("A", "50", 2)],
        [pct("P", "10", min_quantity=3)],
        {},
        ["100.00"],
        "0.00",
    ),
    (
        "percent_off min_quantity met",
        [line("A", "50", 3)],
        [pct("P", "10", min_quantity=3)],
        {},
        ["135.00"],
        "15.00",
    ),
    (
        "percent_off min_spend unmet",
        [line("A", "99.99")],
        [pct("P", "10", min_spend=D("100"))],
        {},
        ["99.99"],
        "0.00",
    ),
    (
        "percent_off min_spend met",
        [line("A", "100")],
        [pct("P", "10", min_spend=D("100"))],
        {},
        ["90.00"],
        "10.00",
    ),
    # 50 % off at most 2 units, the cheapest: two ¥30 units of B -> ¥30.00 off B.
    (
        "percent_off max_affected_items",
        [line("A", "50", 2), line("B", "30", 3)],
        [pct("P", "50", max_affected_items=2)],
        {},
        ["100.00", "60.00"],
        "30.00",
    ),
    # amount_off ¥10 over ¥30 and ¥70 lines: 3.00 and 7.00.
    (
        "amount_off split",
        [line("A", "30"), line("B", "70")],
        [off("O", "10")],
        {},
        ["27.00", "63.00"],
        "10.00",
    ),
    # never more than the affected items: ¥50 off a ¥20 line.
    ("amount_off capped at value", [line("A", "20")], [off("O", "50")], {}, ["0.00"], "20.00"),
    # ¥10 off the 2 cheapest units (¥5 + ¥5 of B) only, not A.
    (
        "amount_off max_affected_items",
        [line("A", "40"), line("B", "5", 3)],
        [off("O", "10", max_affected_items=2)],
        {},
        ["40.00", "5.00"],
        "10.00",
    ),
    # 满199减20 / 满399减50: ¥250 -> 20 off.
    ("threshold_amount tier 1", [line("A", "250")], [MANJIAN], {}, ["230.00"], "20.00"),
    ("threshold_amount tier 2", [line("A", "400")], [MANJIAN], {}, ["350.00"], "50.00"),
    ("threshold_amount below", [line("A", "198.99")], [MANJIAN], {}, ["198.99"], "0.00"),
    # 满300打9折: ¥150.55 -> 15.055 -> 15.06; ¥199.99 -> 19.999 -> 20.00 (per line, half-up).
    (
        "threshold_percent",
        [line("A", "150.55"), line("B", "199.99")],
        [tiers_percent("ZHE", ("300", "10"), ("500", "20"))],
        {},
        ["135.49", "179.99"],
        "35.06",
    ),
    # buy 2 get 1 free: the cheapest unit (B ¥20) is free.
    (
        "buy_x_get_y free",
        [line("A", "30", 2), line("B", "20")],
        [promo("B2G1", "buy_x_get_y", {"buy": 2, "get": 1, "percent": D("100")})],
        {},
        ["60.00", "0.00"],
        "20.00",
    ),
    # 7 units: two applications, two free units.
    (
        "buy_x_get_y repeated",
        [line("A", "10", 7)],
        [promo("B2G1", "buy_x_get_y", {"buy": 2, "get": 1})],
        {},
        ["50.00"],
        "20.00",
    ),
    (
        "buy_x_get_y max_applications",
        [line("A", "10", 7)],
        [promo("B2G1", "buy_x_get_y", {"buy": 2, "get": 1, "max_applications": 1})],
        {},
        ["60.00"],
        "10.00",
    ),
    # buy 1 get 1 at 50 % off: the cheaper ¥25 unit -> 12.50 off.
    (
        "buy_x_get_y percent",
        [line("A", "40"), line("B", "25")],
        [promo("B1G1", "buy_x_get_y", {"buy": 1, "get": 1, "percent": D("50")})],
        {},
        ["40.00", "12.50"],
        "12.50",
    ),
    # any 3 for ¥100, dearest first: 50+40+30 = 120 -> 20 off split 8.33 / 6.67 / 5.00; ¥20 left alone.
    (
        "bundle_price",
        [line("A", "50"), line("B", "40"), line("C", "30"), line("D", "20")],
        [promo("B3", "bundle_price", {"quantity": 3, "price": D("100")})],
        {},
        ["41.67", "33.33", "25.00", "20.00"],
        "20.00",
    ),
    # three ¥30 units already cost less than ¥100: no discount.
    (
        "bundle_price not cheaper",
        [line("A", "30", 3)],
        [promo("B3", "bundle_price", {"quantity": 3, "price": D("100")})],
        {},
        ["90.00"],
        "0.00",
    ),
    # 6 units of ¥40 = two bundles of 3 for ¥100 -> 40 off; max_applications 1 -> 20 off.
    (
        "bundle_price repeated",
        [line("A", "40", 6)],
        [promo("B3", "bundle_price", {"quantity": 3, "price": D("100")})],
        {},
        ["200.00"],
        "40.00",
    ),
    (
        "bundle_price max_applications",
        [line("A", "40", 6)],
        [promo("B3", "bundle_price", {"quantity": 3, "price": D("100"), "max_applications": 1})],
        {},
        ["220.00"],
        "20.00",
    ),
    # 秒杀: ¥100 at ¥59, 2 per customer: of 3 units 2 get the price -> 82 off.
    (
        "flash_sale per customer cap",
        [line("A", "100", 3)],
        [promo("FS", "flash_sale", {"sku": "A", "price": D("59"), "quantity": 100, "per_customer": 2})],
        {},
        ["218.00"],
        "82.00",
    ),
    (
        "flash_sale pool remaining",
        [line("A", "100", 3)],
        [promo("FS", "flash_sale", {"sku": "A", "price": D("59"), "quantity": 100, "per_customer": 2})],
        {"flash_remaining": {"FS": 1}},
        ["259.00"],
        "41.00",
    ),
    (
        "flash_sale customer already bought",
        [line("A", "100", 3)],
        [promo("FS", "flash_sale", {"sku": "A", "price": D("59"), "quantity": 100, "per_customer": 2})],
        {"customer_usage": {"FS": 2}},
        ["300.00"],
        "0.00",
    ),
    (
        "flash_sale pool from total usage",
        [line("A", "100", 3)],
        [promo("FS", "flash_sale", {"sku": "A", "price": D("59"), "quantity": 100})],
        {"total_usage": {"FS": 99}},
        ["259.00"],
        "41.00",
    ),
    (
        "flash_sale outside window",
        [line("A", "100")],
        [
            promo(
                "FS",
                "flash_sale",
                {"sku": "A", "price": D("59"), "quantity": 100},
                starts_at=AT + timedelta(hours=1),
                ends_at=AT + timedelta(hours=2),
            )
        ],
        {},
        ["100.00"],
        "0.00",
    ),
    (
        "member_price gold",
        [line("A", "199")],
        [promo("VIP", "member_price", {"tiers": {"gold": D("20"), "silver": D("5")}})],
        {"member_tier": "gold"},
        ["159.20"],
        "39.80",
    ),
    (
        "member_price other tier",
        [line("A", "199")],
        [promo("VIP", "member_price", {"tiers": {"gold": D("20")}})],
        {"member_tier": "bronze"},
        ["199.00"],
        "0.00",
    ),
    (
        "member_price no member",
        [line("A", "199")],
        [promo("VIP", "member_price", {"tiers": {"gold": D("20")}})],
        {},
        ["199.00"],
        "0.00",
    ),
]


@pytest.mark.parametrize(
    ("lines", "promotions", "context", "expected_totals", "expected_discount"),
    [case[1:] for case in KIND_CASES],
    ids=[case[0] for case in KIND_CASES],
)
def test_kinds(lines, promotions, context, expected_totals, expected_discount):
    result = quote(lines, promotions, **context)
    assert totals(result) == [D(t) for t in expected_totals]
    assert result.discount_total == D(expected_discount)
    assert result.total == result.subtotal - result.discount_total
    assert sum((a.amount for a in result.applied), D("0.00")) == result.discount_total


# ---------------------------------------------------------------------------------------------
# Stacking, stage order, priority
# ---------------------------------------------------------------------------------------------
STACK_CASES = [
    # 10 % off then 满199减20 on the discounted ¥225: 205.
    ("percent then threshold", [line("A", "250")], [pct("P10", "10"), MANJIAN], {}, ["205.00"]),
    # ¥220 - 10 % = ¥198: below 满199, no 满减.
    ("threshold on discounted subtotal", [line("A", "220")], [pct("P10", "10"), MANJIAN], {}, ["198.00"]),
    # line stage before order stage, whatever the priority: (100 - 10 %) - 20 = 70.
    (
        "order amount_off after line kinds",
        [line("A", "100")],
        [off("ORD20", "20", level="order", priority=100), pct("P10", "10", priority=0)],
        {},
        ["70.00"],
    ),
    # higher priority first: ¥10 off, then 10 % of 90 = 81.
    (
        "priority amount first",
        [line("A", "100")],
        [off("O10", "10", priority=20), pct("P10", "10", priority=10)],
        {},
        ["81.00"],
    ),
    (
        "priority percent first",
        [line("A", "100")],
        [off("O10", "10", priority=10), pct("P10", "10", priority=20)],
        {},
        ["80.00"],
    ),
    # the coupon stage follows the order stage: 250 - 20 = 230, coupon 10 % = 23 -> 207.
    (
        "coupon after order stage",
        [line("A", "250")],
        [MANJIAN, pct("C10", "10", coupons=["SAVE10"])],
        {"coupon_codes": ("SAVE10",)},
        ["207.00"],
    ),
    # member price 10 % then flash? flash first by kind order at equal priority: ¥100 -> 59 -> 53.10.
    (
        "flash then member",
        [line("A", "100")],
        [
            promo("VIP", "member_price", {"tiers": {"gold": D("10")}}),
            promo("FS", "flash_sale", {"sku": "A", "price": D("59")}),
        ],
        {"member_tier": "gold"},
        ["53.10"],
    ),
]


@pytest.mark.parametrize(
    ("lines", "promotions", "context", "expected_totals"),
    [case[1:] for case in STACK_CASES],
    ids=[case[0] for case in STACK_CASES],
)
def test_stacking(lines, promotions, context, expected_totals):
    result = quote(lines, promotions, **context)
    assert totals(result) == [D(t) for t in expected_totals]


def test_applied_lists_each_promotion_in_order():
    result = quote([line("A", "250")], [pct("P10", "10"), MANJIAN])
    assert result.applied == [AppliedPromotion("P10", D("25.00")), AppliedPromotion("D11", D("20.00"))]
    assert [step.code for step in result.trace] == ["P10", "D11"]
    assert "reaches ¥199.00" in result.trace[1].message


# ---------------------------------------------------------------------------------------------
# Exclusivity and the best choice for the customer
# ---------------------------------------------------------------------------------------------
EXCLUSIVE_CASES = [
    # exclusive 30 % (210) beats the stack 10 % + 满减 (250).
    (
        "exclusive beats stack",
        [line("A", "300")],
        [pct("X30", "30", exclusive=True), pct("P10", "10"), MANJIAN],
        ["210.00"],
        ["X30"],
    ),
    # exclusive 5 % (285) loses to the stack (250).
    (
        "stack beats exclusive",
        [line("A", "300")],
        [pct("X5", "5", exclusive=True), pct("P10", "10"), MANJIAN],
        ["250.00"],
        ["P10", "D11"],
    ),
    # exclusive on A only: the 10 % still applies to B.
    (
        "exclusive blocks only its lines",
        [line("A", "100"), line("B", "100")],
        [pct("X50", "50", skus=["A"], exclusive=True), pct("P10", "10")],
        ["50.00", "90.00"],
        ["P10", "X50"],
    ),
    # two exclusive on the same line: ¥30 off (70) beats 20 % (80).
    (
        "competing exclusives",
        [line("A", "100")],
        [pct("X20", "20", exclusive=True, priority=9), off("X30", "30", exclusive=True)],
        ["70.00"],
        ["X30"],
    ),
    # exclusive promotions on different lines both apply.
    (
        "disjoint exclusives",
        [line("A", "100"), line("B", "100")],
        [pct("XA", "20", skus=["A"], exclusive=True), off("XB", "30", skus=["B"], exclusive=True)],
        ["80.00", "70.00"],
        ["XA", "XB"],
    ),
]


@pytest.mark.parametrize(
    ("lines", "promotions", "expected_totals", "expected_codes"),
    [case[1:] for case in EXCLUSIVE_CASES],
    ids=[case[0] for case in EXCLUSIVE_CASES],
)
def test_exclusivity(lines, promotions, expected_totals, expected_codes):
    result = quote(lines, promotions)
    assert totals(result) == [D(t) for t in expected_totals]
    assert [a.code for a in result.applied] == expected_codes


def test_exclusive_choice_is_explained():
    result = quote([line("A", "300")], [pct("X30", "30", exclusive=True), pct("P10", "10")])
    assert result.trace[0].message == (
        "2 combinations of exclusive promotions priced; best for the customer: X30"
    )


# ---------------------------------------------------------------------------------------------
# Rounding
# ---------------------------------------------------------------------------------------------
def test_percent_rounded_per_line_half_up():
    # 10 % of ¥0.05 = 0.005 -> 0.01 on each line: 0.03, not 10 % of 0.15 = 0.02.
    result = quote([line("A", "0.05"), line("B", "0.05"), line("C", "0.05")], [pct("P", "10")])
    assert discounts(result) == [D("0.01")] * 3
    assert result.discount_total == D("0.03")


def test_percent_half_up_on_a_line():
    # 15 % of ¥33.30 = 4.995 -> 5.00 (banker's rounding would give 5.00 too; 4.985 shows the difference)
    result = quote([line("A", "33.30"), line("B", "33.23")], [pct("P", "15")])
    assert discounts(result) == [D("5.00"), D("4.98")]  # 4.9845 -> 4.98


def test_amount_split_adds_up_exactly():
    # ¥10 over three ¥10 lines: 3.34 + 3.33 + 3.33.
    result = quote([line("A", "10"), line("B", "10"), line("C", "10")], [off("O", "10")])
    assert discounts(result) == [D("3.34"), D("3.33"), D("3.33")]
    assert result.discount_total == D("10.00")


def test_threshold_amount_split_largest_remainder():
    # ¥20 over ¥100 and ¥263: 5.5096 -> 5.51, 14.4903 -> 14.49.
    result = quote([line("A", "100"), line("B", "263")], [MANJIAN])
    assert discounts(result) == [D("5.51"), D("14.49")]


@pytest.mark.parametrize(
    ("amount", "weights", "parts"),
    [
        (1000, [1000, 1000, 1000], [334, 333, 333]),
        (100, [1, 1, 1], [34, 33, 33]),
        (1, [500, 500], [1, 0]),
        (0, [5, 5], [0, 0]),
        (700, [0, 700], [0, 700]),
        (999, [333, 333, 334], [333, 333, 333]),
    ],
)
def test_split_amount(amount, weights, parts):
    assert split_amount(amount, weights) == parts
    assert sum(parts) == amount


def test_split_amount_random_carts_add_up():
    rng = random.Random(6)
    for _ in range(500):
        weights = [rng.randint(0, 100_000) for _ in range(rng.randint(1, 12))]
        amount = rng.randint(0, sum(weights))
        parts = split_amount(amount, weights)
        assert sum(parts) == (amount if sum(weights) else 0)
        assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))


# ---------------------------------------------------------------------------------------------
# Floor, loss leader, never below zero
# ---------------------------------------------------------------------------------------------
FLOOR_CASES = [
    # ¥100 with a floor of ¥80: 30 % off capped at 20.
    ("floor caps", [line("A", "100", floor="80")], [pct("P30", "30")], ["80.00"]),
    ("floor per unit x quantity", [line("A", "100", 2, floor="80")], [pct("P30", "30")], ["160.00"]),
    (
        "loss leader promotion",
        [line("A", "100", floor="80")],
        [pct("P30", "30", loss_leader=True)],
        ["70.00"],
    ),
    ("loss leader sku", [line("A", "100", floor="80", loss_leader=True)], [pct("P30", "30")], ["70.00"]),
    # the order-level amount is not moved to the capped line's neighbour.
    (
        "floor caps a split amount",
        [line("A", "100", floor="95"), line("B", "100")],
        [off("O", "20", level="order")],
        ["95.00", "90.00"],
    ),
    ("threshold larger than the cart", [line("A", "30")], [tiers_amount("BIG", ("10", "100"))], ["0.00"]),
    ("stack to zero", [line("A", "30")], [pct("P100", "100", priority=2), off("O10", "10")], ["0.00"]),
    (
        "flash sale below floor",
        [line("A", "100", floor="70")],
        [promo("FS", "flash_sale", {"sku": "A", "price": D("59")})],
        ["70.00"],
    ),
]


@pytest.mark.parametrize(
    ("lines", "promotions", "expected_totals"),
    [case[1:] for case in FLOOR_CASES],
    ids=[case[0] for case in FLOOR_CASES],
)
def test_floor_and_zero(lines, promotions, expected_totals):
    result = quote(lines, promotions)
    assert totals(result) == [D(t) for t in expected_totals]
    assert result.total >= 0
    assert all(ql.total >= 0 and ql.discount >= 0 for ql in result.lines)


def test_floor_cap_is_in_the_trace():
    result = quote([line("A", "100", floor="80")], [pct("P30", "30")])
    assert result.trace[-1].message == "A capped at its floor ¥80.00: ¥20.00 instead of ¥30.00"
    assert result.applied == [AppliedPromotion("P30", D("20.00"))]


def test_random_carts_keep_invariants():
    rng = random.Random(11)
    promotions = [
        pct("P10", "10", categories=[1]),
        pct("X35", "35", exclusive=True, skus=["S3"]),
        off("O15", "15", min_spend=D("50")),
        tiers_amount("D11", ("199", "20"), ("399", "50")),
        tiers_percent("ZHE", ("300", "5")),
        promo("B2G1", "buy_x_get_y", {"buy": 2, "get": 1}, categories=[2]),
        promo("B3", "bundle_price", {"quantity": 3, "price": D("50")}, skus=["S1", "S2", "S4"]),
        promo("FS", "flash_sale", {"sku": "S5", "price": D("9.90"), "quantity": 5, "per_customer": 2}),
        off("ORD", "300", level="order"),
    ]
    index = PromotionIndex(promotions)
    for _ in range(300):
        lines = []
        for n in range(rng.randint(1, 8)):
            price = D(rng.randint(1, 30000)) / 100
            floor = None if rng.random() < 0.5 else (price * D(rng.randint(0, 90)) / 100).quantize(D("0.01"))
            lines.append(
                line(f"S{n}", price, rng.randint(1, 4), {rng.randint(1, 3)}, floor, rng.random() < 0.1)
            )
        result = index.quote(lines, QuoteContext("own_store", AT))
        assert result.total == result.subtotal - result.discount_total >= 0
        assert sum((ql.discount for ql in result.lines), D(0)) == result.discount_total
        assert sum((a.amount for a in result.applied), D(0)) == result.discount_total
        for ql, cart_line in zip(result.lines, lines, strict=False):
            assert ql.total >= 0
            assert ql.total == ql.unit_price * ql.quantity - ql.discount
            if cart_line.floor_price is not None and not cart_line.loss_leader:
                assert ql.total >= (cart_line.floor_price * cart_line.quantity).quantize(D("0.01"))


# ---------------------------------------------------------------------------------------------
# Hints and gifts
# ---------------------------------------------------------------------------------------------
def test_hint_gap_to_next_tier():
    # ¥363: 满199减20 applies; ¥36.00 more reaches 满399减50.
    result = quote([line("A", "363")], [MANJIAN])
    assert result.hints == [Hint("D11", D("36.00"), D("50.00"), "add ¥36.00 more to save ¥50.00")]


def test_hint_below_first_tier_and_after_line_discounts():
    result = quote([line("A", "220")], [pct("P10", "10"), MANJIAN])  # 198 after 10 %
    assert result.hints == [Hint("D11", D("1.00"), D("20.00"), "add ¥1.00 more to save ¥20.00")]


def test_no_hint_at_top_tier():
    assert quote([line("A", "400")], [MANJIAN]).hints == []


def test_hint_threshold_percent():
    result = quote([line("A", "350.54")], [tiers_percent("ZHE", ("300", "10"), ("500", "20"))])
    assert result.hints == [
        Hint("ZHE", D("149.46"), D("100.00"), "add ¥149.46 more to get 20 % off (save ¥100.00)")
    ]


GIFT = promo("GIFT", "gift", {"threshold": D("300"), "gift_sku": "G-1", "quantity": 1})


def test_gift_added_at_zero_price_within_band():
    result = quote([line("A", "300")], [GIFT], gift_costs={"G-1": D("20")})  # 6.7 %
    gift = result.lines[-1]
    assert (gift.sku, gift.quantity, gift.unit_price, gift.total, gift.gift) == (
        "G-1",
        1,
        D("0"),
        D("0"),
        True,
    )
    assert result.total == D("300.00")
    assert result.applied == [AppliedPromotion("GIFT", D("0.00"))]
    assert result.warnings == []


def test_gift_cost_outside_band_warns():
    result = quote([line("A", "300")], [GIFT], gift_costs={"G-1": D("60")})  # 20 %
    assert [w.message for w in result.warnings] == [
        "gift G-1 costs ¥60.00, 20.0 % of the qualifying subtotal ¥300.00: outside the 5-15 % band"
    ]
    cheap = quote([line("A", "300")], [GIFT], gift_costs={"G-1": D("9")})  # 3 %
    assert len(cheap.warnings) == 1


def test_gift_cost_unknown_warns():
    result = quote([line("A", "300")], [GIFT])
    assert result.warnings[0].message == "gift G-1: cost unknown, cannot check the 5-15 % band"


def test_gift_below_threshold_hints():
    result = quote([line("A", "250")], [GIFT], gift_costs={"G-1": D("20")})
    assert len(result.lines) == 1
    assert result.hints == [Hint("GIFT", D("50.00"), D("0.00"), "add ¥50.00 more to get a free gift (G-1)")]


# ---------------------------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------------------------
COUPON = off("C20", "20", level="order", coupons=["SAVE20"])

COUPON_CASES = [
    ("accepted", [COUPON], {"coupon_codes": ("SAVE20",)}, "80.00", []),
    ("case and spaces", [COUPON], {"coupon_codes": (" save20 ",)}, "80.00", []),
    ("not presented", [COUPON], {}, "100.00", []),
    ("unknown", [COUPON], {"coupon_codes": ("NOPE",)}, "100.00", [("NOPE", "unknown coupon")]),
    (
        "duplicate",
        [COUPON],
        {"coupon_codes": ("SAVE20", "SAVE20")},
        "80.00",
        [("SAVE20", "duplicate coupon")],
    ),
    (
        "total limit reached",
        [off("C20", "20", coupons=["SAVE20"], usage_limit=10)],
        {"coupon_codes": ("SAVE20",), "total_usage": {"C20": 10}},
        "100.00",
        [("SAVE20", "usage limit reached")],
    ),
    (
        "total limit not reached",
        [off("C20", "20", coupons=["SAVE20"], usage_limit=10)],
        {"coupon_codes": ("SAVE20",), "total_usage": {"C20": 9}},
        "80.00",
        [],
    ),
    (
        "per-customer limit reached",
        [off("C20", "20", coupons=["SAVE20"], per_customer_limit=1)],
        {"coupon_codes": ("SAVE20",), "customer_usage": {"C20": 1}},
        "100.00",
        [("SAVE20", "per-customer limit reached")],
    ),
    (
        "expired",
        [off("C20", "20", coupons=["SAVE20"], ends_at=AT)],
        {"coupon_codes": ("SAVE20",)},
        "100.00",
        [("SAVE20", "expired")],
    ),
    (
        "not valid yet",
        [off("C20", "20", coupons=["SAVE20"], starts_at=AT + timedelta(seconds=1))],
        {"coupon_codes": ("SAVE20",)},
        "100.00",
        [("SAVE20", "not valid yet")],
    ),
    (
        "wrong channel",
        [off("C20", "20", coupons=["SAVE20"], channels=["tmall"])],
        {"coupon_codes": ("SAVE20",)},
        "100.00",
        [("SAVE20", "not valid on this channel")],
    ),
    (
        "wrong tier",
        [off("C20", "20", coupons=["SAVE20"], tiers=["gold"])],
        {"coupon_codes": ("SAVE20",), "member_tier": "silver"},
        "100.00",
        [("SAVE20", "not valid for this membership tier")],
    ),
    (
        "no eligible items",
        [off("C20", "20", coupons=["SAVE20"], skus=["Z"])],
        {"coupon_codes": ("SAVE20",)},
        "100.00",
        [("SAVE20", "no eligible items in the cart")],
    ),
    (
        "conditions not met",
        [off("C20", "20", coupons=["SAVE20"], min_spend=D("199"))],
        {"coupon_codes": ("SAVE20",)},
        "100.00",
        [("SAVE20", "conditions not met")],
    ),
    (
        "blocked by an exclusive promotion",
        [pct("X50", "50", exclusive=True), COUPON],
        {"coupon_codes": ("SAVE20",)},
        "50.00",
        [("SAVE20", "cannot be combined with X50")],
    ),
    (
        "exclusive coupon loses",
        [pct("X50", "50", exclusive=True), off("C20", "20", coupons=["SAVE20"], exclusive=True)],
        {"coupon_codes": ("SAVE20",)},
        "50.00",
        [("SAVE20", "a better offer applies")],
    ),
]


@pytest.mark.parametrize(
    ("promotions", "context", "expected_total", "expected_rejected"),
    [case[1:] for case in COUPON_CASES],
    ids=[case[0] for case in COUPON_CASES],
)
def test_coupons(promotions, context, expected_total, expected_rejected):
    result = quote([line("A", "100")], promotions, **context)
    assert result.total == D(expected_total)
    assert result.rejected_coupons == [RejectedCoupon(code, reason) for code, reason in expected_rejected]


def test_usage_limit_on_an_automatic_promotion():
    result = quote([line("A", "100")], [pct("P10", "10", usage_limit=5)], total_usage={"P10": 5})
    assert result.total == D("100.00")
    assert result.trace[0].message == "percent_off: not applied, usage limit reached"


# ---------------------------------------------------------------------------------------------
# Scope and schedule
# ---------------------------------------------------------------------------------------------
SCOPE_CASES = [
    ("channel in scope", pct("P", "10", channels=["own_store", "tmall"]), {}, "90.00"),
    ("channel out of scope", pct("P", "10", channels=["tmall"]), {}, "100.00"),
    ("tier in scope", pct("P", "10", tiers=["gold"]), {"member_tier": "gold"}, "90.00"),
    ("tier out of scope", pct("P", "10", tiers=["gold"]), {"member_tier": "silver"}, "100.00"),
    ("no tier", pct("P", "10", tiers=["gold"]), {}, "100.00"),
    ("sku in scope", pct("P", "10", skus=["A"]), {}, "90.00"),
    ("sku out of scope", pct("P", "10", skus=["B"]), {}, "100.00"),
    ("ancestor category", pct("P", "10", categories=[1]), {}, "90.00"),  # A is in 7 under 1
    ("own category", pct("P", "10", categories=[7]), {}, "90.00"),
    ("other category", pct("P", "10", categories=[2]), {}, "100.00"),
    ("starts now", pct("P", "10", starts_at=AT), {}, "90.00"),
    ("starts later", pct("P", "10", starts_at=AT + timedelta(minutes=1)), {}, "100.00"),
    ("ends now", pct("P", "10", ends_at=AT), {}, "100.00"),
    (
        "inside window",
        pct("P", "10", starts_at=AT - timedelta(days=1), ends_at=AT + timedelta(days=1)),
        {},
        "90.00",
    ),
    ("priced for a future campaign", pct("P", "10", starts_at=AT), {"at": AT + timedelta(days=30)}, "90.00"),
    ("before the campaign", pct("P", "10", starts_at=AT), {"at": AT - timedelta(days=30)}, "100.00"),
]


@pytest.mark.parametrize(
    ("promotion", "context", "expected_total"),
    [case[1:] for case in SCOPE_CASES],
    ids=[case[0] for case in SCOPE_CASES],
)
def test_scope_and_schedule(promotion, context, expected_total):
    result = quote([line("A", "100", categories={7, 1})], [promotion], **context)
    assert result.total == D(expected_total)


def test_scope_limits_the_threshold_subtotal():
    # 满199减20 on category 1 only: A (¥150, cat 1) + B (¥100, cat 2) -> in-scope ¥150, no discount.
    promotion = tiers_amount("CAT", ("199", "20"), categories=[1])
    result = quote([line("A", "150", categories={1}), line("B", "100", categories={2})], [promotion])
    assert result.discount_total == D("0.00")
    assert result.hints == [Hint("CAT", D("49.00"), D("20.00"), "add ¥49.00 more to save ¥20.00")]


def test_index_only_looks_at_relevant_promotions():
    index = PromotionIndex([pct(f"P{n}", "10", skus=[f"S{n}"]) for n in range(100)] + [MANJIAN])
    result = index.quote([line("S5", "300")], QuoteContext("own_store", AT))
    assert [step.code for step in result.trace] == ["P5", "D11"]
    assert result.total == D("250.00")  # 300 - 30 = 270, then 满199减20


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown promotion kind"):
        PromotionIndex([promo("X", "nonsense", {})])


def test_flash_sale_ignores_category_scope():
    flash = promo("FS", "flash_sale", {"sku": "A", "price": D("59")}, categories=[1])
    result = quote([line("A", "100", categories={1}), line("B", "100", categories={1})], [flash])
    assert totals(result) == [D("59.00"), D("100.00")]


def test_empty_cart():
    result = quote([], [MANJIAN, GIFT])
    assert (result.lines, result.subtotal, result.total, result.applied) == ([], D("0.00"), D("0.00"), [])


@pytest.mark.parametrize("bad", [line("A", "10", 0), line("A", "-1")])
def test_bad_lines_are_refused(bad):
    with pytest.raises(ValueError, match="quantity must be at least 1"):
        quote([bad], [])


def test_percent_with_decimals_and_prices_with_more_than_cents():
    # 12.5 % of ¥19.99 = 2.49875 -> 2.50; a price of ¥9.995 is taken as ¥10.00 (half-up).
    result = quote([line("A", "19.99"), line("B", "9.995")], [pct("P", "12.5")])
    assert discounts(result) == [D("2.50"), D("1.25")]
    assert result.lines[1].unit_price == D("10.00")
