"""Load test runner: tests/load/locustfile.py against gunicorn (2 workers) and a Celery worker on localhost.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres uv run python bench/load.py            # 10 minutes
    DATABASE_URL=... uv run python bench/load.py --duration 1m --reuse                              # a quick try

1. Creates the PostgreSQL database `shopops_load` next to DATABASE_URL's (dropped first unless --reuse finds it
   seeded), migrates, seeds the tiny demo shop (catalogue, warehouses, channels, stock, two years of orders),
   the demo logins and an API client holding every scope.
2. Starts a Celery worker on Redis (--redis-url, db 8 by default) and gunicorn with 2 workers on 127.0.0.1.
3. Runs `locust --headless -u 30 -r 5 -t 10m --csv var/load/load`.
4. Counts the orders the run sent (external ids LOAD-<run>-...) in the database: each exactly once, with its
   3 lines, and none missing. Prints p50/p95/p99 per request type, the errors, the targets (p95 under 500 ms
   for reads and pages, under 1 s for syncs, 0 server errors, no order lost or duplicated) and exits 1 if a
   target is missed.

Not a test: run it by hand on a quiet machine; the figures depend on what else runs.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "load"
READ_P95_MS = 500
SYNC_P95_MS = 1000


def database_urls(base: str, name: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(base)
    return parts._replace(path="/postgres").geturl(), parts._replace(path=f"/{name}").geturl()


def django_env(database_url: str, redis_url: str) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "shopops.settings.local",
        "DEBUG": "false",
        "SECRET_KEY": "load-test-only-secret-key-0123456789abcdefghij",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict, *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return done.stdout if capture else ""


def prepare(admin_url: str, load_url: str, env: dict, reuse: bool) -> None:
    name = urllib.parse.urlsplit(load_url).path.lstrip("/")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and not reuse:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        if not exists or not reuse:
            conn.execute(f'CREATE DATABASE "{name}"')
    started = time.monotonic()
    manage(env, "migrate", "-v0")
    seeded = False
    with psycopg.connect(load_url) as conn:
        seeded = conn.execute("SELECT EXISTS (SELECT 1 FROM orders_order)").fetchone()[0]
    if not seeded:
        manage(env, "seed_demo", "--scale", "tiny")
    manage(env, "shell", "-c", "from shopops.demo_users import demo_users_ensure; demo_users_ensure()")
    print(f"database {name} ready in {time.monotonic() - started:.0f} s", flush=True)


def api_key(env: dict) -> str:
    script = (
        "from shopops.common.models import ApiClient\n"
        "scopes = [code for code, _label in ApiClient.SCOPES]\n"
        "_c, key = ApiClient.objects.create_key(name='load test', scopes=scopes, rate_limit='1000000/min')\n"
        "print(key)\n"
    )
    return manage(env, "shell", "-c", script, capture=True).strip().splitlines()[-1]


STOCK_TOP_UP = """
from catalog.models import SKU
from inventory.models import StockLevel, Warehouse
from inventory.services import stock_receive
warehouses = list(Warehouse.objects.filter(active=True).order_by("id"))
for sku in SKU.objects.filter(active=True, components__isnull=True).order_by("id"):
    for warehouse in warehouses:
        level = StockLevel.objects.filter(sku=sku, warehouse=warehouse).first()
        available = level.on_hand - level.reserved if level else 0
        if available < 200_000:
            stock_receive(sku_id=sku.pk, warehouse=warehouse, quantity=500_000 - available, reference="load test")
"""


def stock_top_up(env: dict) -> None:
    """A goods receipt of every active SKU in every warehouse before the day: the tiny shop's stock would
    otherwise run out within minutes and turn the orders into backorders."""
    manage(env, "shell", "-c", STOCK_TOP_UP)


def sku_codes(load_url: str, limit: int = 200) -> list[str]:
    """Active SKUs with stock to sell."""
    with psycopg.connect(load_url) as conn:
        rows = conn.execute(
            """
            SELECT s.code FROM catalog_sku s
            JOIN inventory_stocklevel l ON l.sku_id = s.id
            WHERE s.active
            GROUP BY s.id, s.code HAVING SUM(l.on_hand - l.reserved) > 100000
            ORDER BY s.id LIMIT %s
            """,
            [limit],
        ).fetchall()
    return [code for (code,) in rows]


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5):  # noqa: S310 - a local http URL built here
                return
        except OSError:
            time.sleep(1)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s")


def count_orders(load_url: str, run_id: str, channel: str) -> dict:
    with psycopg.connect(load_url) as conn:
        orders, distinct_ids = conn.execute(
            """
            SELECT COUNT(*), COUNT(DISTINCT o.external_id) FROM orders_order o
            JOIN orders_channel c ON c.id = o.channel_id
            WHERE c.code = %s AND o.external_id LIKE %s
            """,
            [channel, f"LOAD-{run_id}-%"],
        ).fetchone()
        lines = conn.execute(
            """
            SELECT COUNT(*) FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
            JOIN orders_channel c ON c.id = o.channel_id
            WHERE c.code = %s AND o.external_id LIKE %s
            """,
            [channel, f"LOAD-{run_id}-%"],
        ).fetchone()[0]
    return {"orders": orders, "distinct_external_ids": distinct_ids, "lines": lines}


def report(stats_csv: Path, failures_csv: Path) -> tuple[list[dict], list[dict]]:
    with stats_csv.open() as f:
        stats = [row for row in csv.DictReader(f) if row["Name"] != "Aggregated"]
    with failures_csv.open() as f:
        failures = list(csv.DictReader(f))
    print(
        f"\n{'request':<30} {'count':>7} {'fails':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for row in sorted(stats, key=lambda r: r["Name"]):
        print(
            f"{row['Name']:<30} {row['Request Count']:>7} {row['Failure Count']:>6} {row['50%']:>8} "
            f"{row['95%']:>8} {row['99%']:>8} {float(row['Max Response Time']):>8.0f}"
        )
    if failures:
        print("\nerrors:")
        for row in failures:
            print(f"  {row['Occurrences']:>5} x {row['Method']} {row['Name']}: {row['Error']}")
    else:
        print("\nerrors: none")
    return stats, failures


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--database-name", default="shopops_load")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/8")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--duration", default="10m", help="locust's --run-time (10m)")
    parser.add_argument("--reuse", action="store_true", help="keep an already seeded shopops_load")
    args = parser.parse_args()

    admin_url, load_url = database_urls(args.database_url, args.database_name)
    env = django_env(load_url, args.redis_url)
    prepare(admin_url, load_url, env, args.reuse)
    stock_top_up(env)
    key = api_key(env)
    skus = sku_codes(load_url)
    if len(skus) < 10:
        raise SystemExit(f"only {len(skus)} SKUs with stock: the seed did not give a shop to load")
    channel = "tmall"
    run_id = uuid.uuid4().hex[:8]
    OUT.mkdir(parents=True, exist_ok=True)
    host = f"http://127.0.0.1:{args.port}"

    worker_log = (OUT / "celery.log").open("w")
    web_log = (OUT / "gunicorn.log").open("w")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "shopops", "worker", "-c", "1", "-l", "warning",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env, stdout=worker_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "shopops.wsgi", "--bind", f"127.0.0.1:{args.port}", "--workers", "2",
         "--preload", "--timeout", "60", "--access-logfile", "-"],
        cwd=ROOT, env=env, stdout=web_log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for(f"{host}/healthz", seconds=600)  # both workers up: the app loads once (--preload)
        counts_file = OUT / "sent.json"
        load_env = {
            **os.environ,
            "LOAD_API_KEY": key,
            "LOAD_RUN_ID": run_id,
            "LOAD_SKUS": ",".join(skus),
            "LOAD_CHANNEL": channel,
            "LOAD_RESULT_FILE": str(counts_file),
        }
        print(
            f"locust: {args.users} users, spawn rate {args.spawn_rate}/s, {args.duration}, run {run_id}, "
            f"{len(skus)} SKUs; load average before: {os.getloadavg()[0]:.2f}",
            flush=True,
        )
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(ROOT / "tests" / "load" / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration, "--host", host,
             "--csv", str(OUT / "load"), "--only-summary", "--stop-timeout", "30", "--exit-code-on-error", "0"],
            cwd=ROOT, env=load_env, check=True,
        )  # fmt: skip
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    finally:
        for process in (web, worker):
            process.send_signal(signal.SIGTERM)
        for process in (web, worker):
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()

    sent = json.loads(counts_file.read_text())
    stored = count_orders(load_url, run_id, channel)
    stats, failures = report(OUT / "load_stats.csv", OUT / "load_failures.csv")

    print(
        f"\norders: sent {sent['orders_sent']} in {sent['requests']} syncs, answered {sent['orders_answered']} "
        f"(created {sent['created']}, rejected {sent['rejected']}), unanswered {sent['unanswered']}; "
        f"in the database {stored['orders']} orders ({stored['distinct_external_ids']} distinct external ids), "
        f"{stored['lines']} lines"
    )
    missed = []
    for row in stats:
        limit = SYNC_P95_MS if row["Name"].startswith("sync") else READ_P95_MS
        if row["Name"] in ("login form", "login"):
            continue
        if float(row["95%"]) >= limit:
            missed.append(f"p95 of {row['Name']} is {row['95%']} ms (target < {limit} ms)")
    server_errors = sum(
        int(row["Occurrences"]) for row in failures if "50" in row["Error"] and "Server" in row["Error"]
    )
    if server_errors:
        missed.append(f"{server_errors} server errors")
    if failures:
        missed.append(f"{sum(int(row['Occurrences']) for row in failures)} failed requests")
    if stored["orders"] != stored["distinct_external_ids"]:
        missed.append("an external id is stored twice")
    if stored["orders"] != sent["created"] or sent["created"] != sent["orders_answered"]:
        missed.append(
            f"{sent['orders_answered']} orders answered, {sent['created']} created, {stored['orders']} stored"
        )
    if sent["unanswered"]:
        missed.append(f"{sent['unanswered']} orders sent without a 200 answer (counted apart)")
    if stored["lines"] != 3 * stored["orders"]:
        missed.append(f"{stored['lines']} lines for {stored['orders']} orders of 3 lines")
    print("\n" + ("targets met" if not missed else "targets MISSED:\n  " + "\n  ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
