"""Decision-quality simulation: ShopOps' replenishment policy against a naive baseline on the small demo.

    uv run python bench/replenishment_sim.py [--days 180] [--forecast-every 7] [--forecaster auto|naive]

The demo generator (`shopops.demo.seed._DemoShop`, small scale: 300 SKUs, 4 warehouses, two years of orders)
is run in memory, no database: its order lines are the real demand (SKU, quantity, the customer's province,
hence the warehouse order it is served from). The last --days days are replayed; the days before are the
known history. Each simulated morning:

1. purchase orders and transfers due that day arrive;
2. ShopOps: the SKU forecast (inventory.forecasting.forecast_series when it exists, on the history known so
   far with its stockout flags; re-forecast every --forecast-every days, the forecast shifted on the days
   between), the ABC classes (inventory.classification, revenue of the last 90 days, weekly), the warehouse
   shares of the last 90 days, and the *same* pure planning function the nightly `replenishment_build`
   calls (inventory.replenishment.sku_plan) decide transfers and purchases, placed at once;
   Baseline: per SKU and warehouse, when cover (position / trailing 28-day average of what it served) falls
   under 14 days, order up to 30 days of that average; same supplier, same MOQ / case-pack rounding;
3. the day's demand is served line by line from the nearest warehouse that stocks the SKU and has stock
   (then the next ones); what no warehouse has is a lost sale. The forecast only sees served units, with the
   SKU-day flagged as a stockout when units were lost or every warehouse ended the day empty.

Both policies start from the same stock (a few weeks of cover per warehouse, as the demo's) and draw the same
lead times: an order placed with supplier s on day t arrives after LT[s, t] days, sampled once from
N(mean, spread), spread = 25 % of the mean (the demo's suppliers have no learned spread). Transfers take 3 days.
Prints fill rate (units served / demanded) per ABC class (classes as of the first simulated day), the fill
rate of the first warehouse of each line's list alone (what the warehouses backing each other up adds), the
average inventory value per class, overall fill, lost units, stockout cell-days, purchase and transfer lines
(and per day), units bought and transferred, and average inventory value (on hand x unit cost, end of day).
--service-measure cycle replays the old reading of the service level (z = Phi^-1(level)) for comparison.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings.local")

import django  # noqa: E402

django.setup()

from inventory import classification, replenishment  # noqa: E402
from inventory.models import InventorySettings  # noqa: E402
from shopops.demo import reference as ref  # noqa: E402
from shopops.demo.seed import CANCELLED, SCALES, _DemoShop  # noqa: E402

END_DATE = date(2026, 6, 30)
SPREAD_SHARE = 0.25
TRANSFER_DAYS = replenishment.DEFAULT_TRANSFER_DAYS
BASE_TRIGGER_DAYS, BASE_TARGET_DAYS, BASE_WINDOW = 14, 30, 28
SHARE_DAYS = 90

# The product's defaults (InventorySettings field defaults): the sim uses the same numbers as the nightly.
SETTINGS = InventorySettings()  # unsaved: the field defaults


# ---------------------------------------------------------------------------------------------------------
# The demo's data


class Demo:
    def __init__(self, seed: int, end_date: date, sim_days: int, moq: bool = True):
        shop = _DemoShop(
            SCALES["small"], seed=seed, end_date=end_date, tz=ZoneInfo("Asia/Shanghai"), progress=None
        )
        shop.generate()
        self.days = shop.days
        self.T = len(self.days)
        self.start = self.T - sim_days
        self.n = shop.scale.skus
        self.W = len(ref.WAREHOUSES)
        keep = shop.o_status[shop.l_order] != CANCELLED
        self.l_sku = shop.l_sku[keep]
        self.l_qty = shop.l_qty[keep]
        self.l_route = shop.l_route[keep]
        self.l_day = shop.o_day[shop.l_order[keep]]
        self.l_time = shop.o_placed[shop.l_order[keep]]
        self.l_home = shop.province_home[shop.o_province[shop.l_order[keep]]]
        self.l_price = shop.l_price[keep]  # cents per unit
        self.cost = shop.sku_cost / 100.0  # yuan per unit
        self.price = shop.sku_price / 100.0
        self.fallback = np.array(ref.WAREHOUSE_FALLBACK)
        # Which warehouses carry what: every cell the demo ever routed demand to.
        self.stocked = np.zeros((self.n, self.W), dtype=bool)
        self.stocked[self.l_sku, self.l_route] = True
        # Demand before the simulation: all served (the demo has no stockouts in its history).
        self.hist = np.zeros((self.n, self.T))
        np.add.at(self.hist, (self.l_sku, self.l_day), self.l_qty)
        self.hist_wh = np.zeros((self.n, self.W, self.T))
        np.add.at(self.hist_wh, (self.l_sku, self.l_route, self.l_day), self.l_qty)
        self.revenue = np.zeros((self.n, self.T))
        np.add.at(self.revenue, (self.l_sku, self.l_day), self.l_qty * self.l_price / 100.0)
        # The day's lines, in time order.
        order = np.lexsort((self.l_time, self.l_day))
        self.by_day = defaultdict(list)
        for i in order.tolist():
            d = int(self.l_day[i])
            if d >= self.start:
                self.by_day[d].append((int(self.l_sku[i]), int(self.l_home[i]), int(self.l_qty[i])))
        # Suppliers per SKU (the demo's SupplierSKU rows), all qualified and active; --no-moq: MOQ and case
        # pack 1 (what the policies do when lot sizes do not dominate).
        self.moq = moq
        n_sup = len(shop.sup_name)
        self.sup_lead = shop.sup_lead.astype(float)
        self.sup_spread = np.maximum(SPREAD_SHARE * self.sup_lead, 0.0)
        self.options: list[list[replenishment.SupplierOption]] = [[] for _ in range(self.n)]
        for sup, sku, cost, moq, pack in zip(
            shop.ss_sup.tolist(),
            shop.ss_sku.tolist(),
            shop.ss_cost.tolist(),
            shop.ss_moq.tolist(),
            shop.ss_pack.tolist(),
            strict=True,
        ):
            self.options[sku].append(
                replenishment.SupplierOption(
                    supplier_id=sup,
                    name=shop.sup_name[sup],
                    tier=str(shop.sup_tier[sup]),
                    lead_time_days=float(self.sup_lead[sup]),
                    lead_time_spread_days=round(float(self.sup_spread[sup]), 2),
                    unit_cost=Decimal(cost) / 100,
                    min_order_qty=moq if self.moq else 1,
                    case_pack=pack if self.moq else 1,
                )
            )
        rng = np.random.default_rng([seed, 4242])
        lt = rng.normal(self.sup_lead[:, None], self.sup_spread[:, None], (n_sup, self.T))
        self.lead_draw = np.maximum(np.rint(lt), 1).astype(int)
        # The same starting stock for both policies: a few weeks of the last 28 days' demand per warehouse.
        d28 = self.hist_wh[:, :, self.start - 28 : self.start].sum(axis=2) / 28.0
        cover = np.clip(rng.lognormal(np.log(21), 0.35, self.n), 7, 60)
        start = np.ceil(d28 * cover[:, None]).astype(int)
        slow = self.stocked & (start < 3)
        start[slow] += rng.integers(0, 9, int(slow.sum()))
        start[~self.stocked] = 0
        self.start_stock = start


# ---------------------------------------------------------------------------------------------------------
# Forecasts


def _naive_forecast(demand: np.ndarray, stockout: np.ndarray, horizon: int):
    """Flat forecast: mean of the last 28 in-stock days; sigma: std of the last 56 in-stock days."""
    out = []
    for row, so in zip(demand, stockout, strict=True):
        seen = row[-112:][~so[-112:]]
        recent = seen[-28:]
        mean = float(recent.mean()) if len(recent) else 0.0
        sigma = float(seen[-56:].std()) if len(seen) > 1 else 0.0
        out.append(([mean] * horizon, sigma))
    return out


def forecaster_get(kind: str):
    if kind == "naive":
        return "naive (flat 28-day in-stock mean)", lambda ids, days, d, so, h: _naive_forecast(d, so, h)
    try:
        from inventory import forecasting
    except ImportError:
        if kind == "statsforecast":
            raise
        return "naive (flat 28-day in-stock mean; inventory.forecasting not there yet)", (
            lambda ids, days, d, so, h: _naive_forecast(d, so, h)
        )

    def run(ids, days, demand, stockout, horizon):
        results = forecasting.forecast_series(ids, days, demand, stockout, horizon=horizon)
        by_id = {r.sku_id: r for r in results}
        return [(list(by_id[i].daily), float(by_id[i].sigma_daily)) for i in ids]

    return "inventory.forecasting.forecast_series", run


# ---------------------------------------------------------------------------------------------------------
# The world


class World:
    def __init__(self, demo: Demo):
        self.demo = demo
        n, W, T = demo.n, demo.W, demo.T
        self.on_hand = demo.start_stock.copy()
        self.pipeline: list[list] = []  # [arrive_day, expected_day, sku, wh, qty]
        self.served = demo.hist.copy()  # SKU-day units served (history: all)
        self.served[:, demo.start :] = 0
        self.stockout = np.zeros((n, T), dtype=bool)
        self.served_wh = demo.hist_wh.copy()
        self.served_wh[:, :, demo.start :] = 0
        self.lost_home = np.zeros((n, W, T))
        self.revenue = demo.revenue.copy()
        self.revenue[:, demo.start :] = 0
        self.demanded = np.zeros(n)
        self.got = np.zeros(n)
        self.got_first = np.zeros(n)  # served by the first warehouse of the line's fallback list
        self.value: list[float] = []
        self.sku_stock_days = np.zeros(n)  # sum over the days of the SKU's end-of-day stock (units)
        self.stockout_cell_days = 0
        self.orders = {"purchase": 0, "transfer": 0}
        self.units_bought = 0
        self.units_transferred = 0

    def inbound(self, sku: int, wh: int) -> list[tuple[int, int]]:
        return [(p[1], p[4]) for p in self.pipeline if p[2] == sku and p[3] == wh]

    def place_purchase(self, t: int, sku: int, wh: int, qty: int, supplier: replenishment.SupplierOption):
        lead = int(self.demo.lead_draw[supplier.supplier_id, t])
        expected = t + int(round(supplier.lead_time_days))
        self.pipeline.append([t + lead, expected, sku, wh, qty])
        self.orders["purchase"] += 1
        self.units_bought += qty

    def place_transfer(self, t: int, sku: int, source: int, wh: int, qty: int):
        qty = min(qty, int(self.on_hand[sku, source]))
        if qty <= 0:
            return
        self.on_hand[sku, source] -= qty
        self.pipeline.append([t + TRANSFER_DAYS, t + TRANSFER_DAYS, sku, wh, qty])
        self.orders["transfer"] += 1
        self.units_transferred += qty

    def arrive(self, t: int):
        keep = []
        for p in self.pipeline:
            if p[0] <= t:
                self.on_hand[p[2], p[3]] += p[4]
            else:
                keep.append(p)
        self.pipeline = keep

    def serve(self, t: int):
        demo = self.demo
        lost_today = set()
        price = demo.price
        for sku, home, qty in demo.by_day.get(t, ()):
            self.demanded[sku] += qty
            left = qty
            first = None
            for wh in demo.fallback[home]:
                if not demo.stocked[sku, wh]:
                    continue
                first = wh if first is None else first
                take = min(left, int(self.on_hand[sku, wh]))
                if wh == first:
                    self.got_first[sku] += take
                if take > 0:
                    self.on_hand[sku, wh] -= take
                    self.served_wh[sku, wh, t] += take
                    left -= take
                if not left:
                    break
            got = qty - left
            self.got[sku] += got
            self.served[sku, t] += got
            self.revenue[sku, t] += got * price[sku]
            if left:
                self.lost_home[sku, first if first is not None else 0, t] += left
                lost_today.add(sku)
        empty = (self.on_hand <= 0) & demo.stocked
        out_everywhere = empty.sum(axis=1) == demo.stocked.sum(axis=1)
        self.stockout[:, t] = out_everywhere
        for sku in lost_today:
            self.stockout[sku, t] = True
        self.stockout_cell_days += int(empty.sum())
        self.value.append(float((self.on_hand * demo.cost[:, None]).sum()))
        self.sku_stock_days += self.on_hand.sum(axis=1)


# ---------------------------------------------------------------------------------------------------------
# Policies


def abc_now(world: World, t: int) -> dict[int, str]:
    revenue = world.revenue[:, max(t - 90, 0) : t].sum(axis=1)
    rows = classification.abc_classify(
        {i: Decimal(str(round(v, 2))) for i, v in enumerate(revenue.tolist())},
        a_share=SETTINGS.abc_a_share,
        b_share=SETTINGS.abc_b_share,
    )
    return {i: row.abc for i, row in rows.items()}


class ShopOpsPolicy:
    name = "ShopOps"

    def __init__(
        self, demo: Demo, forecaster, every: int, horizon: int = 90, measure: str = replenishment.FILL_RATE
    ):
        self.demo, self.forecaster, self.every, self.horizon = demo, forecaster, every, horizon
        self.measure = measure
        self.forecast_day = None
        self.forecasts: list[tuple[list[float], float]] = []
        self.abc: dict[int, str] = {}
        self.forecast_seconds = 0.0
        self.plan_seconds = 0.0

    def decide(self, world: World, t: int):
        demo = self.demo
        if self.forecast_day is None or t - self.forecast_day >= self.every:
            started = time.monotonic()
            ids = list(range(demo.n))
            self.forecasts = self.forecaster(
                ids, demo.days[:t], world.served[:, :t], world.stockout[:, :t], self.horizon
            )
            self.forecast_day = t
            self.abc = abc_now(world, t)
            self.forecast_seconds += time.monotonic() - started
        started = time.monotonic()
        offset = t - self.forecast_day
        today = demo.days[t - 1]
        window = slice(max(t - SHARE_DAYS, 0), t)
        seen = world.served_wh[:, :, window].sum(axis=2) + world.lost_home[:, :, window].sum(axis=2)
        for sku in range(demo.n):
            cells = np.flatnonzero(demo.stocked[sku])
            if not len(cells):
                continue
            total = seen[sku, cells].sum()
            shares = seen[sku, cells] / total if total > 0 else np.full(len(cells), 1.0 / len(cells))
            daily, sigma = self.forecasts[sku]
            daily = daily[offset:]
            abc = self.abc.get(sku, "C")
            params = replenishment.PlanParams(
                service_level=float(SETTINGS.service_level(abc)),
                floor_days=SETTINGS.floor_days(abc),
                review_days=SETTINGS.review_days,
                transfer_days=TRANSFER_DAYS,
                projection_days=30,
                service_measure=self.measure,
            )
            states = [
                replenishment.WarehouseState(
                    warehouse_id=int(wh),
                    on_hand=int(world.on_hand[sku, wh]),
                    available=int(world.on_hand[sku, wh]),
                    inbound=tuple(
                        (
                            demo.days[min(e, demo.T - 1)]
                            if e < demo.T
                            else today + timedelta(days=e - t + 1),
                            q,
                        )
                        for e, q in world.inbound(sku, int(wh))
                    ),
                    share=float(share),
                )
                for wh, share in zip(cells.tolist(), shares.tolist(), strict=True)
            ]
            plan = replenishment.sku_plan(
                sku_id=sku,
                today=today,
                daily=daily,
                sigma=sigma,
                warehouses=states,
                suppliers=demo.options[sku],
                params=params,
            )
            for s in plan.suggestions:
                if s.kind == "transfer":
                    world.place_transfer(t, sku, s.source_warehouse_id, s.warehouse_id, s.quantity)
                else:
                    world.place_purchase(t, sku, s.warehouse_id, s.quantity, s.supplier)
        self.plan_seconds += time.monotonic() - started


class BaselinePolicy:
    name = "Naive baseline"

    def __init__(self, demo: Demo):
        self.demo = demo
        self.supplier = [replenishment.supplier_choose(o)[0] for o in demo.options]

    def decide(self, world: World, t: int):
        demo = self.demo
        # What the warehouse's own demand record shows: units it served plus unmet demand of its region.
        window = slice(t - BASE_WINDOW, t)
        avg = (
            world.served_wh[:, :, window].sum(axis=2) + world.lost_home[:, :, window].sum(axis=2)
        ) / BASE_WINDOW
        for sku, wh in zip(*np.nonzero(demo.stocked & (avg > 0)), strict=True):
            sku, wh = int(sku), int(wh)
            supplier = self.supplier[sku]
            if supplier is None:
                continue
            position = int(world.on_hand[sku, wh]) + sum(q for _e, q in world.inbound(sku, wh))
            a = float(avg[sku, wh])
            if position / a >= BASE_TRIGGER_DAYS:
                continue
            need = math.ceil(BASE_TARGET_DAYS * a - position)
            qty = replenishment.purchase_round(
                need, min_order_qty=supplier.min_order_qty, case_pack=supplier.case_pack
            )
            if qty:
                world.place_purchase(t, sku, wh, qty, supplier)


# ---------------------------------------------------------------------------------------------------------


def simulate(demo: Demo, policy) -> World:
    world = World(demo)
    for t in range(demo.start, demo.T):
        world.arrive(t)
        policy.decide(world, t)
        world.serve(t)
    return world


def report(demo: Demo, worlds: dict[str, World], classes: dict[int, str]):
    abc = np.array([classes.get(i, "C") for i in range(demo.n)])
    targets = {k: float(SETTINGS.service_level(k)) for k in "ABC"}
    names = list(worlds)
    head = f"{'':28}" + "".join(f"{name:>18}" for name in names)
    print(head)
    print("-" * len(head))
    for k in "ABC":
        mask = abc == k
        cells = []
        for name in names:
            w = worlds[name]
            cells.append(f"{w.got[mask].sum() / max(w.demanded[mask].sum(), 1):>17.2%} ")
        print(f"fill rate {k} ({mask.sum():>3} SKUs, tgt {targets[k]:.0%})" + "".join(cells))
    for k in "ABC":
        mask = abc == k
        print(
            f"  first-warehouse fill {k}    "
            + "".join(
                f"{w.got_first[mask].sum() / max(w.demanded[mask].sum(), 1):>17.2%} "
                for w in (worlds[n] for n in names)
            )
        )
    for k in "ABC":
        mask = abc == k
        print(
            f"  avg inventory {k} (¥)       "
            + "".join(
                f"{(w.sku_stock_days[mask] * demo.cost[mask]).sum() / len(w.value):>17,.0f} "
                for w in (worlds[n] for n in names)
            )
        )
    rows = [
        ("fill rate overall", lambda w: f"{w.got.sum() / w.demanded.sum():>17.2%} "),
        ("units demanded", lambda w: f"{int(w.demanded.sum()):>17,} "),
        ("units lost", lambda w: f"{int(w.demanded.sum() - w.got.sum()):>17,} "),
        ("cell-days ending empty", lambda w: f"{w.stockout_cell_days:>17,} "),
        ("purchase orders (lines)", lambda w: f"{w.orders['purchase']:>17,} "),
        ("transfer lines", lambda w: f"{w.orders['transfer']:>17,} "),
        ("transfer lines a day", lambda w: f"{w.orders['transfer'] / len(w.value):>17.1f} "),
        ("units bought", lambda w: f"{w.units_bought:>17,} "),
        ("units transferred", lambda w: f"{w.units_transferred:>17,} "),
        ("avg inventory value (¥)", lambda w: f"{np.mean(w.value):>17,.0f} "),
        ("end inventory value (¥)", lambda w: f"{w.value[-1]:>17,.0f} "),
    ]
    for label, fmt in rows:
        print(f"{label:28}" + "".join(fmt(worlds[n]) for n in names))
    if len(names) == 2:
        ours, base = (worlds[n] for n in names)
        change = np.mean(ours.value) / np.mean(base.value) - 1
        print(f"\ninventory {names[0]} vs {names[1]}: {change:+.1%}")
        fills = {k: ours.got[abc == k].sum() / max(ours.demanded[abc == k].sum(), 1) for k in "ABC"}
        service = all(fills[k] >= targets[k] - 0.01 for k in "ABC")
        better = ours.got.sum() >= base.got.sum()
        print(
            f"target: class service levels within 1 point {'MET' if service else 'MISSED'} ("
            + ", ".join(f"{k} {100 * (fills[k] - targets[k]):+.2f} pt" for k in "ABC")
            + f"); inventory >= 15 % lower {'MET' if change <= -0.15 else 'MISSED'} ({change:+.1%}); "
            f"fill rate equal or better {'MET' if better else 'MISSED'}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--forecast-every", type=int, default=7, help="re-forecast every N days (1 = daily)")
    parser.add_argument("--no-moq", action="store_true", help="suppliers without MOQ and case packs")
    parser.add_argument("--forecaster", choices=["auto", "naive", "statsforecast"], default="auto")
    parser.add_argument(
        "--service-measure",
        choices=[replenishment.FILL_RATE, replenishment.CYCLE],
        default=replenishment.FILL_RATE,
        help="z from the fill rate (the product) or from the cycle service level (for comparison)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    demo = Demo(args.seed, END_DATE, args.days, moq=not args.no_moq)
    label, forecaster = forecaster_get(args.forecaster)
    print(
        f"Small demo: {demo.n} SKUs, {demo.W} warehouses, {int(demo.stocked.sum())} stocked cells; replaying "
        f"{demo.days[demo.start]} .. {demo.days[-1]} ({args.days} days)."
    )
    print(
        f"Forecast: {label}, every {args.forecast_every} day(s); decisions daily; "
        f"suppliers' MOQ and case packs {'off' if args.no_moq else 'on'}; z from the "
        f"{'fill rate' if args.service_measure == replenishment.FILL_RATE else 'cycle service level'}.\n"
    )
    classes = abc_now(World(demo), demo.start)
    shopops = ShopOpsPolicy(demo, forecaster, args.forecast_every, measure=args.service_measure)
    worlds = {"ShopOps": simulate(demo, shopops), "Naive baseline": simulate(demo, BaselinePolicy(demo))}
    report(demo, worlds, classes)
    print(
        f"\nforecasting {shopops.forecast_seconds:.1f} s, planning {shopops.plan_seconds:.1f} s, "
        f"total {time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
