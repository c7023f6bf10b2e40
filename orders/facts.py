"""The order facts: per-day rollups of the orders that the KPIs are read from (reports.kpis).

Two ways to keep them right, sharing one computation:
- `facts_refresh(order_ids=...)`, called by every write of orders in the same transaction (the sync, the
  after-sales updates, holds): it recomputes the (date, channel) keys those orders touch and the customer
  chains of their customers. Recomputing a key instead of adding deltas keeps it exact whatever changed.
- `facts_rebuild(start=..., end=...)`, the nightly step and the demo: the same computation for every key
  of a date range; `facts_compare` checks the stored rows against a fresh computation.

Concurrency: the (date, channel) rows are locked (in key order) before a key is recomputed, and the
customers (by id) before their chains are, so two syncs of one day read each other's committed orders
instead of overwriting each other's counts.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import Customer, CustomerDayFact, Order, OrderDayFact, OrderLine, OrderSkuDayFact
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


def _where(field: str, keys: Iterable[DayKey] | None, span: tuple[date, date] | None, prefix: str = "") -> Q:
    """Rows whose shop-local `field` date and channel are one of `keys`, or whose date is in `span`."""
    if span is not None:
        lo, hi = _range_bounds(*span)
        return Q(**{f"{prefix}{field}__gte": lo, f"{prefix}{field}__lt": hi})
    by_day: dict[date, list[int]] = defaultdict(list)
    for day, channel_id in keys or ():
        by_day[day].append(channel_id)
    where = Q(pk__in=[])
    for day, channels in by_day.items():
        lo, hi = _bounds(day)
        where |= Q(
            **{f"{prefix}{field}__gte": lo, f"{prefix}{field}__lt": hi, f"{prefix}channel_id__in": channels}
        )
    return where


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


COUNTED = ~Q(status__in=Order.NOT_COUNTED)
LINE_COUNTED = ~Q(order__status__in=Order.NOT_COUNTED)


def order_metrics(*, keys: Iterable[DayKey] | None = None, span: tuple[date, date] | None = None) -> dict:
    """{(date, channel_id): {column: value}} of the order columns, for the given keys or date span."""
    keys = None if span is not None else list(keys or ())
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
    if keys is not None:
        for key in keys:
            out[key]  # noqa: B018 -- a key with nothing left gets zeros, so its row is cleared
    for values in out.values():
        values["gmv"] = to_money(values["gmv"] or ZERO)
        values["cost_of_goods"] = to_money(values["cost_of_goods"] or ZERO)
        values["refunds"] = to_money(values["refunds"] or ZERO)
    return dict(out)


def sku_metrics(*, keys: Iterable[DayKey] | None = None, span: tuple[date, date] | None = None) -> dict:
    """{(date, channel_id, sku_id): {orders, units, revenue, cost_of_goods}} of counted orders placed then."""
    keys = None if span is not None else list(keys or ())
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


def _lock_days(keys: Iterable[DayKey]) -> None:
    keys = sorted(set(keys))
    if not keys:
        return
    OrderDayFact.objects.bulk_create(
        [OrderDayFact(date=day, channel_id=channel_id) for day, channel_id in keys], ignore_conflicts=True
    )
    where = Q(pk__in=[])
    by_day: dict[date, list[int]] = defaultdict(list)
    for day, channel_id in keys:
        by_day[day].append(channel_id)
    for day, channels in by_day.items():
        where |= Q(date=day, channel_id__in=channels)
    list(OrderDayFact.objects.select_for_update().filter(where).order_by("date", "channel_id").values("pk"))


def _write_days(values: dict[DayKey, dict], columns: tuple[str, ...]) -> None:
    """Upsert the day rows' `columns`; a row left all zero is deleted."""
    rows = [OrderDayFact(date=day, channel_id=channel_id, **v) for (day, channel_id), v in values.items()]
    OrderDayFact.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["date", "channel"],
        update_fields=list(columns),
        batch_size=2000,
    )
    OrderDayFact.objects.filter(
        **dict.fromkeys((f"{c}" for c in DAY_COLUMNS if c not in ("gmv", "cost_of_goods", "refunds")), 0),
        gmv=0,
        cost_of_goods=0,
        refunds=0,
        date__in={day for day, _c in values},
    ).delete()


def _write_skus(keys: Iterable[DayKey] | None, span: tuple[date, date] | None, values: dict) -> None:
    if span is not None:
        OrderSkuDayFact.objects.filter(date__gte=span[0], date__lt=span[1]).delete()
    else:
        where = Q(pk__in=[])
        for day, channel_id in keys or ():
            where |= Q(date=day, channel_id=channel_id)
        OrderSkuDayFact.objects.filter(where).delete()
    OrderSkuDayFact.objects.bulk_create(
        [
            OrderSkuDayFact(date=day, channel_id=channel_id, sku_id=sku_id, **v)
            for (day, channel_id, sku_id), v in values.items()
        ],
        batch_size=5000,
    )


def _customer_chains_refresh(customer_ids: set[int]) -> set[DayKey]:
    """Recompute the customer-day rows of these customers; the (date, channel) keys whose customer counts
    may have changed (old rows and new)."""
    if not customer_ids:
        return set()
    ids = sorted(customer_ids)
    list(Customer.objects.select_for_update().filter(pk__in=ids).order_by("pk").values("pk"))
    old = CustomerDayFact.objects.filter(customer_id__in=ids)
    touched = set(old.values_list("date", "channel_id"))
    old.delete()
    fresh = customer_days(customer_ids=ids)
    CustomerDayFact.objects.bulk_create(fresh, batch_size=5000)
    touched.update((f.date, f.channel_id) for f in fresh)
    return touched


@transaction.atomic
def facts_refresh(*, order_ids: Iterable[int], customer_ids: Iterable[int] = (), days: Iterable[DayKey] = ()):
    """Bring the facts up to date after `order_ids` were written (created, updated, cancelled, refunded).
    `customer_ids` and `days` add customers and (date, channel) keys the orders no longer point at (an order
    moved to another customer or day). Returns the number of day keys recomputed."""
    order_ids = list(order_ids)
    order_keys: set[DayKey] = set(days)
    customers: set[int] = set(customer_ids)
    if order_ids:
        for channel_id, customer_id, placed, shipped, closed in (
            Order.objects.filter(pk__in=order_ids)
            .annotate(p=_day("placed_at"), s=_day("shipped_at"), c=_day("closed_at"))
            .values_list("channel_id", "customer_id", "p", "s", "c")
            .distinct()
        ):
            order_keys.update((d, channel_id) for d in (placed, shipped, closed) if d is not None)
            if customer_id is not None:
                customers.add(customer_id)
    customers_touched = _customer_chains_refresh(customers)
    all_keys = order_keys | customers_touched
    _lock_days(all_keys)
    values = order_metrics(keys=order_keys) if order_keys else {}
    counts = customer_metrics(all_keys)
    for key in order_keys:
        values[key].update(counts[key])
    if values:
        _write_days(values, DAY_COLUMNS)
    only_customers = {key: counts[key] for key in customers_touched - order_keys}
    if only_customers:
        _write_days(only_customers, CUSTOMER_COLUMNS)
    if order_keys:
        _write_skus(order_keys, None, sku_metrics(keys=order_keys))
    return len(all_keys)


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
    _write_skus(None, span, skus)
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
    for key in sorted(set(expected_skus) | set(stored_skus)):
        if expected_skus.get(key) != stored_skus.get(key):
            problems.append(
                f"SKU day {key}: stored {stored_skus.get(key)}, expected {expected_skus.get(key)}"
            )
    return problems
