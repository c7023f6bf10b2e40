"""Reads of orders for pages, APIs and other apps."""

from datetime import date

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from orders.models import Channel, Customer, Order, OrderLine
from shopops.common.dates import day_range


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
    ordering: str = "-placed_at",
) -> QuerySet[Order]:
    """Orders for the order desk, filtered. `placed_to` is inclusive (a shop-local date)."""
    qs = Order.objects.select_related("channel", "customer")
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
        qs = qs.filter(
            Q(external_id__icontains=search)
            | Q(customer__name__icontains=search)
            | Q(customer__phone__contains=search)
            | Q(customer__external_id=search)
        )
    return qs.order_by(ordering, "-id")


def order_get(*, pk: int) -> Order:
    return Order.objects.select_related("channel", "customer").get(pk=pk)


def order_lines(*, order: Order) -> QuerySet[OrderLine]:
    return order.lines.select_related("sku").order_by("id")


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
    if filters.get("status") and filters["status"] not in Order.Status.values:
        errors["status"] = [f"Unknown status '{filters['status']}'."]
    for name in ("updated_since", "placed_from", "placed_to"):
        raw = params.get(name)
        if not raw:
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
            filters[name] = value
    return filters, errors
