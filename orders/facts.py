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

from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import CustomerDayFact, Order, OrderDayFact, OrderLine, OrderSkuDayFact
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
            revenue=Sum((F("quantity") * F("unit_price") - F("discount")) * F("order__exchange_rate")),
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


def customer_days(*, customer_ids: Iterable[int] | None = None) -> list[CustomerDayFact]:
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
    for row in rows.iterator(chunk_size=20_000):
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
    return Snapshot(order_metrics(order_ids=order_ids), sku_metrics(order_ids=order_ids))


def _minus(after: dict, before: dict, columns) -> dict:
    delta = {}
    for key in set(after) | set(before):
        a, b = after.get(key, {}), before.get(key, {})
        change = {c: (a.get(c) or 0) - (b.get(c) or 0) for c in columns}
        if any(change.values()):
            delta[key] = change
    return delta


def _increment(table: str, unique: tuple[str, ...], columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE SET column = column + excluded.column, rows in key order (two writes
    that touch the same rows lock them in the same order)."""
    if not rows:
        return
    names = (*unique, *columns)
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(unique)}) DO UPDATE SET "
        + ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, sorted(rows))


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

    old = CustomerDayFact.objects.filter(customer_id__in=ids)
    for day, channel_id, orders, prev_date in old.values_list("date", "channel_id", "orders", "prev_date"):
        count((day, channel_id), orders, prev_date, -1)
    old.delete()
    fresh = customer_days(customer_ids=ids)
    CustomerDayFact.objects.bulk_create(fresh, batch_size=5000)
    for f in fresh:
        count((f.date, f.channel_id), f.orders, f.prev_date, 1)
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
    after = facts_capture(order_ids=order_ids)
    customers = set(customer_ids)
    customers.update(
        Order.objects.filter(pk__in=order_ids, customer_id__isnull=False).values_list(
            "customer_id", flat=True
        )
    )
    days = _minus(after.days, before.days, ORDER_COLUMNS)
    for key, change in _customer_chains_refresh(customers).items():
        days.setdefault(key, dict.fromkeys(ORDER_COLUMNS, 0)).update(change)
    _increment(
        OrderDayFact._meta.db_table,
        ("date", "channel_id"),
        DAY_COLUMNS,
        [
            (day, channel_id, *(change.get(c, 0) for c in DAY_COLUMNS))
            for (day, channel_id), change in days.items()
        ],
    )
    skus = _minus(after.skus, before.skus, SKU_COLUMNS)
    _increment(
        OrderSkuDayFact._meta.db_table,
        ("date", "channel_id", "sku_id"),
        SKU_COLUMNS,
        [(*key, *(change[c] for c in SKU_COLUMNS)) for key, change in skus.items()],
    )
    emptied = [key for key, change in skus.items() if change["units"] < 0]  # lines left a SKU's day
    if emptied:
        OrderSkuDayFact.objects.filter(
            date__in={k[0] for k in emptied}, sku_id__in={k[2] for k in emptied}, orders=0, units=0
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
