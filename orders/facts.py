"""The order facts: per-day rollups of the orders that the KPIs are read from (reports.kpis).

Two ways to keep them right, sharing one computation (order_metrics, sku_metrics, customer_days):
- every write of orders, in its own transaction (the sync, after-sales updates, a risk cancellation), takes
  `facts_capture` of the orders it is about to change (after locking them), writes, then calls
  `facts_refresh`: the day and SKU facts change by the orders' contribution after minus before, added with
  INSERT … ON CONFLICT DO UPDATE SET x = x + excluded.x in key order, and the customer-day chains of their
  customers are recomputed (an advisory lock per customer, in id order). The cost follows the size of the
  write, never the size of the day: a Double 11 day of 100k orders costs each batch what a quiet day does.
- `facts_rebuild(start=..., end=...)`, the nightly step and the demo: everything of a date range computed
  again; `facts_compare` checks the stored rows against a fresh computation (check_kpi_rollups).
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Round, TruncDate
from django.utils import timezone

from orders.models import CustomerDayFact, Order, OrderDayFact, OrderLine, OrderSkuDayFact
from shopops.common.bulk import rows_insert, rows_update
from shopops.common.money import to_money

S = Order.Status
ZERO = Decimal("0.00")
DayKey = tuple[date, int]  # (shop-local date, channel id)

ORDER_COLUMNS = (
    "placed_all",
    "cancelled",
    "orders",
    "units",
    "gmv",
    "cost_of_goods",
    "refunds",
    "returned_units",
    "shipped_units",
)
CUSTOMER_COLUMNS = ("customers", "new_customers", "repeat_customers")
DAY_COLUMNS = ORDER_COLUMNS + CUSTOMER_COLUMNS
SKU_COLUMNS = ("orders", "units", "revenue", "cost_of_goods")


def _bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    lo = timezone.make_aware(datetime.combine(day, time.min), tz)
    return lo, timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min), tz)


def _range_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return _bounds(start)[0], _bounds(end)[0]


def _where(field: str, order_ids: list[int] | None, span: tuple[date, date] | None, prefix: str = "") -> Q:
    """Rows whose shop-local `field` date is in `span`, or the rows of `order_ids` with that date set."""
    if span is not None:
        lo, hi = _range_bounds(*span)
        return Q(**{f"{prefix}{field}__gte": lo, f"{prefix}{field}__lt": hi})
    return Q(**{f"{prefix}pk__in": order_ids or [], f"{prefix}{field}__isnull": False})


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


COUNTED = ~Q(status__in=Order.NOT_COUNTED)
LINE_COUNTED = ~Q(order__status__in=Order.NOT_COUNTED)


def order_metrics(*, order_ids: Iterable[int] | None = None, span: tuple[date, date] | None = None) -> dict:
    """{(date, channel_id): {column: value}} of the order columns: of every order on the dates of `span`, or
    the contribution of the orders `order_ids` (to whatever dates they are on)."""
    keys = None if span is not None else list(order_ids or ())
    out: dict[DayKey, dict] = defaultdict(lambda: dict.fromkeys(ORDER_COLUMNS, 0))

    def merge(rows, channel_field="channel_id"):
        for row in rows:
            key = (row.pop("day"), row.pop(channel_field))
            for column, value in row.items():
                out[key][column] = value or 0

    merge(
        Order.objects.filter(_where("placed_at", keys, span))
        .annotate(day=_day("placed_at"))
        .values("day", "channel_id")
        .annotate(
            placed_all=Count("id"),
            cancelled=Count("id", filter=Q(status=S.CANCELLED)),
            orders=Count("id", filter=COUNTED),
            gmv=Sum("total_shop", filter=COUNTED),
        )
        .order_by()
    )
    merge(
        OrderLine.objects.filter(_where("placed_at", keys, span, "order__"), LINE_COUNTED)
        .annotate(day=_day("order__placed_at"))
        .values("day", "order__channel_id")
        .annotate(units=Sum("quantity"), cost_of_goods=Sum(F("quantity") * F("unit_cost")))
        .order_by(),
        "order__channel_id",
    )
    refunds: dict[DayKey, Decimal] = defaultdict(lambda: ZERO)
    for day, channel_id, amount, rate in (
        Order.objects.filter(_where("closed_at", keys, span), refund_amount__gt=0)
        .annotate(day=_day("closed_at"))
        .values_list("day", "channel_id", "refund_amount", "exchange_rate")
    ):
        refunds[(day, channel_id)] += to_money(amount * rate)
    for key, amount in refunds.items():
        out[key]["refunds"] = amount
    merge(
        OrderLine.objects.filter(_where("closed_at", keys, span, "order__"), order__status=S.RETURNED)
        .annotate(day=_day("order__closed_at"))
        .values("day", "order__channel_id")
        .annotate(returned_units=Sum("quantity"))
        .order_by(),
        "order__channel_id",
    )
    merge(
        OrderLine.objects.filter(_where("shipped_at", keys, span, "order__"))
        .exclude(order__status=S.CANCELLED)
        .annotate(day=_day("order__shipped_at"))
        .values("day", "order__channel_id")
        .annotate(shipped_units=Sum("quantity"))
        .order_by(),
        "order__channel_id",
    )
    for values in out.values():
        values["gmv"] = to_money(values["gmv"] or ZERO)
        values["cost_of_goods"] = to_money(values["cost_of_goods"] or ZERO)
        values["refunds"] = to_money(values["refunds"] or ZERO)
    return dict(out)


def sku_metrics(*, order_ids: Iterable[int] | None = None, span: tuple[date, date] | None = None) -> dict:
    """{(date, channel_id, sku_id): {orders, units, revenue, cost_of_goods}} of counted orders placed then (on
    the dates of `span`, or the contribution of the orders `order_ids`)."""
    keys = None if span is not None else list(order_ids or ())
    rows = (
        OrderLine.objects.filter(_where("placed_at", keys, span, "order__"), LINE_COUNTED)
        .annotate(day=_day("order__placed_at"))
        .values("day", "order__channel_id", "sku_id")
        .annotate(
            orders=Count("order_id", distinct=True),
            units=Sum("quantity"),
            # each line's revenue in the shop currency is rounded to the cent, then summed (as the writes do)
            revenue=Sum(
                Round((F("quantity") * F("unit_price") - F("discount")) * F("order__exchange_rate"), 2)
            ),
            cost_of_goods=Sum(F("quantity") * F("unit_cost")),
        )
        .order_by()
    )
    return {
        (r["day"], r["order__channel_id"], r["sku_id"]): {
            "orders": r["orders"],
            "units": r["units"] or 0,
            "revenue": to_money(r["revenue"] or ZERO),
            "cost_of_goods": to_money(r["cost_of_goods"] or ZERO),
        }
        for r in rows
    }


def customer_days(*, customer_ids: Iterable[int] | None = None, stream: bool = True) -> list[CustomerDayFact]:
    """The customer-day rows (unsaved) of the given customers (all customers when None), from their counted
    orders, each with the customer's previous and next dates."""
    qs = Order.objects.filter(COUNTED, customer_id__isnull=False)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    rows = (
        qs.annotate(day=_day("placed_at"))
        .values("customer_id", "day")
        .annotate(orders=Count("id"), channel_id=F("channel_id"))
        .order_by("customer_id", "day")
    )
    facts: list[CustomerDayFact] = []
    previous = None
    for row in rows.iterator(chunk_size=20_000) if stream else rows:
        same = previous is not None and previous.customer_id == row["customer_id"]
        if same and previous.date == row["day"]:  # two channels on one day cannot happen: one customer,
            previous.orders += row["orders"]  # one channel; kept exact should it ever
            continue
        fact = CustomerDayFact(
            customer_id=row["customer_id"],
            channel_id=row["channel_id"],
            date=row["day"],
            orders=row["orders"],
            prev_date=previous.date if same else None,
        )
        if same:
            previous.next_date = row["day"]
        facts.append(fact)
        previous = fact
    return facts


def customer_metrics(keys: Iterable[DayKey]) -> dict:
    """{(date, channel_id): {customers, new_customers, repeat_customers}} from the customer-day rows."""
    keys = list(keys)
    days = {day for day, _channel in keys}
    wanted = set(keys)
    out = {key: dict.fromkeys(CUSTOMER_COLUMNS, 0) for key in keys}
    if not days:
        return out
    rows = (
        CustomerDayFact.objects.filter(date__in=days)
        .values("date", "channel_id")
        .annotate(
            customers=Count("id"),
            new_customers=Count("id", filter=Q(prev_date__isnull=True)),
            repeat_customers=Count("id", filter=Q(orders__gte=2)),
        )
        .order_by()
    )
    for row in rows:
        key = (row.pop("date"), row.pop("channel_id"))
        if key in wanted:
            out[key] = row
    return out


def _write_skus_span(span: tuple[date, date], values: dict) -> None:
    OrderSkuDayFact.objects.filter(date__gte=span[0], date__lt=span[1]).delete()
    OrderSkuDayFact.objects.bulk_create(
        [
            OrderSkuDayFact(date=day, channel_id=channel_id, sku_id=sku_id, **v)
            for (day, channel_id, sku_id), v in values.items()
        ],
        batch_size=5000,
    )


@dataclass
class Snapshot:
    """What some orders contribute to the facts, as stored at one moment of a write."""

    days: dict
    skus: dict


def facts_capture(*, order_ids: Iterable[int]) -> Snapshot:
    """The contribution of these orders to the day and SKU facts as they are stored now: taken before a
    write changes them (after the orders are locked), handed to facts_refresh after it."""
    order_ids = list(order_ids)
    if not order_ids:
        return Snapshot({}, {})
    return _contributions(order_ids)


def _local_day(moment) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


def _contributions(order_ids: list[int]) -> Snapshot:
    """What the orders contribute to the day and SKU facts, from two reads (the orders, their lines) added up
    here: the same rules as order_metrics and sku_metrics, which compute them in SQL for a date range (the
    rebuild and the check hold the two to each other)."""
    days: dict[DayKey, dict] = defaultdict(lambda: dict.fromkeys(ORDER_COLUMNS, 0))
    skus: dict[tuple, dict] = {}
    orders = {
        row[0]: row
        for row in Order.objects.filter(pk__in=order_ids).values_list(
            "pk",
            "channel_id",
            "status",
            "placed_at",
            "shipped_at",
            "closed_at",
            "total_shop",
            "refund_amount",
            "exchange_rate",
        )
    }
    placed_key, counted = {}, set()
    for pk, channel_id, status, placed_at, _shipped, closed_at, total_shop, refund, rate in orders.values():
        key = (_local_day(placed_at), channel_id)
        placed_key[pk] = key
        d = days[key]
        d["placed_all"] += 1
        if status == S.CANCELLED:
            d["cancelled"] += 1
        if status not in Order.NOT_COUNTED:
            counted.add(pk)
            d["orders"] += 1
            d["gmv"] += total_shop
        if closed_at is not None and refund > 0:
            days[(_local_day(closed_at), channel_id)]["refunds"] += to_money(refund * rate)
    lines = OrderLine.objects.filter(order_id__in=order_ids).values_list(
        "order_id", "sku_id", "quantity", "unit_price", "discount", "unit_cost"
    )
    sku_orders: set[tuple] = set()
    for order_id, sku_id, quantity, price, discount, cost in lines:
        pk, channel_id, status, _placed, shipped_at, closed_at, _total, _refund, rate = orders[order_id]
        if order_id in counted:
            key = placed_key[order_id]
            days[key]["units"] += quantity
            days[key]["cost_of_goods"] += quantity * cost
            sku_key = (*key, sku_id)
            s = skus.setdefault(sku_key, dict.fromkeys(SKU_COLUMNS, 0))
            if (sku_key, order_id) not in sku_orders:
                sku_orders.add((sku_key, order_id))
                s["orders"] += 1
            s["units"] += quantity
            s["revenue"] += to_money((quantity * price - discount) * rate)
            s["cost_of_goods"] += quantity * cost
        if status == S.RETURNED and closed_at is not None:
            days[(_local_day(closed_at), channel_id)]["returned_units"] += quantity
        if shipped_at is not None and status != S.CANCELLED:
            days[(_local_day(shipped_at), channel_id)]["shipped_units"] += quantity
    for values in days.values():
        for column in ("gmv", "cost_of_goods", "refunds"):
            values[column] = to_money(values[column] or ZERO)
    for values in skus.values():
        values["revenue"] = to_money(values["revenue"] or ZERO)
        values["cost_of_goods"] = to_money(values["cost_of_goods"] or ZERO)
    return Snapshot(dict(days), skus)


def _minus(after: dict, before: dict, columns) -> dict:
    delta = {}
    for key in set(after) | set(before):
        a, b = after.get(key, {}), before.get(key, {})
        change = {c: (a.get(c) or 0) - (b.get(c) or 0) for c in columns}
        if any(change.values()):
            delta[key] = change
    return delta


def _one_type(values) -> list:
    """A column for an array parameter: money columns all Decimal (a 0 among them would be an int)."""
    values = list(values)
    if any(isinstance(v, Decimal) for v in values):
        return [Decimal(v) for v in values]
    return values


def _increment(
    table: str,
    unique: tuple[str, ...],
    columns: tuple[str, ...],
    rows: list[tuple],
    *,
    after: tuple[str, dict] | None = None,
) -> None:
    """Add `rows` (and, on PostgreSQL, the rows of the `after` SELECT: the orders' contribution now) to the
    table: INSERT … ON CONFLICT DO UPDATE SET column = column + excluded.column, in key order, in one
    statement (two writes touching the same rows lock them in the same order)."""
    if not rows and after is None:
        return
    names = (*unique, *columns)
    if connection.vendor == "postgresql":
        sources, params = [], {}
        if rows:
            for i, column in enumerate(zip(*sorted(rows), strict=True)):
                params[f"c{i}"] = _one_type(column)
            arrays = ", ".join(f"%(c{i})s" for i in range(len(names)))
            sources.append(f"SELECT * FROM unnest({arrays})")  # noqa: S608 -- placeholders only
        if after is not None:
            sources.append(after[0])
            params.update(after[1])
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608
                f"SELECT {', '.join(unique)}, {', '.join(f'sum({c})' for c in columns)} "
                f"FROM ({' UNION ALL '.join(sources)}) AS x({', '.join(names)}) "
                f"GROUP BY {', '.join(unique)} ORDER BY {', '.join(unique)} "
                f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET "
                + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns),
                params,
            )
        return
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, sorted(rows))


# What orders `ids` contribute now, in SQL, for the upserts above: the same rules as order_metrics and
# sku_metrics (the hypothesis test and check_kpi_rollups hold them to each other).
DAY_AFTER_SQL = """
SELECT (o.placed_at AT TIME ZONE %(tz)s)::date, o.channel_id, 1, (o.status = 'cancelled')::int,
  (o.status NOT IN ('pending', 'cancelled'))::int, 0,
  CASE WHEN o.status NOT IN ('pending', 'cancelled') THEN o.total_shop ELSE 0 END, 0, 0, 0, 0, 0, 0, 0
FROM orders_order o WHERE o.id = ANY(%(ids)s)
UNION ALL
SELECT (o.placed_at AT TIME ZONE %(tz)s)::date, o.channel_id, 0, 0, 0, l.quantity, 0,
  l.quantity * l.unit_cost, 0, 0, 0, 0, 0, 0
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.id = ANY(%(ids)s) AND o.status NOT IN ('pending', 'cancelled')
UNION ALL
SELECT (o.closed_at AT TIME ZONE %(tz)s)::date, o.channel_id, 0, 0, 0, 0, 0, 0,
  round(o.refund_amount * o.exchange_rate, 2), 0, 0, 0, 0, 0
FROM orders_order o WHERE o.id = ANY(%(ids)s) AND o.closed_at IS NOT NULL AND o.refund_amount > 0
UNION ALL
SELECT (o.closed_at AT TIME ZONE %(tz)s)::date, o.channel_id, 0, 0, 0, 0, 0, 0, 0, l.quantity, 0, 0, 0, 0
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.id = ANY(%(ids)s) AND o.status = 'returned' AND o.closed_at IS NOT NULL
UNION ALL
SELECT (o.shipped_at AT TIME ZONE %(tz)s)::date, o.channel_id, 0, 0, 0, 0, 0, 0, 0, 0, l.quantity, 0, 0, 0
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.id = ANY(%(ids)s) AND o.shipped_at IS NOT NULL AND o.status <> 'cancelled'
"""
SKU_AFTER_SQL = """
SELECT (o.placed_at AT TIME ZONE %(tz)s)::date, o.channel_id, l.sku_id, count(DISTINCT o.id),
  sum(l.quantity), sum(round((l.quantity * l.unit_price - l.discount) * o.exchange_rate, 2)),
  sum(l.quantity * l.unit_cost)
FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
WHERE o.id = ANY(%(ids)s) AND o.status NOT IN ('pending', 'cancelled')
GROUP BY 1, 2, 3
"""


# Namespace of the transaction-level advisory locks that serialise the chain refresh of one customer.
CHAIN_LOCK_SPACE = 7301


def _customers_serialize(ids: list[int]) -> None:
    """Take a transaction-level advisory lock per customer, in id order, so two writes touching a customer
    recompute its chain one after the other (the second sees the first's orders). Not row locks: the sync
    has already locked some customer rows in its own orders (insert, update), and locking them again in id
    order here could close a cycle with another batch; the advisory locks are taken last and only ever in
    id order, after which a write waits only for fact rows, also in key order."""
    if connection.vendor != "postgresql":
        return  # SQLite writes one transaction at a time
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, id) "
            "FROM (SELECT unnest(%s::int[]) AS id ORDER BY 1) AS ordered",
            [CHAIN_LOCK_SPACE, ids],
        )


def _customer_chains_refresh(customer_ids: set[int]) -> dict[DayKey, dict]:
    """Recompute the customer-day rows of these customers; returns the change of the day facts' customer
    columns (old rows out, new rows in)."""
    if not customer_ids:
        return {}
    ids = sorted(customer_ids)
    _customers_serialize(ids)
    delta: dict[DayKey, dict] = defaultdict(lambda: dict.fromkeys(CUSTOMER_COLUMNS, 0))

    def count(key, orders, prev_date, sign):
        d = delta[key]
        d["customers"] += sign
        d["new_customers"] += sign * (prev_date is None)
        d["repeat_customers"] += sign * (orders >= 2)

    # Only the rows that differ are written: a returning customer's new order adds one row and moves the
    # previous row's next date, whatever the length of the chain.
    old = {
        (customer_id, day): (pk, channel_id, orders, prev_date, next_date)
        for pk, customer_id, day, channel_id, orders, prev_date, next_date in CustomerDayFact.objects.filter(
            customer_id__in=ids
        ).values_list("pk", "customer_id", "date", "channel_id", "orders", "prev_date", "next_date")
    }
    fresh = {(f.customer_id, f.date): f for f in customer_days(customer_ids=ids, stream=False)}
    gone, added, changed = [], [], []
    for key, (pk, channel_id, orders, prev_date, next_date) in old.items():
        f = fresh.get(key)
        if f is not None and (f.channel_id, f.orders, f.prev_date, f.next_date) == (
            channel_id,
            orders,
            prev_date,
            next_date,
        ):
            continue
        count((key[1], channel_id), orders, prev_date, -1)
        if f is None:
            gone.append(pk)
        else:
            changed.append((pk, f.channel_id, f.orders, f.prev_date, f.next_date))
            count((f.date, f.channel_id), f.orders, f.prev_date, 1)
    for key, f in fresh.items():
        if key not in old:
            added.append((f.customer_id, f.channel_id, f.date, f.orders, f.prev_date, f.next_date))
            count((f.date, f.channel_id), f.orders, f.prev_date, 1)
    if gone:
        CustomerDayFact.objects.filter(pk__in=gone).delete()
    rows_update(CustomerDayFact, ["channel", "orders", "prev_date", "next_date"], changed)
    rows_insert(CustomerDayFact, ["customer", "channel", "date", "orders", "prev_date", "next_date"], added)
    return {key: d for key, d in delta.items() if any(d.values())}


@transaction.atomic
def facts_refresh(
    *, order_ids: Iterable[int], before: Snapshot | None = None, customer_ids: Iterable[int] = ()
):
    """Bring the facts up to date after `order_ids` were written: the day and SKU facts change by what the
    orders contribute now minus what they contributed `before` the write (facts_capture; nothing for new
    orders), and the customer chains of their customers (and of `customer_ids`: customers an order left)
    are recomputed. Returns the number of day rows changed."""
    order_ids = list(order_ids)
    before = before or Snapshot({}, {})
    postgres = connection.vendor == "postgresql"
    # PostgreSQL adds what the orders contribute now inside the upsert itself (one statement per table);
    # elsewhere it is read and added up here.
    after = Snapshot({}, {}) if postgres else facts_capture(order_ids=order_ids)
    customers = set(customer_ids)
    customers.update(
        Order.objects.filter(pk__in=order_ids, customer_id__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    days = _minus(after.days, before.days, ORDER_COLUMNS)
    for key, change in _customer_chains_refresh(customers).items():
        days.setdefault(key, dict.fromkeys(ORDER_COLUMNS, 0)).update(change)
    after_sql = {"tz": settings.TIME_ZONE, "ids": order_ids} if postgres and order_ids else None
    _increment(
        OrderDayFact._meta.db_table,
        ("date", "channel_id"),
        DAY_COLUMNS,
        [
            (day, channel_id, *(change.get(c, 0) for c in DAY_COLUMNS))
            for (day, channel_id), change in days.items()
        ],
        after=(DAY_AFTER_SQL, after_sql) if after_sql else None,
    )
    skus = _minus(after.skus, before.skus, SKU_COLUMNS)
    _increment(
        OrderSkuDayFact._meta.db_table,
        ("date", "channel_id", "sku_id"),
        SKU_COLUMNS,
        [(*key, *(change[c] for c in SKU_COLUMNS)) for key, change in skus.items()],
        after=(SKU_AFTER_SQL, after_sql) if after_sql else None,
    )
    if before.skus:  # lines that left a SKU's day leave an empty row behind
        OrderSkuDayFact.objects.filter(
            date__in={k[0] for k in before.skus}, sku_id__in={k[2] for k in before.skus}, orders=0, units=0
        ).delete()
    return len(days)


@transaction.atomic
def facts_rebuild(*, start: date, end: date, customers: bool = True) -> dict:
    """Recompute every fact of the shop-local dates [start, end). The customer chains are recomputed for the
    customers with a counted order in that span (all of them when `customers` and the span covers all)."""
    span = (start, end)
    lo, hi = _range_bounds(start, end)
    if customers:
        active = set(
            Order.objects.filter(COUNTED, placed_at__gte=lo, placed_at__lt=hi, customer_id__isnull=False)
            .values_list("customer_id", flat=True)
            .distinct()
        )
        active |= set(
            CustomerDayFact.objects.filter(date__gte=start, date__lt=end).values_list(
                "customer_id", flat=True
            )
        )
        CustomerDayFact.objects.filter(customer_id__in=active).delete()
        CustomerDayFact.objects.bulk_create(customer_days(customer_ids=active), batch_size=5000)
    values = order_metrics(span=span)
    keys = set(values)
    keys |= set(
        CustomerDayFact.objects.filter(date__gte=start, date__lt=end)
        .values_list("date", "channel_id")
        .distinct()
    )
    counts = customer_metrics(keys)
    full = {key: {**values.get(key, dict.fromkeys(ORDER_COLUMNS, 0)), **counts[key]} for key in keys}
    OrderDayFact.objects.filter(date__gte=start, date__lt=end).delete()
    OrderDayFact.objects.bulk_create(
        [OrderDayFact(date=day, channel_id=channel_id, **v) for (day, channel_id), v in full.items()],
        batch_size=2000,
    )
    skus = sku_metrics(span=span)
    _write_skus_span(span, skus)
    if connection.vendor == "postgresql":
        # Fresh statistics after a bulk write: the planner would otherwise take a year of customer-day rows
        # for a handful and pick a slow plan until autovacuum comes by.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE orders_orderdayfact, orders_orderskudayfact, orders_customerdayfact")
    return {"start": start.isoformat(), "end": end.isoformat(), "days": len(full), "sku_days": len(skus)}


def facts_compare(*, start: date, end: date) -> list[str]:
    """Differences between the stored facts of [start, end) and a fresh computation from the orders; empty
    when they agree. Customer chains are compared for every customer with a row or an order in the span."""
    problems: list[str] = []
    values = order_metrics(span=(start, end))
    lo, hi = _range_bounds(start, end)
    active = set(
        Order.objects.filter(COUNTED, placed_at__gte=lo, placed_at__lt=hi, customer_id__isnull=False)
        .values_list("customer_id", flat=True)
        .distinct()
    ) | set(
        CustomerDayFact.objects.filter(date__gte=start, date__lt=end).values_list("customer_id", flat=True)
    )
    expected_chain = {
        (f.customer_id, f.date): (f.channel_id, f.orders, f.prev_date, f.next_date)
        for f in customer_days(customer_ids=active)
    }
    stored_chain = {
        (customer_id, day): rest
        for customer_id, day, *rest in CustomerDayFact.objects.filter(customer_id__in=active).values_list(
            "customer_id", "date", "channel_id", "orders", "prev_date", "next_date"
        )
    }
    stored_chain = {k: tuple(v) for k, v in stored_chain.items()}
    for key in sorted(set(expected_chain) | set(stored_chain)):
        if expected_chain.get(key) != stored_chain.get(key):
            problems.append(
                f"customer {key[0]} on {key[1]}: "
                f"stored {stored_chain.get(key)}, expected {expected_chain.get(key)}"
            )
    # customer counts of each day, from the expected chains
    counts: dict[DayKey, dict] = defaultdict(lambda: dict.fromkeys(CUSTOMER_COLUMNS, 0))
    for (_customer, day), (channel_id, orders, prev_date, _next) in expected_chain.items():
        if start <= day < end:
            c = counts[(day, channel_id)]
            c["customers"] += 1
            c["new_customers"] += prev_date is None
            c["repeat_customers"] += orders >= 2
    expected = {}
    for key in set(values) | set(counts):
        row = {
            **values.get(key, dict.fromkeys(ORDER_COLUMNS, 0)),
            **counts.get(key, dict.fromkeys(CUSTOMER_COLUMNS, 0)),
        }
        if any(row[c] for c in DAY_COLUMNS):
            expected[key] = row
    stored = {
        (row.pop("date"), row.pop("channel_id")): row
        for row in OrderDayFact.objects.filter(date__gte=start, date__lt=end).values(
            "date", "channel_id", *DAY_COLUMNS
        )
    }
    stored = {k: v for k, v in stored.items() if any(v[c] for c in DAY_COLUMNS)}
    for key in sorted(set(expected) | set(stored)):
        if expected.get(key) != stored.get(key):
            problems.append(
                f"day {key[0]} channel {key[1]}: stored {stored.get(key)}, expected {expected.get(key)}"
            )
    expected_skus = sku_metrics(span=(start, end))
    stored_skus = {
        (row.pop("date"), row.pop("channel_id"), row.pop("sku_id")): row
        for row in OrderSkuDayFact.objects.filter(date__gte=start, date__lt=end).values(
            "date", "channel_id", "sku_id", *SKU_COLUMNS
        )
    }
    stored_skus = {k: v for k, v in stored_skus.items() if any(v.values())}
    for key in sorted(set(expected_skus) | set(stored_skus)):
        if expected_skus.get(key) != stored_skus.get(key):
            problems.append(
                f"SKU day {key}: stored {stored_skus.get(key)}, expected {expected_skus.get(key)}"
            )
    return problems
