"""A real Celery worker process on Redis runs a real nightly step against the test database."""

import os
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import redis

from catalog.tests.factories import SKUFactory
from conftest import celery_worker_running, require
from orders.models import OrderDayFact
from orders.tests.factories import order_with_lines
from shopops.common.models import JobRun

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_on_redis_runs_the_rollup_step(tmp_path):
    require(_redis_up(), f"Redis is not reachable at {REDIS_URL}")
    sku = SKUFactory()
    order_with_lines(
        placed_at=datetime(2026, 5, 4, 15, tzinfo=ZoneInfo("Asia/Shanghai")),
        lines=[(sku, 2, Decimal("64.50"), Decimal("0.00"))],
    )

    with celery_worker_running(tmp_path / "worker.log", REDIS_URL) as (client, queue):
        result = client.send_task("reports.sales_rollup_build", args=["2026-05-04"], queue=queue)
        detail = result.get(timeout=90)
    log = (tmp_path / "worker.log").read_text()
    assert "reports.sales_rollup_build" in log
    assert detail["days"] == 1
    row = OrderDayFact.objects.get(date=date(2026, 5, 4))
    assert (row.orders, row.units, row.gmv) == (1, 2, Decimal("129.00"))
    assert JobRun.objects.get(job="reports.sales_rollup_build").status == JobRun.Status.SUCCEEDED


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_worker_generates_the_weekly_report_once_when_the_job_runs_twice(tmp_path):
    """Monday's beat job, twice (a retried or doubled schedule): one archived report, one generation."""
    from reports.models import ManagerReport

    require(_redis_up(), f"Redis is not reachable at {REDIS_URL}")
    sku = SKUFactory()
    order_with_lines(
        placed_at=datetime(2026, 5, 6, 15, tzinfo=ZoneInfo("Asia/Shanghai")),
        lines=[(sku, 2, Decimal("64.50"), Decimal("0.00"))],
    )
    with celery_worker_running(tmp_path / "worker.log", REDIS_URL) as (client, queue):
        client.send_task("reports.sales_rollup_build", args=["2026-05-10"], queue=queue).get(timeout=90)
        first = client.send_task("reports.weekly_report_generate", args=["2026-05-04"], queue=queue)
        second = client.send_task("reports.weekly_report_generate", args=["2026-05-04"], queue=queue)
        first.get(timeout=120), second.get(timeout=120)
    report = ManagerReport.objects.get()
    assert (report.kind, report.period_start, report.generations) == ("weekly", date(2026, 5, 4), 1)
    assert {row["key"]: row["value"] for row in report.content["kpis"]}["gmv"] == "129.00"
