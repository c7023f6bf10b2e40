"""Benchmark: flash-sale claims per second, sustained, with no oversell — in-process and over HTTP.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run python bench/flash_claims.py

Creates a scratch database (--database, default `shopops_bench_flash`, dropped first) next to
DATABASE_URL's, migrates it and makes one SKU, flash sales and an API key. Then, each against a baseline
measured in the same run with the same number of threads / connections:

1. In-process: --threads threads call ``marketing.services.flash.flash_claim_create`` as fast as they
   can for --claims claims (customers with a cap of 2). Baseline: the same threads doing a plain
   ``SELECT 1`` round trip through Django's connection (the floor of any transaction).
   Two pools: one larger than the demand (every claim granted) and one holding half the demand
   (sold out half-way: exactly that many granted, the rest refused).
2. HTTP: gunicorn with --workers sync workers on localhost, --clients keep-alive connections POSTing
   ``/api/v1/flash-sales/{code}/claims``. Baseline: ``GET /healthz`` (one SELECT 1 through Django,
   no API key) and a claim for an unknown flash sale (the API stack: key check, one query, 404).

After each run the pool, the claims and the customers' counts are checked: claimed == sum of the claims'
units <= quantity, no customer above the cap. Prints claims/s, the ratio to the baseline, and p50/p99
latency over HTTP. Target: >= 500 claims/s sustained. Not a test: run it by hand.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from http.client import HTTPConnection
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
CAP = 2


def database_urls(base: str, name: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(base)
    return parts._replace(path="/postgres").geturl(), parts._replace(path=f"/{name}").geturl()


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


def setup_database(admin_url: str, bench_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=django_env(bench_url), check=True
    )


# --- in-process (this process is Django, on the bench database) ---------------------------------------


def django_boot(bench_url: str) -> None:
    os.environ.update(django_env(bench_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def sale_make(code: str, quantity: int):
    from datetime import timedelta

    from django.utils import timezone

    from catalog.models import SKU, Category, Product
    from marketing.models import Promotion
    from marketing.services.flash import flash_pool_sync

    category, _ = Category.objects.get_or_create(code="bench", defaults={"name": "bench"})
    product, _ = Product.objects.get_or_create(category=category, name="bench")
    SKU.objects.get_or_create(
        code="SKU-FLASH",
        defaults={"product": product, "name": "秒杀 SKU", "unit_cost": "20.00", "list_price": "99.00"},
    )
    now = timezone.now()
    promotion = Promotion.objects.create(
        code=code,
        name=f"bench {code}",
        kind="flash_sale",
        params={"sku": "SKU-FLASH", "price": "59.90", "quantity": quantity, "per_customer": CAP},
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=6),
    )
    flash_pool_sync(promotion=promotion)
    return promotion


def sale_check(code: str) -> dict:
    """The no-oversell invariants of one sale; returns the figures."""
    from django.db.models import Max, Sum

    from marketing.models import FlashSaleClaim, FlashSaleCustomerCount, FlashSalePool

    pool = FlashSalePool.objects.get(promotion__code=code)
    units = FlashSaleClaim.objects.filter(promotion__code=code).aggregate(u=Sum("quantity"))["u"] or 0
    top = (
        FlashSaleClaim.objects.filter(promotion__code=code)
        .values("customer_ref")
        .annotate(u=Sum("quantity"))
        .aggregate(m=Max("u"))["m"]
        or 0
    )
    counted = (
        FlashSaleCustomerCount.objects.filter(promotion__code=code).aggregate(u=Sum("claimed"))["u"] or 0
    )
    ok = pool.claimed == units == counted and units <= pool.quantity and top <= CAP
    return {
        "quantity": pool.quantity,
        "claimed": pool.claimed,
        "units": units,
        "max_per_customer": top,
        "ok": ok,
    }


def threads_run(threads: int, total: int, work) -> tuple[float, list]:
    """Run work(i) for i in range(total) over `threads` threads; returns (seconds, per-thread results)."""
    from django.db import connections

    counter = iter(range(total))
    lock = threading.Lock()
    results: list = []
    barrier = threading.Barrier(threads + 1)

    def runner():
        local = []
        try:
            barrier.wait()
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    break
                local.append(work(i))
        finally:
            with lock:
                results.extend(local)
            connections.close_all()

    pool = [threading.Thread(target=runner) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - started, results


def in_process(threads: int, claims: int) -> list[tuple]:
    from django.db import connection

    from marketing.services import flash

    def select_one(_i):
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"

    rows = []
    threads_run(threads, min(claims, 500), select_one)  # warm-up: connections opened
    seconds, _ = threads_run(threads, claims, select_one)
    baseline = claims / seconds
    rows.append(("baseline: SELECT 1 round trip (Django)", claims, seconds, baseline, None, None))
    for code, quantity in (("BENCH-PLENTY", claims * 2), ("BENCH-SELLOUT", claims // 2)):
        sale_make(code, quantity)

        def claim(i, code=code):
            try:
                flash.flash_claim_create(code=code, customer=f"C{i // CAP}", sku="SKU-FLASH", quantity=1)
            except flash.ClaimRefused as refused:
                return refused.code
            return "granted"

        seconds, outcomes = threads_run(threads, claims, claim)
        check = sale_check(code)
        granted = outcomes.count("granted")
        rows.append(
            (
                f"flash_claim_create, pool {quantity:,} ({'all granted' if quantity >= claims else 'sells out'})",
                claims,
                seconds,
                claims / seconds,
                claims / seconds / baseline,
                f"granted {granted:,}, pool {check['claimed']:,}/{check['quantity']:,}, "
                f"max/customer {check['max_per_customer']}, {'no oversell' if check['ok'] else 'OVERSOLD?!'}",
            )
        )
    return rows


# --- HTTP ---------------------------------------------------------------------------------------------


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def http_run(port: int, clients: int, total: int, request) -> tuple[float, list[float], dict]:
    """`request(conn, i)` → status; `clients` keep-alive connections; returns (seconds, latencies ms, statuses)."""
    counter = iter(range(total))
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict = {}
    barrier = threading.Barrier(clients + 1)

    def runner():
        conn = HTTPConnection("127.0.0.1", port, timeout=60)
        local, local_status = [], {}
        barrier.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            started = time.perf_counter()
            status = request(conn, i)
            local.append((time.perf_counter() - started) * 1000)
            local_status[status] = local_status.get(status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(local)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v

    pool = [threading.Thread(target=runner) for _ in range(clients)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    return time.perf_counter() - started, latencies, statuses


def over_http(
    port: int, workers: int, threads: int, clients: int, claims: int, bench_url: str
) -> list[tuple]:
    from shopops.common.models import ApiClient

    _, key = ApiClient.objects.create_key(name="bench", scopes=["pricing:quote"], rate_limit="1000000/s")
    sale_make("HTTP-PLENTY", claims * 2)
    sale_make("HTTP-SELLOUT", claims // 2)
    headers = {"Content-Type": "application/json", "Authorization": f"Api-Key {key}"}

    def healthz(conn, _i):
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        response.read()
        return response.status

    def claim_of(code):
        def post(conn, i):
            body = json.dumps({"customer": f"H{i // CAP}", "sku": "SKU-FLASH", "quantity": 1})
            conn.request("POST", f"/api/v1/flash-sales/{code}/claims", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status

        return post

    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "shopops.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--timeout",
            "300",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=django_env(bench_url),
        stderr=subprocess.DEVNULL,  # every 409 is a django.request warning line
    )
    rows = []
    try:
        for _ in range(150):
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        http_run(port, clients, 200, healthz)  # warm-up: workers' connections opened, code loaded
        http_run(port, clients, 200, claim_of("WARM-UP-UNKNOWN"))
        runs = [
            ("baseline: GET /healthz (SELECT 1, no key)", healthz, None),
            ("baseline: claim for an unknown sale (key + 404)", claim_of("NO-SUCH-SALE"), None),
            (f"POST claims, pool {claims * 2:,} (all granted)", claim_of("HTTP-PLENTY"), "HTTP-PLENTY"),
            (f"POST claims, pool {claims // 2:,} (sells out)", claim_of("HTTP-SELLOUT"), "HTTP-SELLOUT"),
        ]
        baseline = None
        for label, request, code in runs:
            seconds, latencies, statuses = http_run(port, clients, claims, request)
            rate = claims / seconds
            if baseline is None:
                baseline = rate
            note = ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items()))
            if code:
                check = sale_check(code)
                note += (
                    f"; pool {check['claimed']:,}/{check['quantity']:,}, max/customer {check['max_per_customer']}, "
                    f"{'no oversell' if check['ok'] else 'OVERSOLD?!'}"
                )
            rows.append(
                (
                    label,
                    claims,
                    seconds,
                    rate,
                    rate / baseline,
                    note,
                    pct(latencies, 0.5),
                    pct(latencies, 0.99),
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=5000, help="claims per run")
    parser.add_argument("--threads", type=int, default=8, help="in-process threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--server-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (1: sync workers; more: gthread, overlapping database waits)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent HTTP connections")
    parser.add_argument("--port", type=int, default=8769, help="a free local port for gunicorn")
    parser.add_argument("--database", default="shopops_bench_flash", help="scratch database (dropped first)")
    args = parser.parse_args()
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the bench creates its own database there).")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"Port {args.port} is in use: pass --port with a free one.")
    admin_url, bench_url = database_urls(base, args.database)
    print(f"Setting up {args.database} …", flush=True)
    setup_database(admin_url, bench_url, args.database)
    django_boot(bench_url)

    print(f"In-process: {args.threads} threads, {args.claims:,} claims per run …", flush=True)
    local = in_process(args.threads, args.claims)
    print(
        f"HTTP: gunicorn {args.workers} workers, {args.clients} connections, {args.claims:,} requests per run …"
    )
    remote = over_http(args.port, args.workers, args.server_threads, args.clients, args.claims, bench_url)

    print()
    print(f"In-process ({args.threads} threads)")
    print(f"{'':<62} {'ops':>7} {'seconds':>8} {'ops/s':>8} {'vs base':>8}  result")
    for label, n, seconds, rate, ratio, note in local:
        print(
            f"{label:<62} {n:>7,} {seconds:>8.2f} {rate:>8,.0f} {'' if ratio is None else f'{ratio:.2f}':>8}  {note or ''}"
        )
    print()
    print(
        f"HTTP (gunicorn {args.workers} workers x {args.server_threads} threads, "
        f"{args.clients} keep-alive connections)"
    )
    print(
        f"{'':<50} {'req':>7} {'seconds':>8} {'req/s':>8} {'vs base':>8} {'p50 ms':>7} {'p99 ms':>7}  result"
    )
    for label, n, seconds, rate, ratio, note, p50, p99 in remote:
        print(
            f"{label:<50} {n:>7,} {seconds:>8.2f} {rate:>8,.0f} {ratio:>8.2f} {p50:>7.2f} {p99:>7.2f}  {note}"
        )
    http_claims = min(r[3] for r in remote[2:])
    local_claims = min(r[3] for r in local[1:])
    verdict = "met" if min(http_claims, local_claims) >= 500 else "NOT met"
    print(
        f"\nTarget >= 500 claims/s sustained: in-process {local_claims:,.0f}/s, HTTP {http_claims:,.0f}/s — {verdict}; "
        f"oversell checks: {'all passed' if all('no oversell' in (r[5] or '') for r in local[1:] + remote[2:]) else 'FAILED'}."
    )


if __name__ == "__main__":
    main()
