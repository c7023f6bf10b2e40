"""The pricing arithmetic on worked examples, to the cent (no database)."""

from datetime import date
from decimal import Decimal as D

import pytest

from catalog import pricing
from catalog.pricing import ChannelRates, Costs

TMALL = ChannelRates("tmall", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060"))
PDD = ChannelRates("pdd", commission_rate=D("0.0060"), payment_fee_rate=D("0.0060"))
COSTS = Costs(
    purchase=D("40.00"),
    inbound=D("2.50"),
    packaging=D("1.20"),
    shipping=D("8.00"),
    marketing_rate=D("0.0500"),
)


def test_breakdown_on_tmall_to_the_cent():
    b = pricing.breakdown(D("129.00"), COSTS, TMALL)
    assert b.landed == D("43.70")
    assert b.gross_profit == D("85.30")
    assert b.gross_margin == D("0.6612")  # 85.30 / 129 = 0.661240…
    assert b.commission == D("6.45")
    assert b.payment_fee == D("0.77")  # 0.774
    assert b.marketing == D("6.45")
    assert b.contribution == D("63.63")  # 85.30 - 8.00 - 6.45 - 0.77 - 6.45
    assert b.contribution_margin == D("0.4933")
    steps = dict(b.steps())
    assert steps["price"] + sum(v for k, v in b.steps()[1:4]) == steps["gross_profit"]
    assert steps["gross_profit"] + sum(v for k, v in b.steps()[5:9]) == steps["contribution"]


def test_commission_differs_by_channel_and_rounds_half_up():
    assert pricing.breakdown(D("129.00"), COSTS, PDD).commission == D("0.77")  # 0.774
    assert pricing.breakdown(D("12.50"), COSTS, TMALL).commission == D("0.63")  # 0.625 half-up, not 0.62
    assert pricing.breakdown(D("99.90"), COSTS, TMALL).payment_fee == D("0.60")  # 0.5994
    assert pricing.breakdown(D("19.90"), COSTS, PDD).commission == D("0.12")  # 0.1194


def test_breakdown_without_channel_and_at_zero_price():
    b = pricing.breakdown(D("100"), Costs(purchase=D("60.00")))
    assert (b.commission, b.payment_fee, b.contribution, b.gross_margin) == (
        D("0.00"),
        D("0.00"),
        D("40.00"),
        D("0.4000"),
    )
    assert pricing.breakdown(D("0"), COSTS).gross_margin is None


def test_floor_price_is_the_lowest_price_that_keeps_the_floor():
    assert pricing.floor_price(D("43.70"), D("0.40")) == D("72.84")  # 72.8333… rounded up
    assert not pricing.breaks_floor(D("72.84"), D("43.70"), D("0.40"))
    assert pricing.breaks_floor(D("72.83"), D("43.70"), D("0.40"))  # 39.997 %: rounds to 40.00 % but breaks
    assert not pricing.breaks_floor(D("100.00"), D("60.00"), D("0.40"))  # exactly 40 % is allowed
    assert pricing.breaks_floor(D("0"), D("1.00"), D("0"))
    with pytest.raises(ValueError):
        pricing.floor_price(D("10"), D("1"))


def test_which_floor_applies():
    today = date(2026, 11, 22)
    assert pricing.floor_for(setting=D("0.40"), today=today) == pricing.Floor(D("0.40"), "setting")
    assert pricing.floor_for(setting=D("0.40"), category_floor=D("0.30"), today=today).source == "category"
    leader = {
        "loss_leader": True,
        "loss_leader_floor": D("0.05"),
        "category_floor": D("0.30"),
        "setting": D("0.40"),
    }
    assert pricing.floor_for(**leader, loss_leader_until=today, today=today) == pricing.Floor(
        D("0.05"), "loss_leader"
    )
    # the day after the end date the category floor is back
    assert pricing.floor_for(**leader, loss_leader_until=date(2026, 11, 21), today=today).value == D("0.30")


@pytest.mark.parametrize(
    ("price", "rounded"),
    [
        ("63.20", "59.00"),  # 59 is 4.20 away, 69 is 5.80 away
        ("64.00", "69.00"),  # a tie goes up
        ("70.00", "69.00"),
        ("69.00", "69.00"),  # already ends in 9
        ("129.50", "129.00"),
        ("999.99", "999.00"),
        ("6.32", "5.90"),  # under ¥10: .90 endings
        ("9.99", "9.90"),
        ("0.50", "0.90"),  # never below the band's first X9 price
        ("1049.00", "1099.00"),  # ¥1,000 and above: …99 endings, a tie goes up
        ("1320.00", "1299.00"),
    ],
)
def test_round_to_9_at_its_edges(price, rounded):
    assert pricing.round_to_9(D(price)) == D(rounded)


def test_round_to_9_never_goes_below_the_minimum():
    assert pricing.round_to_9(D("63.20"), minimum=D("60.00")) == D("69.00")
    assert pricing.round_to_9(D("129.50"), minimum=D("129.01")) == D("139.00")
    assert pricing.round_to_9(D("999.99"), minimum=D("999.50")) == D("1099.00")  # crosses into the …99 band
    assert pricing.ceil_9(D("9.99")) == D("19.00")


def test_cost_plus_channel_and_tier_prices():
    assert pricing.cost_plus(D("43.70"), D("0.35")) == D("59.00")  # 58.995 half-up
    assert pricing.cost_plus(D("10.01"), D("0.20")) == D("12.01")  # 12.012
    assert pricing.channel_price(D("129.00"), D("0.05"), rounding=False) == D("135.45")
    assert pricing.channel_price(D("129.00"), D("0.05"), rounding=True) == D("139.00")
    assert pricing.channel_price(D("129.00"), D("-0.03"), rounding=True, minimum=D("126.00")) == D("129.00")
    assert pricing.tier_price(D("129.00"), D("0.10")) == D("116.10")
    assert pricing.tier_price(D("99.90"), D("0.15")) == D("84.92")  # 84.915 half-up


def test_bundle_cost_and_stock_follow_the_components():
    parts = [pricing.Component(D("43.70"), 1, available=25), pricing.Component(D("5.10"), 3, available=40)]
    assert pricing.bundle_landed(parts) == D("59.00")
    assert pricing.bundle_available(parts) == 13  # 40 // 3 heads
    assert pricing.bundle_available([]) == 0


def test_range_mix_flags_roles_out_of_band():
    rows = [("hero", D("500"))] * 2 + [("core", D("300"))] * 5 + [("long_tail", D("10"))] * 3
    mix = {m.role: m for m in pricing.range_mix(rows, ["hero", "core", "long_tail", "new", "image"])}
    assert (mix["hero"].count_share, mix["hero"].count_flag) == (D("0.2000"), "")
    assert mix["hero"].revenue_share == D("0.3953")  # 1000 / 2530 = 0.39526
    assert mix["hero"].revenue_flag == "above"
    assert (mix["core"].count_share, mix["core"].count_flag) == (D("0.5000"), "")
    assert (mix["long_tail"].count_share, mix["long_tail"].count_flag) == (D("0.3000"), "")
    assert mix["long_tail"].revenue_flag == "below"
    assert (mix["new"].count, mix["new"].count_flag) == (0, "below")
    assert mix["image"].band is None and mix["image"].count_flag == ""


def test_competitor_band_and_gaps():
    band = pricing.competitor_band([D("79.00"), D("99.00"), D("89.00"), D("120.00")])
    assert (band.low, band.median, band.high, band.count) == (D("79.00"), D("94.00"), D("120.00"), 4)
    assert pricing.above_band(D("103.41"), band, D("0.10"))  # > 94 x 1.1 = 103.40
    assert not pricing.above_band(D("103.40"), band, D("0.10"))
    assert not pricing.above_band(D("500"), None, D("0.10"))
    gaps = pricing.price_band_gaps(
        ours=[D("45"), D("129")],
        theirs=[D("55"), D("78"), D("60"), D("130")],
        edges=pricing.DEFAULT_BAND_EDGES,
    )
    assert [(g.low, g.high, g.competitor_offers) for g in gaps] == [(D("50"), D("80"), 3)]
