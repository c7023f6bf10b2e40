"""Replenishment maths: pure functions over plain data, no database (the nightly
`planning.replenishment_build` and `bench/replenishment_sim.py` call the same functions, so the simulated
policy is the product's policy).

Per SKU and warehouse ("cell"), for the business date D (the forecast's days are D+1, D+2, ...):

- d, the daily demand: the warehouse's share of the SKU forecast, averaged over the days the decision has
  to cover (the lead time plus the order cycle), so a campaign ahead raises it;
- sigma_d, the daily forecast error at the warehouse: the SKU's sigma x share. Orders are routed to the
  nearest warehouse that has the stock, so the warehouses back each other up and the risk to cover is the
  SKU's: scaled by the share, the warehouses' safety stocks add up to the SKU-level one. (sigma x sqrt(share),
  independent warehouses, adds up to more; in the simulation it bought ~20 % more inventory for fill rates
  already above target);
- z from the class service level read as a FILL RATE (units served / demanded, what the simulation measures
  and the planner is promised), not as a cycle service level: a replenishment cycle brings Q units and runs
  short by sigma_LT x G(z) on average (G the standard normal loss function), so z is the smallest value >= 0
  with sigma_LT x G(z) <= (1 - level) x Q (`z_fill_rate`). Q = max(OUT - ROP, the warehouse's share of the
  SKU's purchase lot rounded to MOQ / case pack, 1). With the cycle reading (z = Phi^-1(level), 2.054 for
  98 %) the demo overshot every class (99.6-99.9 % for targets of 90-98 %) and held more than the baseline;
- safety stock SS = z x sqrt(L x sigma_d^2 + d^2 x sigma_L^2), but at least floor_days(class) x d
  (the "fast movers hold 3-7 days of cover" rule), rounded to the nearest unit;
- reorder point ROP = round(d x L + SS); order-up-to OUT = ROP + round(d x review_days), at least ROP + 1 in
  the SKU's main warehouse (largest share). Nearest, not up: z already meets the target, and rounding up in
  each of 3-4 warehouses added ~1.5 units per warehouse, weeks of cover for the slow movers (most SKUs). A
  warehouse whose cycle rounds to 0 replaces sales one for one up to its ROP, or does not stock the SKU when
  the ROP is 0 too: orders are served from the next warehouse with stock, so slow movers gather in the main
  warehouse;
- position = available + inbound (open PO lines' ordered - received, transfers on the way);
- when position <= ROP the cell needs OUT - position units. Another warehouse whose available stock
  exceeds its own order-up-to plus one more order cycle of its demand gives that excess first (a transfer,
  short lead time, no money spent); only what a transfer cannot cover is bought, and only when the position
  after the transfer is still at or below the ROP. A transfer line is handling, so it brings the need plus
  one more cycle when the source can spare it (TRANSFER_CYCLES = 2: the lines a day fell from ~44 to ~25 on
  the demo with MOQs, same units moved), and no partial transfer below one cycle of the destination's
  demand is made;
- stock already on its way to another warehouse beyond that warehouse's own order-up-to plus a cycle (an
  earlier lot rounded up to the MOQ) covers a need too: nothing is bought twice, the units are transferred
  when they arrive;
- a purchase is rounded UP to whole case packs and to at least the MOQ (itself rounded up to case packs, so
  the PO passes the supplier terms check). When that rounding would make several warehouses each buy far
  more than they need (MOQ-sized lots), the warehouse with the largest share buys once for all of them
  (rounded total) and feeds the others by transfer: on the demo's MOQs (20-500 units for SKUs selling a few
  a day) this is where most of the inventory saving in bench/replenishment_sim.py comes from;
- the supplier: qualified, active suppliers of the SKU, ranked by tier (strategic > core > backup), then
  scorecard (None = no history, after the scored ones), then unit cost, then lead time;
- the projection: stock at the end of each day = previous + arrivals that day - the day's forecast; the
  projected stockout is the first day it goes below zero (the day's demand cannot be served in full).
  Arrivals already overdue are counted tomorrow.

Floats inside; the quantities shown to users (SS, ROP, OUT, quantities) are ints, money is Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import NormalDist

import numpy as np

TIER_RANK = {"strategic": 0, "core": 1, "backup": 2}
FILL_RATE, CYCLE = "fill_rate", "cycle"
EPS = 1e-9
DEFAULT_LEAD_TIME_DAYS = 7.0  # when no supplier can supply the SKU (only transfers are possible)
DEFAULT_TRANSFER_DAYS = 3
TRANSFER_CYCLES = 2


# ---------------------------------------------------------------------------------------------------------
# Building blocks


_NORMAL = NormalDist()
Z_MAX = 6.0  # G(6) ~ 1e-10: beyond that the normal model says nothing useful


def z_value(service_level: float | Decimal) -> float:
    """The standard normal quantile of the service level (0.98 -> 2.054): the z of a *cycle* service level
    (the chance a replenishment cycle has no shortage at all). Shown for comparison; the plan uses
    `z_fill_rate`."""
    level = float(service_level)
    if not 0 < level < 1:
        raise ValueError("The service level must be between 0 and 1.")
    return _NORMAL.inv_cdf(level)


def normal_loss(z: float) -> float:
    """The standard normal loss function G(z) = phi(z) - z (1 - Phi(z)): the expected shortage, in standard
    deviations, when the stock covers the mean plus z standard deviations (G(0) = 0.3989)."""
    return _NORMAL.pdf(z) - z * (1.0 - _NORMAL.cdf(z))


def lead_time_sigma(
    *, daily_demand: float, sigma_demand: float, lead_time_days: float, lead_time_spread_days: float
) -> float:
    """sigma_LT = sqrt(L x sigma_d^2 + d^2 x sigma_L^2): the spread of the demand over the lead time."""
    return math.sqrt(max(lead_time_days, 0.0) * sigma_demand**2 + daily_demand**2 * lead_time_spread_days**2)


def z_fill_rate(service_level: float | Decimal, *, order_quantity: float, sigma_lead_time: float) -> float:
    """The safety factor z for which the expected fill rate of a replenishment cycle is the service level.

    A cycle brings `order_quantity` (Q) units; it runs short by sigma_LT x G(z) units on average (shortage
    before the next arrival, normal lead-time demand), so its fill rate is 1 - sigma_LT x G(z) / Q. The
    smallest z with sigma_LT x G(z) <= (1 - target) x Q solves G(z) = (1 - target) x Q / sigma_LT.

    z is kept >= 0: when even z = 0 (the reorder point at the mean lead-time demand) loses less than the
    allowed share, the lots are large against the uncertainty and the safety stock is 0 (never negative: a
    plan that expects to run out every cycle is not shown to a planner). Without uncertainty z = 0. Rounded
    UP to 3 decimals (so the target still holds), the number shown and used in the safety-stock formula: the
    worked example on the SKU page reproduces with a calculator."""
    level = float(service_level)
    if not 0 < level < 1:
        raise ValueError("The service level must be between 0 and 1.")
    if sigma_lead_time <= EPS:
        return 0.0
    target = (1.0 - level) * max(float(order_quantity), 0.0) / sigma_lead_time
    if target >= normal_loss(0.0):
        return 0.0
    if target <= normal_loss(Z_MAX):
        return Z_MAX
    # G is decreasing and convex: Newton from the left (z = 0) climbs to the root without overshooting.
    z = 0.0
    for _ in range(100):
        step = (normal_loss(z) - target) / (1.0 - _NORMAL.cdf(z))
        z += step
        if step < 1e-10:
            break
    return min(math.ceil(z * 1000 - 1e-6) / 1000, Z_MAX)


def round_units(value: float) -> int:
    """Whole units, rounded to the nearest (halves up), never negative. The plan's quantities (SS, ROP, the
    cycle) round to the nearest unit, not up: z already meets the target, and rounding each of 3-4
    warehouses up adds ~1.5 units per warehouse, weeks of cover for the slow movers that are most SKUs."""
    return max(int(math.floor(value + 0.5 + EPS)), 0)


def cycle_units(daily_demand: float, review_days: int, *, at_least: int = 0) -> int:
    """OUT - ROP: one order cycle of demand, rounded; `at_least` 1 for the SKU's main warehouse (the one
    with the largest share) so a slow mover is always kept somewhere. A cycle of 0 makes the warehouse
    replace what it sells one for one up to its ROP (base stock), or not stock the SKU when its ROP is 0:
    orders are served from the next warehouse that has the stock, so slow movers gather in the main one."""
    if daily_demand <= EPS:
        return 0
    return max(round_units(daily_demand * review_days), at_least)


def ceil_units(value: float) -> int:
    """Whole units, rounded up (a float a hair above an integer from arithmetic noise stays that integer)."""
    return max(int(math.ceil(value - EPS)), 0)


@dataclass(frozen=True)
class SafetyStock:
    formula: float  # z x sqrt(L sigma_d^2 + d^2 sigma_L^2)
    floor: float  # floor_days x d
    units: int  # max of the two, rounded up

    @property
    def floored(self) -> bool:
        return self.floor > self.formula


def safety_stock(
    *,
    z: float,
    daily_demand: float,
    sigma_demand: float,
    lead_time_days: float,
    lead_time_spread_days: float,
    floor_days: float,
) -> SafetyStock:
    formula = z * math.sqrt(lead_time_days * sigma_demand**2 + daily_demand**2 * lead_time_spread_days**2)
    formula = max(formula, 0.0)
    floor = floor_days * daily_demand
    return SafetyStock(formula=formula, floor=floor, units=round_units(max(formula, floor)))


def reorder_point(*, daily_demand: float, lead_time_days: float, safety_units: int) -> int:
    return round_units(daily_demand * lead_time_days + safety_units)


def order_up_to(*, reorder_units: int, daily_demand: float, review_days: int, at_least: int = 0) -> int:
    return reorder_units + cycle_units(daily_demand, review_days, at_least=at_least)


def purchase_round(needed: int, *, min_order_qty: int, case_pack: int) -> int:
    """Units to order for `needed`: whole case packs, at least the MOQ (0 when nothing is needed)."""
    if needed <= 0:
        return 0
    pack = max(case_pack, 1)
    units = max(needed, min_order_qty)
    return -(-units // pack) * pack


def stock_path(
    *, today: date, available: float, arrivals: Iterable[tuple[date | None, int]], days: int, daily
) -> np.ndarray:
    """Stock at the end of each of the next `days` days (today + 1 onwards), as an array: the previous day's
    stock + that day's arrivals - that day's forecast (late or undated arrivals count tomorrow)."""
    steps = np.zeros(days + 1)
    steps[0] = available
    for when, units in arrivals:
        offset = 1 if when is None or when <= today else (when - today).days
        if offset <= days:
            steps[offset] += units
    steps[1:] -= np.asarray(daily[:days], dtype=float)
    return np.cumsum(steps)[1:]  # sequential sums, left to right: the same floats as a running total


def stock_project(
    *, today: date, available: float, arrivals: Iterable[tuple[date | None, int]], daily: Sequence[float]
) -> list[tuple[date, float]]:
    """(day, stock at the end of the day) for the days of `daily` (today + 1 onwards)."""
    path = stock_path(today=today, available=available, arrivals=arrivals, days=len(daily), daily=daily)
    return [(today + timedelta(days=k), stock) for k, stock in enumerate(path.tolist(), start=1)]


def projected_stockout(projection: Sequence[tuple[date, float]]) -> date | None:
    for day, stock in projection:
        if stock < -EPS:
            return day
    return None


def path_stockout(today: date, path: np.ndarray) -> date | None:
    """The first day the stock path goes below zero (None: it never does)."""
    below = np.flatnonzero(path < -EPS)
    return today + timedelta(days=int(below[0]) + 1) if len(below) else None


def cover_demand(daily: Sequence[float], *, lead_time_days: float, review_days: int) -> float:
    """d: the mean daily forecast over the days an order placed today has to cover (lead time + cycle)."""
    cover = max(ceil_units(lead_time_days) + review_days, 1)
    window = list(daily[:cover])
    return sum(window) / len(window) if window else 0.0


# ---------------------------------------------------------------------------------------------------------
# Suppliers


@dataclass(frozen=True)
class SupplierOption:
    supplier_id: int
    name: str
    tier: str
    lead_time_days: float
    lead_time_spread_days: float
    unit_cost: Decimal
    min_order_qty: int = 1
    case_pack: int = 1
    score: float | None = None  # on-time x fill x (1 - defect), 0..1; None without history


def supplier_rank_key(option: SupplierOption):
    return (
        TIER_RANK.get(option.tier, len(TIER_RANK)),
        option.score is None,
        -(option.score or 0.0),
        option.unit_cost,
        option.lead_time_days,
        option.supplier_id,
    )


def supplier_choose(options: Sequence[SupplierOption]) -> tuple[SupplierOption | None, list[SupplierOption]]:
    """The preferred supplier and every option in rank order (tier, score, cost, lead time)."""
    ranked = sorted(options, key=supplier_rank_key)
    return (ranked[0] if ranked else None), ranked


def supplier_reason(chosen: SupplierOption, ranked: Sequence[SupplierOption]) -> str:
    """Why the first beat the second, in words for the explanation (English key; pages translate)."""
    if len(ranked) < 2:
        return "only supplier"
    other = ranked[1]
    if TIER_RANK.get(chosen.tier, 9) != TIER_RANK.get(other.tier, 9):
        return "tier"
    if (chosen.score is None) != (other.score is None) or chosen.score != other.score:
        return "score"
    if chosen.unit_cost != other.unit_cost:
        return "cost"
    return "lead time"


# ---------------------------------------------------------------------------------------------------------
# One SKU in one warehouse


@dataclass(frozen=True)
class WarehouseState:
    warehouse_id: int
    on_hand: int
    available: int
    inbound: tuple[tuple[date | None, int], ...] = ()  # (expected arrival, units) of POs and transfers
    share: float = 1.0  # of the SKU's demand


@dataclass(frozen=True)
class PlanParams:
    service_level: float
    floor_days: float
    review_days: int
    transfer_days: int = DEFAULT_TRANSFER_DAYS
    projection_days: int | None = None  # None: the whole forecast
    service_measure: str = FILL_RATE  # FILL_RATE (the product) | CYCLE (z = Phi^-1(level), for comparison)
    transfer_cycles: int = TRANSFER_CYCLES  # order cycles a transfer brings when the source can spare them


@dataclass
class CellPlan:
    """The maths for one SKU in one warehouse."""

    warehouse_id: int
    today: date
    share: float
    on_hand: int
    available: int
    inbound: int
    position: int
    daily: list[float]  # the warehouse's forecast, from tomorrow
    daily_demand: float
    sigma_demand: float
    lead_time_days: float
    lead_time_spread_days: float
    service_level: float
    z: float
    safety: SafetyStock
    sigma_lead_time: float  # sqrt(L sigma_d^2 + d^2 sigma_L^2)
    cycle_units: int  # OUT - ROP: round(d x review_days), at least 1 in the main warehouse
    main: bool  # the SKU's main warehouse (largest share)
    lot_units: float  # the warehouse's share of the SKU's purchase lot (rounded to MOQ / case pack)
    order_quantity: float  # Q = max(cycle_units, lot_units, 1): what a replenishment cycle brings
    service_measure: str
    reorder_point: int
    order_up_to: int
    review_days: int
    path: np.ndarray  # stock at the end of each forecast day (see stock_path)
    projected_stockout_on: date | None
    next_arrival_on: date | None
    needed: int  # OUT - position when position <= ROP, else 0
    excess: int  # available above OUT + one more cycle: what it can give away
    transfers_in: list[tuple[int, int]] = field(default_factory=list)  # (source warehouse, units)
    transfers_out: int = 0
    purchase_needed: int = 0  # what is left to buy after transfers
    purchase_quantity: int = 0  # rounded to the supplier's terms
    covered_by: int | None = None  # warehouse whose stock on the way (or pooled purchase) covers the need
    pooled_for: list[tuple[int, int]] = field(default_factory=list)  # (warehouse, units) this one buys for

    @property
    def projection(self) -> list[tuple[date, float]]:
        """(day, stock at the end of the day) from tomorrow."""
        return [(self.today + timedelta(days=k), v) for k, v in enumerate(self.path.tolist(), start=1)]

    @property
    def transferred_in(self) -> int:
        return sum(units for _wh, units in self.transfers_in)

    def z_rule(self) -> dict:
        """How z follows from the class service level, with the numbers (fill rate: the loss function)."""
        d, s, L, sL = self.daily_demand, self.sigma_demand, self.lead_time_days, self.lead_time_spread_days
        sigma_lt, q, level = self.sigma_lead_time, self.order_quantity, self.service_level
        shortage = sigma_lt * normal_loss(self.z)
        data = {
            "measure": self.service_measure,
            "sigma_lead_time": round(sigma_lt, 2),
            "sigma_formula": f"sqrt({L:g} x {s:.3f}^2 + {d:.3f}^2 x {sL:g}^2) = {sigma_lt:.2f}",
            "cycle_units": self.cycle_units,
            "lot_units": round(self.lot_units, 1),
            "order_quantity": round(q, 1),
            "quantity_formula": f"max({self.cycle_units}, {self.lot_units:.1f}, 1) = {q:g}",
            "cycle_z": round(z_value(level), 3),
            "expected_shortage": round(shortage, 3),  # units per cycle at this z
            "fill_rate": round(1 - shortage / q, 4) if q > 0 else None,
            "clamped": False,
        }
        if self.service_measure == CYCLE:
            data["formula"] = f"z = Phi^-1({level:g}) = {self.z:.3f}"
            return data
        if sigma_lt <= EPS:
            data["formula"] = f"sigma_LT = 0: z = {self.z:.3f}"
            return data
        target = (1 - level) * q / sigma_lt
        data["target_loss"] = round(target, 4)
        data["clamped"] = target >= normal_loss(0.0)
        rule = f" >= G(0) = {normal_loss(0.0):.4f}" if data["clamped"] else ""
        data["formula"] = (
            f"G(z) = (1 - {level:g}) x {q:g} / {sigma_lt:.2f} = {target:.4f}{rule} -> z = {self.z:.3f}"
        )
        return data

    def explain(self, *, projection: bool = True) -> dict:
        """JSON-ready: every input and step, with the numbers (the day-by-day projection unless
        `projection` is False: the nightly rows leave it out, the SKU page recomputes it)."""
        d, s, L, sL = self.daily_demand, self.sigma_demand, self.lead_time_days, self.lead_time_spread_days
        return {
            "inputs": {
                "share": round(self.share, 4),
                "on_hand": self.on_hand,
                "available": self.available,
                "inbound": self.inbound,
                "position": self.position,
                "daily_demand": round(d, 3),
                "sigma_demand": round(s, 3),
                "lead_time_days": round(L, 2),
                "lead_time_spread_days": round(sL, 2),
                "service_level": round(self.service_level, 4),
                "review_days": self.review_days,
            },
            "z": round(self.z, 3),
            "z_rule": self.z_rule(),
            "safety_stock": {
                "formula": (
                    f"{self.z:.3f} x sqrt({L:g} x {s:.3f}^2 + {d:.3f}^2 x {sL:g}^2)"
                    f" = {self.safety.formula:.2f}"
                ),
                "value": round(self.safety.formula, 2),
                "floor": round(self.safety.floor, 2),
                "floored": self.safety.floored,
                "units": self.safety.units,
            },
            "reorder_point": {
                "formula": f"round({d:.3f} x {L:g} + {self.safety.units}) = {self.reorder_point}",
                "units": self.reorder_point,
            },
            "order_up_to": {
                "formula": (
                    f"{self.reorder_point} + max(round({d:.3f} x {self.review_days}), {int(self.main)})"
                    f" = {self.order_up_to}"
                ),
                "main_warehouse": self.main,
                "units": self.order_up_to,
            },
            "projection": [[day.isoformat(), round(stock, 1)] for day, stock in self.projection]
            if projection
            else None,
            "projected_stockout_on": self.projected_stockout_on.isoformat()
            if self.projected_stockout_on
            else None,
            "next_arrival_on": self.next_arrival_on.isoformat() if self.next_arrival_on else None,
            "needed": self.needed,
            "excess": self.excess,
            "transfers_in": [[wh, units] for wh, units in self.transfers_in],
            "transfers_out": self.transfers_out,
            "purchase_needed": self.purchase_needed,
            "purchase_quantity": self.purchase_quantity,
            "covered_by": self.covered_by,
            "pooled_for": [[wh, units] for wh, units in self.pooled_for],
        }


def cell_plan(
    *,
    today: date,
    state: WarehouseState,
    sku_daily: Sequence[float],
    sku_sigma: float,
    lead_time_days: float,
    lead_time_spread_days: float,
    params: PlanParams,
    lot_units: float = 0.0,
    main: bool = True,
) -> CellPlan:
    """The maths for one warehouse; `lot_units` is its share of the SKU's purchase lot (see `sku_plan`)."""
    share = max(float(state.share), 0.0)
    daily = [max(float(v), 0.0) * share for v in sku_daily]
    d = cover_demand(daily, lead_time_days=lead_time_days, review_days=params.review_days)
    sigma = max(float(sku_sigma), 0.0) * share
    sigma_lt = lead_time_sigma(
        daily_demand=d,
        sigma_demand=sigma,
        lead_time_days=lead_time_days,
        lead_time_spread_days=lead_time_spread_days,
    )
    cycle = cycle_units(d, params.review_days, at_least=1 if main else 0)
    quantity = max(float(cycle), float(lot_units), 1.0)
    if params.service_measure == CYCLE:
        z = z_value(params.service_level)
    else:
        z = z_fill_rate(params.service_level, order_quantity=quantity, sigma_lead_time=sigma_lt)
    safety = safety_stock(
        z=z,
        daily_demand=d,
        sigma_demand=sigma,
        lead_time_days=lead_time_days,
        lead_time_spread_days=lead_time_spread_days,
        floor_days=params.floor_days,
    )
    rop = reorder_point(daily_demand=d, lead_time_days=lead_time_days, safety_units=safety.units)
    out = rop + cycle
    inbound = sum(units for _when, units in state.inbound)
    position = state.available + inbound
    horizon = daily if params.projection_days is None else daily[: params.projection_days]
    path = stock_path(
        today=today, available=state.available, arrivals=state.inbound, days=len(horizon), daily=horizon
    )
    arrivals = [when or today + timedelta(days=1) for when, units in state.inbound if units > 0]
    next_arrival = max(min(arrivals), today + timedelta(days=1)) if arrivals else None
    needed = out - position if position <= rop and out > position else 0
    excess = max(state.available - out - cycle, 0) if d > 0 or state.available > 0 else 0
    return CellPlan(
        warehouse_id=state.warehouse_id,
        today=today,
        share=share,
        on_hand=state.on_hand,
        available=state.available,
        inbound=inbound,
        position=position,
        daily=daily,
        daily_demand=d,
        sigma_demand=sigma,
        lead_time_days=lead_time_days,
        lead_time_spread_days=lead_time_spread_days,
        service_level=float(params.service_level),
        z=z,
        safety=safety,
        sigma_lead_time=sigma_lt,
        cycle_units=cycle,
        main=main,
        lot_units=float(lot_units),
        order_quantity=quantity,
        service_measure=params.service_measure,
        reorder_point=rop,
        order_up_to=out,
        review_days=params.review_days,
        path=path,
        projected_stockout_on=path_stockout(today, path),
        next_arrival_on=next_arrival,
        needed=needed,
        excess=excess,
    )


# ---------------------------------------------------------------------------------------------------------
# One SKU over its warehouses


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "purchase" | "transfer"
    warehouse_id: int
    quantity: int
    quantity_needed: int
    supplier: SupplierOption | None = None
    source_warehouse_id: int | None = None

    @property
    def unit_cost(self) -> Decimal:
        return self.supplier.unit_cost if self.supplier else Decimal("0.00")

    @property
    def amount(self) -> Decimal:
        return (self.unit_cost * self.quantity).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass
class SkuPlan:
    sku_id: int
    supplier: SupplierOption | None
    suppliers: list[SupplierOption]
    supplier_reason: str
    cells: list[CellPlan]
    suggestions: list[Suggestion]

    def cell(self, warehouse_id: int) -> CellPlan | None:
        return next((c for c in self.cells if c.warehouse_id == warehouse_id), None)

    def explain(self, warehouse_id: int, *, projection: bool = True) -> dict:
        cell = self.cell(warehouse_id)
        data = cell.explain(projection=projection) if cell else {}
        data["supplier"] = (
            {
                "id": self.supplier.supplier_id,
                "name": self.supplier.name,
                "tier": self.supplier.tier,
                "score": None if self.supplier.score is None else round(self.supplier.score, 4),
                "unit_cost": str(self.supplier.unit_cost),
                "min_order_qty": self.supplier.min_order_qty,
                "case_pack": self.supplier.case_pack,
                "reason": self.supplier_reason,
            }
            if self.supplier
            else None
        )
        data["suppliers"] = [
            {
                "id": o.supplier_id,
                "name": o.name,
                "tier": o.tier,
                "score": None if o.score is None else round(o.score, 4),
                "unit_cost": str(o.unit_cost),
                "lead_time_days": o.lead_time_days,
                "min_order_qty": o.min_order_qty,
                "case_pack": o.case_pack,
            }
            for o in self.suppliers
        ]
        return data


def sku_lot(
    daily: Sequence[float], *, supplier: SupplierOption | None, lead_time_days: float, review_days: int
) -> int:
    """The SKU's usual purchase lot: one order cycle of its demand rounded to the supplier's MOQ and case
    pack (0 without a supplier). Purchases are pooled over the warehouses (see `sku_plan`), so a warehouse
    gets its share of this lot per cycle: that is the Q of its fill rate."""
    if supplier is None:
        return 0
    d = cover_demand(
        [max(float(v), 0.0) for v in daily], lead_time_days=lead_time_days, review_days=review_days
    )
    return purchase_round(
        max(cycle_units(d, review_days), 1),
        min_order_qty=supplier.min_order_qty,
        case_pack=supplier.case_pack,
    )


def sku_plan(
    *,
    sku_id: int,
    today: date,
    daily: Sequence[float],
    sigma: float,
    warehouses: Sequence[WarehouseState],
    suppliers: Sequence[SupplierOption],
    params: PlanParams,
) -> SkuPlan:
    """Plan one SKU over its warehouses: the maths per warehouse, transfers from warehouses with excess
    (most urgent destination first, largest excess first), then purchases from the preferred supplier."""
    chosen, ranked = supplier_choose(suppliers)
    lead = chosen.lead_time_days if chosen else DEFAULT_LEAD_TIME_DAYS
    spread = chosen.lead_time_spread_days if chosen else 0.0
    lot = sku_lot(daily, supplier=chosen, lead_time_days=lead, review_days=params.review_days)
    main_id = max(warehouses, key=lambda w: (w.share, -w.warehouse_id)).warehouse_id if warehouses else None
    cells = [
        cell_plan(
            today=today,
            state=state,
            sku_daily=daily,
            sku_sigma=sigma,
            lead_time_days=lead,
            lead_time_spread_days=spread,
            params=params,
            lot_units=max(float(state.share), 0.0) * lot,
            main=state.warehouse_id == main_id,
        )
        for state in warehouses
    ]
    far = today + timedelta(days=100_000)
    needy = sorted(
        (c for c in cells if c.needed > 0),
        key=lambda c: (c.projected_stockout_on or far, -c.needed, c.warehouse_id),
    )
    by_id = {c.warehouse_id: c for c in cells}
    spare = {c.warehouse_id: c.excess for c in cells if c.excess > 0 and c.needed == 0}
    suggestions: list[Suggestion] = []
    # 1. Transfers of stock on the shelf elsewhere, most urgent destination first, largest excess first. A
    # transfer line is handling: it brings the need plus (transfer_cycles - 1) more order cycles when the
    # source can spare them (the spare stock is excess anyway: moving it does not add inventory), and a
    # partial transfer smaller than one cycle of the destination's demand is not made (a purchase covers it).
    for cell in needy:
        for source in sorted(spare, key=lambda wh: (-spare[wh], wh)):
            left = cell.needed - cell.transferred_in
            if left <= 0:
                break
            extra = cell.cycle_units * max(params.transfer_cycles - 1, 0) if not cell.transfers_in else 0
            units = min(spare[source], left + extra)
            if units <= 0 or units < min(left, max(cell.cycle_units, 1)):
                continue
            spare[source] -= units
            cell.transfers_in.append((source, units))
            by_id[source].transfers_out += units
            suggestions.append(
                Suggestion(
                    kind="transfer",
                    warehouse_id=cell.warehouse_id,
                    quantity=units,
                    quantity_needed=left,
                    source_warehouse_id=source,
                )
            )
    buyers = [c for c in needy if c.position + c.transferred_in <= c.reorder_point]
    for cell in buyers:
        cell.purchase_needed = cell.needed - cell.transferred_in
    # 2. Stock already on its way to another warehouse beyond that warehouse's own needs (a lot rounded up
    # to the MOQ) covers a need: it is transferred when it arrives, nothing is bought twice.
    surplus = {
        c.warehouse_id: c.position - c.transfers_out - c.order_up_to - c.cycle_units
        for c in cells
        if c.needed == 0
    }
    waiting = []
    for cell in buyers:
        source = max(surplus, key=lambda wh: (surplus[wh], -wh), default=None)
        if source is not None and surplus[source] >= cell.purchase_needed:
            surplus[source] -= cell.purchase_needed
            cell.covered_by = source
        else:
            waiting.append(cell)
    if chosen is None or not waiting:
        return SkuPlan(
            sku_id=sku_id,
            supplier=chosen,
            suppliers=ranked,
            supplier_reason=supplier_reason(chosen, ranked) if chosen else "",
            cells=cells,
            suggestions=suggestions,
        )

    # 3. Purchases. When the supplier's MOQ / case pack would make each warehouse buy more than it needs,
    # one warehouse (the one with the largest share of demand) buys for all and feeds the others by transfer.
    def rounded(units: int) -> int:
        return purchase_round(units, min_order_qty=chosen.min_order_qty, case_pack=chosen.case_pack)

    total = sum(c.purchase_needed for c in waiting)
    pooled = len(waiting) > 1 and rounded(total) < sum(rounded(c.purchase_needed) for c in waiting)
    if pooled:
        hub = max(waiting, key=lambda c: (c.share, -c.warehouse_id))
        for cell in waiting:
            if cell is not hub:
                cell.covered_by = hub.warehouse_id
                hub.pooled_for.append((cell.warehouse_id, cell.purchase_needed))
        hub.purchase_quantity = rounded(total)
        orders = [(hub, total)]
    else:
        for cell in waiting:
            cell.purchase_quantity = rounded(cell.purchase_needed)
        orders = [(cell, cell.purchase_needed) for cell in waiting]
    for cell, needed in orders:
        if cell.purchase_quantity:
            suggestions.append(
                Suggestion(
                    kind="purchase",
                    warehouse_id=cell.warehouse_id,
                    quantity=cell.purchase_quantity,
                    quantity_needed=needed,
                    supplier=chosen,
                )
            )
    return SkuPlan(
        sku_id=sku_id,
        supplier=chosen,
        suppliers=ranked,
        supplier_reason=supplier_reason(chosen, ranked) if chosen else "",
        cells=cells,
        suggestions=suggestions,
    )
