"""Reads of orders for pages, APIs and other apps."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, Max, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from inventory.models import StockMovement
from orders import facts
from orders.models import (
    Channel,
    Customer,
    CustomerDayFact,
    Order,
    OrderAllocation,
    OrderDayFact,
    OrderEvent,
    OrderException,
    OrderLine,
    OrderSkuDayFact,
)
from shopops.common import pii
from shopops.common.dates import day_range
from shopops.common.money import ZERO, to_money

# The order list's exception filter: any open exception, or an open one of a kind.
EXCEPTION_ANY = "any"


def channel_list() -> QuerySet[Channel]:
    return Channel.objects.filter(active=True).order_by("code")


def counted_orders() -> QuerySet[Order]:
    """Orders that are sales: placed, and neither pending nor cancelled."""
    return Order.objects.exclude(status__in=Order.NOT_COUNTED)


def order_list(
    *,
    channel: str = "",
    status: str = "",
    placed_from: date | None = None,
    placed_to: date | None = None,
    province: str = "",
    search: str = "",
    exception: str = "",
    ordering: str = "-placed_at",
) -> QuerySet[Order]:
    """Orders for the order desk, filtered. `placed_to` is inclusive (a shop-local date). `exception` is
    "any" (an open exception of any kind) or an exception kind. Each order carries its open exceptions
    in `open_exceptions` (one query per page, not per row)."""
    qs = Order.objects.select_related("channel", "customer").prefetch_related(
        Prefetch(
            "exceptions",
            queryset=OrderException.objects.filter(resolved_at__isnull=True).order_by("created_at", "id"),
            to_attr="open_exceptions",
        )
    )
    if channel:
        qs = qs.filter(channel__code=channel)
    if status:
        qs = qs.filter(status=status)
    if placed_from:
        qs = qs.filter(placed_at__gte=day_range(placed_from, placed_from)[0])
    if placed_to:
        qs = qs.filter(placed_at__lt=day_range(placed_to, placed_to)[0] + timezone.timedelta(days=1))
    if province:
        qs = qs.filter(province=province)
    if search:
        # Names, phones and emails are encrypted: they match exactly, through their hashes.
        match = Q(external_id__icontains=search) | Q(customer__external_id=search)
        personal = pii.hash_match(search, prefix="customer__")
        qs = qs.filter(match | personal if personal is not None else match)
    if exception == EXCEPTION_ANY or exception in OrderException.Kind.values:
        open_ones = OrderException.objects.filter(order=OuterRef("pk"), resolved_at__isnull=True)
        if exception != EXCEPTION_ANY:
            open_ones = open_ones.filter(kind=exception)
        qs = qs.filter(Exists(open_ones))
    return qs.order_by(ordering, "-id")


def order_get(*, pk: int) -> Order:
    return Order.objects.select_related("channel", "customer").get(pk=pk)


def order_lines(*, order: Order) -> QuerySet[OrderLine]:
    """The order's lines with their SKU and, in `allocations`, where their units are held."""
    return (
        order.lines.select_related("sku")
        .prefetch_related(
            Prefetch(
                "allocations",
                queryset=OrderAllocation.objects.select_related("warehouse").order_by("id"),
            )
        )
        .order_by("id")
    )


@dataclass(frozen=True)
class TimelineEntry:
    """One row of an order's timeline: an order event or a stock movement made for the order."""

    at: datetime
    source: str  # "order" (an OrderEvent), "exception" (raised or closed by the system) or "stock"
    kind: str  # the event kind, "exception_raised" / "exception_closed", or the movement kind
    kind_label: str = ""  # the exception's or movement's kind label (events are labelled by the page)
    cause_kind: str = ""  # the exception's or movement's kind, to find the sync event that caused it
    from_status: str = ""
    to_status: str = ""
    detail: str = ""
    origin: str = ""  # who or what wrote the event: api, desk, webhook, ...
    quantity: int = 0
    on_hand_delta: int = 0
    reserved_delta: int = 0
    warehouse: str = ""
    sku: str = ""


def order_stock_reference(order: Order) -> str:
    """The reference inventory's ledger gives the movements of an order: 'order <channel>:<external id>'."""
    return f"order {order.channel.code}:{order.external_id}"


def order_timeline(*, order: Order) -> list[TimelineEntry]:
    """The order's events, its exceptions being raised (and closed by the system: a person's resolution is
    an event already) and the stock movements made for it, oldest first (three queries)."""
    entries = [
        TimelineEntry(
            at=event.at,
            source="order",
            kind=event.kind,
            from_status=event.from_status,
            to_status=event.to_status,
            detail=event.detail,
            origin=event.source,
        )
        for event in OrderEvent.objects.filter(order=order).order_by("at", "id")
    ]
    for exception in OrderException.objects.filter(order=order).order_by("created_at", "id"):
        entries.append(
            TimelineEntry(
                at=exception.created_at,
                source="exception",
                kind="exception_raised",
                kind_label=exception.get_kind_display(),
                cause_kind=exception.kind,
                detail=exception.detail,
            )
        )
        if exception.resolved_at and exception.resolved_by_id is None:
            entries.append(
                TimelineEntry(
                    at=exception.resolved_at,
                    source="exception",
                    kind="exception_closed",
                    kind_label=exception.get_kind_display(),
                    detail=exception.resolution_note,
                )
            )
    # inventory owns the ledger; it is read here by reference, the one link between the two.
    movements = (
        StockMovement.objects.filter(reference=order_stock_reference(order))
        .select_related("warehouse", "sku")
        .order_by("created_at", "id")
    )
    entries += [
        TimelineEntry(
            at=movement.created_at,
            source="stock",
            kind=movement.kind,
            kind_label=movement.get_kind_display(),
            cause_kind=movement.kind,
            quantity=abs(movement.on_hand_delta or movement.reserved_delta),
            on_hand_delta=movement.on_hand_delta,
            reserved_delta=movement.reserved_delta,
            warehouse=movement.warehouse.name,
            sku=movement.sku.code,
            detail=movement.reason,
        )
        for movement in movements
    ]
    return _timeline_order(entries)


# One sync writes the order's event, the exceptions it raises and the stock it moves in one transaction,
# but the rows carry slightly different clocks (which one is first depends on the database backend), and
# two syncs of an order can come milliseconds apart. So what a sync did is shown right after the sync event
# it belongs to: the nearest event of a kind that causes it, within SAME_MOMENT. Anything else (a late
# order found by the scan, a stock adjustment) keeps its own time.
SAME_MOMENT = timedelta(seconds=5)
_CAUSED_BY = {
    ("stock", StockMovement.Kind.RESERVATION): {"created", "lines"},
    ("stock", StockMovement.Kind.SHIPMENT): {"created", "status"},
    ("stock", StockMovement.Kind.RELEASE): {"status", "lines"},
    ("exception", OrderException.Kind.BACKORDER): {"created", "lines"},
    ("exception", OrderException.Kind.ADDRESS): {"created", "status", "lines"},
}
_TIMELINE_RANK = {"order": 0, "exception": 1, "stock": 2}


def _timeline_order(entries: list[TimelineEntry]) -> list[TimelineEntry]:
    """Sort by time; what a sync caused goes right after its sync event (see SAME_MOMENT)."""
    events = [(index, e) for index, e in enumerate(entries) if e.source == "order"]
    keys = []
    for index, entry in enumerate(entries):
        rank = _TIMELINE_RANK[entry.source]
        key = (entry.at, index if entry.source == "order" else len(entries), rank, entry.at)
        causes = _CAUSED_BY.get((entry.source, entry.cause_kind))
        if causes:
            near = [
                (abs(event.at - entry.at), event_index, event)
                for event_index, event in events
                if event.kind in causes and abs(event.at - entry.at) <= SAME_MOMENT
            ]
            if near:
                _distance, event_index, event = min(near, key=lambda n: (n[0], n[1]))
                key = (event.at, event_index, rank, entry.at)
        keys.append(key)
    return [entry for _key, entry in sorted(zip(keys, entries, strict=True), key=lambda pair: pair[0])]


def order_exception_list_for_order(*, order: Order) -> list[OrderException]:
    """All exceptions of an order, open ones first, each oldest first."""
    return sorted(
        OrderException.objects.filter(order=order).select_related("resolved_by"),
        key=lambda e: (e.resolved_at is not None, e.created_at, e.id),
    )


def order_exception_list(
    *, kind: str = "", channel: str = "", resolved: bool = False
) -> QuerySet[OrderException]:
    """The exception queue: open exceptions oldest first (or resolved ones, latest resolved first)."""
    qs = OrderException.objects.select_related("order__channel", "order__customer", "resolved_by").filter(
        resolved_at__isnull=not resolved
    )
    if kind:
        qs = qs.filter(kind=kind)
    if channel:
        qs = qs.filter(order__channel__code=channel)
    if resolved:
        return qs.order_by("-resolved_at", "-id")
    return qs.order_by("created_at", "id")


def order_exception_counts(*, channel: str = "") -> dict[str, int]:
    """Open exceptions per kind (every kind present, zero when none), in one query."""
    qs = OrderException.objects.filter(resolved_at__isnull=True)
    if channel:
        qs = qs.filter(order__channel__code=channel)
    counts = dict.fromkeys(OrderException.Kind.values, 0)
    for row in qs.values("kind").annotate(n=Count("id")).order_by():
        counts[row["kind"]] = row["n"]
    return counts


def order_exception_get(*, pk: int) -> OrderException:
    return OrderException.objects.select_related("order__channel", "order__customer", "resolved_by").get(
        pk=pk
    )


def customer_get(*, pk: int) -> Customer:
    return Customer.objects.select_related("channel").get(pk=pk)


def customer_orders(*, customer: Customer) -> QuerySet[Order]:
    """The customer's orders, newest first, with their open exceptions (as in the order list)."""
    return (
        Order.objects.filter(customer=customer)
        .select_related("channel")
        .prefetch_related(
            Prefetch(
                "exceptions",
                queryset=OrderException.objects.filter(resolved_at__isnull=True).order_by("created_at", "id"),
                to_attr="open_exceptions",
            )
        )
        .order_by("-placed_at", "-id")
    )


@dataclass(frozen=True)
class CustomerSummary:
    orders: int  # every order, whatever its status
    counted_orders: int  # orders that are sales (not pending, not cancelled)
    gross: Decimal  # sum of the counted orders' totals, shop currency
    refunds: Decimal  # refunded on those orders, shop currency
    lifetime_value: Decimal  # gross - refunds
    first_order_at: datetime | None
    last_order_at: datetime | None


def customer_summary(*, customer: Customer) -> CustomerSummary:
    """Lifetime value in the shop currency: the counted orders' `total_shop` minus what was refunded on
    them. A refund is in the order's currency; it is converted at the order's rate and rounded per order,
    as the order's own total was."""
    orders = Order.objects.filter(customer=customer)
    facts = orders.aggregate(
        orders=Count("id"),
        counted=Count("id", filter=~Q(status__in=Order.NOT_COUNTED)),
        gross=Sum("total_shop", filter=~Q(status__in=Order.NOT_COUNTED)),
        first=Min("placed_at"),
        last=Max("placed_at"),
    )
    refunds = sum(
        (
            to_money(amount * rate)
            for amount, rate in orders.exclude(status__in=Order.NOT_COUNTED)
            .filter(refund_amount__gt=0)
            .values_list("refund_amount", "exchange_rate")
        ),
        start=ZERO,
    )
    gross = to_money(facts["gross"] or ZERO)
    return CustomerSummary(
        orders=facts["orders"],
        counted_orders=facts["counted"],
        gross=gross,
        refunds=refunds,
        lifetime_value=gross - refunds,
        first_order_at=facts["first"],
        last_order_at=facts["last"],
    )


def channel_all() -> QuerySet[Channel]:
    """Every channel, active or not, for the channel pages."""
    return Channel.objects.order_by("-active", "code")


def channel_get(*, code: str) -> Channel:
    return Channel.objects.get(code=code)


def order_daily_facts(*, start: date, end: date) -> list[dict]:
    """Per shop-local date and channel, for counted orders placed in [start, end):
    orders, gmv (sum of totals), customers (distinct), units and cost_of_goods (from the lines)."""
    lo, hi = day_range(start, end)
    tz = timezone.get_current_timezone()
    orders = (
        counted_orders()
        .filter(placed_at__gte=lo, placed_at__lt=hi)
        .annotate(day=TruncDate("placed_at", tzinfo=tz))
        .values("day", "channel_id")
        .annotate(orders=Count("id"), gmv=Sum("total_shop"), customers=Count("customer_id", distinct=True))
    )
    lines = (
        OrderLine.objects.filter(order__placed_at__gte=lo, order__placed_at__lt=hi)
        .exclude(order__status__in=Order.NOT_COUNTED)
        .annotate(day=TruncDate("order__placed_at", tzinfo=tz))
        .values("day", "order__channel_id")
        .annotate(units=Sum("quantity"), cost_of_goods=Sum(F("quantity") * F("unit_cost")))
    )
    line_facts = {(row["day"], row["order__channel_id"]): row for row in lines}
    facts = []
    for row in orders:
        extra = line_facts.get((row["day"], row["channel_id"]), {})
        facts.append(
            {
                "date": row["day"],
                "channel_id": row["channel_id"],
                "orders": row["orders"],
                "gmv": row["gmv"],
                "customers": row["customers"],
                "units": extra.get("units") or 0,
                "cost_of_goods": extra.get("cost_of_goods") or 0,
            }
        )
    return facts


def returns_list(*, since: date | None = None) -> QuerySet[Order]:
    """Returned and refunded orders, newest first."""
    qs = Order.objects.filter(status__in=[Order.Status.RETURNED, Order.Status.REFUNDED])
    if since:
        qs = qs.filter(closed_at__gte=day_range(since, since)[0])
    return qs.select_related("channel", "customer").order_by("-closed_at", "-id")


def customer_base_by_channel(*, start: date, end: date) -> list[dict]:
    """Per channel over [start, end): customers with a counted order, and how many had ordered before."""
    lo, hi = day_range(start, end)
    rows = (
        counted_orders()
        .filter(placed_at__gte=lo, placed_at__lt=hi)
        .values("channel__code", "channel__name")
        .annotate(
            customers=Count("customer_id", distinct=True),
            returning=Count("customer_id", distinct=True, filter=Q(customer__first_order_at__lt=lo)),
            orders=Count("id"),
            gmv=Sum("total_shop"),
        )
        .order_by("channel__code")
    )
    return [
        {
            "channel": row["channel__code"],
            "channel_name": row["channel__name"],
            "customers": row["customers"],
            "returning": row["returning"],
            "new": row["customers"] - row["returning"],
            "orders": row["orders"],
            "gmv": row["gmv"] or 0,
        }
        for row in rows
    ]


def customer_count() -> int:
    return Customer.objects.count()


def order_api_list(
    *, channel: str = "", status: str = "", updated_since=None, placed_from=None, placed_to=None
) -> QuerySet[Order]:
    """Orders for API clients with everything the output needs, prefetched (no N+1)."""
    from django.db.models import Prefetch

    qs = Order.objects.select_related("channel", "customer").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("sku").order_by("id")),
        "lines__allocations__warehouse",
    )
    if channel:
        qs = qs.filter(channel__code=channel)
    if status:
        qs = qs.filter(status=status)
    if updated_since:
        qs = qs.filter(updated_at__gte=updated_since)
    if placed_from:
        qs = qs.filter(placed_at__gte=placed_from)
    if placed_to:
        qs = qs.filter(placed_at__lt=placed_to)
    return qs


def order_api_filters(params) -> tuple[dict, dict]:
    """Parse the API list filters; dates are shop-local days, date-times need a time zone offset."""
    from datetime import datetime

    from django.utils.dateparse import parse_date, parse_datetime

    filters, errors = {}, {}
    for name in ("channel", "status"):
        if params.get(name):
            filters[name] = params[name]
        elif name in params:
            errors[name] = ["This field may not be blank."]
    if filters.get("status") and filters["status"] not in Order.Status.values:
        errors["status"] = [f"Unknown status '{filters['status']}'."]
    for name in ("updated_since", "placed_from", "placed_to"):
        raw = params.get(name)
        if raw is None:
            continue
        try:
            value = parse_datetime(raw)
            if value is None:
                day = parse_date(raw)
                value = day_range(day, day)[0] if day else None
        except ValueError:
            value = None
        if value is None or (isinstance(value, datetime) and timezone.is_naive(value)):
            errors[name] = ["Expected YYYY-MM-DD or an ISO 8601 date-time with a time zone offset."]
        else:
            filters[name] = _as_utc(value)
    return filters, errors


def _as_utc(value):
    """An aware date-time in UTC: PostgreSQL refuses offsets beyond ±15:59 (+22:28 is valid ISO 8601), and a
    moment before year 1 or after 9999 in UTC is as good as the first or last one for a filter."""
    from datetime import UTC, datetime

    try:
        return value.astimezone(UTC)
    except OverflowError:
        return (datetime.min if value.year < 5000 else datetime.max).replace(tzinfo=UTC)


def sku_sales_windows(*, end_date: date) -> list[dict]:
    """Per SKU, what counted orders sold in the windows pricing reads, all ending on `end_date` (a shop-local
    date, included), in one query over the order lines of the last 90 days:

    [{"sku_id", "units_28d", "units_prev_28d", "revenue_28d", "revenue_90d"}, ...]

    28 days = end_date - 27 .. end_date; the 28 days before = end_date - 55 .. end_date - 28; 90 days =
    end_date - 89 .. end_date. Revenue is net of line discounts, in the shop currency (the order's rate),
    to the cent. Only SKUs that sold something in the 90 days are listed."""
    from django.db.models import DecimalField, ExpressionWrapper

    from shopops.common.dates import day_start

    t90, t56, t28, t_end = (day_start(end_date - timedelta(days=d)) for d in (89, 55, 27, -1))
    revenue = ExpressionWrapper(
        (F("quantity") * F("unit_price") - F("discount")) * F("order__exchange_rate"),
        output_field=DecimalField(max_digits=20, decimal_places=6),
    )
    in_28 = Q(order__placed_at__gte=t28)
    rows = (
        OrderLine.objects.filter(order__placed_at__gte=t90, order__placed_at__lt=t_end)
        .exclude(order__status__in=Order.NOT_COUNTED)
        .values("sku_id")
        .annotate(
            units_28d=Sum("quantity", filter=in_28),
            units_prev_28d=Sum("quantity", filter=Q(order__placed_at__gte=t56, order__placed_at__lt=t28)),
            revenue_28d=Sum(revenue, filter=in_28),
            revenue_90d=Sum(revenue),
        )
        .order_by("sku_id")
    )
    return [
        {
            "sku_id": row["sku_id"],
            "units_28d": row["units_28d"] or 0,
            "units_prev_28d": row["units_prev_28d"] or 0,
            "revenue_28d": to_money(row["revenue_28d"] or ZERO),
            "revenue_90d": to_money(row["revenue_90d"] or ZERO),
        }
        for row in rows
    ]


def sku_daily_sales(sku_id: int, *, days: int = 90, today: date | None = None) -> list[dict]:
    """One SKU's sales on each of the last `days` shop-local days up to and including `today` (default:
    today), oldest first, days without sales included as zeros: [{"day", "units", "revenue"}]. Counted
    orders only (not pending, not cancelled); revenue is the lines' net amount (quantity x unit price -
    line discount) in the shop currency, to the cent. Read by catalog's SKU page
    (settings.SHOPOPS_SKU_SALES_SELECTOR)."""
    today = today or timezone.localdate()
    first = today - timedelta(days=days - 1)
    lo, hi = day_range(first, today + timedelta(days=1))
    tz = timezone.get_current_timezone()
    rows = (
        OrderLine.objects.filter(sku_id=sku_id, order__placed_at__gte=lo, order__placed_at__lt=hi)
        .exclude(order__status__in=Order.NOT_COUNTED)
        .annotate(day=TruncDate("order__placed_at", tzinfo=tz))
        .values("day")
        .annotate(
            units=Sum("quantity"),
            revenue=Sum(
                (F("quantity") * F("unit_price") - F("discount")) * F("order__exchange_rate"),
                output_field=DecimalField(max_digits=24, decimal_places=8),
            ),
        )
    )
    by_day = {row["day"]: row for row in rows}
    return [
        {
            "day": day,
            "units": by_day[day]["units"] if day in by_day else 0,
            "revenue": to_money(by_day[day]["revenue"] or 0) if day in by_day else ZERO,
        }
        for day in (first + timedelta(days=i) for i in range(days))
    ]


# -- KPI facts (orders.facts keeps them; reports.kpis turns them into KPIs) -------------------------------

FACT_SUM_COLUMNS = (*facts.ORDER_COLUMNS, "new_customers")


def order_fact_days(*, start: date, end: date, channel_id: int | None = None) -> list[dict]:
    """The day facts of [start, end) summed over channels (or of one channel), one dict per date that has
    any: {"date", placed_all, cancelled, orders, units, gmv, cost_of_goods, refunds, returned_units,
    shipped_units, new_customers, customers, repeat_customers} (customer counts are per day)."""
    qs = OrderDayFact.objects.filter(date__gte=start, date__lt=end)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    columns = (*FACT_SUM_COLUMNS, "customers", "repeat_customers")
    return list(
        qs.values("date").annotate(**{c: Sum(c) for c in columns}).order_by("date").values("date", *columns)
    )


def order_fact_channels(*, start: date, end: date) -> list[dict]:
    """The day facts of [start, end) summed per channel, with channel_id, channel__code, channel__name."""
    return list(
        OrderDayFact.objects.filter(date__gte=start, date__lt=end)
        .values("channel_id", "channel__code", "channel__name")
        .annotate(**{c: Sum(c) for c in FACT_SUM_COLUMNS})
        .order_by("channel__code")
    )


def customer_fact_counts(
    *, start: date, end: date, channel_id: int | None = None, bucket: str | None = None
) -> dict:
    """Exact distinct customers with a counted order in [start, end), and how many of them had exactly one,
    from the customer-day facts. `bucket` None: {"customers", "single"} for the whole span; "week" or
    "month": {bucket_start: {"customers", "single"}} within each bucket (cut to the span)."""

    qs = CustomerDayFact.objects.filter(date__gte=start, date__lt=end)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if bucket is None:
        first = Q(prev_date__isnull=True) | Q(prev_date__lt=start)
        only = Q(orders=1) & (Q(next_date__isnull=True) | Q(next_date__gte=end))
        row = qs.filter(first).aggregate(customers=Count("*"), single=Count("orders", filter=only))
        return {"customers": row["customers"] or 0, "single": row["single"] or 0}
    trunc = {"week": TruncWeek, "month": TruncMonth}[bucket]
    qs = qs.annotate(b=trunc("date"), pb=trunc("prev_date"), nb=trunc("next_date"))
    first = Q(prev_date__isnull=True) | Q(prev_date__lt=start) | ~Q(pb=F("b"))
    later = Q(next_date__isnull=True) | Q(next_date__gte=end) | ~Q(nb=F("b"))
    rows = (
        qs.filter(first)
        .values("b")
        .annotate(customers=Count("id"), single=Count("id", filter=Q(orders=1) & later))
        .order_by("b")
    )
    out = {}
    for row in rows:
        b = row["b"].date() if isinstance(row["b"], datetime) else row["b"]
        out[max(b, start)] = {"customers": row["customers"], "single": row["single"]}
    return out


def sku_fact_sums(
    *,
    start: date,
    end: date,
    channel_id: int | None = None,
    category_id: int | None = None,
    by: str = "category",
) -> list[dict]:
    """Line facts (counted orders) over [start, end) grouped `by` "category" (category_id, category_name)
    or "date": {units, revenue, cost_of_goods}."""
    qs = OrderSkuDayFact.objects.filter(date__gte=start, date__lt=end)
    if channel_id:
        qs = qs.filter(channel_id=channel_id)
    if category_id:
        qs = qs.filter(sku__product__category_id=category_id)
    fields = {"category": ("sku__product__category_id", "sku__product__category__name"), "date": ("date",)}[
        by
    ]
    return list(
        qs.values(*fields)
        .annotate(units=Sum("units"), revenue=Sum("revenue"), cost_of_goods=Sum("cost_of_goods"))
        .order_by(*fields)
    )


def order_kpi_base_direct(*, start: date, end: date, channel_id: int | None = None) -> dict:
    """The same sums as the facts give for [start, end), computed straight from the orders (for checks
    and tests): FACT_SUM_COLUMNS plus customers (distinct) and single (customers with one counted order)."""
    per_day = facts.order_metrics(span=(start, end))
    out = dict.fromkeys(FACT_SUM_COLUMNS, 0)
    for (_day, channel), values in per_day.items():
        if channel_id and channel != channel_id:
            continue
        for column in facts.ORDER_COLUMNS:
            out[column] += values[column]
    lo, hi = day_range(start, end)
    counted = counted_orders().filter(placed_at__gte=lo, placed_at__lt=hi, customer_id__isnull=False)
    if channel_id:
        counted = counted.filter(channel_id=channel_id)
    per_customer = list(counted.values("customer_id").annotate(n=Count("id")).values_list("customer_id", "n"))
    out["customers"] = len(per_customer)
    out["single"] = sum(1 for _c, n in per_customer if n == 1)
    firsts = (
        counted_orders()
        .filter(customer_id__in=[c for c, _n in per_customer])
        .values("customer_id")
        .annotate(first=Min("placed_at"))
        .filter(first__gte=lo)
    )
    out["new_customers"] = firsts.count()
    return out


def order_date_span() -> tuple[date, date] | None:
    """The shop-local dates of the first and the last order placed, or None without orders."""
    span = Order.objects.aggregate(first=Min("placed_at"), last=Max("placed_at"))
    if span["first"] is None:
        return None
    return timezone.localtime(span["first"]).date(), timezone.localtime(span["last"]).date()


def customer_export(*, customer_id: int) -> dict:
    """Everything orders holds about one customer, in clear, for a personal-data request: the customer, and
    their orders with lines, events and exceptions."""
    from shopops.common.privacy import records

    orders = Order.objects.filter(customer_id=customer_id).order_by("placed_at", "id")
    order_ids = list(orders.values_list("id", flat=True))
    return {
        "customer": records(Customer.objects.filter(pk=customer_id))[0],
        "orders": records(orders),
        "order_lines": records(OrderLine.objects.filter(order_id__in=order_ids).order_by("order_id", "id")),
        "order_events": records(OrderEvent.objects.filter(order_id__in=order_ids).order_by("order_id", "id")),
        "order_exceptions": records(
            OrderException.objects.filter(order_id__in=order_ids).order_by("order_id", "id")
        ),
    }


def customer_personal_values(*, customer_id: int) -> list[str]:
    """The customer's personal data in clear (name, phone, email, their orders' addresses): what other apps
    scrub from free text when the customer is erased."""
    customer = Customer.objects.get(pk=customer_id)
    addresses = (
        Order.objects.filter(customer_id=customer_id).exclude(address="").values_list("address", flat=True)
    )
    return [customer.name, customer.phone, customer.email, *addresses]
