"""The nightly pipeline's pricing steps: SKU facts gathered from orders and stock, then recommendations."""

from datetime import date, datetime, timedelta
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from catalog.models import PriceRecommendation, SKUCost, SKUStats
from catalog.tests.factories import SKUFactory
from inventory.models import StockLevel, Warehouse
from inventory.tests.factories import WarehouseFactory
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines
from shopops import nightly
from shopops.common.models import JobRun

SH = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 3, 2)


def at(day: date, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=SH)


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="tmall")
    slow = SKUFactory(code="SLOW", unit_cost=D("57.00"), list_price=D("129.00"))
    SKUCost.objects.create(sku=slow, inbound_cost=D("3.00"))
    idle = SKUFactory(code="IDLE")
    SKUFactory(code="GONE", active=False)
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    closed = WarehouseFactory(code="closed")
    Warehouse.objects.filter(pk=closed.pk).update(active=False)
    StockLevel.objects.create(sku=slow, warehouse=east, on_hand=150, reserved=5)
    StockLevel.objects.create(sku=slow, warehouse=west, on_hand=24, reserved=0)
    StockLevel.objects.create(sku=slow, warehouse=closed, on_hand=900, reserved=0)  # not sellable
    StockLevel.objects.create(sku=idle, warehouse=east, on_hand=3, reserved=3)
    # the last 28 days (24 Feb... 2 Mar is the end): 12 units; the 28 days before: 20; older: ignored
    order_with_lines(
        channel=channel,
        placed_at=at(DAY, 23),
        status=Order.Status.PAID,
        lines=[(slow, 2, D("129.00"), D("10.00"))],
    )
    order_with_lines(
        channel=channel,
        placed_at=at(DAY - timedelta(days=27), 0),
        status=Order.Status.DELIVERED,
        lines=[(slow, 10, D("129.00"), D("0.00"))],
    )
    order_with_lines(
        channel=channel,
        placed_at=at(DAY - timedelta(days=28), 23),
        status=Order.Status.DELIVERED,
        lines=[(slow, 20, D("119.00"), D("0.00"))],
    )
    order_with_lines(
        channel=channel,
        placed_at=at(DAY - timedelta(days=89)),
        status=Order.Status.SHIPPED,
        lines=[(slow, 1, D("100.00"), D("0.00"))],
    )
    order_with_lines(
        channel=channel,
        placed_at=at(DAY - timedelta(days=90)),
        status=Order.Status.SHIPPED,
        lines=[(slow, 7, D("100.00"), D("0.00"))],
    )  # outside the 90 days
    order_with_lines(
        channel=channel,
        placed_at=at(DAY - timedelta(days=1)),
        status=Order.Status.CANCELLED,
        lines=[(slow, 50, D("129.00"), D("0.00"))],
    )  # not counted
    order_with_lines(
        channel=channel,
        placed_at=at(DAY + timedelta(days=1)),
        status=Order.Status.PAID,
        lines=[(slow, 50, D("129.00"), D("0.00"))],
    )  # after the business date
    return {"slow": slow, "idle": idle}


def test_pipeline_runs_the_pricing_steps_in_order(shop):
    assert [step.task for step in nightly.pipeline(DAY).tasks] == [
        "reports.sales_rollup_build",
        "shopops.nightly.sku_stats_store",
        "catalog.price_recommendations_build",
        "inventory.demand_record_build",
        "inventory.sku_forecast_build",
        "inventory.sku_class_build",
        "inventory.replenishment_build",
        "marketing.membership_assign",
        "marketing.points_build",
        "marketing.customer_rfm_build",
        "marketing.promotion_results_build",
        "service.complaint_keywords_nightly",
        "service.nps_surveys_schedule",
        "finance.metrics_snapshot_build",
        "finance.cashflow_forecast_build",
        "finance.alerts_evaluate",
    ]
    assert nightly.pipeline(DAY).tasks[2].kwargs == {"promotions": {}}
    assert nightly.pipeline(DAY).tasks[4].kwargs == {"promotions": []}


def test_run_nightly_builds_facts_and_recommendations_once_per_date(shop):
    call_command("run_nightly", "--date", DAY.isoformat())
    slow = SKUStats.objects.get(sku=shop["slow"])
    # available 145 + 24 (the inactive warehouse does not count); 12 units in 28 days -> cover 169 / (12/28)
    assert (slow.as_of, slow.available, slow.units_28d, slow.units_prev_28d) == (DAY, 169, 12, 20)
    assert (slow.revenue_28d, slow.revenue_90d) == (D("1538.00"), D("4018.00"))  # 248 + 1290; + 2380 + 100
    assert (slow.daily_demand, slow.cover_days) == (D("0.429"), D("394.3"))
    idle = SKUStats.objects.get(sku=shop["idle"])
    assert (idle.available, idle.units_28d, idle.cover_days) == (0, 0, None)
    assert SKUStats.objects.count() == 2  # active SKUs only
    rec = PriceRecommendation.objects.get()
    assert (rec.sku, rec.action, rec.recommended_price) == (shop["slow"], "markdown", D("119.00"))
    call_command("run_nightly", "--date", DAY.isoformat())
    assert PriceRecommendation.objects.count() == 1
    runs = dict(JobRun.objects.filter(business_date=DAY).values_list("job", "runs"))
    assert runs == {
        "reports.sales_rollup_build": 2,
        "catalog.sku_stats_store": 2,
        "catalog.price_recommendations_build": 2,
        "inventory.demand_record_build": 2,
        "inventory.sku_forecast_build": 2,
        "inventory.sku_class_build": 2,
        "inventory.replenishment_build": 2,
        "marketing.membership_assign": 2,
        "marketing.points_build": 2,
        "marketing.customer_rfm_build": 2,
        "marketing.promotion_results_build": 2,
        "service.complaint_keywords_build": 2,
        "service.nps_surveys_schedule": 2,
        # the alert evaluation is idempotent by itself (one live alert per metric, level and scenario)
        "finance.metrics_snapshot_build": 2,
        "finance.cashflow_forecast_build": 2,
    }
