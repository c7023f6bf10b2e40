"""The nightly forecast job: SKUForecast rows from the demand record, idempotent, replayable, pruned."""

import os
from datetime import date, timedelta

import pytest
import redis

from catalog.tests.factories import SKUFactory
from conftest import celery_worker_running, require
from inventory import planning
from inventory import tasks as inventory_tasks
from inventory.forecast_jobs import sku_forecast_build, sku_forecast_latest
from inventory.forecasting import INTERMITTENT_MODELS, SMOOTH_MODELS
from inventory.models import (
    DemandDay,
    ReplenishmentSuggestion,
    SKUForecast,
    StockLevel,
    Supplier,
    SupplierSKU,
)
from inventory.tests.factories import WarehouseFactory
from shopops.common.models import JobRun

D = date(2026, 3, 1)  # a Sunday: the forecast starts on Monday 2 March


@pytest.fixture
def shop(db):
    return shop_build()


def shop_build():
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    steady, sparse, out = SKUFactory(code="STEADY"), SKUFactory(code="SPARSE"), SKUFactory(code="OUT")
    gone = SKUFactory(code="GONE", active=False)
    for sku in (steady, sparse, out, gone):
        StockLevel.objects.create(sku=sku, warehouse=east, on_hand=50)
        StockLevel.objects.create(sku=sku, warehouse=west, on_hand=50)
    rows = []
    for k in range(120):  # 120 days ending on D
        day = D - timedelta(days=119 - k)
        weekend = day.weekday() >= 5
        rows.append(DemandDay(sku=steady, warehouse=east, day=day, reserved=6 if weekend else 3))
        rows.append(DemandDay(sku=steady, warehouse=west, day=day, reserved=2 if weekend else 1, cancelled=0))
        rows.append(DemandDay(sku=gone, warehouse=east, day=day, reserved=5))
        if k % 10 == 3:
            rows.append(DemandDay(sku=sparse, warehouse=east, day=day, reserved=2))
        if k < 113:
            rows.append(DemandDay(sku=out, warehouse=west, day=day, reserved=5, cancelled=1))
        else:  # the last 7 days: out of stock everywhere, nothing sold
            rows.append(DemandDay(sku=out, warehouse=east, day=day, stockout=True))
            rows.append(DemandDay(sku=out, warehouse=west, day=day, stockout=True))
    DemandDay.objects.bulk_create(rows)
    return {"steady": steady, "sparse": sparse, "out": out, "gone": gone, "east": east}


def snapshot():
    return {
        f.sku.code: (
            f.model,
            f.daily,
            f.lower,
            f.upper,
            f.mean_daily,
            f.sigma_daily,
            f.wape,
            f.bias,
            f.actual_28d,
        )
        for f in SKUForecast.objects.filter(business_date=D).select_related("sku")
    }


def test_forecasts_are_written_from_the_demand_record(shop):
    detail = sku_forecast_build(business_date=D)
    assert (detail["skus"], detail["intermittent"], detail["backtested"]) == (3, 1, 3)
    by_code = {f.sku.code: f for f in SKUForecast.objects.filter(business_date=D).select_related("sku")}
    assert set(by_code) == {"STEADY", "SPARSE", "OUT"}  # GONE is inactive

    steady = by_code["STEADY"]
    assert steady.model in SMOOTH_MODELS and not steady.intermittent
    assert (steady.history_days, steady.stockout_days) == (120, 0)
    assert steady.actual_28d == 20 * 4 + 8 * 8  # 20 weekdays at 4, 8 weekend days at 8
    assert len(steady.daily) == len(steady.lower) == len(steady.upper) == 90
    assert [round(x) for x in steady.daily[:7]] == [4, 4, 4, 4, 4, 8, 8]  # Monday to Sunday
    assert steady.wape is not None and abs(steady.wape) < 0.05

    sparse = by_code["SPARSE"]
    assert sparse.intermittent and sparse.model in INTERMITTENT_MODELS
    assert sparse.history_days == 117  # from its first sale
    assert sparse.actual_28d == 6  # days 93, 103, 113 of the 120

    out = by_code["OUT"]
    assert out.stockout_days == 7
    assert out.actual_28d == 28 * 4  # the 7 stockout days count as the usual 4 a day, not 0
    assert float(out.mean_daily) == pytest.approx(4.0, abs=0.05)


def test_running_twice_changes_nothing_and_later_data_does_not_change_a_past_date(shop):
    sku_forecast_build(business_date=D)
    first = snapshot()
    sku_forecast_build(business_date=D)
    assert snapshot() == first
    assert SKUForecast.objects.count() == 3
    # the days after D arrive (a huge week): the forecast made on D is replayed unchanged
    DemandDay.objects.bulk_create(
        DemandDay(sku=shop["steady"], warehouse=shop["east"], day=D + timedelta(days=k), reserved=500)
        for k in range(1, 8)
    )
    sku_forecast_build(business_date=D)
    assert snapshot() == first
    sku_forecast_build(business_date=D + timedelta(days=7))
    later = SKUForecast.objects.get(sku=shop["steady"], business_date=D + timedelta(days=7))
    assert later.actual_28d > first["STEADY"][-1] + 3000


def test_a_chunk_replaces_only_its_skus_and_promotions_lift_the_days_ahead(shop):
    sku_forecast_build(business_date=D)
    plain = SKUForecast.objects.get(sku=shop["steady"], business_date=D)
    promo = [{"start": "2026-03-03", "end": "2026-03-04", "sku_ids": [shop["steady"].pk], "lift": 2.5}]
    detail = sku_forecast_build(business_date=D, sku_ids=[shop["steady"].pk], promotions=promo)
    assert detail["skus"] == 1 and "pruned" not in detail
    lifted = SKUForecast.objects.get(sku=shop["steady"], business_date=D)
    assert lifted.daily[1:3] == pytest.approx([2.5 * x for x in plain.daily[1:3]], abs=2e-3)
    assert lifted.daily[0] == plain.daily[0] and lifted.daily[3:] == plain.daily[3:]
    assert SKUForecast.objects.filter(business_date=D).count() == 3


def test_old_forecasts_are_pruned_and_the_latest_is_found(shop):
    steady = shop["steady"]
    SKUForecast.objects.create(sku=steady, business_date=D - timedelta(days=61), model="ets")
    kept = SKUForecast.objects.create(sku=steady, business_date=D - timedelta(days=60), model="ets")
    detail = sku_forecast_build(business_date=D)
    assert detail["pruned"] == 1
    assert sku_forecast_latest(steady.pk, on=D - timedelta(days=1)) == kept
    assert sku_forecast_latest(steady.pk).business_date == D
    assert sku_forecast_latest(shop["gone"].pk) is None


def test_the_nightly_task_runs_in_process_and_records_the_job(shop):
    first = inventory_tasks.sku_forecast_build.apply(args=[D.isoformat()], kwargs={"promotions": []}).get()
    again = inventory_tasks.sku_forecast_build.apply(args=[D.isoformat()], kwargs={"promotions": []}).get()
    assert first["skus"] == again["skus"] == 3
    run = JobRun.objects.get(job="inventory.sku_forecast_build", business_date=D)
    assert (run.status, run.runs, run.detail["models"]) == (JobRun.Status.SUCCEEDED, 2, first["models"])
    assert SKUForecast.objects.filter(business_date=D).count() == 3


REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_on_a_worker_the_forecast_fans_out_one_task_per_chunk(tmp_path):
    try:
        up = bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        up = False
    require(up, f"Redis is not reachable at {REDIS_URL}")
    shop = shop_build()
    supplier = Supplier.objects.create(code="s1", name="S1", lead_time_days=20)
    for sku in (shop["steady"], shop["sparse"], shop["out"]):
        SupplierSKU.objects.create(supplier=supplier, sku=sku, unit_cost="10.00")

    with celery_worker_running(tmp_path / "worker.log", REDIS_URL) as (client, queue):
        result = client.send_task(
            "inventory.sku_forecast_build", args=[D.isoformat()], kwargs={"chunk_size": 1}, queue=queue
        )
        detail = result.get(timeout=180)  # the task replaced itself: this is the chord body's result
        client.send_task("inventory.sku_class_build", args=[D.isoformat()], queue=queue).get(timeout=60)
        replenished = client.send_task(
            "inventory.replenishment_build", args=[D.isoformat()], kwargs={"chunk_size": 1}, queue=queue
        ).get(timeout=120)
    log = (tmp_path / "worker.log").read_text()
    assert log.count("Task inventory.sku_forecast_chunk_build[") >= 3
    assert (detail["chunks"], detail["skus"], detail["intermittent"]) == (3, 3, 1)
    assert detail["elapsed_seconds"] > 0
    assert SKUForecast.objects.filter(business_date=D).count() == 3
    run = JobRun.objects.get(job="inventory.sku_forecast_build", business_date=D)
    assert run.status == JobRun.Status.SUCCEEDED and run.detail["chunks"] == 3
    # The replenishment fans out too (one chunk per SKU here) and writes what one pass in process writes.
    assert log.count("Task inventory.replenishment_chunk_build[") >= 3
    run = JobRun.objects.get(job="inventory.replenishment_build", business_date=D)
    assert run.status == JobRun.Status.SUCCEEDED and (run.detail["chunks"], run.detail["skus"]) == (3, 3)
    written = sorted(
        ReplenishmentSuggestion.objects.values_list("sku_id", "warehouse_id", "kind", "quantity")
    )
    assert replenished["suggestions"] == len(written)
    planning.replenishment_build(business_date=D)
    assert (
        sorted(ReplenishmentSuggestion.objects.values_list("sku_id", "warehouse_id", "kind", "quantity"))
        == written
    )
