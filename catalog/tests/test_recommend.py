"""The recommendation engine (`pricing.recommend`), one row per rule and per way the floor bites; no database.

Unless a row says otherwise: price ¥129.00, landed ¥60.00, floor 40 % (floor price ¥100.00), lead time 14
days, settings' defaults (markdown above 90 days of cover by 10 %, raise 5 %, competitor gap 10 %)."""

from decimal import Decimal as D

import pytest

from catalog import pricing
from catalog.services.recommendations import reason_text
from catalog.services.stats import daily_demand_and_cover

RULES = pricing.Rules(
    markdown_cover_days=90, markdown_step=D("0.10"), raise_step=D("0.05"), competitor_gap=D("0.10")
)


def facts(**kw):
    base = {
        "price": D("129.00"),
        "landed": D("60.00"),
        "floor": D("0.40"),
        "cover_days": None,
        "units_28d": 0,
        "units_prev_28d": 0,
        "lead_time_days": 14,
        "competitor_prices": [],
        "promotion_soon": "",
    }
    base.update(kw)
    return pricing.Facts(**base)


CASES = [
    # id, facts, expected action, price, reason
    (
        "markdown",
        {"cover_days": D("142"), "units_28d": 12, "units_prev_28d": 20},
        "markdown",
        "119.00",
        "markdown",
    ),
    (
        "markdown-needs-slowing",
        {"cover_days": D("142"), "units_28d": 20, "units_prev_28d": 20},
        "hold",
        "129.00",
        "hold",
    ),
    (
        "markdown-needs-cover-above",
        {"cover_days": D("90"), "units_28d": 1, "units_prev_28d": 20},
        "hold",
        "129.00",
        "hold",
    ),
    (
        "markdown-just-above",
        {"cover_days": D("90.1"), "units_28d": 19, "units_prev_28d": 20},
        "markdown",
        "119.00",
        "markdown",
    ),
    # 199 - 10 % = 179.10 -> 179, under the floor price 183.34 -> the next X9 above it
    (
        "markdown-stops-at-floor",
        {
            "price": D("199.00"),
            "landed": D("110.00"),
            "cover_days": D("200"),
            "units_28d": 1,
            "units_prev_28d": 5,
        },
        "markdown",
        "189.00",
        "markdown",
    ),
    # floor price 125.00: the lowest X9 at or above it is 129, the price itself -> hold
    (
        "markdown-blocked-by-floor",
        {"landed": D("75.00"), "cover_days": D("142"), "units_28d": 12, "units_prev_28d": 20},
        "hold",
        "129.00",
        "markdown_floor",
    ),
    # loss leader: floor 5 % -> floor price 63.16; 116.10 -> 119
    (
        "markdown-loss-leader",
        {
            "landed": D("110.00"),
            "floor": D("0.05"),
            "cover_days": D("142"),
            "units_28d": 1,
            "units_prev_28d": 9,
        },
        "markdown",
        "119.00",
        "markdown",
    ),
    ("raise", {"cover_days": D("9"), "units_28d": 30, "units_prev_28d": 20}, "raise", "139.00", "raise"),
    (
        "raise-at-growth-edge",
        {"cover_days": D("13.9"), "units_28d": 24, "units_prev_28d": 20},
        "raise",
        "139.00",
        "raise",
    ),
    (
        "raise-needs-strong-demand",
        {"cover_days": D("9"), "units_28d": 23, "units_prev_28d": 20},
        "hold",
        "129.00",
        "hold",
    ),
    (
        "raise-needs-cover-under-lead",
        {"cover_days": D("14"), "units_28d": 30, "units_prev_28d": 20},
        "hold",
        "129.00",
        "hold",
    ),
    (
        "raise-from-nothing-before",
        {"cover_days": D("2"), "units_28d": 3, "units_prev_28d": 0},
        "raise",
        "139.00",
        "raise",
    ),
    # 99 + 5 % = 103.95 rounds back to 99: the next X9 up instead
    (
        "raise-rounded-away",
        {
            "price": D("99.00"),
            "landed": D("40.00"),
            "cover_days": D("5"),
            "units_28d": 40,
            "units_prev_28d": 10,
        },
        "raise",
        "109.00",
        "raise",
    ),
    (
        "no-demand-no-cover",
        {"cover_days": None, "units_28d": 0, "units_prev_28d": 30},
        "hold",
        "129.00",
        "hold",
    ),
    # median 109; 129 > 109 x 1.10 = 119.90
    ("match", {"competitor_prices": [D("99.00"), D("109.00"), D("119.00")]}, "match", "109.00", "match"),
    (
        "match-within-gap",
        {"competitor_prices": [D("119.00"), D("119.00"), D("125.00")]},
        "hold",
        "129.00",
        "hold",
    ),
    # median 89 is under the floor price 100.00: the lowest X9 above it, 109
    (
        "match-stops-at-floor",
        {"competitor_prices": [D("79.00"), D("89.00"), D("99.00")]},
        "match",
        "109.00",
        "match",
    ),
    (
        "match-blocked-by-floor",
        {"landed": D("75.00"), "competitor_prices": [D("99.00"), D("109.00")]},
        "hold",
        "129.00",
        "match_floor",
    ),
    # the first rule that applies wins: markdown before match, promotion before everything
    (
        "markdown-before-match",
        {"cover_days": D("142"), "units_28d": 12, "units_prev_28d": 20, "competitor_prices": [D("79.00")]},
        "markdown",
        "119.00",
        "markdown",
    ),
    (
        "promotion-holds",
        {"cover_days": D("142"), "units_28d": 12, "units_prev_28d": 20, "promotion_soon": "618"},
        "hold",
        "129.00",
        "promotion",
    ),
]


@pytest.mark.parametrize(
    ("given", "action", "price", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_recommend_rules(given, action, price, reason):
    result = pricing.recommend(facts(**given), RULES)
    assert (result.action, result.price, result.reason) == (action, D(price), reason)
    if result.action != "hold":
        landed, floor = given.get("landed", D("60.00")), given.get("floor", D("0.40"))
        assert not pricing.breaks_floor(result.price, landed, floor)
        assert result.price == pricing.ceil_9(result.price)  # ends in 9


def test_recommend_figures_carry_the_numbers_of_the_reason():
    result = pricing.recommend(facts(cover_days=D("142"), units_28d=12, units_prev_28d=20), RULES)
    assert result.figures == {
        "price": "129.00",
        "floor_price": "100.00",
        "floor": "0.40",
        "cover_days": "142",
        "units_28d": 12,
        "units_prev_28d": 20,
        "lead_time_days": 14,
        "step": "0.10",
    }


def test_reason_sentences_quote_the_figures():
    markdown = pricing.recommend(facts(cover_days=D("142"), units_28d=12, units_prev_28d=20), RULES)
    figures = {**markdown.figures, "new_price": "119.00", "markdown_cover_days": 90}
    assert reason_text("markdown", figures) == (
        "Cover 142 days is above 90 and sales are slowing (12 units in the last 28 days vs 20 before): "
        "mark down 10 % from ¥129.00 to ¥119.00 (floor price ¥100.00)."
    )
    rise = pricing.recommend(facts(cover_days=D("9.5"), units_28d=30, units_prev_28d=20), RULES)
    assert reason_text("raise", {**rise.figures, "new_price": "139.00"}) == (
        "Cover 9.5 days is under the lead time of 14 days and demand is strong (30 units in the last 28 "
        "days vs 20 before): raise 5 % from ¥129.00 to ¥139.00."
    )
    match = pricing.recommend(facts(competitor_prices=[D("99.00"), D("109.00"), D("119.00")]), RULES)
    assert reason_text("match", {**match.figures, "new_price": "109.00"}) == (
        "Priced 18.3 % above the median of 3 competitor offers (¥109.00; alert above 10 %): match at "
        "¥109.00 from ¥129.00 (floor price ¥100.00)."
    )


@pytest.mark.parametrize(
    ("available", "units", "demand", "cover"),
    [
        (100, 28, "1.000", "100.0"),
        (142, 12, "0.429", "331.3"),  # 142 / (12 / 28), from the unrounded demand
        (0, 5, "0.179", "0.0"),
        (-3, 5, "0.179", "0.0"),  # oversold stock counts as none
        (50, 0, "0.000", None),  # no demand: no cover
    ],
)
def test_daily_demand_and_cover(available, units, demand, cover):
    assert daily_demand_and_cover(available, units) == (D(demand), None if cover is None else D(cover))


def test_reason_sentences_say_when_the_floor_set_the_price():
    markdown = pricing.recommend(
        facts(price=D("199.00"), landed=D("110.00"), cover_days=D("200"), units_28d=1, units_prev_28d=5),
        RULES,
    )
    figures = {**markdown.figures, "new_price": str(markdown.price), "markdown_cover_days": 90}
    assert reason_text("markdown", figures) == (
        "Cover 200 days is above 90 and sales are slowing (1 units in the last 28 days vs 5 before): "
        "mark down from ¥199.00 to ¥189.00, the lowest price ending in 9 at or above the floor price "
        "¥183.34 (10 % off would break the floor)."
    )
    # under the floor already (landed 90: floor price 150.00): the raise goes to the floor's X9, 159
    rise = pricing.recommend(
        facts(landed=D("90.00"), cover_days=D("3"), units_28d=50, units_prev_28d=20), RULES
    )
    assert rise.price == D("159.00")
    assert reason_text("raise", {**rise.figures, "new_price": str(rise.price)}) == (
        "Cover 3 days is under the lead time of 14 days and demand is strong (50 units in the last 28 "
        "days vs 20 before): raise from ¥129.00 to ¥159.00, the first price ending in 9 at or above the "
        "floor price ¥150.00 (the price is under the floor now)."
    )
    match = pricing.recommend(facts(competitor_prices=[D("79.00"), D("89.00"), D("99.00")]), RULES)
    assert reason_text("match", {**match.figures, "new_price": str(match.price)}) == (
        "Priced 44.9 % above the median of 3 competitor offers (¥89.00; alert above 10 %): come down to "
        "¥109.00 from ¥129.00, the lowest price ending in 9 at or above the floor price ¥100.00 "
        "(matching the median would break the floor)."
    )


def test_a_raise_that_rounds_away_says_so():
    rise = pricing.recommend(
        facts(price=D("29.00"), landed=D("10.00"), cover_days=D("0"), units_28d=7, units_prev_28d=3), RULES
    )
    assert rise.price == D("39.00")
    assert reason_text("raise", {**rise.figures, "new_price": "39.00"}) == (
        "Cover 0 days is under the lead time of 14 days and demand is strong (7 units in the last 28 days "
        "vs 3 before): raise from ¥29.00 to ¥39.00, the next price ending in 9 (5 % more rounds back to "
        "¥29.00)."
    )
