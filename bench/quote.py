"""Benchmark: pricing carts with promotion_quote, in process and over HTTP (POST /api/v1/pricing/quote).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run python bench/quote.py

Creates a scratch database `shopops_bench_quote` next to DATABASE_URL's (dropped first) with 2,000 SKUs
in 40 categories under 8 departments, 2,000 customers with membership tiers and an API key. Then, in the
same run, for carts of 1, 10 and 50 lines (random SKUs, a customer, one cart in four with a coupon):

- baseline: no promotions (the same service: prices, floors, customer; the engine has nothing to do);
- with 200 active promotions of mixed kinds (percent_off, amount_off, threshold_amount,
  threshold_percent, buy_x_get_y, bundle_price, gift, flash_sale, member_price; 5 exclusive, one in
  seven coupon-required, some with usage limits), created through promotion_create. Scopes: 60 % a
  list of 10 SKUs, 30 % a category, 8 % a department, 2 % the whole cart.

In process: quotes/s of promotion_quote (one thread, the database round trips included). Over HTTP:
gunicorn with --workers workers on localhost, one client sending requests one after another; p50/p99
latency per cart size. Prints each figure and its ratio to the baseline. Target: p99 < 20 ms for a
50-line cart over HTTP. Not a test: run it by hand.
"""

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "shopops_bench_quote"
N_SKUS = 2_000
N_CUSTOMERS = 2_000
N_PROMOTIONS = 200
N_DEPTS = 8
N_CATEGORIES = 40
SIZES = (1, 10, 50)
TIERS = ("member", "silver", "gold", "platinum")
EXCLUSIVE_EVERY = 40  # 5 of the 200 promotions are exclusive (see --exclusive-every)


def database_urls(base: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(base)
    return parts._replace(path="/postgres").geturl(), parts._replace(path=f"/{DB_NAME}").geturl()


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


def run_phase(phase: str, bench_url: str, *extra: str) -> dict:
    """Run this script's `phase` in a Django process on the bench database; its last line is JSON."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", phase, "--exclusive-every", str(EXCLUSIVE_EVERY), *extra],
        cwd=ROOT,
        env=django_env(bench_url),
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- phases that run inside Django ------------------------------------------------------------------


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def phase_seed(seed: int) -> dict:
    from decimal import Decimal

    from catalog.models import SKU, Category, Product
    from marketing.models import Membership
    from orders.models import Channel, Customer
    from shopops.common.models import ApiClient

    rng = random.Random(seed)
    channel = Channel.objects.create(code="own_store", name="Own store", kind="own_store")
    parents = [Category.objects.create(code=f"dept-{p}", name=f"Dept {p}") for p in range(N_DEPTS)]
    leaves = [
        Category.objects.create(code=f"cat-{c}", name=f"Cat {c}", parent=parents[c % N_DEPTS])
        for c in range(N_CATEGORIES)
    ]
    products = [Product.objects.create(category=leaf, name=f"Product {leaf.code}") for leaf in leaves]
    skus = []
    for n in range(N_SKUS):
        cost = Decimal(rng.choice(("8.00", "15.00", "30.00", "45.00", "90.00")))
        price = (cost * Decimal(rng.choice(("2.2", "2.6", "3.0")))).quantize(Decimal("0.01"))
        skus.append(
            SKU(
                product=products[n % N_CATEGORIES],
                code=f"SKU-{n:05d}",
                name=f"SKU {n}",
                unit_cost=cost,
                list_price=price,
            )
        )
    SKU.objects.bulk_create(skus, batch_size=1000)
    customers = Customer.objects.bulk_create(
        [Customer(channel=channel, external_id=f"C{n}") for n in range(N_CUSTOMERS)], batch_size=1000
    )
    Membership.objects.bulk_create(
        [Membership(customer=c, tier=TIERS[n % 4] if n % 5 else "") for n, c in enumerate(customers)],
        batch_size=1000,
    )
    _client, key = ApiClient.objects.create_key(name="bench", scopes=["pricing:quote"], rate_limit="100000/s")
    return {"key": key}


def phase_promotions(seed: int) -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from marketing.models import Coupon
    from marketing.promotion_params import promotion_clean
    from marketing.services.promotions import promotion_create

    rng = random.Random(seed)
    now = timezone.now()
    kinds = {}
    for n in range(N_PROMOTIONS):
        some_skus = sorted({f"SKU-{rng.randrange(N_SKUS):05d}" for _ in range(10)})
        # Scopes: 60 % a list of 10 SKUs, 30 % a category, 8 % a department, 2 % the whole cart.
        draw = rng.random()
        if draw < 0.60:
            scope = {"skus": some_skus}
        elif draw < 0.90:
            scope = {"categories": [f"cat-{rng.randrange(N_CATEGORIES)}"]}
        elif draw < 0.98:
            scope = {"categories": [f"dept-{rng.randrange(N_DEPTS)}"]}
        else:
            scope = {}
        kind_no = n % 10
        if kind_no == 0:
            kind, params = (
                "threshold_amount",
                {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
            )
        elif kind_no == 1:
            kind, params = (
                "percent_off",
                {"percent": rng.choice(("5", "8", "10")), "min_quantity": rng.choice((0, 2))},
            )
        elif kind_no == 2:
            kind, params = "percent_off", {"percent": "12", "max_affected_items": 2}
        elif kind_no == 3:
            kind, params = "amount_off", {"amount": "10", "min_spend": "99"}
        elif kind_no == 4:
            kind, params = (
                "threshold_percent",
                {"tiers": [{"threshold": "300", "percent": "5"}, {"threshold": "600", "percent": "8"}]},
            )
        elif kind_no == 5:
            kind, params = "buy_x_get_y", {"buy": 2, "get": 1, "percent": "50", "max_applications": 2}
        elif kind_no == 6:
            kind, params = "bundle_price", {"quantity": 3, "price": "99", "max_applications": 1}
        elif kind_no == 7:
            kind, params = "gift", {"threshold": "299", "gift_sku": some_skus[0]}
        elif kind_no == 8:
            kind, params = (
                "flash_sale",
                {"sku": some_skus[0], "price": "9.90", "quantity": 1000, "per_customer": 2},
            )
            scope = {}
        else:
            kind, params = "member_price", {"tiers": {"gold": "5", "platinum": "8"}}
        data = {
            "code": f"BENCH-{n:03d}",
            "name": f"bench {kind} {n}",
            "kind": kind,
            "params": params,
            "scope": scope,
            "starts_at": (now - timedelta(days=1)).isoformat(),
            "ends_at": (now + timedelta(days=10)).isoformat(),
            "priority": rng.randrange(5),
            "exclusive": n % EXCLUSIVE_EVERY == 1,
            "coupon_required": n % 7 == 3 and kind != "flash_sale",
            "usage_limit": 1_000_000 if n % 5 == 0 else None,
            "per_customer_limit": 50 if n % 11 == 0 else None,
        }
        cleaned, errors = promotion_clean(data)
        if errors:
            raise SystemExit(f"{data['code']}: {errors}")
        promotion = promotion_create(data=cleaned)
        if promotion.coupon_required:
            Coupon.objects.create(code=f"CPN-{n:03d}", promotion=promotion)
        kinds[kind] = kinds.get(kind, 0) + 1
    return {"kinds": kinds}


def carts(seed: int, size: int, count: int) -> list[dict]:
    rng = random.Random(seed * 1000 + size)
    out = []
    for k in range(count):
        out.append(
            {
                "channel": "own_store",
                "customer": {"external_id": f"C{rng.randrange(N_CUSTOMERS)}"},
                "coupon_codes": [f"CPN-{rng.randrange(N_PROMOTIONS // 7) * 7 + 3:03d}"] if k % 4 == 0 else [],
                "at": None,
                "lines": [
                    {"sku": f"SKU-{rng.randrange(N_SKUS):05d}", "quantity": rng.choice((1, 1, 2, 3))}
                    for _ in range(size)
                ],
            }
        )
    return out


def phase_inprocess(seed: int, seconds: float) -> dict:
    from marketing.services.quote import promotion_quote

    results = {}
    for size in SIZES:
        bodies = carts(seed, size, 200)
        for body in bodies[:5]:  # warm up: build the index, prepare the connection
            promotion_quote(
                channel=body["channel"],
                lines=body["lines"],
                customer=body["customer"]["external_id"],
                coupon_codes=body["coupon_codes"],
            )
        done, started = 0, time.perf_counter()
        applied = 0
        while time.perf_counter() - started < seconds:
            body = bodies[done % len(bodies)]
            quote = promotion_quote(
                channel=body["channel"],
                lines=body["lines"],
                customer=body["customer"]["external_id"],
                coupon_codes=body["coupon_codes"],
            )
            applied += len(quote.applied)
            done += 1
        elapsed = time.perf_counter() - started
        results[str(size)] = {"per_second": done / elapsed, "applied_per_cart": applied / done}
    return results


# --- HTTP --------------------------------------------------------------------------------------------


def http_latencies(port: int, key: str, bodies: list[bytes], warmup: int = 20) -> list[float]:
    conn = HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"}
    times = []
    for n, body in enumerate(bodies[:warmup] + bodies):
        started = time.perf_counter()
        conn.request("POST", "/api/v1/pricing/quote", body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:500]!r}")
        if n >= warmup:
            times.append((time.perf_counter() - started) * 1000)
    conn.close()
    return times


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def http_round(port: int, key: str, seed: int, requests: int) -> dict:
    out = {}
    for size in SIZES:
        bodies = [json.dumps(b).encode() for b in carts(seed, size, requests)]
        times = http_latencies(port, key, bodies)
        out[str(size)] = {"p50": pct(times, 0.50), "p99": pct(times, 0.99), "mean": statistics.fmean(times)}
    return out


def main():
    global EXCLUSIVE_EVERY
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=5.0, help="in-process seconds per cart size")
    parser.add_argument("--requests", type=int, default=1000, help="HTTP requests per cart size")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8767, help="a free local port for gunicorn")
    parser.add_argument(
        "--exclusive-every", type=int, default=EXCLUSIVE_EVERY, help="one promotion in N is exclusive"
    )
    args = parser.parse_args()
    EXCLUSIVE_EVERY = args.exclusive_every

    if args.phase:
        _django()
        result = {
            "seed": lambda: phase_seed(args.seed),
            "promotions": lambda: phase_promotions(args.seed),
            "inprocess": lambda: phase_inprocess(args.seed, args.seconds),
        }[args.phase]()
        print(json.dumps(result))
        return

    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database there).")
    admin_url, bench_url = database_urls(base)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"Port {args.port} is in use: pass --port with a free one.")

    import psycopg

    print(f"Setting up {DB_NAME}: {N_SKUS:,} SKUs, {N_CUSTOMERS:,} customers …", flush=True)
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=django_env(bench_url), check=True
    )
    key = run_phase("seed", bench_url)["key"]

    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shopops.wsgi:application",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=django_env(bench_url),
    )
    try:
        for _ in range(100):
            try:
                conn = HTTPConnection("127.0.0.1", args.port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        print("Baseline (no promotions): in process, then HTTP …", flush=True)
        base_in = run_phase("inprocess", bench_url, "--seconds", str(args.seconds))
        base_http = http_round(args.port, key, args.seed, args.requests)
        print(f"Creating {N_PROMOTIONS} promotions …", flush=True)
        kinds = run_phase("promotions", bench_url)["kinds"]
        print(f"  {kinds}")
        print("With promotions: in process, then HTTP …", flush=True)
        promo_in = run_phase("inprocess", bench_url, "--seconds", str(args.seconds))
        promo_http = http_round(args.port, key, args.seed, args.requests)
    finally:
        server.terminate()
        server.wait(timeout=30)

    print()
    print(f"In process (promotion_quote, one thread; {args.seconds:.0f} s per size)")
    print(
        f"{'lines':>6} {'baseline q/s':>13} {'200 promos q/s':>15} {'ratio':>7} {'promos applied/cart':>20}"
    )
    for size in SIZES:
        b, p = base_in[str(size)], promo_in[str(size)]
        print(
            f"{size:>6} {b['per_second']:>13,.0f} {p['per_second']:>15,.0f} "
            f"{p['per_second'] / b['per_second']:>7.2f} {p['applied_per_cart']:>20.1f}"
        )
    print()
    print(f"HTTP (gunicorn {args.workers} workers, 1 client, {args.requests} requests per size), ms")
    print(f"{'lines':>6} {'base p50':>9} {'base p99':>9} {'p50':>7} {'p99':>7} {'p99 ratio':>10}")
    for size in SIZES:
        b, p = base_http[str(size)], promo_http[str(size)]
        print(
            f"{size:>6} {b['p50']:>9.2f} {b['p99']:>9.2f} {p['p50']:>7.2f} {p['p99']:>7.2f} "
            f"{p['p99'] / b['p99']:>10.2f}"
        )
    verdict = "met" if promo_http["50"]["p99"] < 20 else "NOT met"
    print(f"\nTarget p99 < 20 ms for a 50-line cart over HTTP: {promo_http['50']['p99']:.2f} ms, {verdict}.")


if __name__ == "__main__":
    main()
