"""The order-risk rules as pure functions: each rule's trigger and non-trigger case, the cap, the hold."""

from decimal import Decimal

from finance import risk as rules
from finance.risk import LineFacts, OrderFacts

HIGH = Decimal("800.00")


def facts(**overrides) -> OrderFacts:
    base = {
        "order_id": 1,
        "payment_method": "alipay",
        "total_shop": Decimal("100.00"),
        "has_customer": True,
        "customer_name": "王芳",
        "customer_province": "上海",
        "order_province": "上海",
        "earlier_counted": 3,
    }
    return OrderFacts(**(base | overrides))


def test_new_customer_with_high_value_cod_fires():
    result = rules.rule_new_customer_cod(
        facts(payment_method="cod", total_shop=Decimal("800.00"), earlier_counted=0), cod_high_value=HIGH
    )
    assert (result.rule, result.points) == ("new_customer_cod", 40)
    assert result.detail == (
        "Cash on delivery of 800.00 (at least 800.00) by a customer with no earlier order."
    )


def test_cod_without_any_customer_is_new():
    result = rules.rule_new_customer_cod(
        facts(payment_method="COD", total_shop=Decimal("999.00"), has_customer=False, earlier_counted=0),
        cod_high_value=HIGH,
    )
    assert result.points == 40


def test_new_customer_cod_does_not_fire_below_threshold_known_customer_or_prepaid():
    below = facts(payment_method="cod", total_shop=Decimal("799.99"), earlier_counted=0)
    known = facts(payment_method="cod", total_shop=Decimal("900.00"), earlier_counted=1)
    prepaid = facts(payment_method="alipay", total_shop=Decimal("900.00"), earlier_counted=0)
    for case, why in ((below, "below"), (known, "known"), (prepaid, "not_cod")):
        result = rules.rule_new_customer_cod(case, cod_high_value=HIGH)
        assert result.points == 0
        assert result.params["why"] == why


def test_shared_phone_under_two_other_names_fires():
    result = rules.rule_shared_contact(
        facts(names_same_phone=frozenset({"李雷", "韩梅梅", "王芳"}), shared_orders=3)
    )
    assert result.points == 30
    assert result.detail == "2 other names used the same phone in the last 30 days (3 orders)."


def test_shared_address_counts_names_from_phone_and_address_together():
    result = rules.rule_shared_contact(
        facts(names_same_phone=frozenset({"李雷"}), names_same_address=frozenset({"韩梅梅"}), shared_orders=2)
    )
    assert (result.points, result.params["names"], result.params["what"]) == (30, 2, "both")


def test_shared_contact_with_one_other_name_or_own_name_does_not_fire():
    assert rules.rule_shared_contact(facts(names_same_phone=frozenset({"李雷"}))).points == 0
    # the customer's own name (normalised) is not "another" name
    own = facts(customer_name="Wang Fang", names_same_address=frozenset({"wangfang", "李雷"}))
    assert rules.rule_shared_contact(own).points == 0


def test_province_mismatch():
    assert rules.rule_province_mismatch(facts(customer_province="北京", order_province="上海")).points == 15
    assert rules.rule_province_mismatch(facts(customer_province="上海", order_province="上海")).points == 0
    assert rules.rule_province_mismatch(facts(customer_province="", order_province="上海")).points == 0


def test_refused_cod_delivery_gives_30():
    result = rules.rule_refusals(facts(earlier_refused_cod=1, earlier_returned=0, earlier_counted=5))
    assert (result.rule, result.points) == ("refused_delivery", 30)


def test_returns_history_gives_20_at_half_of_earlier_orders():
    result = rules.rule_refusals(facts(earlier_returned=2, earlier_counted=4))
    assert (result.rule, result.points) == ("returns_history", 20)
    assert result.detail == "2 of 4 earlier orders were returned or refunded."


def test_returns_history_below_half_or_single_return_does_not_fire():
    assert rules.rule_refusals(facts(earlier_returned=2, earlier_counted=5)).points == 0
    assert rules.rule_refusals(facts(earlier_returned=1, earlier_counted=1)).points == 0


def test_unusual_quantity_floor_and_average():
    # no history: the floor of 10 applies
    line = LineFacts(sku_id=1, sku_code="SKU-1", quantity=10, average_quantity=None)
    assert rules.rule_unusual_quantity(facts(lines=(line,))).points == 20
    # average 3 -> threshold max(10, 15) = 15
    below = LineFacts(sku_id=1, sku_code="SKU-1", quantity=14, average_quantity=Decimal("3"))
    at = LineFacts(sku_id=1, sku_code="SKU-1", quantity=15, average_quantity=Decimal("3"))
    assert rules.rule_unusual_quantity(facts(lines=(below,))).points == 0
    result = rules.rule_unusual_quantity(facts(lines=(below, at)))
    assert result.points == 20
    assert result.params["threshold"] == "15" and result.params["quantity"] == 15
    assert (
        rules.rule_unusual_quantity(
            facts(lines=(LineFacts(sku_id=2, sku_code="S", quantity=9, average_quantity=None),))
        ).points
        == 0
    )


def test_score_sums_caps_at_100_and_holds_at_the_hold_score():
    worst = facts(
        payment_method="cod",
        total_shop=Decimal("1000.00"),
        earlier_counted=0,
        has_customer=False,
        customer_province="北京",
        names_same_phone=frozenset({"a", "b"}),
        earlier_refused_cod=1,
        lines=(LineFacts(sku_id=1, sku_code="S", quantity=50, average_quantity=Decimal("1")),),
    )
    assessment = rules.risk_assess(worst, cod_high_value=HIGH, hold_score=60)
    assert sum(r.points for r in assessment.results) == 40 + 30 + 15 + 30 + 20
    assert (assessment.score, assessment.hold) == (100, True)
    assert [r["rule"] for r in assessment.reasons] == [
        "new_customer_cod",
        "shared_contact",
        "province_mismatch",
        "refused_delivery",
        "unusual_quantity",
    ]
    just_below = facts(
        payment_method="cod", total_shop=Decimal("900.00"), earlier_counted=0, customer_province="北京"
    )
    assessment = rules.risk_assess(just_below, cod_high_value=HIGH, hold_score=60)
    assert (assessment.score, assessment.hold) == (55, False)
    assert rules.risk_assess(facts(), cod_high_value=HIGH, hold_score=60).score == 0


def test_reason_rows_render_again_in_another_language():
    from django.utils import translation

    result = rules.rule_province_mismatch(facts(customer_province="北京", order_province="上海"))
    row = result.as_reason()
    assert row["detail"] == "The customer's province 北京 differs from the shipping province 上海."
    with translation.override("en"):
        assert rules.reason_display(row) == row["detail"]
    assert rules.reason_display({"detail": "kept"}) == "kept"


def test_normalisation():
    assert rules.address_normalize(" 上海市 浦东新区\u3000XX路1号 ") == "上海市浦东新区xx路1号"
    assert rules.phone_normalize("138-0000 0000") == "13800000000"
    assert rules.name_normalize(" Wang  Fang ") == "wangfang"
