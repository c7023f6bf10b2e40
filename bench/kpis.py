"""Benchmark: the KPI API and the home dashboard on the large demo, against the direct SQL aggregation over
the orders tables for the same figures, in the same run.

    createdb -h 127.0.0.1 -U postgres shopops_large
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/shopops_large uv run manage.py migrate
    DATABASE_URL=... uv run manage.py seed_demo --scale large       # 10k SKUs, 1M orders, 3M lines
    DATABASE_URL=... uv run python bench/kpis.py --runs 40

In this process, through Django's test client (the whole request: middleware, API-key authentication and
throttling, serialisation; no network): GET /api/v1/reports/kpis for a 2-year daily series and a 30-day
series, and GET / (the home dashboard) as a manager, each --runs times after 3 warm-up requests; p50 and
p95. The baseline: the same figures (per-day placed / cancelled / counted orders, GMV, distinct customers,
units, cost of goods, refunds by closing day, units shipped and returned, and the period's distinct,
single-order and new customers) computed by SQL straight from orders_order and orders_orderline, --direct
times each. Prints the ratios. Not a test: run it by hand.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shopops.settings.local")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789abcdefghij")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_otp import DEVICE_ID_SESSION_KEY  # noqa: E402

from orders import selectors as order_selectors  # noqa: E402
from orders.models import OrderDayFact  # noqa: E402
from shopops.accounts.services import totp_device_ensure  # noqa: E402
from shopops.common.dates import day_range, shop_today  # noqa: E402
from shopops.common.models import ApiClient  # noqa: E402

DIRECT_DAYS = """
WITH o AS (
  SELECT id, customer_id, status, total_shop, (placed_at AT TIME ZONE %(tz)s)::date AS d
  FROM orders_order WHERE placed_at >= %(lo)s AND placed_at < %(hi)s
)
SELECT d, count(*) AS placed_all,
  count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
  count(*) FILTER (WHERE status NOT IN ('pending', 'cancelled')) AS orders,
  sum(total_shop) FILTER (WHERE status NOT IN ('pending', 'cancelled')) AS gmv,
  count(DISTINCT customer_id) FILTER (WHERE status NOT IN ('pending', 'cancelled')) AS customers
FROM o GROUP BY d ORDER BY d
"""
DIRECT_LINES = """
SELECT (o.placed_at AT TIME ZONE %(tz)s)::date AS d, sum(l.quantity), sum(l.quantity * l.unit_cost)
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.placed_at >= %(lo)s AND o.placed_at < %(hi)s AND o.status NOT IN ('pending', 'cancelled')
GROUP BY 1 ORDER BY 1
"""
DIRECT_REFUNDS = """
SELECT (closed_at AT TIME ZONE %(tz)s)::date, sum(round(refund_amount * exchange_rate, 2))
FROM orders_order WHERE closed_at >= %(lo)s AND closed_at < %(hi)s AND refund_amount > 0 GROUP BY 1
"""
DIRECT_SHIPPED_RETURNED = """
SELECT (o.shipped_at AT TIME ZONE %(tz)s)::date, sum(l.quantity) FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
WHERE o.shipped_at >= %(lo)s AND o.shipped_at < %(hi)s AND o.status <> 'cancelled' GROUP BY 1
UNION ALL
SELECT (o.closed_at AT TIME ZONE %(tz)s)::date, sum(l.quantity) FROM orders_orderline l
JOIN orders_order o ON o.id = l.order_id
WHERE o.closed_at >= %(lo)s AND o.closed_at < %(hi)s AND o.status = 'returned' GROUP BY 1
"""
DIRECT_CUSTOMERS = """
WITH c AS (
  SELECT customer_id, count(*) AS n FROM orders_order
  WHERE placed_at >= %(lo)s AND placed_at < %(hi)s AND status NOT IN ('pending', 'cancelled')
    AND customer_id IS NOT NULL
  GROUP BY customer_id
), f AS (
  SELECT o.customer_id, min(o.placed_at) AS first FROM orders_order o JOIN c ON c.customer_id = o.customer_id
  WHERE o.status NOT IN ('pending', 'cancelled') GROUP BY o.customer_id
)
SELECT (SELECT count(*) FROM c), (SELECT count(*) FROM c WHERE n = 1), (SELECT count(*) FROM f WHERE first >= %(lo)s)
"""
DIRECT = (DIRECT_DAYS, DIRECT_LINES, DIRECT_REFUNDS, DIRECT_SHIPPED_RETURNED, DIRECT_CUSTOMERS)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(call, runs: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        call()
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def direct(start, end) -> None:
    lo, hi = day_range(start, end)
    params = {"lo": lo, "hi": hi, "tz": settings.TIME_ZONE}
    with connection.cursor() as cursor:
        for sql in DIRECT:
            cursor.execute(sql, params)
            cursor.fetchall()


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=40, help="timed requests per case")
    parser.add_argument("--direct", type=int, default=5, help="timed direct aggregations per case")
    args = parser.parse_args()
    span = order_selectors.order_date_span()
    if span is None or not OrderDayFact.objects.exists():
        sys.exit("No orders or no facts: seed the large demo first (manage.py seed_demo --scale large).")
    orders = connection.cursor()
    orders.execute("SELECT count(*) FROM orders_order")
    n_orders = orders.fetchone()[0]
    end = min(span[1], shop_today()) + timedelta(days=1)
    cases = {
        "2-year daily series": (end - timedelta(days=730), end),
        "30-day series": (end - timedelta(days=30), end),
    }

    api_client, key = ApiClient.objects.create_key(name="bench-kpis", scopes=["reports:read"])
    if hasattr(api_client, "rate_limit"):
        api_client.rate_limit = "100000/min"
        api_client.save(update_fields=["rate_limit"])
    manager, _ = User.objects.get_or_create(username="bench-kpis-manager")
    manager.groups.set([Group.objects.get(name="manager")])
    browser = Client()
    browser.force_login(manager)
    # A manager's session needs the second factor: verified with a device, as after the login's second step.
    session = browser.session
    session[DEVICE_ID_SESSION_KEY] = totp_device_ensure(user=manager).persistent_id
    session.save()
    api = Client(HTTP_AUTHORIZATION=f"Api-Key {key}")
    results = []
    try:
        for label, (start, stop) in cases.items():
            url = f"/api/v1/reports/kpis?start={start.isoformat()}&end={stop.isoformat()}&granularity=day"
            response = api.get(url)
            assert response.status_code == 200, response.content[:300]
            series = len(response.json()["series"])
            api_ms = timed(lambda url=url: api.get(url), args.runs)
            direct_ms = timed(lambda start=start, stop=stop: direct(start, stop), args.direct, warmup=1)
            results.append((f"KPI API, {label} ({series} days)", api_ms, direct_ms))
        home = browser.get("/")
        assert home.status_code == 200
        home_ms = timed(lambda: browser.get("/"), args.runs)
        # The home page shows the last 7 and 30 complete days with the 7 and 30 before, and 90 days by channel.
        today = shop_today()
        home_direct = timed(
            lambda: [direct(today - timedelta(days=d), today) for d in (7, 14, 30, 60, 90)],
            args.direct,
            warmup=1,
        )
        results.append(("Home dashboard page", home_ms, home_direct))
    finally:
        api_client.delete()
        manager.delete()

    print(
        f"\nLarge demo: {n_orders:,} orders from {span[0]} to {span[1]}; {args.runs} timed requests per case.\n"
    )
    print(f"{'':<44} {'p50 ms':>8} {'p95 ms':>8} {'direct p50 ms':>14} {'direct / p50':>13}")
    for label, ms, direct_ms in results:
        ratio = statistics.median(direct_ms) / statistics.median(ms)
        print(
            f"{label:<44} {statistics.median(ms):>8.1f} {percentile(ms, 0.95):>8.1f} "
            f"{statistics.median(direct_ms):>14.1f} {ratio:>12.1f}x"
        )
    print(
        "\nTargets: p95 under 150 ms for the API and the page; at least 10x faster than the direct aggregation."
    )


if __name__ == "__main__":
    main()
