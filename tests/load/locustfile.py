"""Load test: a day's mix of channel connectors, storefront carts and operations staff (locust).

Run it through `bench/load.py`, which prepares the database, the API key, gunicorn and a Celery worker, then
checks that every order sent arrived exactly once. By hand, against a running server:

    LOAD_API_KEY=... LOAD_SKUS=SKU-0001,SKU-0002 LOAD_RUN_ID=r1 uv run locust -f tests/load/locustfile.py \
        --host http://127.0.0.1:8000 --headless -u 30 -r 5 -t 10m

Users, weighted like a working day (30 users: 6 connectors, 8 stock pollers, 10 carts, 6 staff):
- OrderSyncClient: a channel connector pushing batches of 100 new paid orders of 3 lines every 10-20 s.
  Every order has a unique external id `LOAD-<run>-<user>-<n>`, so the orders can be counted afterwards.
- StockReader: a connector polling available stock for a few SKUs every 2-5 s (sometimes a whole page).
- CartQuoter: the storefront pricing a cart of 1-4 lines every 1-3 s.
- OperationsStaff: an operations user (no 2FA) who logs in through the login form (CSRF) and opens the
  dashboard and the order desk (filters, next page) every 5-15 s.

Not a pytest module (pytest collects test_*.py only).
"""

import itertools
import json
import os
import random
import re
import threading
from datetime import UTC, datetime
from decimal import Decimal

from locust import HttpUser, between, events, task

API_KEY = os.environ.get("LOAD_API_KEY", "")
RUN_ID = os.environ.get("LOAD_RUN_ID", "manual")
SKUS = [code for code in os.environ.get("LOAD_SKUS", "").split(",") if code]
CHANNEL = os.environ.get("LOAD_CHANNEL", "tmall")
STAFF_USER = os.environ.get("LOAD_STAFF_USER", "operations")
STAFF_PASSWORD = os.environ.get("LOAD_STAFF_PASSWORD", "shopops-demo")
RESULT_FILE = os.environ.get("LOAD_RESULT_FILE", "")
ORDERS_PER_SYNC = 100
LINES_PER_ORDER = 3
PROVINCES = ["上海", "江苏", "浙江", "广东", "北京", "四川", "山东", "湖北"]

_lock = threading.Lock()
_user_numbers = itertools.count(1)
# What the connectors sent: every order of every request, and of those the ones a 200 answer accounted for.
SENT = {"requests": 0, "orders_sent": 0, "orders_answered": 0, "created": 0, "rejected": 0, "unanswered": 0}


def _api_headers() -> dict:
    return {"Authorization": f"Api-Key {API_KEY}", "Content-Type": "application/json"}


def _order(external_id: str, now: str, rng: random.Random) -> dict:
    lines, total = [], Decimal("0.00")
    for sku in rng.sample(SKUS, LINES_PER_ORDER):
        quantity, price = rng.randint(1, 3), Decimal(rng.choice(["19.90", "49.00", "99.00", "129.00"]))
        lines.append({"sku": sku, "quantity": quantity, "unit_price": str(price), "discount": "0.00"})
        total += quantity * price
    customer = f"LOAD-C{rng.randint(1, 5000)}"
    return {
        "external_id": external_id,
        "placed_at": now,
        "updated_at": now,
        "status": "paid",
        "currency": "CNY",
        "payment_method": "alipay",
        "customer": {"external_id": customer, "name": "压测客户", "province": rng.choice(PROVINCES)},
        "shipping_fee": "0.00",
        "tax": "0.00",
        "order_discount": "0.00",
        "total": str(total),
        "lines": lines,
    }


class OrderSyncClient(HttpUser):
    weight = 6
    wait_time = between(10, 20)

    def on_start(self):
        self.number = next(_user_numbers)
        self.sequence = itertools.count(1)
        self.rng = random.Random(f"{RUN_ID}-{self.number}")

    @task
    def sync_batch(self):
        now = datetime.now(UTC).isoformat()
        ids = [f"LOAD-{RUN_ID}-{self.number}-{next(self.sequence)}" for _ in range(ORDERS_PER_SYNC)]
        body = {"channel": CHANNEL, "orders": [_order(external_id, now, self.rng) for external_id in ids]}
        with self.client.post(
            "/api/v1/orders/sync",
            data=json.dumps(body),
            headers=_api_headers(),
            name="sync 100 orders",
            catch_response=True,
        ) as response:
            with _lock:
                SENT["requests"] += 1
                SENT["orders_sent"] += len(ids)
            if response.status_code != 200:
                with _lock:
                    SENT["unanswered"] += len(ids)
                response.failure(f"HTTP {response.status_code}")
                return
            result = response.json()
            with _lock:
                SENT["orders_answered"] += len(ids)
                SENT["created"] += result["created"]
                SENT["rejected"] += len(result["rejected"])
            if result["rejected"] or result["created"] != len(ids):
                response.failure(f"created {result['created']} of {len(ids)}: {result['rejected'][:1]}")


class StockReader(HttpUser):
    weight = 8
    wait_time = between(2, 5)

    @task(5)
    def stock_for_skus(self):
        codes = ",".join(random.sample(SKUS, 5))
        self.client.get(
            f"/api/v1/stock?channel={CHANNEL}&sku={codes}", headers=_api_headers(), name="stock: 5 SKUs"
        )

    @task(1)
    def stock_page(self):
        self.client.get(
            f"/api/v1/stock?channel={CHANNEL}&page_size=100",
            headers=_api_headers(),
            name="stock: page of 100",
        )


class CartQuoter(HttpUser):
    weight = 10
    wait_time = between(1, 3)

    @task
    def quote(self):
        lines = [
            {"sku": sku, "quantity": random.randint(1, 3)}
            for sku in random.sample(SKUS, random.randint(1, 4))
        ]
        body = {
            "channel": CHANNEL,
            "customer": {"external_id": f"LOAD-C{random.randint(1, 5000)}"},
            "lines": lines,
        }
        self.client.post("/api/v1/pricing/quote", data=json.dumps(body), headers=_api_headers(), name="quote")


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class OperationsStaff(HttpUser):
    weight = 6
    wait_time = between(5, 15)

    def on_start(self):
        page = self.client.get("/login/", name="login form")
        token = _CSRF_INPUT.search(page.text)
        with self.client.post(
            "/login/",
            data={
                "username": STAFF_USER,
                "password": STAFF_PASSWORD,
                "csrfmiddlewaretoken": token[1] if token else "",
            },
            headers={"Referer": f"{self.host}/login/"},
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"login answered {response.status_code}, not a redirect")

    @task(3)
    def dashboard(self):
        self.client.get("/", name="page: dashboard")

    @task(4)
    def order_list(self):
        self.client.get("/orders/", name="page: order list")

    @task(2)
    def order_list_filtered(self):
        status = random.choice(["paid", "shipped", "pending"])
        self.client.get(
            f"/orders/?status={status}&channel={CHANNEL}&page=2", name="page: order list filtered"
        )


@events.quitting.add_listener
def _write_counts(environment, **_kwargs):
    if RESULT_FILE:
        with open(RESULT_FILE, "w") as out:
            json.dump(SENT, out)
