"""The nightly forecast job: reads the demand record, runs `inventory.forecasting`, stores SKUForecast rows.

`sku_forecast_build` does the whole step in this process, chunk after chunk. The nightly task fans the chunks
out to the Celery workers instead (`inventory.tasks`): `sku_forecast_plan` computes once what every chunk
shares (the SKUs, the shop-wide festival lifts, the promotions with their lifts) and each chunk calls
`sku_forecast_build` with its SKUs and that plan. Either way, the forecast made for business date D reads
only the demand recorded up to D, so replaying a past date gives the forecast that was made then.
"""

import time
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.db.models import Sum

from catalog import selectors as catalog_selectors
from inventory import forecasting
from inventory.demand import demand_history_get
from inventory.models import DemandDay, InventorySettings, SKUForecast

# Each SKU's series: a year and 8 weeks (ETS fits on the last year, the demand classes look at the last
# year, stockout correction looks 8 weeks back). Measured on the large demo (10k SKUs): 730 days instead
# gave the same accuracy (demand-weighted WAPE 73.7 % vs 73.9 %, |bias| 17.4 % vs 17.5 %) for 45 % more
# loading and 20 % more fitting time.
HISTORY_DAYS = 420
# The shop's total over two years for the festival lifts: every festival is seen twice (its lift for the
# days ahead is the mean of both years) with its baseline weeks before it. One aggregate query.
LIFT_HISTORY_DAYS = 730
CHUNK_SIZE = 500  # SKUs per chunk: one Celery task each, ~0.5 MB of demand, a few seconds of fitting
KEEP_DAYS = 60  # forecasts older than this are pruned (the accuracy page reads the latest ones)
_BOUND = Decimal("9999.9999")  # wape / bias columns: 8 digits, 4 decimals


def sku_forecast_plan(*, business_date: date, promotions=(), chunk_size: int = CHUNK_SIZE) -> dict:
    """What the chunks of one night share, as JSON-able data: `chunks` (lists of active SKU ids, in id
    order), `festival_lifts` (ISO day -> multiplier) and `promotions` (with their lifts)."""
    horizon = InventorySettings.current().horizon_days
    sku_ids = catalog_selectors.sku_ids_active()
    return {
        "chunks": [sku_ids[i : i + chunk_size] for i in range(0, len(sku_ids), chunk_size)],
        "festival_lifts": festival_lifts_get(business_date=business_date, horizon=horizon),
        "promotions": promotions_measure(business_date=business_date, promotions=promotions, horizon=horizon),
    }


def _history_days(business_date: date, days: int = HISTORY_DAYS) -> list[date]:
    first = business_date - timedelta(days=days - 1)
    return [first + timedelta(days=i) for i in range(days)]


def shop_demand_get(*, business_date: date, days: int = HISTORY_DAYS) -> np.ndarray:
    """The shop's total daily demand (all SKUs and warehouses) over the `days` days ending on
    `business_date`: one aggregate query."""
    day_list = _history_days(business_date, days)
    total = np.zeros(days)
    for day, units in (
        DemandDay.objects.filter(day__gte=day_list[0], day__lte=business_date)
        .values("day")
        .annotate(units=Sum("reserved") + Sum("unmet") - Sum("cancelled"))
        .values_list("day", "units")
    ):
        total[(day - day_list[0]).days] = max(units or 0, 0)
    return total


def festival_lifts_get(
    *, business_date: date, horizon: int, days: int = LIFT_HISTORY_DAYS
) -> dict[str, float]:
    """ISO day -> festival multiplier, measured on the whole shop's demand (one lift profile for every SKU:
    a single SKU's festival days are too few to measure its own)."""
    lifts = forecasting.festival_lifts_estimate(
        _history_days(business_date, days),
        shop_demand_get(business_date=business_date, days=days),
        horizon=horizon,
    )
    return {d.isoformat(): round(lift, 4) for d, lift in sorted(lifts.items())}


def promotions_measure(*, business_date: date, promotions, horizon: int) -> list[dict]:
    """The promotions that touch the history or the horizon, each with a lift: given, or measured once here
    on all the promoted SKUs (so that every chunk uses the same figure)."""
    promotions = list(promotions or ())
    if not promotions:
        return []
    day_list = _history_days(business_date)
    measured = []
    for promo in promotions:
        if promo.get("sku_ids"):
            history = demand_history_get(
                end_date=business_date, days=HISTORY_DAYS, sku_ids=list(promo["sku_ids"])
            )
            demand = forecasting.stockout_correct(history.demand, history.stockout)
            sku_ids = history.sku_ids
        else:
            demand = shop_demand_get(business_date=business_date)[None, :]
            sku_ids = []
        for item in forecasting.promotion_lifts(day_list, demand, sku_ids, [promo], horizon=horizon):
            measured.append(
                {
                    "start": item["start"].isoformat(),
                    "end": item["end"].isoformat(),
                    "sku_ids": list(promo.get("sku_ids") or []),
                    "lift": round(item["lift"], 4),
                }
            )
    return measured


def _decimal(value: float | None, places: str = "0.001") -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places))


def _bounded(value: float | None) -> Decimal | None:
    if value is None:
        return None
    return max(min(_decimal(value, "0.0001"), _BOUND), -_BOUND)


def sku_forecast_build(
    *,
    business_date: date,
    sku_ids: list[int] | None = None,
    promotions=(),
    festival_lifts: dict[str, float] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> dict:
    """Forecast `sku_ids` (default: every active SKU) as of `business_date` and store one SKUForecast each,
    replacing that date's rows for those SKUs (running it twice changes nothing). With the default SKUs it
    also prunes forecasts older than KEEP_DAYS. `festival_lifts` and `promotions` with lifts come from
    `sku_forecast_plan` when a chunk runs as its own task; otherwise they are worked out here."""
    horizon = InventorySettings.current().horizon_days
    whole = sku_ids is None
    if whole:
        sku_ids = catalog_selectors.sku_ids_active()
    if festival_lifts is None:
        festival_lifts = festival_lifts_get(business_date=business_date, horizon=horizon)
    if any(p.get("lift") is None for p in promotions or ()):
        promotions = promotions_measure(business_date=business_date, promotions=promotions, horizon=horizon)
    summary: Counter = Counter()
    models: Counter = Counter()
    for i in range(0, len(sku_ids), chunk_size):
        chunk = sku_ids[i : i + chunk_size]
        started = time.monotonic()
        history = demand_history_get(end_date=business_date, days=HISTORY_DAYS, sku_ids=chunk)
        loaded = time.monotonic()
        results = forecasting.forecast_series(
            history.sku_ids,
            history.days,
            history.demand,
            history.stockout,
            horizon=horizon,
            promotions=promotions or (),
            festival_lifts=festival_lifts,
        )
        fitted = time.monotonic()
        _store(business_date, results)
        summary["load_seconds"] += loaded - started
        summary["fit_seconds"] += fitted - loaded
        summary["write_seconds"] += time.monotonic() - fitted
        summary["skus"] += len(results)
        summary["intermittent"] += sum(r.intermittent for r in results)
        summary["backtested"] += sum(r.wape is not None or bool(r.scores) for r in results)
        models.update(r.model for r in results)
    detail = {
        "skus": summary["skus"],
        "intermittent": summary["intermittent"],
        "backtested": summary["backtested"],
        "models": dict(sorted(models.items())),
        "load_seconds": round(summary["load_seconds"], 3),
        "fit_seconds": round(summary["fit_seconds"], 3),
        "write_seconds": round(summary["write_seconds"], 3),
    }
    if whole:
        detail["pruned"] = sku_forecasts_prune(business_date=business_date)
    return detail


@transaction.atomic
def _store(business_date: date, results: list[forecasting.ForecastResult]) -> None:
    SKUForecast.objects.filter(business_date=business_date, sku_id__in=[r.sku_id for r in results]).delete()
    SKUForecast.objects.bulk_create(
        [
            SKUForecast(
                sku_id=r.sku_id,
                business_date=business_date,
                model=r.model,
                daily=r.daily,
                lower=r.lower,
                upper=r.upper,
                mean_daily=_decimal(r.mean_daily),
                sigma_daily=_decimal(r.sigma_daily),
                wape=_bounded(r.wape),
                bias=_bounded(r.bias),
                actual_28d=r.actual_28d,
                intermittent=r.intermittent,
                history_days=r.history_days,
                stockout_days=r.stockout_days,
            )
            for r in results
        ],
        batch_size=1000,
    )


def sku_forecasts_prune(*, business_date: date, keep_days: int = KEEP_DAYS) -> int:
    """Delete the forecasts made more than `keep_days` days before `business_date`; returns how many."""
    deleted, _ = SKUForecast.objects.filter(
        business_date__lt=business_date - timedelta(days=keep_days)
    ).delete()
    return deleted


def sku_forecast_summary_merge(details: list[dict]) -> dict:
    """One detail for the job record from the chunks' details."""
    total: Counter = Counter()
    models: Counter = Counter()
    for d in details:
        for key in ("skus", "intermittent", "backtested", "load_seconds", "fit_seconds", "write_seconds"):
            total[key] += d.get(key, 0)
        models.update(d.get("models", {}))
    merged = {key: round(value, 3) if isinstance(value, float) else value for key, value in total.items()}
    return {**merged, "models": dict(sorted(models.items())), "chunks": len(details)}


def sku_forecast_latest(sku_id: int, on: date | None = None) -> SKUForecast | None:
    """The SKU's latest forecast made on or before `on` (default: the latest of all), or None."""
    qs = SKUForecast.objects.filter(sku_id=sku_id)
    if on is not None:
        qs = qs.filter(business_date__lte=on)
    return qs.order_by("-business_date").first()
