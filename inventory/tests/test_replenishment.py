"""Replenishment maths and classification: worked examples to the unit (pure, no database)."""

from datetime import date
from decimal import Decimal

import numpy as np
import pytest

from inventory import classification
from inventory import replenishment as r

TODAY = date(2026, 3, 1)


def test_cycle_z_from_the_service_level():
    # The cycle-service reading, shown for comparison (and the sim's --service-measure cycle).
    assert round(r.z_value(0.98), 3) == 2.054
    assert round(r.z_value(Decimal("0.95")), 3) == 1.645
    assert round(r.z_value(0.90), 3) == 1.282
    with pytest.raises(ValueError):
        r.z_value(1)


def test_normal_loss_function():
    # G(z) = phi(z) - z (1 - Phi(z)): G(0) = 1/sqrt(2 pi), G(1) = 0.2420 - 0.1587 = 0.0833.
    assert round(r.normal_loss(0), 4) == 0.3989
    assert round(r.normal_loss(1), 4) == 0.0833
    assert round(r.normal_loss(-1), 4) == 1.0833  # G(-z) = G(z) + z


def test_z_from_the_fill_rate():
    # sigma_LT = sqrt(9 x 4^2 + 10^2 x 2^2) = sqrt(544) = 23.32; Q = 72, target 95 %:
    # G(z) = 0.05 x 72 / 23.32 = 0.1543 -> z = 0.654 (rounded up: G(0.654) x 23.32 = 3.599 <= 3.6 units).
    sigma_lt = r.lead_time_sigma(daily_demand=10, sigma_demand=4, lead_time_days=9, lead_time_spread_days=2)
    assert round(sigma_lt, 2) == 23.32
    z = r.z_fill_rate(0.95, order_quantity=72, sigma_lead_time=sigma_lt)
    assert z == 0.654
    assert sigma_lt * r.normal_loss(z) <= 0.05 * 72 < sigma_lt * r.normal_loss(z - 0.001)
    assert z < r.z_value(0.95)  # 1.645: the cycle reading overstocks
    # A 98 % target on a small cycle against a large spread needs more than the cycle z (2.054).
    assert r.z_fill_rate(0.98, order_quantity=1, sigma_lead_time=3) == 2.09
    # Large lots against the uncertainty: even z = 0 loses less than allowed (0.1 x 100 / 5 = 2 >= 0.3989).
    assert r.z_fill_rate(0.90, order_quantity=100, sigma_lead_time=5) == 0
    assert r.z_fill_rate(0.98, order_quantity=10, sigma_lead_time=0) == 0  # no uncertainty
    with pytest.raises(ValueError):
        r.z_fill_rate(0, order_quantity=10, sigma_lead_time=1)


def test_safety_stock_formula_wins_over_the_floor():
    # 0.654 x sqrt(9 x 4^2 + 10^2 x 2^2) = 0.654 x 23.32 = 15.25 -> 15 units; floor 1 day x 10 = 10.
    ss = r.safety_stock(
        z=0.654,
        daily_demand=10,
        sigma_demand=4,
        lead_time_days=9,
        lead_time_spread_days=2,
        floor_days=1,
    )
    assert round(ss.formula, 2) == 15.25
    assert ss.floor == 10
    assert ss.units == 15
    assert not ss.floored
    # ROP = round(10 x 9 + 15) = 105; order-up-to = 105 + round(10 x 7) = 175.
    rop = r.reorder_point(daily_demand=10, lead_time_days=9, safety_units=ss.units)
    assert rop == 105
    assert r.order_up_to(reorder_units=rop, daily_demand=10, review_days=7) == 175


def test_safety_stock_floor_of_days_of_cover():
    # 2.054 x sqrt(4 x 1^2 + 0) = 4.11 units, but class A holds at least 5 days x 10 = 50.
    ss = r.safety_stock(
        z=2.054,
        daily_demand=10,
        sigma_demand=1,
        lead_time_days=4,
        lead_time_spread_days=0,
        floor_days=5,
    )
    assert round(ss.formula, 2) == 4.11
    assert ss.units == 50
    assert ss.floored
    assert r.reorder_point(daily_demand=10, lead_time_days=4, safety_units=50) == 90


def test_units_round_to_the_nearest():
    # round(0.4 x 7.5 + 2) = round(5.0) = 5 (no float noise); 0.3 x 5 = 1.5 -> 2 (halves up); 1.4 -> 1.
    assert r.reorder_point(daily_demand=0.4, lead_time_days=7.5, safety_units=2) == 5
    assert r.reorder_point(daily_demand=0.3, lead_time_days=5, safety_units=0) == 2
    assert r.reorder_point(daily_demand=0.28, lead_time_days=5, safety_units=0) == 1
    # The cycle: round(0.3 x 7) = 2; a slow warehouse's 0.05 x 7 = 0.35 -> 0, but 1 in the main warehouse.
    assert r.cycle_units(0.3, 7) == 2
    assert r.cycle_units(0.05, 7) == 0
    assert r.cycle_units(0.05, 7, at_least=1) == 1
    assert r.cycle_units(0, 7, at_least=1) == 0


@pytest.mark.parametrize(
    ("needed", "moq", "pack", "expected"),
    [
        (37, 50, 12, 60),  # MOQ 50 -> 5 cases of 12
        (130, 50, 12, 132),  # 11 cases
        (132, 50, 12, 132),  # exactly 11 cases
        (48, 1, 1, 48),
        (3, 100, 1, 100),  # the MOQ
        (0, 100, 12, 0),  # nothing needed, nothing bought
    ],
)
def test_purchase_rounded_up_to_case_pack_and_moq(needed, moq, pack, expected):
    assert r.purchase_round(needed, min_order_qty=moq, case_pack=pack) == expected


def test_projection_and_stockout_date():
    projection = r.stock_project(
        today=TODAY,
        available=10,
        arrivals=[(date(2026, 3, 3), 20), (date(2026, 2, 27), 5)],  # the overdue one counts tomorrow
        daily=[4.0] * 6,
    )
    assert projection == [
        (date(2026, 3, 2), 11.0),
        (date(2026, 3, 3), 27.0),
        (date(2026, 3, 4), 23.0),
        (date(2026, 3, 5), 19.0),
        (date(2026, 3, 6), 15.0),
        (date(2026, 3, 7), 11.0),
    ]
    assert r.projected_stockout(projection) is None
    short = r.stock_project(today=TODAY, available=5, arrivals=[], daily=[2.0, 2.0, 2.0])
    assert [s for _d, s in short] == [3.0, 1.0, -1.0]
    assert r.projected_stockout(short) == date(2026, 3, 4)
    # Ending a day at exactly zero served the day in full.
    assert (
        r.projected_stockout(r.stock_project(today=TODAY, available=4, arrivals=[], daily=[2.0, 2.0])) is None
    )


STRATEGIC = r.SupplierOption(
    1, "Strategic", "strategic", 9, 2, Decimal("12.50"), min_order_qty=50, case_pack=12
)
PARAMS = r.PlanParams(service_level=0.95, floor_days=1, review_days=7)


def _plan(*states, suppliers=(STRATEGIC,), daily=20.0, sigma=8.0):
    return r.sku_plan(
        sku_id=7,
        today=TODAY,
        daily=[daily] * 30,
        sigma=sigma,
        warehouses=list(states),
        suppliers=list(suppliers),
        params=PARAMS,
    )


def test_cell_maths_with_the_warehouse_share():
    # SKU forecast 20/day, sigma 8; a warehouse with half the demand: d = 10, sigma_d = 8 x 0.5 = 4.
    plan = _plan(
        r.WarehouseState(1, on_hand=45, available=40, share=0.5), r.WarehouseState(2, 0, 0, share=0.5)
    )
    cell = plan.cell(1)
    assert cell.daily_demand == 10
    assert cell.sigma_demand == 4
    # Q: the SKU's lot, 140 a cycle -> 12 cases of 12 = 144, half of it here = 72 (> the cycle of 70).
    assert (cell.cycle_units, cell.lot_units, cell.order_quantity) == (70, 72, 72)
    assert cell.z == 0.654
    assert (cell.safety.units, cell.reorder_point, cell.order_up_to) == (15, 105, 175)
    assert cell.position == 40
    assert cell.needed == 135
    # 40 units at 10 a day: the 5th day (6 March) ends at -10.
    assert cell.projected_stockout_on == date(2026, 3, 6)
    data = plan.explain(1)
    assert data["z"] == 0.654
    assert data["z_rule"]["formula"] == "G(z) = (1 - 0.95) x 72 / 23.32 = 0.1543 -> z = 0.654"
    assert data["z_rule"]["sigma_formula"] == "sqrt(9 x 4.000^2 + 10.000^2 x 2^2) = 23.32"
    assert (data["z_rule"]["cycle_z"], data["z_rule"]["fill_rate"], data["z_rule"]["clamped"]) == (
        1.645,
        0.95,
        False,
    )
    assert data["safety_stock"]["formula"] == "0.654 x sqrt(9 x 4.000^2 + 10.000^2 x 2^2) = 15.25"
    assert data["reorder_point"]["formula"] == "round(10.000 x 9 + 15) = 105"
    assert data["order_up_to"]["formula"] == "105 + max(round(10.000 x 7), 1) = 175"
    assert data["supplier"]["name"] == "Strategic"


def test_cycle_service_reading_for_comparison():
    params = r.PlanParams(service_level=0.95, floor_days=1, review_days=7, service_measure=r.CYCLE)
    plan = r.sku_plan(
        sku_id=7,
        today=TODAY,
        daily=[10.0] * 30,
        sigma=4.0,
        warehouses=[r.WarehouseState(1, 0, 0)],
        suppliers=[STRATEGIC],
        params=params,
    )
    # 1.6449 x 23.32 = 38.36 -> 38; ROP 128: 23 units more than the fill-rate plan.
    assert (plan.cell(1).safety.units, plan.cell(1).reorder_point) == (38, 128)
    assert plan.explain(1)["z_rule"]["formula"] == "z = Phi^-1(0.95) = 1.645"


def test_inbound_counts_in_the_position():
    plan = _plan(
        r.WarehouseState(1, 100, 100, inbound=((date(2026, 3, 4), 60),), share=1.0), daily=10.0, sigma=4.0
    )
    cell = plan.cell(1)
    assert cell.position == 160 and cell.inbound == 60
    assert cell.needed == 0  # 160 > ROP
    assert plan.suggestions == []
    assert cell.next_arrival_on == date(2026, 3, 4)


def test_transfer_before_purchase_brings_an_extra_cycle():
    # Warehouse 2 holds 400: its own order-up-to 175 plus one more cycle (70) leaves 155 spare. Warehouse 1
    # (10 on hand) needs 175 - 10 = 165: one line brings 155 (the need plus a cycle would be 235).
    plan = _plan(r.WarehouseState(1, 10, 10, share=0.5), r.WarehouseState(2, 400, 400, share=0.5))
    assert plan.cell(2).excess == 155
    assert [
        (s.kind, s.warehouse_id, s.source_warehouse_id, s.quantity, s.quantity_needed)
        for s in plan.suggestions
    ] == [("transfer", 1, 2, 155, 165)]  # 10 + 155 = 165 > ROP 105: nothing to buy


def test_transfer_then_purchase_of_the_rest_rounded():
    # 325 - 175 - 70 = 80 spare -> transferred; 10 + 80 = 90 <= ROP 105: buy 165 - 80 = 85 -> 8 cases = 96.
    plan = _plan(r.WarehouseState(1, 10, 10, share=0.5), r.WarehouseState(2, 325, 325, share=0.5))
    transfer, purchase = plan.suggestions
    assert (transfer.kind, transfer.quantity) == ("transfer", 80)
    assert (purchase.kind, purchase.warehouse_id, purchase.quantity_needed, purchase.quantity) == (
        "purchase",
        1,
        85,
        96,
    )
    assert purchase.supplier is STRATEGIC
    assert purchase.amount == Decimal("1200.00")


def test_no_partial_transfer_below_one_cycle():
    # Only 300 - 175 - 70 = 55 spare, less than one cycle (70) of the 135 needed: no transfer line, the
    # purchase covers the need (135 -> 12 cases = 144).
    plan = _plan(r.WarehouseState(1, 40, 40, share=0.5), r.WarehouseState(2, 300, 300, share=0.5))
    assert plan.cell(2).excess == 55
    assert [(s.kind, s.warehouse_id, s.quantity_needed, s.quantity) for s in plan.suggestions] == [
        ("purchase", 1, 135, 144)
    ]


def test_moq_pooled_into_one_warehouse_then_stock_on_the_way_covers_the_other():
    big_moq = r.SupplierOption(1, "S", "core", 9, 2, Decimal("5.00"), min_order_qty=500, case_pack=1)
    plan = _plan(
        r.WarehouseState(1, 40, 40, share=0.6), r.WarehouseState(2, 70, 70, share=0.4), suppliers=[big_moq]
    )
    one, two = plan.cell(1), plan.cell(2)
    # Q = 0.6 x 500 = 300 against sigma_LT 27.99: even z = 0 meets 95 % -> SS = the floor, 1 day = 12.
    assert (one.order_quantity, one.z, one.safety.units, one.reorder_point, one.order_up_to) == (
        300,
        0,
        12,
        120,
        204,
    )
    assert plan.explain(1)["z_rule"]["clamped"] is True
    assert (two.reorder_point, two.order_up_to, two.needed) == (80, 136, 66)
    # Each would have to buy 500 (MOQ); together they need 164 + 66 = 230: warehouse 1 (larger share) buys
    # 500 for both.
    assert [(s.kind, s.warehouse_id, s.quantity, s.quantity_needed) for s in plan.suggestions] == [
        ("purchase", 1, 500, 230)
    ]
    assert two.covered_by == 1
    assert one.pooled_for == [(2, 66)]
    assert plan.explain(1)["pooled_for"] == [[2, 66]]
    # Next night the 500 are on their way to warehouse 1: warehouse 2's need waits for them.
    again = _plan(
        r.WarehouseState(1, 20, 20, inbound=((date(2026, 3, 9), 500),), share=0.6),
        r.WarehouseState(2, 60, 60, share=0.4),
        suppliers=[big_moq],
    )
    assert again.suggestions == []
    assert again.cell(2).covered_by == 1


def test_slow_mover_kept_in_its_main_warehouse_only():
    # 0.1 a day: 0.07 in warehouse 1 (main), 0.03 in warehouse 2. Warehouse 2: ROP round(0.27) = 0 and
    # cycle round(0.21) = 0: not stocked (its orders go to warehouse 1). Warehouse 1: ROP round(0.63) = 1,
    # OUT 1 + max(round(0.49), 1) = 2: buys 2, rounded to the MOQ of 50 (60 = 5 cases).
    plan = _plan(
        r.WarehouseState(1, 0, 0, share=0.7), r.WarehouseState(2, 0, 0, share=0.3), daily=0.1, sigma=0.4
    )
    one, two = plan.cell(1), plan.cell(2)
    assert (one.main, one.reorder_point, one.order_up_to, one.needed) == (True, 1, 2, 2)
    assert (two.main, two.reorder_point, two.order_up_to, two.needed) == (False, 0, 0, 0)
    assert [(s.kind, s.warehouse_id, s.quantity) for s in plan.suggestions] == [("purchase", 1, 60)]


def test_no_demand_no_order():
    plan = _plan(r.WarehouseState(1, 0, 0, share=1.0), daily=0.0, sigma=0.0)
    assert plan.cell(1).reorder_point == 0 and plan.suggestions == []


def test_supplier_choice_by_tier_then_score_then_cost():
    backup = r.SupplierOption(2, "Backup", "backup", 20, 3, Decimal("8.00"), score=0.99)
    core_a = r.SupplierOption(3, "Core A", "core", 12, 2, Decimal("10.00"), score=0.90)
    core_b = r.SupplierOption(4, "Core B", "core", 14, 2, Decimal("9.00"), score=0.90)
    core_c = r.SupplierOption(5, "Core C", "core", 10, 2, Decimal("11.00"), score=0.95)
    new_core = r.SupplierOption(6, "Core new", "core", 7, 1, Decimal("7.00"), score=None)
    chosen, ranked = r.supplier_choose([backup, core_a, core_b, STRATEGIC])
    assert chosen is STRATEGIC and r.supplier_reason(chosen, ranked) == "tier"
    chosen, ranked = r.supplier_choose([backup, core_a, core_b])
    assert chosen is core_b and r.supplier_reason(chosen, ranked) == "cost"
    chosen, ranked = r.supplier_choose([core_a, core_b, core_c, new_core, backup])
    assert [o.supplier_id for o in ranked] == [5, 4, 3, 6, 2]  # score, then cost; no history after scored
    assert r.supplier_reason(chosen, ranked) == "score"
    # The plan buys from the chosen supplier with its lead time.
    plan = _plan(r.WarehouseState(1, 0, 0, share=1.0), suppliers=[core_a, backup], daily=10.0, sigma=4.0)
    assert plan.supplier is core_a and plan.cell(1).lead_time_days == 12


def test_abc_by_cumulative_revenue_share():
    revenue = {
        1: Decimal("5000"),
        2: Decimal("3500"),
        3: Decimal("1000"),
        4: Decimal("400"),
        5: Decimal("100"),
        6: Decimal("0"),
    }
    rows = classification.abc_classify(revenue, a_share=Decimal("0.80"), b_share=Decimal("0.15"))
    # Before each: 0 %, 50 %, 85 %, 95 %, 99 % -> A, A, B, C, C; zero revenue C.
    assert {k: v.abc for k, v in rows.items()} == {1: "A", 2: "A", 3: "B", 4: "C", 5: "C", 6: "C"}
    assert rows[2].cumulative_share == Decimal("0.8500")
    assert rows[5].cumulative_share == Decimal("1.0000")
    # One SKU with 90 % of the revenue is A, not B.
    assert (
        classification.abc_classify(
            {1: Decimal(90), 2: Decimal(10)}, a_share=Decimal("0.8"), b_share=Decimal("0.15")
        )[1].abc
        == "A"
    )


def test_xyz_by_weekly_cv():
    daily = np.zeros((3, 28))
    daily[0] = 2.0  # steady: weekly 14,14,14,14 -> CV 0
    daily[1, [0, 7, 14]] = [10, 20, 30]  # weekly 10,20,30,0: mean 15, std 11.18 -> CV 0.745
    weekly = classification.weekly_totals(daily, 4)
    assert weekly[1].tolist() == [10, 20, 30, 0]
    out = classification.xyz_classify(weekly, x_cv=Decimal("0.5"), y_cv=Decimal("1.0"))
    assert out == [("X", Decimal("0.000")), ("Y", Decimal("0.745")), ("Z", None)]
