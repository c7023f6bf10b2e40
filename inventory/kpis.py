"""Inventory KPIs and the planning pages' reads (selectors).

The KPIs: inventory value, turnover, days of inventory, stockout rate, dead stock and overstock, as of a
shop day.

Definitions (every number a planner can check by hand):

- **Cost of a unit**: the SKU's landed cost as catalog defines it (`catalog.selectors.pages`): purchase cost
  (SKU.unit_cost) + inbound logistics + packaging (SKUCost). There is no cost history, so past units are
  valued at today's cost too.
- **Inventory value**: units on hand x landed cost, by warehouse, by product category and in total.
- **Cost of goods sold (COGS)**: units sold over the last 365 days x landed cost, where units sold are the
  demand record's reservations less cancellations (DemandDay: every order reserves or ships at once; the
  ledger's shipment rows are not used because orders that shipped at once and the demo history only exist
  in the demand record). When the record is younger than 365 days, COGS over the days it covers is
  annualised (x 365 / days covered).
- **Average inventory value**: the mean of the stock value at the end of the day every 30 days back over the
  same window (as_of, as_of - 30, ... as_of - 360: 13 points, fewer when the ledger is younger), each
  rebuilt from the ledger: today's value less the value of the movements recorded after that day.
- **Turnover** = annual COGS / average inventory value (target 8-12 a year); **days of inventory** =
  365 / turnover.
- **Stockout rate**: of the SKU-warehouse days with demand (reserved + unmet - cancelled > 0) over the last
  28 days, the share that ended out of stock or left demand unmet (DemandDay.stockout).
- **Dead stock**: SKUs with units on hand and no sale (a day with reservations above cancellations) in the
  last `dead_stock_days` (90); its share is by value (dead value / inventory value).
- **Overstock**: SKUs whose available units (on hand - reserved, all warehouses) cover more than
  `overstock_days` (120) of daily demand: the latest forecast's mean daily demand, else the last 28 days'
  average demand. A SKU with stock and no demand at all is overstocked without end. The excess is the
  units above `overstock_days` of demand, valued at landed cost.

The planning reads at the end (suggestions, stockout risks, forecasts and their accuracy, daily demand) serve
the replenishment worklist, the SKU stock page, the forecast accuracy page and the API.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Max, Min, Q, QuerySet, Sum

from catalog import selectors as catalog_selectors
from inventory.models import (
    DemandDay,
    InventorySettings,
    ReplenishmentSuggestion,
    SKUForecast,
    StockLevel,
    StockMovement,
)
from shopops.common.dates import day_start, shop_today

YEAR_DAYS = 365
VALUE_POINT_EVERY = 30  # days between the stock values averaged for turnover
VALUE_POINTS = 13  # as_of and 12 more, 30 days apart: the 360 days before as_of
STOCKOUT_WINDOW_DAYS = 28
RECENT_DEMAND_DAYS = 28  # overstock's demand when a SKU has no forecast
TURNOVER_TARGET = (Decimal("8"), Decimal("12"))

CENT = Decimal("0.01")
RATE = Decimal("0.0001")
ZERO = Decimal("0.00")


def _money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _share(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATE, rounding=ROUND_HALF_UP)


def landed_costs() -> dict[int, Decimal]:
    """SKU id -> landed cost (purchase + inbound + packaging), every SKU in one query."""
    rows = catalog_selectors.sku_client_list().values_list(
        "id", "unit_cost", "costs__inbound_cost", "costs__packaging_cost"
    )
    return {pk: unit + (inbound or ZERO) + (packaging or ZERO) for pk, unit, inbound, packaging in rows}


# --- value ----------------------------------------------------------------------------------------------


@dataclass
class ValueRow:
    code: str
    name: str
    units: int
    value: Decimal
    share: Decimal | None = None  # of the total value


@dataclass
class _Stock:
    """Today's stock levels with what the KPIs need, read once."""

    costs: dict[int, Decimal]
    levels: list[dict]
    on_hand: dict[int, int] = field(default_factory=dict)  # per SKU, all warehouses
    available: dict[int, int] = field(default_factory=dict)
    sku: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (code, name)

    @classmethod
    def read(cls) -> _Stock:
        levels = list(
            StockLevel.objects.filter(on_hand__gt=0)
            .values(
                "sku_id",
                "on_hand",
                "reserved",
                "sku__code",
                "sku__name",
                "warehouse__code",
                "warehouse__name",
                "sku__product__category__code",
                "sku__product__category__name",
            )
            .order_by()
        )
        stock = cls(costs=landed_costs(), levels=levels)
        for lv in levels:
            sku_id = lv["sku_id"]
            stock.on_hand[sku_id] = stock.on_hand.get(sku_id, 0) + lv["on_hand"]
            stock.available[sku_id] = stock.available.get(sku_id, 0) + lv["on_hand"] - lv["reserved"]
            stock.sku[sku_id] = (lv["sku__code"], lv["sku__name"])
        return stock

    def cost(self, sku_id: int) -> Decimal:
        return self.costs.get(sku_id, ZERO)

    def value(self, sku_id: int, units: int | None = None) -> Decimal:
        return (self.on_hand.get(sku_id, 0) if units is None else units) * self.cost(sku_id)

    @property
    def total(self) -> Decimal:
        return _money(sum((self.value(sku_id) for sku_id in self.on_hand), ZERO))

    def by(self, code_key: str, name_key: str) -> list[ValueRow]:
        units: dict[str, int] = defaultdict(int)
        value: dict[str, Decimal] = defaultdict(lambda: ZERO)
        names: dict[str, str] = {}
        for lv in self.levels:
            code = lv[code_key]
            units[code] += lv["on_hand"]
            value[code] += lv["on_hand"] * self.cost(lv["sku_id"])
            names[code] = lv[name_key]
        total = self.total
        rows = [ValueRow(code, names[code], units[code], _money(value[code])) for code in units]
        for row in rows:
            row.share = _share(row.value, total)
        return sorted(rows, key=lambda r: (-r.value, r.code))


def inventory_value_by_warehouse() -> list[ValueRow]:
    """Units on hand and their value at landed cost per warehouse, highest value first."""
    return _Stock.read().by("warehouse__code", "warehouse__name")


def inventory_value_by_category() -> list[ValueRow]:
    """Units on hand and their value at landed cost per product category, highest value first."""
    return _Stock.read().by("sku__product__category__code", "sku__product__category__name")


# --- turnover -------------------------------------------------------------------------------------------


@dataclass
class Turnover:
    cogs: Decimal  # annualised
    cogs_days: int  # days of demand record the COGS comes from (365 when there is a whole year)
    average_value: Decimal
    value_points: int
    turnover: Decimal | None  # per year
    days_of_inventory: Decimal | None  # 365 x average value / annual COGS (= 365 / unrounded turnover)


def _cogs(as_of: date, costs: dict[int, Decimal]) -> tuple[Decimal, int]:
    first_day = DemandDay.objects.filter(day__lte=as_of).aggregate(first=Min("day"))["first"]
    if first_day is None:
        return ZERO, 0
    start = max(first_day, as_of - timedelta(days=YEAR_DAYS - 1))
    days = (as_of - start).days + 1
    rows = (
        DemandDay.objects.filter(day__gte=start, day__lte=as_of)
        .values("sku_id")
        .annotate(units=Sum("reserved") - Sum("cancelled"))
        .values_list("sku_id", "units")
        .order_by()
    )
    cogs = sum((max(units, 0) * costs.get(sku_id, ZERO) for sku_id, units in rows), ZERO)
    return _money(cogs * YEAR_DAYS / days), days


def value_points(as_of: date) -> list[date]:
    """The days whose closing stock value is averaged: as_of and every 30 days back, within a year."""
    return [as_of - timedelta(days=VALUE_POINT_EVERY * k) for k in range(VALUE_POINTS)]


def stock_value_history(as_of: date, stock: _Stock | None = None) -> list[tuple[date, Decimal]]:
    """(day, value of the stock at the end of that day) for the value points from the ledger's first day on,
    oldest first: today's value less the value of every movement recorded after the day ended."""
    stock = stock or _Stock.read()
    first = StockMovement.objects.aggregate(first=Min("created_at"))["first"]
    if first is None:
        return []
    ends = [(day, day_start(day + timedelta(days=1))) for day in value_points(as_of)]
    ends = [(day, end) for day, end in ends if end > first]
    if not ends:
        return []
    later = (
        StockMovement.objects.filter(created_at__gte=min(end for _day, end in ends))
        .values("sku_id")
        .annotate(
            **{
                f"p{k}": Sum("on_hand_delta", filter=Q(created_at__gte=end))
                for k, (_d, end) in enumerate(ends)
            }
        )
        .order_by()
    )
    after = [ZERO] * len(ends)
    for row in later:
        cost = stock.cost(row["sku_id"])
        for k in range(len(ends)):
            after[k] += (row[f"p{k}"] or 0) * cost
    now = stock.total
    return sorted((day, _money(now - after[k])) for k, (day, _end) in enumerate(ends))


def turnover_get(as_of: date | None = None, stock: _Stock | None = None) -> Turnover:
    as_of = as_of or shop_today()
    stock = stock or _Stock.read()
    cogs, days = _cogs(as_of, stock.costs)
    history = stock_value_history(as_of, stock)
    average = _money(sum((v for _d, v in history), ZERO) / len(history)) if history else ZERO
    turnover = (cogs / average).quantize(CENT, rounding=ROUND_HALF_UP) if average > 0 else None
    doi = (
        (YEAR_DAYS * average / cogs).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        if cogs and average > 0
        else None
    )
    return Turnover(cogs, days, average, len(history), turnover, doi)


# --- stockouts, dead stock, overstock -----------------------------------------------------------------


@dataclass
class StockoutRate:
    window_days: int
    demand_days: int  # SKU-warehouse days with demand
    stockout_days: int  # of them, out of stock or with unmet demand
    rate: Decimal | None
    demand_units: int
    unmet_units: int


def stockout_rate_get(as_of: date | None = None, *, days: int = STOCKOUT_WINDOW_DAYS) -> StockoutRate:
    as_of = as_of or shop_today()
    totals = (
        DemandDay.objects.filter(day__gt=as_of - timedelta(days=days), day__lte=as_of)
        .annotate(net=F("reserved") + F("unmet") - F("cancelled"))
        .filter(net__gt=0)
        .aggregate(
            demand_days=Count("id"),
            stockout_days=Count("id", filter=Q(stockout=True)),
            demand_units=Sum("net"),
            unmet_units=Sum("unmet"),
        )
    )
    return StockoutRate(
        window_days=days,
        demand_days=totals["demand_days"],
        stockout_days=totals["stockout_days"],
        rate=_share(totals["stockout_days"], totals["demand_days"]),
        demand_units=totals["demand_units"] or 0,
        unmet_units=totals["unmet_units"] or 0,
    )


@dataclass
class StockRow:
    """A SKU in the dead-stock or overstock list."""

    sku_id: int
    code: str
    name: str
    on_hand: int
    available: int
    value: Decimal  # of its units on hand
    last_sale: date | None = None
    daily_demand: Decimal | None = None
    cover_days: Decimal | None = None  # None: no demand, covered without end
    excess_units: int = 0
    excess_value: Decimal = ZERO


def dead_stock_list(
    as_of: date | None = None, *, days: int | None = None, stock: _Stock | None = None
) -> list[StockRow]:
    """SKUs with units on hand and no sale in the last `days` (the setting by default), by value."""
    as_of = as_of or shop_today()
    days = days if days is not None else InventorySettings.current().dead_stock_days
    stock = stock or _Stock.read()
    since = as_of - timedelta(days=days)
    sold = DemandDay.objects.filter(reserved__gt=F("cancelled"), day__lte=as_of)
    recent = set(sold.filter(day__gt=since).values_list("sku_id", flat=True).distinct())
    dead_ids = [sku_id for sku_id in stock.on_hand if sku_id not in recent]
    last = dict(
        sold.filter(sku_id__in=dead_ids)
        .values("sku_id")
        .annotate(last=Max("day"))
        .values_list("sku_id", "last")
    )
    rows = [
        StockRow(
            sku_id=sku_id,
            code=stock.sku[sku_id][0],
            name=stock.sku[sku_id][1],
            on_hand=stock.on_hand[sku_id],
            available=stock.available[sku_id],
            value=_money(stock.value(sku_id)),
            last_sale=last.get(sku_id),
        )
        for sku_id in dead_ids
    ]
    return sorted(rows, key=lambda r: (-r.value, r.code))


def _daily_demand(as_of: date, sku_ids) -> dict[int, Decimal]:
    """Daily demand per SKU: the latest forecast's mean made on or before as_of, else the recent average."""
    latest = SKUForecast.objects.filter(business_date__lte=as_of).aggregate(d=Max("business_date"))["d"]
    daily: dict[int, Decimal] = {}
    if latest is not None:
        daily = dict(
            SKUForecast.objects.filter(business_date=latest, sku_id__in=sku_ids).values_list(
                "sku_id", "mean_daily"
            )
        )
    missing = [sku_id for sku_id in sku_ids if sku_id not in daily]
    if missing:
        recent = dict(
            DemandDay.objects.filter(
                sku_id__in=missing, day__gt=as_of - timedelta(days=RECENT_DEMAND_DAYS), day__lte=as_of
            )
            .values("sku_id")
            .annotate(units=Sum("reserved") + Sum("unmet") - Sum("cancelled"))
            .values_list("sku_id", "units")
            .order_by()
        )
        for sku_id in missing:
            daily[sku_id] = Decimal(max(recent.get(sku_id, 0), 0)) / RECENT_DEMAND_DAYS
    return daily


def overstock_list(
    as_of: date | None = None, *, days: int | None = None, stock: _Stock | None = None
) -> list[StockRow]:
    """SKUs whose available units cover more than `days` (the setting by default) of daily demand, largest
    excess value first."""
    as_of = as_of or shop_today()
    days = days if days is not None else InventorySettings.current().overstock_days
    stock = stock or _Stock.read()
    candidates = [sku_id for sku_id, available in stock.available.items() if available > 0]
    daily = _daily_demand(as_of, candidates)
    rows = []
    for sku_id in candidates:
        available, demand = stock.available[sku_id], daily.get(sku_id, Decimal(0))
        if demand > 0:
            cover = Decimal(available) / demand
            if cover <= days:
                continue
            excess = available - math.ceil(demand * days)
            cover = cover.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        else:
            cover, excess = None, available
        rows.append(
            StockRow(
                sku_id=sku_id,
                code=stock.sku[sku_id][0],
                name=stock.sku[sku_id][1],
                on_hand=stock.on_hand[sku_id],
                available=available,
                value=_money(stock.value(sku_id)),
                daily_demand=Decimal(demand).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP),
                cover_days=cover,
                excess_units=excess,
                excess_value=_money(stock.value(sku_id, excess)),
            )
        )
    return sorted(rows, key=lambda r: (-r.excess_value, r.code))


# --- all of them ------------------------------------------------------------------------------------------


@dataclass
class InventoryKPIs:
    as_of: date
    value: Decimal
    units: int
    by_warehouse: list[ValueRow]
    by_category: list[ValueRow]
    turnover: Turnover
    stockouts: StockoutRate
    dead_days: int
    stocked_skus: int  # SKUs with units on hand
    dead_skus: int
    dead_value: Decimal
    dead_share: Decimal | None  # by value
    overstock_days: int
    overstock_skus: int
    overstock_excess_value: Decimal
    overstock_share: Decimal | None  # excess value / inventory value
    turnover_target: tuple[Decimal, Decimal] = TURNOVER_TARGET

    @property
    def turnover_in_target(self) -> bool | None:
        value = self.turnover.turnover
        if value is None:
            return None
        return self.turnover_target[0] <= value <= self.turnover_target[1]


def inventory_kpis_get(as_of: date | None = None) -> InventoryKPIs:
    """Every inventory KPI as of the end of `as_of` (today by default), reading today's stock once."""
    as_of = as_of or shop_today()
    settings = InventorySettings.current()
    stock = _Stock.read()
    total = stock.total
    dead = dead_stock_list(as_of, days=settings.dead_stock_days, stock=stock)
    over = overstock_list(as_of, days=settings.overstock_days, stock=stock)
    dead_value = _money(sum((r.value for r in dead), ZERO))
    over_value = _money(sum((r.excess_value for r in over), ZERO))
    return InventoryKPIs(
        as_of=as_of,
        value=total,
        units=sum(stock.on_hand.values()),
        by_warehouse=stock.by("warehouse__code", "warehouse__name"),
        by_category=stock.by("sku__product__category__code", "sku__product__category__name"),
        turnover=turnover_get(as_of, stock),
        stockouts=stockout_rate_get(as_of),
        dead_days=settings.dead_stock_days,
        stocked_skus=len(stock.on_hand),
        dead_skus=len(dead),
        dead_value=dead_value,
        dead_share=_share(dead_value, total),
        overstock_days=settings.overstock_days,
        overstock_skus=len(over),
        overstock_excess_value=over_value,
        overstock_share=_share(over_value, total),
    )


# --- the planning pages' and the API's reads --------------------------------------------------------------


def suggestion_latest_date() -> date | None:
    """The business date of the latest replenishment run ("today's" suggestions)."""
    return ReplenishmentSuggestion.objects.aggregate(d=Max("business_date"))["d"]


def suggestion_list(
    *,
    business_date: date | None = None,
    supplier: str = "",
    warehouse: str = "",
    kind: str = "",
    status: str = "",
    search: str = "",
    sku_id: int | None = None,
) -> QuerySet[ReplenishmentSuggestion]:
    """The suggestions of `business_date` (the latest run by default), filtered by supplier and warehouse
    codes, kind and status; grouped for the worklist: purchases by supplier, then transfers by source."""
    business_date = business_date or suggestion_latest_date()
    qs = ReplenishmentSuggestion.objects.select_related(
        "sku", "warehouse", "supplier", "source_warehouse", "purchase_order", "transfer"
    ).filter(business_date=business_date)
    if supplier:
        qs = qs.filter(supplier__code=supplier)
    if warehouse:
        qs = qs.filter(warehouse__code=warehouse)
    if kind:
        qs = qs.filter(kind=kind)
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(sku__code__icontains=search) | Q(sku__name__icontains=search))
    if sku_id is not None:
        qs = qs.filter(sku_id=sku_id)
    return qs.order_by(
        "kind", "supplier__code", "source_warehouse__code", "projected_stockout_on", "sku__code", "id"
    )


def arrival_deadline(suggestion) -> date:
    """The day the next replenishment can arrive: the next inbound arrival, else an order placed on the
    business date (after the lead time, rounded up)."""
    if suggestion.next_arrival_on:
        return suggestion.next_arrival_on
    return suggestion.business_date + timedelta(days=math.ceil(suggestion.lead_time_days or 0))


def stockout_risk_list(*, business_date: date | None = None) -> list[ReplenishmentSuggestion]:
    """Suggestions (not dismissed) of the latest run whose SKU is projected to run out before the next
    replenishment can arrive, soonest first."""
    business_date = business_date or suggestion_latest_date()
    if business_date is None:
        return []
    rows = (
        ReplenishmentSuggestion.objects.select_related("sku", "warehouse", "supplier", "source_warehouse")
        .filter(business_date=business_date, projected_stockout_on__isnull=False)
        .exclude(status=ReplenishmentSuggestion.Status.DISMISSED)
        .order_by("projected_stockout_on", "sku__code", "warehouse__code")
    )
    return [row for row in rows if row.projected_stockout_on < arrival_deadline(row)]


def forecast_latest(*, sku_id: int, on: date | None = None) -> SKUForecast | None:
    """The SKU's latest stored forecast made on or before `on` (any date by default)."""
    qs = SKUForecast.objects.filter(sku_id=sku_id)
    if on is not None:
        qs = qs.filter(business_date__lte=on)
    return qs.order_by("-business_date").first()


def forecast_days(forecast: SKUForecast) -> list[dict]:
    """[{date, forecast, lower, upper}] for each forecast day, from the day after the forecast was made."""
    lower, upper = forecast.lower or [], forecast.upper or []
    return [
        {
            "date": forecast.business_date + timedelta(days=i + 1),
            "forecast": value,
            "lower": lower[i] if i < len(lower) else None,
            "upper": upper[i] if i < len(upper) else None,
        }
        for i, value in enumerate(forecast.daily or [])
    ]


def demand_daily(*, sku_id: int, end: date, days: int = 180) -> list[dict]:
    """The SKU's recorded demand per day (all warehouses) over the `days` days ending on `end`:
    [{date, demand, stockout}] where stockout says some warehouse ended the day out of stock or left
    demand unmet."""
    first = end - timedelta(days=days - 1)
    rows = {
        r["day"]: r
        for r in DemandDay.objects.filter(sku_id=sku_id, day__gte=first, day__lte=end)
        .values("day")
        .annotate(
            reserved=Sum("reserved"),
            unmet=Sum("unmet"),
            cancelled=Sum("cancelled"),
            out=Count("id", filter=Q(stockout=True)),
        )
        .order_by()
    }
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        r = rows.get(day)
        demand = max(r["reserved"] + r["unmet"] - r["cancelled"], 0) if r else 0
        out.append({"date": day, "demand": demand, "stockout": bool(r and r["out"])})
    return out


@dataclass
class AccuracyRow:
    key: str
    skus: int
    measured: int  # SKUs with actuals in the last 28 days (WAPE defined)
    intermittent: int
    actual_units: int
    wape: Decimal | None  # pooled: sum |error| / sum actual
    bias: Decimal | None  # pooled: sum (forecast - actual) / sum actual

    @property
    def accuracy(self) -> Decimal | None:
        return None if self.wape is None else max(Decimal(1) - self.wape, Decimal(0))


FORECAST_ACCURACY_TARGET = Decimal("0.85")


def forecast_latest_date() -> date | None:
    return SKUForecast.objects.aggregate(d=Max("business_date"))["d"]


def _pooled(value) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(RATE, rounding=ROUND_HALF_UP)


def forecast_accuracy_by(*, business_date: date, by: str) -> list[AccuracyRow]:
    """Accuracy of the forecasts made on `business_date`, grouped `by` "abc" (the SKU's class; "" when not
    classified) or "model". WAPE and bias are pooled over the SKUs: each SKU's figure weighted by its actual
    units of the last 28 days, i.e. total absolute error / total actual units."""
    key = {"abc": "sku__inventory_class__abc", "model": "model"}[by]
    measured = Q(wape__isnull=False, actual_28d__gt=0)
    rows = (
        SKUForecast.objects.filter(business_date=business_date)
        .values(key)
        .annotate(
            skus=Count("id"),
            measured=Count("id", filter=measured),
            intermittent=Count("id", filter=Q(intermittent=True)),
            actual=Sum("actual_28d", filter=measured),
            error=Sum(F("wape") * F("actual_28d"), filter=measured),
            bias_units=Sum(F("bias") * F("actual_28d"), filter=measured & Q(bias__isnull=False)),
        )
        .order_by(key)
    )
    out = []
    for r in rows:
        actual = r["actual"] or 0
        out.append(
            AccuracyRow(
                key=r[key] or "",
                skus=r["skus"],
                measured=r["measured"],
                intermittent=r["intermittent"],
                actual_units=actual,
                wape=_pooled(Decimal(str(r["error"])) / actual)
                if actual and r["error"] is not None
                else None,
                bias=_pooled(Decimal(str(r["bias_units"])) / actual)
                if actual and r["bias_units"] is not None
                else None,
            )
        )
    return out


def forecast_accuracy_total(rows: list[AccuracyRow]) -> AccuracyRow:
    """All groups together (pooled the same way)."""
    actual = sum(r.actual_units for r in rows)

    def pooled(attr):
        parts = [getattr(r, attr) * r.actual_units for r in rows if getattr(r, attr) is not None]
        return _pooled(sum(parts) / actual) if parts and actual else None

    return AccuracyRow(
        key="",
        skus=sum(r.skus for r in rows),
        measured=sum(r.measured for r in rows),
        intermittent=sum(r.intermittent for r in rows),
        actual_units=actual,
        wape=pooled("wape"),
        bias=pooled("bias"),
    )


OFFENDER_SORTS = {
    "error": (F("error_units").desc(nulls_last=True), "sku__code"),
    "wape": (F("wape").desc(nulls_last=True), "sku__code"),
    "bias": (F("bias").desc(nulls_last=True), "sku__code"),
    "-bias": (F("bias").asc(nulls_last=True), "sku__code"),
}


def forecast_offender_list(
    *, business_date: date, sort: str = "error", abc: str = "", model: str = ""
) -> QuerySet[SKUForecast]:
    """The forecasts of `business_date` with the most units wrong first (error_units = WAPE x actual units of
    the last 28 days); `sort` "wape" puts the worst WAPE first, "bias"/"-bias" the largest over-/under-
    forecast. Only SKUs with actuals (WAPE defined) are listed."""
    qs = (
        SKUForecast.objects.filter(business_date=business_date, wape__isnull=False, actual_28d__gt=0)
        .select_related("sku", "sku__inventory_class")
        .annotate(error_units=F("wape") * F("actual_28d"))
    )
    if abc:
        qs = qs.filter(sku__inventory_class__abc=abc)
    if model:
        qs = qs.filter(model=model)
    return qs.order_by(*OFFENDER_SORTS.get(sort, OFFENDER_SORTS["error"]))
