"""A real Celery worker process on Redis runs a real nightly step against the test database."""

import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection

from catalog.tests.factories import SKUFactory
from conftest import require
from orders.tests.factories import order_with_lines
from reports.models import DailySales
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
    db = connection.settings_dict
    require(db["ENGINE"].endswith("postgresql"), "a worker process needs a shared database: set DATABASE_URL")

    sku = SKUFactory()
    order_with_lines(
        placed_at=datetime(2026, 5, 4, 15, tzinfo=ZoneInfo("Asia/Shanghai")),
        lines=[(sku, 2, Decimal("64.50"), Decimal("0.00"))],
    )

    queue = f"shopops-test-{uuid.uuid4().hex[:8]}"
    database_url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-secret-key-0123456789abcdef",
    }
    client = Celery(broker=REDIS_URL, backend=REDIS_URL)
    with open(tmp_path / "worker.log", "w") as worker_log:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "shopops",
                "worker",
                "-Q",
                queue,
                "--pool",
                "solo",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "info",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=worker_log,
            stderr=subprocess.STDOUT,
        )
        try:
            result = client.send_task("reports.sales_rollup_build", args=["2026-05-04"], queue=queue)
            detail = result.get(timeout=90)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            client.close()
    log = (tmp_path / "worker.log").read_text()
    assert "reports.sales_rollup_build" in log
    assert detail["rows"] == 1
    row = DailySales.objects.get(date=date(2026, 5, 4))
    assert (row.orders, row.units, row.gmv) == (1, 2, Decimal("129.00"))
    assert JobRun.objects.get(job="reports.sales_rollup_build").status == JobRun.Status.SUCCEEDED
