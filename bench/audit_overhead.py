"""Benchmark: what the audit trail adds to the order sync (POST /api/v1/orders/sync), in process.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run python bench/audit_overhead.py

Creates a scratch database `shopops_audit_bench` next to DATABASE_URL's (dropped first), seeds 2,000 SKUs
in 2 warehouses, then pushes --batches batches of --batch new orders (3 lines) through Django's test client
with an API key, alternating runs with and without shopops.common.audit.AuditMiddleware, and replays (the
"unchanged" path). Prints the time per run, the ratio, and how many audit entries the syncs wrote (0
expected: orders, lines, customers, stock levels and the ledger are not audited by signal). Not a test.
"""

import argparse
import os
import random
import sys
import time
import urllib.parse
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
N_SKUS = 2_000
PROVINCES = ["上海", "江苏", "浙江", "广东", "北京"]


def make_orders(start: int, count: int, rng: random.Random) -> list[dict]:
    orders = []
    for n in range(start, start + count):
        lines = [
            {
                "sku": f"SKU-{rng.randrange(N_SKUS):05d}",
                "quantity": 1,
                "unit_price": "49.00",
                "discount": "0.00",
            }
            for _ in range(3)
        ]
        buyer = n % 500
        orders.append(
            {
                "external_id": f"A{n:07d}",
                "placed_at": "2026-06-18T10:00:00+08:00",
                "updated_at": "2026-06-18T10:00:30+08:00",
                "status": "paid",
                "currency": "CNY",
                "payment_method": "alipay",
                "customer": {
                    "external_id": f"C{buyer}",
                    "name": "顾客",
                    "phone": f"138{buyer:08d}",
                    "email": f"c{buyer}@example.com",
                    "province": PROVINCES[buyer % len(PROVINCES)],
                },
                "city": "城市",
                "address": "路1号",
                "shipping_fee": "0.00",
                "tax": "0.00",
                "order_discount": "0.00",
                "total": "147.00",
                "lines": lines,
            }
        )
    return orders


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    parts = urllib.parse.urlsplit(base)
    admin, bench = (
        parts._replace(path="/postgres").geturl(),
        parts._replace(path="/shopops_audit_bench").geturl(),
    )
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "shopops_audit_bench" WITH (FORCE)')
        conn.execute('CREATE DATABASE "shopops_audit_bench"')
    os.environ.update(
        DATABASE_URL=bench, DJANGO_SETTINGS_MODULE="shopops.settings.test", REDIS_URL="", LOG_LEVEL="WARNING"
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from decimal import Decimal

    from auditlog.models import LogEntry
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import override_settings, setup_test_environment

    from catalog.models import SKU, Category, Product
    from inventory.models import StockLevel, Warehouse
    from orders.models import Channel
    from shopops.common.models import ApiClient

    setup_test_environment()
    call_command("migrate", verbosity=0)
    Channel.objects.create(code="tmall", name="Tmall", kind="marketplace", commission_rate=Decimal("0.05"))
    warehouses = [
        Warehouse.objects.create(
            code="east", name="east", region="east", province="上海", provinces_served=PROVINCES
        ),
        Warehouse.objects.create(
            code="south", name="south", region="south", province="广东", provinces_served=["广东"]
        ),
    ]
    product = Product.objects.create(category=Category.objects.create(code="b", name="b"), name="b")
    SKU.objects.bulk_create(
        [
            SKU(
                product=product,
                code=f"SKU-{i:05d}",
                name=f"SKU {i}",
                unit_cost=Decimal("20"),
                list_price=Decimal("49"),
            )
            for i in range(N_SKUS)
        ]
    )
    StockLevel.objects.bulk_create(
        [
            StockLevel(sku_id=s, warehouse=w, on_hand=10**7)
            for s in SKU.objects.values_list("id", flat=True)
            for w in warehouses
        ]
    )
    _client, key = ApiClient.objects.create_key(name="bench", scopes=["orders:write"], rate_limit="100000/s")
    client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    without = [m for m in settings.MIDDLEWARE if m != "shopops.common.audit.AuditMiddleware"]
    assert len(without) == len(settings.MIDDLEWARE) - 1

    rng = random.Random(7)
    number = 0
    for _ in range(3):  # warm up: the first batches pay for caches, prepared plans and new customers
        body = {"channel": "tmall", "orders": make_orders(number, args.batch, rng)}
        number += args.batch
        assert client.post("/api/v1/orders/sync", body, content_type="application/json").status_code == 200
    results = {"with audit": [], "without": [], "replay with": [], "replay without": []}
    entries_before = LogEntry.objects.count()
    modes = [("with audit", settings.MIDDLEWARE), ("without", without)]
    for round_ in range(args.rounds):
        # Alternate which goes first: the tables grow with every run, and the later run of a round pays.
        for label, middleware in modes if round_ % 2 == 0 else modes[::-1]:
            batches = []
            for _ in range(args.batches):
                batches.append({"channel": "tmall", "orders": make_orders(number, args.batch, rng)})
                number += args.batch
            with override_settings(MIDDLEWARE=middleware):
                # A new client: a client's handler builds its middleware chain once, on its first request.
                client = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
                started = time.perf_counter()
                for body in batches:
                    response = client.post("/api/v1/orders/sync", body, content_type="application/json")
                    assert response.status_code == 200, response.content[:500]
                results[label].append(time.perf_counter() - started)
                started = time.perf_counter()
                for body in batches:
                    assert (
                        client.post("/api/v1/orders/sync", body, content_type="application/json").status_code
                        == 200
                    )
                results["replay " + label.split()[0]].append(time.perf_counter() - started)
    orders = args.batches * args.batch
    for label, times in results.items():
        best = min(times)
        print(
            f"{label:15s} best {best:6.2f} s for {orders} orders ({orders / best:7.1f} orders/s), runs {times}"
        )
    ratio = min(results["with audit"]) / min(results["without"])
    replay = min(results["replay with"]) / min(results["replay without"])
    print(f"with / without: first sync {ratio:.3f}, replay {replay:.3f}")
    print(f"audit entries written by the syncs: {LogEntry.objects.count() - entries_before}")

    # The middleware alone, per request: a trivial page (healthz), interleaved runs, best of each.
    per_request = {"with audit": [], "without": []}
    for round_ in range(6):
        for label, middleware in modes if round_ % 2 == 0 else modes[::-1]:
            with override_settings(MIDDLEWARE=middleware):
                plain = Client()
                plain.get("/healthz")
                started = time.perf_counter()
                for _ in range(1000):
                    plain.get("/healthz")
                per_request[label].append((time.perf_counter() - started) / 1000)
    with_audit, without_audit = min(per_request["with audit"]), min(per_request["without"])
    print(
        f"healthz per request: with audit {with_audit * 1e6:.0f} µs, without {without_audit * 1e6:.0f} µs, "
        f"middleware {(with_audit - without_audit) * 1e6:.0f} µs"
    )


if __name__ == "__main__":
    main()
