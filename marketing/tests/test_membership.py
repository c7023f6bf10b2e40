"""Membership tiers and points rules, pure: tier by spend AND orders, the tier table's checks, points
earned, clawed back, FIFO redemption, points value, birthdays."""

from datetime import date
from decimal import Decimal

import pytest

from marketing import membership
from marketing.membership import DEFAULT_TIERS, TierRule

D = Decimal


@pytest.mark.parametrize(
    ("spend", "orders", "tier"),
    [
        (D("0.00"), 0, "member"),
        (D("799.99"), 5, "member"),  # orders enough for silver, spend not
        (D("800.00"), 1, "member"),  # spend enough, one order short
        (D("800.00"), 2, "silver"),
        (D("1999.99"), 9, "silver"),
        (D("2000.00"), 4, "gold"),
        (D("9000.00"), 7, "gold"),  # platinum spend, one order short
        (D("5000.00"), 8, "platinum"),
        (D("123456.00"), 100, "platinum"),
    ],
)
def test_tier_needs_both_thresholds(spend, orders, tier):
    assert membership.tier_for(spend=spend, orders=orders, rules=DEFAULT_TIERS) == tier


def test_tier_rules_in_any_order_and_the_lowest_is_the_floor():
    rules = [
        TierRule("gold", "Gold", 3, D("2000"), 4),
        TierRule("member", "Member", 1, D("100"), 1),  # a floor with thresholds is still the floor
        TierRule("silver", "Silver", 2, D("800"), 2),
    ]
    assert membership.tier_for(spend=D("0"), orders=0, rules=rules) == "member"
    assert membership.tier_for(spend=D("2500"), orders=4, rules=rules) == "gold"
    with pytest.raises(ValueError, match="No membership tiers"):
        membership.tier_for(spend=D("1"), orders=1, rules=[])


def test_default_tiers_pass_the_checks():
    assert membership.tier_rules_check(DEFAULT_TIERS) == {}
    assert [t.code for t in DEFAULT_TIERS] == ["member", "silver", "gold", "platinum"]


def _table(**changes):
    rules = {t.code: t for t in DEFAULT_TIERS}
    for code, values in changes.items():
        rule = rules[code]
        rules[code] = TierRule(
            rule.code,
            rule.name,
            rule.rank,
            values.get("min_spend", rule.min_spend),
            values.get("min_orders", rule.min_orders),
            values.get("points_multiplier", rule.points_multiplier),
        )
    return list(rules.values())


@pytest.mark.parametrize(
    ("table", "errors"),
    [
        (_table(gold={"min_spend": D("700")}), {"gold": ["asks_less"]}),
        (_table(platinum={"min_orders": 3}), {"platinum": ["asks_less"]}),
        (_table(gold={"min_spend": D("800"), "min_orders": 2}), {"gold": ["asks_same"]}),
        (_table(member={"min_spend": D("-1")}), {"member": ["negative"]}),
        (_table(member={"points_multiplier": D("0.5")}), {"member": ["multiplier_min"]}),
        (_table(gold={"points_multiplier": D("1.1")}), {"gold": ["multiplier_lower"]}),
        (list(DEFAULT_TIERS[:2]), {"__all__": ["count"]}),
        (
            [*DEFAULT_TIERS, *(TierRule(f"t{i}", "T", 5 + i, D(9000 + i), 9 + i, D("2")) for i in range(2))],
            {"__all__": ["count"]},
        ),
        (
            [*DEFAULT_TIERS[:3], TierRule("gold", "Gold 2", 4, D("6000"), 9, D("2"))],
            {"__all__": ["distinct"]},
        ),
        (list(DEFAULT_TIERS[:3]), {}),
        ([*DEFAULT_TIERS, TierRule("diamond", "Diamond", 5, D("20000"), 20, D("3"))], {}),
    ],
)
def test_tier_rules_check(table, errors):
    assert membership.tier_rules_check(table) == errors


@pytest.mark.parametrize(
    ("amount", "per_yuan", "multiplier", "points"),
    [
        (D("199.99"), D("1"), D("1.5"), 299),  # 299.985 -> 299
        (D("199.99"), D("1"), D("1"), 199),
        (D("332.08"), D("2"), D("1.2"), 796),  # 796.992
        (D("0.00"), D("1"), D("2"), 0),
        (D("0.99"), D("1"), D("1"), 0),
        (D("100.00"), D("0.5"), D("1"), 50),
        (D("-10.00"), D("1"), D("1"), 0),
    ],
)
def test_points_earned_floor(amount, per_yuan, multiplier, points):
    assert membership.points_earned(amount=amount, points_per_yuan=per_yuan, multiplier=multiplier) == points


@pytest.mark.parametrize(
    ("earned", "remaining", "total", "refund", "returned", "back"),
    [
        (300, 300, D("300.00"), D("0.00"), True, 300),  # returned: all unused
        (300, 120, D("300.00"), D("300.00"), True, 120),  # 180 already redeemed stay redeemed
        (300, 300, D("300.00"), D("300.00"), False, 300),  # refunded in full
        (300, 300, D("300.00"), D("100.00"), False, 100),  # a third refunded
        (299, 299, D("299.99"), D("100.00"), False, 100),  # 99.67 rounded up
        (300, 50, D("300.00"), D("100.00"), False, 50),  # never more than unused
        (300, 300, D("300.00"), D("0.00"), False, 0),  # refunded status without an amount
        (300, 0, D("300.00"), D("300.00"), True, 0),
    ],
)
def test_points_clawback(earned, remaining, total, refund, returned, back):
    assert (
        membership.points_clawback(
            earned=earned, remaining=remaining, total=total, refund=refund, returned=returned
        )
        == back
    )


def test_fifo_take_oldest_first():
    entries = [(11, 100), (12, 0), (13, 250), (14, 40)]
    assert membership.fifo_take(entries, 100) == [(11, 100)]
    assert membership.fifo_take(entries, 101) == [(11, 100), (13, 1)]
    assert membership.fifo_take(entries, 390) == [(11, 100), (13, 250), (14, 40)]
    with pytest.raises(membership.NotEnoughPoints, match="Only 390 points"):
        membership.fifo_take(entries, 391)
    with pytest.raises(ValueError, match="positive"):
        membership.fifo_take(entries, 0)


@pytest.mark.parametrize(
    ("points", "per_100", "value"),
    [
        (100, D("1.00"), D("1.00")),
        (250, D("1.00"), D("2.50")),
        (99, D("1.00"), D("0.99")),
        (1, D("0.50"), D("0.00")),
    ],
)
def test_points_value_rounds_down(points, per_100, value):
    assert membership.points_value(points=points, value_per_100=per_100) == value


@pytest.mark.parametrize(
    ("birthday", "today", "next_one"),
    [
        (date(1990, 5, 17), date(2026, 5, 1), date(2026, 5, 17)),
        (date(1990, 5, 17), date(2026, 5, 17), date(2026, 5, 17)),
        (date(1990, 5, 17), date(2026, 5, 18), date(2027, 5, 17)),
        (date(1992, 2, 29), date(2026, 2, 1), date(2026, 2, 28)),
        (date(1992, 2, 29), date(2027, 12, 31), date(2028, 2, 29)),
    ],
)
def test_next_birthday(birthday, today, next_one):
    assert membership.next_birthday(birthday, today) == next_one


def test_birthday_days_wrap_the_year_and_place_29_february():
    days = membership.birthday_days(date(2026, 12, 20), 30)
    assert days[0] == (12, 20, 0) and days[11] == (12, 31, 11) and days[12] == (1, 1, 12)
    assert days[-1] == (1, 18, 29) and len(days) == 30
    february = membership.birthday_days(date(2027, 2, 27), 3)
    assert february == [(2, 27, 0), (2, 28, 1), (2, 29, 1), (3, 1, 2)]
    leap = membership.birthday_days(date(2028, 2, 27), 3)
    assert leap == [(2, 27, 0), (2, 28, 1), (2, 29, 2)]


@pytest.mark.django_db
def test_customer_marketing_profile_for_the_service_360():
    from marketing.models import CustomerRFM, Membership
    from marketing.selectors.customers import customer_marketing_profile
    from orders.tests.factories import CustomerFactory

    blank, scored = CustomerFactory(), CustomerFactory()
    assert customer_marketing_profile(blank.pk) == {
        "segment": "",
        "segment_label": "",
        "rfm": "",
        "tier": "",
        "tier_label": "",
        "points": 0,
    }
    Membership.objects.create(customer=scored, tier="gold", points=120)
    CustomerRFM.objects.create(
        customer=scored,
        computed_on="2026-11-21",
        recency_days=3,
        frequency=4,
        monetary="880.00",
        r=5,
        f=4,
        m=3,
        segment="champions",
    )
    profile = customer_marketing_profile(scored.pk)
    assert (profile["segment"], profile["rfm"], profile["tier"], profile["points"]) == (
        "champions",
        "R5 F4 M3",
        "gold",
        120,
    )
    assert profile["segment_label"] == "Champions"
