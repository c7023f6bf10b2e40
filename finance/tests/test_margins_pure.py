"""The pure contribution-margin arithmetic (finance.margins), without a database."""

import random
from decimal import Decimal

import pytest

from finance import margins as m

D = Decimal


def test_largest_remainder_gives_leftover_cents_to_largest_remainders():
    assert m.allocate(D("100.00"), [1, 1, 1]) == [D("33.34"), D("33.33"), D("33.33")]
    # 6.00 over 95.00 : 99.99 -> 2.923 / 3.077: the cent left goes to the larger remainder (the second).
    assert m.allocate(D("6.00"), [D("95.00"), D("99.99")]) == [D("2.92"), D("3.08")]
    assert m.allocate_cents(5, [0, 0]) == [3, 2]  # no weight: equal split, ties to the earlier part
    assert m.allocate_cents(-10, [1, 2]) == [-3, -7]
    assert m.allocate_cents(0, []) == []
    with pytest.raises(ValueError):
        m.allocate_cents(1, [])


def test_allocation_always_sums_to_the_whole():
    rng = random.Random(8)
    for _ in range(500):
        total = rng.randint(0, 10**7)
        weights = [rng.randint(0, 10**6) for _ in range(rng.randint(1, 12))]
        parts = m.allocate_cents(total, weights)
        assert sum(parts) == total
        whole = sum(weights)
        if whole:  # each part within one cent of its exact share
            assert all(abs(p - total * w / whole) < 1 for p, w in zip(parts, weights, strict=True))
        money = m.allocate(D(total) / 100, [D(w) / 7 for w in weights])
        assert sum(money) == D(total) / 100


def test_order_split_with_discount_rate_refund_and_logistics():
    """An order in USD at 7.1: lines net 10.00 and 5.00, order discount 1.00, refund 2.00, shipped.

    discount 1.00 by net 10:5        -> 0.67 / 0.33 (the cent to the larger remainder)
    net after discount               -> 9.33 / 4.67 = 14.00 USD
    revenue 14.00 x 7.1 = 99.40 CNY   by 933:467 -> 6624.3 / 3315.7 cents -> 66.24 / 33.16
    refund 2.00 x 7.1 = 14.20 CNY     by revenue -> 946.3 / 473.7 cents  -> 9.46 / 4.74
    logistics 6.00                    by revenue -> 399.8 / 200.2 cents  -> 4.00 / 2.00
    """
    order = m.OrderFacts(
        order_id=1,
        channel_id=9,
        lines=(
            m.LineFacts(sku_id=1, net=1000, cogs=3000, units=1),
            m.LineFacts(sku_id=2, net=500, cogs=1000),
        ),
        order_discount=100,
        refund=200,
        exchange_rate=D("7.1"),
        shipped=True,
    )
    lines = m.order_lines_split(order, logistics_per_order=600)
    assert [(r.revenue, r.refunds, r.logistics) for r in lines] == [(6624, 946, 400), (3316, 474, 200)]
    assert [r.cogs for r in lines] == [3000, 1000]


def test_contribution_row_and_margin():
    result = m.contribution_margins(
        [
            m.OrderFacts(
                order_id=1,
                channel_id=1,
                lines=(m.LineFacts(sku_id=5, net=10000, cogs=4000, units=2),),
                refund=2500,
                shipped=True,
            )
        ],
        channel_rates={1: (D("0.05"), D("0.006"))},
        logistics_per_order=D("6.00"),
        compensations=[m.CompensationFacts(amount=300, sku_id=5), m.CompensationFacts(amount=100)],
        ad_spends=[m.AdSpendFacts(channel_id=1, spend=1234)],
    )
    (row,) = result.rows
    assert (row.revenue, row.cogs, row.commission, row.payment_fee) == (
        D("100.00"),
        D("40.00"),
        D("5.00"),
        D("0.60"),
    )
    assert (row.logistics, row.refunds, row.compensation, row.ad_spend) == (
        D("6.00"),
        D("25.00"),
        D("3.00"),
        D("12.34"),
    )
    assert row.contribution == D("8.06")
    assert row.margin == D("0.0806")
    assert result.unallocated_compensation == D("1.00")


def test_ad_spend_for_named_skus_without_sales_is_split_equally():
    revenue = {(1, 7): 1000, (2, 7): 0}
    shares, left = m.ad_spend_allocate(
        [
            m.AdSpendFacts(channel_id=7, spend=1001, sku_ids=(2, 3)),
            m.AdSpendFacts(channel_id=8, spend=500),
            m.AdSpendFacts(channel_id=7, spend=300, sku_ids=(1, 2)),
        ],
        revenue_by_key=revenue,
        known_sku_ids={1, 2, 3},
    )
    assert shares == {(2, 7): 501, (3, 7): 500, (1, 7): 300}
    assert left == 500  # channel 8 sold nothing


def test_compensation_with_sku_goes_to_the_channel_with_most_revenue():
    shares, left = m.compensation_allocate(
        [
            m.CompensationFacts(amount=1500, sku_id=2),
            m.CompensationFacts(amount=700, sku_id=2, order_id=4, order_channel_id=1),
            m.CompensationFacts(amount=1000, order_id=3),
            m.CompensationFacts(amount=50, sku_id=99),
            m.CompensationFacts(amount=20, order_id=404),
        ],
        order_lines={3: [(1, 1, 19200), (2, 1, 4800)]},
        revenue_by_key={(2, 1): 4800, (2, 2): 9999},
    )
    assert shares == {(2, 2): 1500, (2, 1): 700 + 200, (1, 1): 800}
    assert left == 70


def _row(**costs):
    row = m.MarginRow(sku_id=1, channel_id=1, revenue=D(costs.pop("revenue")))
    for key, value in costs.items():
        setattr(row, key, D(value))
    return row


def test_loss_making_rows_name_their_largest_driver():
    normal = _row(revenue="1000.00", cogs="500.00", commission="50.00", refunds="30.00")
    refunds = _row(revenue="100.00", cogs="55.00", commission="5.00", refunds="60.00")
    below_cost = _row(revenue="100.00", cogs="120.00", commission="5.00")
    no_sales = _row(revenue="0.00", ad_spend="40.00", compensation="5.00")
    rows = [normal, refunds, below_cost, no_sales]
    m.drivers_name(rows, m.cost_shares(rows))
    assert normal.driver == ""  # not loss-making
    # Cost of goods is its largest cost, but refunds are what is abnormal.
    assert refunds.driver == "refunds"
    assert str(refunds.driver_label) == "Returns and refunds"
    assert below_cost.driver == "cogs"
    assert no_sales.driver == "ad_spend"
    # Without a benchmark the largest cost is named.
    assert m.largest_driver(refunds) == "refunds"
    assert m.largest_driver(_row(revenue="100.00", cogs="70.00", refunds="60.00")) == "cogs"


def test_totals_sum_the_rows():
    a = _row(revenue="10.00", cogs="4.00")
    b = _row(revenue="5.00", cogs="6.00", ad_spend="1.00")
    total = m.margin_totals([a, b])
    assert (total.revenue, total.cogs, total.ad_spend, total.contribution) == (
        D("15.00"),
        D("10.00"),
        D("1.00"),
        D("4.00"),
    )
