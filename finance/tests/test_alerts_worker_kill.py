"""A real Celery worker killed (SIGKILL) in the middle of the alert evaluation loses no alert, and the rerun
on a new worker sends nothing twice: one notification per user and alert, one webhook per alert."""

import contextlib
import json
import os
import signal
import threading
import time
import uuid
from datetime import date
from decimal import Decimal as D
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import redis
from django.db.models import Count

from conftest import celery_worker_running, require
from finance.models import Alert, FinanceSettings, WebhookDelivery
from finance.services.alerts import PAUSE_ENV
from finance.tests.factories_alerts import forecast_run, snapshot, user_with_role
from shopops.common import roles
from shopops.common.models import Notification

REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/15"
DAY = date(2024, 10, 7)
METRICS = ["runway", "overdue_receivables", "ccc_rise", "margin_drop", "supplier_concentration"]


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def webhook_receiver():
    """A local HTTP endpoint recording every webhook body it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.celery_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_evaluation_loses_nothing_and_sends_nothing_twice(tmp_path, monkeypatch):
    require(_redis_up(), f"Redis is not reachable at {REDIS_URL}")
    monkeypatch.setenv(PAUSE_ENV, "0.5")  # inherited by the workers: 0.5 s between metrics
    for role in (roles.FINANCE, roles.MANAGER, roles.MARKETING, roles.INVENTORY_PLANNER, roles.OPERATIONS):
        user_with_role(role)
    # Every metric crosses all three levels: 7 readings (5 on base, lowest balance on base and pessimistic).
    snapshot(
        DAY,
        runway_months=D("2.0"),
        weekly_net_burn=D("5000.00"),
        receivables=D("1000.00"),
        overdue_receivables=D("250.00"),
        ccc=D("60.0"),
        gross_margin=D("0.2000"),
        gross_margin_prev=D("0.3000"),
        top_supplier_share=D("0.8000"),
    )
    snapshot(date(2024, 9, 1), ccc=D("30.0"))
    forecast_run("base", DAY, lowest_closing="-1000.00")
    forecast_run("pessimistic", DAY, lowest_closing="-5000.00")
    expected = {
        (m, level, "base") for m in METRICS + ["lowest_balance"] for level in ("watch", "warning", "critical")
    }
    expected |= {("lowest_balance", level, "pessimistic") for level in ("watch", "warning", "critical")}

    with webhook_receiver() as (url, received):
        FinanceSettings.objects.filter(pk=1).update(webhook_url=url, webhook_secret="s")
        queue = f"shopops-test-{uuid.uuid4().hex[:8]}"
        with celery_worker_running(tmp_path / "worker1.log", REDIS_URL, queue) as worker:
            worker.client.send_task("finance.alerts_evaluate", args=[DAY.isoformat()], queue=queue)
            assert _wait(lambda: Alert.objects.exists(), 90), (tmp_path / "worker1.log").read_text()
            os.kill(worker.process.pid, signal.SIGKILL)
            worker.process.wait(timeout=30)
        committed = Alert.objects.count()
        assert 0 < committed < len(expected)  # killed in the middle
        assert committed % 3 == 0  # whole metrics only: each metric's levels commit together

        with celery_worker_running(tmp_path / "worker2.log", REDIS_URL, queue) as (client, _queue):
            result = client.send_task("finance.alerts_evaluate", args=[DAY.isoformat()], queue=queue)
            detail = result.get(timeout=120)
            assert detail["raised"] == len(expected) - committed
            assert _wait(lambda: not WebhookDelivery.objects.filter(sent_at=None).exists(), 60)
            again = client.send_task("finance.alerts_evaluate", args=[DAY.isoformat()], queue=queue).get(
                timeout=120
            )
            assert again["raised"] == 0
            time.sleep(1)  # anything wrongly re-sent would arrive now

    alerts = list(Alert.objects.values_list("metric", "level", "scenario__code"))
    assert len(alerts) == len(expected) and set(alerts) == expected
    keys = {f"finance-alert:{pk}" for pk in Alert.objects.values_list("pk", flat=True)}
    per_user = Notification.objects.values("key", "user").annotate(n=Count("id"))
    assert {row["key"] for row in per_user} == keys
    assert all(row["n"] == 1 for row in per_user)
    assert WebhookDelivery.objects.count() == len(expected)
    assert sorted(r["alert_id"] for r in received) == sorted(Alert.objects.values_list("pk", flat=True))
