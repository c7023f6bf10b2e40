"""Benchmark: POST /api/v1/orders/sync through gunicorn on localhost, against a psycopg ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run python bench/order_sync.py

Creates a scratch database `shopops_bench` next to DATABASE_URL's (dropped first), seeds the large
catalogue (10,000 SKUs in 4 warehouses with ample stock), starts gunicorn, pushes --orders orders of 3
lines in batches of --batch from --clients concurrent connections, then replays them all. In the same
run it writes the same orders and lines straight to PostgreSQL with one psycopg
INSERT ... SELECT FROM unnest(...) ON CONFLICT per batch into scratch tables: the ceiling. Prints
orders/s and the ratio to the ceiling. Not a test: run it by hand.
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from http.client import HTTPConnection
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PORT = 8765
PORT = DEFAULT_PORT
N_SKUS = 10_000
PROVINCES = ["上海", "江苏", "浙江", "广东", "北京", "四川", "山东", "湖北"]


def database_urls(base: str, name: str = "shopops_bench") -> tuple[str, str]:
    parts = urllib.parse.urlsplit(base)
    admin = parts._replace(path="/postgres").geturl()
    bench = parts._replace(path=f"/{name}").geturl()
    return admin, bench


def django_env(bench_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghij",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }


def setup_database(admin_url: str, bench_url: str) -> str:
    name = urllib.parse.urlsplit(bench_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    env = django_env(bench_url)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = f"""
from decimal import Decimal
from catalog.models import Category, Product, SKU
from inventory.models import Warehouse, StockLevel, StockMovement
from orders.models import Channel
from shopops.common.models import ApiClient
Channel.objects.create(code="tmall", name="Tmall", kind="marketplace", commission_rate=Decimal("0.05"))
regions = [("east", ["上海", "江苏", "浙江"]), ("south", ["广东", "福建"]), ("north", ["北京", "山东"]),
           ("west", ["四川", "湖北"])]
warehouses = [Warehouse.objects.create(code=c, name=c, region=c, province=p[0], provinces_served=p)
              for c, p in regions]
cat = Category.objects.create(code="bench", name="bench")
product = Product.objects.create(category=cat, name="bench")
SKU.objects.bulk_create([SKU(product=product, code=f"SKU-{{i:05d}}", name=f"SKU {{i}}", unit_cost=Decimal("20.00"),
                             list_price=Decimal("49.00")) for i in range({N_SKUS})], batch_size=5000)
skus = list(SKU.objects.values_list("id", flat=True))
StockLevel.objects.bulk_create([StockLevel(sku_id=s, warehouse=w, on_hand=1_000_000) for s in skus
                                for w in warehouses], batch_size=5000)
StockMovement.objects.bulk_create([StockMovement(sku_id=s, warehouse=w, kind="receipt", on_hand_delta=1_000_000,
                                   reference="bench opening") for s in skus for w in warehouses], batch_size=5000)
_, key = ApiClient.objects.create_key(name="bench", scopes=["orders:write"], rate_limit="100000/s")
print(key)
"""
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip().splitlines()[-1]


def customer(number: int) -> dict:
    """A returning customer keeps their details from order to order."""
    return {
        "external_id": f"C{number}",
        "name": "顾客",
        "phone": f"138{(number * 7919) % 10**8:08d}",
        "email": f"c{number}@example.com",
        "province": PROVINCES[number % len(PROVINCES)],
    }


def make_batches(n_orders: int, batch: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    orders = []
    for n in range(n_orders):
        lines = []
        for _ in range(3):
            qty = rng.choice((1, 1, 1, 2, 3))
            price = Decimal(rng.choice(("19.90", "49.00", "129.00", "9.90")))
            lines.append(
                {
                    "sku": f"SKU-{rng.randrange(N_SKUS):05d}",
                    "quantity": qty,
                    "unit_price": str(price),
                    "discount": "0.00",
                }
            )
        total = sum(Decimal(li["unit_price"]) * li["quantity"] for li in lines)
        minute = n % 1440
        buyer = customer(rng.randrange(n_orders // 3 + 1))
        orders.append(
            {
                "external_id": f"B{n:07d}",
                "placed_at": f"2026-06-18T{minute // 60:02d}:{minute % 60:02d}:00+08:00",
                "updated_at": f"2026-06-18T{minute // 60:02d}:{minute % 60:02d}:30+08:00",
                "status": "paid",
                "currency": "CNY",
                "payment_method": "alipay",
                "customer": buyer,
                "city": "城市",
                "address": f"{buyer['province']}路{buyer['external_id'][1:]}号",
                "shipping_fee": "0.00",
                "tax": "0.00",
                "order_discount": "0.00",
                "total": str(total),
                "lines": lines,
            }
        )
    return [{"channel": "tmall", "orders": orders[i : i + batch]} for i in range(0, n_orders, batch)]


def push(bodies: list[bytes], key: str, clients: int) -> tuple[float, dict]:
    totals = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}

    def send(chunk):
        conn = HTTPConnection("127.0.0.1", PORT, timeout=300)
        got = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
        for body in chunk:
            conn.request(
                "POST",
                "/api/v1/orders/sync",
                body=body,
                headers={"Content-Type": "application/json", "Authorization": f"Api-Key {key}"},
            )
            response = conn.getresponse()
            data = json.loads(response.read())
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status}: {data}")
            for name in ("created", "updated", "unchanged"):
                got[name] += data[name]
            got["rejected"] += len(data["rejected"])
        conn.close()
        return got

    chunks = [bodies[i::clients] for i in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        for got in pool.map(send, chunks):
            for name in totals:
                totals[name] += got[name]
    return time.perf_counter() - started, totals


CEILING_SQL = """
WITH o AS (
  INSERT INTO bench_order (channel_id, external_id, status, placed_at, source_updated_at, currency, exchange_rate,
                           total_shop, payment_method, province, city, address, shipping_fee, tax, order_discount,
                           coupon_code, total, refund_amount, payload_hash, created_at, updated_at)
  SELECT 1, v.ext, v.status, v.placed, v.updated, 'CNY', 1, v.total, 'alipay', v.prov, '', '', 0, 0, 0, '', v.total,
         0, '', now(), now()
  FROM unnest(%(ext)s::text[], %(status)s::text[], %(placed)s::timestamptz[], %(updated)s::timestamptz[],
              %(prov)s::text[], %(total)s::numeric[]) AS v(ext, status, placed, updated, prov, total)
  ON CONFLICT (channel_id, external_id) DO UPDATE SET status = EXCLUDED.status,
     source_updated_at = EXCLUDED.source_updated_at, total = EXCLUDED.total, updated_at = now()
  RETURNING id, external_id
)
INSERT INTO bench_line (order_id, sku_id, quantity, unit_price, discount, unit_cost, backordered)
SELECT o.id, l.sku_id, l.quantity, l.unit_price, l.discount, 20.00, 0
FROM unnest(%(l_ext)s::text[], %(l_sku)s::bigint[], %(l_qty)s::int[], %(l_price)s::numeric[],
            %(l_disc)s::numeric[]) AS l(external_id, sku_id, quantity, unit_price, discount)
JOIN o ON o.external_id = l.external_id
"""


def ceiling(bench_url: str, batches: list[dict]) -> float:
    """The same orders and lines, in tables shaped like ShopOps' own (LIKE … INCLUDING ALL: the same columns,
    defaults, CHECKs and indexes), one INSERT … SELECT FROM unnest … ON CONFLICT statement per batch."""
    with psycopg.connect(bench_url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_line, bench_order")
        conn.execute("CREATE TABLE bench_order (LIKE orders_order INCLUDING ALL)")
        conn.execute("CREATE TABLE bench_line (LIKE orders_orderline INCLUDING ALL)")
        sku_ids = dict(conn.execute("SELECT code, id FROM catalog_sku").fetchall())
        started = time.perf_counter()
        for body in batches:
            orders = body["orders"]
            lines = [(o["external_id"], li) for o in orders for li in o["lines"]]
            with conn.transaction():
                conn.execute(
                    CEILING_SQL,
                    {
                        "ext": [o["external_id"] for o in orders],
                        "status": [o["status"] for o in orders],
                        "placed": [o["placed_at"] for o in orders],
                        "updated": [o["updated_at"] for o in orders],
                        "prov": [o["customer"]["province"] for o in orders],
                        "total": [Decimal(o["total"]) for o in orders],
                        "l_ext": [e for e, _ in lines],
                        "l_sku": [sku_ids[li["sku"]] for _, li in lines],
                        "l_qty": [li["quantity"] for _, li in lines],
                        "l_price": [Decimal(li["unit_price"]) for _, li in lines],
                        "l_disc": [Decimal(li["discount"]) for _, li in lines],
                    },
                )
        return time.perf_counter() - started


def serve_and_push(bench_url: str, bodies: list[bytes], key: str, args, *, facts_live: bool = True):
    """Start gunicorn on the bench database, push every batch (first sync), then again (replay)."""
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shopops.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(args.workers),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={
            **django_env(bench_url),
            "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
            "ORDER_FACTS_LIVE": "true" if facts_live else "false",
        },
    )
    try:
        for _ in range(100):
            try:
                conn = HTTPConnection("127.0.0.1", PORT, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        print(
            f"Pushing {args.orders:,} orders x 3 lines in batches of {args.batch} from {args.clients} clients "
            f"to gunicorn ({args.workers} workers; KPI facts kept by the sync: {facts_live}) …",
            flush=True,
        )
        first, first_counts = push(bodies, key, args.clients)
        replay, replay_counts = push(bodies, key, args.clients)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return first, first_counts, replay, replay_counts


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=2, help="concurrent client connections")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="a free local port for gunicorn")
    parser.add_argument(
        "--database", default="shopops_bench", help="the scratch database (dropped and created again)"
    )
    parser.add_argument(
        "--upkeep",
        action="store_true",
        help="also sync with the KPI facts upkeep off (ORDER_FACTS_LIVE=false): what the upkeep adds",
    )
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database there).")
    admin_url, bench_url = database_urls(base, args.database)
    global PORT
    PORT = args.port
    with socket.socket() as probe:  # another server on the port would answer instead of ours
        if probe.connect_ex(("127.0.0.1", PORT)) == 0:
            sys.exit(f"Port {PORT} is in use: pass --port with a free one.")

    print(f"Setting up {args.database}: {N_SKUS:,} SKUs x 4 warehouses …", flush=True)
    key = setup_database(admin_url, bench_url)
    batches = make_batches(args.orders, args.batch, args.seed)
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in batches]

    first, first_counts, replay, replay_counts = serve_and_push(bench_url, bodies, key, args)
    upkeep = None
    if args.upkeep:
        print("Again on a fresh database, the KPI facts left to the nightly rebuild (the upkeep baseline) …")
        key_off = setup_database(admin_url, bench_url)
        first_off, _counts, replay_off, _replay_counts = serve_and_push(
            bench_url, bodies, key_off, args, facts_live=False
        )
        upkeep = (first_off, replay_off)
    ceiling_seconds = ceiling(bench_url, batches)

    n = args.orders
    rows = [
        ("ceiling: psycopg INSERT … unnest … ON CONFLICT", ceiling_seconds, None),
        ("ShopOps first sync (HTTP, gunicorn)", first, first_counts),
        ("ShopOps replay (HTTP, gunicorn)", replay, replay_counts),
    ]
    print()
    print(f"{'':<48} {'seconds':>8} {'orders/s':>10} {'vs ceiling':>11}  result")
    for label, seconds, counts in rows:
        ratio = (n / seconds) / (n / ceiling_seconds)
        print(f"{label:<48} {seconds:>8.1f} {n / seconds:>10,.0f} {ratio:>10.0%}  {counts or ''}")
    print("\nTargets: first sync >= 25 % of the ceiling, replay >= 40 %.")
    if upkeep:
        first_off, replay_off = upkeep
        print(
            f"\nKPI facts upkeep: first sync {first:.1f} s with it, {first_off:.1f} s without "
            f"(+{(first / first_off - 1):.1%}); replay {replay:.1f} s vs {replay_off:.1f} s "
            f"(+{(replay / replay_off - 1):.1%}). Target: under +10 %."
        )


if __name__ == "__main__":
    main()
