"""Customer reads: the order facts RFM and membership are built from, segments, win-back and birthday
lists, membership tiers and the points ledger.

The order queries are read-only aggregates over orders' models (orders.selectors has no per-customer
aggregate): counted orders are those of `orders.selectors.counted_orders()` (not pending, not cancelled).
A customer's spend is the orders' shop-currency totals net of refunds (the refund converted at the order's
rate and rounded to the cent per order), as in `orders.selectors.customer_summary`.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import (
    Case,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Round, TruncDate
from django.utils import timezone

from catalog.models import MemberTier
from marketing import membership, rfm
from marketing.models import CustomerRFM, MarketingSettings, Membership, MembershipTierRule, PointsEntry
from orders import selectors as order_selectors
from orders.models import Customer, Order
from shopops.common import pii
from shopops.common.dates import day_range, day_start
from shopops.common.money import ZERO, to_money

NET_SPEND = ExpressionWrapper(
    F("total_shop") - Round(F("refund_amount") * F("exchange_rate"), 2),
    output_field=DecimalField(max_digits=20, decimal_places=2),
)


class OrderFacts(NamedTuple):
    customer_id: int
    last_day: date  # shop-local date of the last counted order, any age
    orders: int  # counted orders placed in the window
    spend: Decimal  # their totals net of refunds, shop currency, to the cent


def customer_order_facts(*, business_date: date, window_days: int) -> list[OrderFacts]:
    """Per customer with a counted order placed up to the end of `business_date` (shop time), one query:
    OrderFacts (tuples: light enough for every customer of the shop at once), orders and spend counted
    over the `window_days` days ending on `business_date`. Orders placed after the date are ignored, so a
    past date can be rebuilt."""
    end = day_start(business_date + timedelta(days=1))
    start = day_start(business_date - timedelta(days=window_days - 1))
    in_window = Q(placed_at__gte=start)
    rows = (
        order_selectors.counted_orders()
        .filter(customer__isnull=False, placed_at__lt=end)
        .values("customer_id")
        .annotate(
            last_day=Max(TruncDate("placed_at", tzinfo=timezone.get_current_timezone())),
            orders=Count("id", filter=in_window),
            spend=Sum(NET_SPEND, filter=in_window),
        )
        .values_list("customer_id", "last_day", "orders", "spend")
        .order_by("customer_id")
    )
    return [
        OrderFacts(customer_id, last_day, orders, to_money(spend or ZERO))
        for customer_id, last_day, orders, spend in rows.iterator(chunk_size=5000)
    ]


def customers_with_counted_orders(*, business_date: date) -> QuerySet[Order]:
    """Counted orders placed up to the end of `business_date`: for Exists() subqueries by customer."""
    end = day_start(business_date + timedelta(days=1))
    return order_selectors.counted_orders().filter(placed_at__lt=end)


def orders_delivered(*, start: date, end: date) -> list[dict]:
    """Orders delivered on the shop-local days [start, end] and still delivered (not returned or refunded
    since), with a customer and no points earned yet:
    [{"id", "customer_id", "total_shop", "delivered_on"}]."""
    lo, hi = day_range(start, end + timedelta(days=1))
    earned = PointsEntry.objects.filter(order=OuterRef("pk"), kind=PointsEntry.Kind.EARN)
    rows = (
        Order.objects.filter(
            status=Order.Status.DELIVERED,
            delivered_at__gte=lo,
            delivered_at__lt=hi,
            customer__isnull=False,
        )
        .filter(~Exists(earned))
        .annotate(delivered_on=TruncDate("delivered_at", tzinfo=timezone.get_current_timezone()))
        .values("id", "customer_id", "total_shop", "delivered_on")
        .order_by("delivered_at", "id")
    )
    return list(rows)


def orders_closed_with_points(*, start: date, end: date) -> list[dict]:
    """Orders returned or refunded on the shop-local days [start, end] whose earn entry still holds points
    and that were not clawed back yet: [{"id", "status", "total_shop", "refund_shop"}] (refund in the shop
    currency, to the cent)."""
    lo, hi = day_range(start, end + timedelta(days=1))
    unused = PointsEntry.objects.filter(order=OuterRef("pk"), kind=PointsEntry.Kind.EARN, remaining__gt=0)
    clawed = PointsEntry.objects.filter(order=OuterRef("pk"), kind=PointsEntry.Kind.ADJUST)
    rows = (
        Order.objects.filter(
            status__in=[Order.Status.RETURNED, Order.Status.REFUNDED], closed_at__gte=lo, closed_at__lt=hi
        )
        .filter(Exists(unused), ~Exists(clawed))
        .annotate(
            refund_shop=ExpressionWrapper(
                Round(F("refund_amount") * F("exchange_rate"), 2),
                output_field=DecimalField(max_digits=20, decimal_places=2),
            )
        )
        .values("id", "status", "total_shop", "refund_shop")
        .order_by("id")
    )
    return list(rows)


# -- segments ---------------------------------------------------------------------------------------------


def segment_summary() -> dict:
    """The last RFM build: {"computed_on", "customers", "value", "segments": [{"segment", "customers",
    "share", "value", "recency_days", "frequency", "monetary" (averages)}] in rfm.SEGMENTS order (every
    segment present), "grid": rows R = 5..1 of cells {"r", "f", "segment", "customers", "value"}}. Two
    aggregate queries."""
    qs = CustomerRFM.objects.all()
    per_segment = {
        row["segment"]: row
        for row in qs.values("segment").annotate(
            n=Count("id"),
            value=Sum("monetary"),
            recency=Sum("recency_days"),
            orders=Sum("frequency"),
        )
    }
    cells = {
        (row["r"], row["f"]): row
        for row in qs.values("r", "f").annotate(n=Count("id"), value=Sum("monetary"))
    }
    total = sum(row["n"] for row in per_segment.values())
    total_value = to_money(sum((row["value"] or ZERO for row in per_segment.values()), start=ZERO))
    segments = []
    for code in rfm.SEGMENTS:
        row = per_segment.get(code)
        n = row["n"] if row else 0
        value = to_money(row["value"] or ZERO) if row else ZERO
        segments.append(
            {
                "segment": code,
                "customers": n,
                "share": (Decimal(n) / total).quantize(Decimal("0.0001")) if total else None,
                "value": value,
                "recency_days": (Decimal(row["recency"]) / n).quantize(Decimal("0.1")) if n else None,
                "frequency": (Decimal(row["orders"]) / n).quantize(Decimal("0.01")) if n else None,
                "monetary": to_money(value / n) if n else None,
            }
        )
    grid = []
    for r in reversed(rfm.SCORES):
        grid.append(
            [
                {
                    "r": r,
                    "f": f,
                    "segment": rfm.segment_for(r, f),
                    "customers": cells[(r, f)]["n"] if (r, f) in cells else 0,
                    "value": to_money(cells[(r, f)]["value"] or ZERO) if (r, f) in cells else ZERO,
                }
                for f in rfm.SCORES
            ]
        )
    computed_on = qs.aggregate(day=Max("computed_on"))["day"]
    return {
        "computed_on": computed_on,
        "customers": total,
        "value": total_value,
        "segments": segments,
        "grid": grid,
    }


def segment_customer_list(*, segment: str = "", search: str = "", r: int | None = None, f: int | None = None):
    """Scored customers (of a segment, or of an R×F cell), most valuable first, with their channel and
    membership (one query per page)."""
    qs = CustomerRFM.objects.select_related("customer__channel", "customer__membership")
    if segment:
        qs = qs.filter(segment=segment)
    if r:
        qs = qs.filter(r=r)
    if f:
        qs = qs.filter(f=f)
    if search:
        # Names and phones are encrypted: they match exactly, through their hashes.
        match = Q(customer__external_id__icontains=search)
        personal = pii.hash_match(search, prefix="customer__", kinds=("name", "phone"))
        qs = qs.filter(match | personal if personal is not None else match)
    return qs.order_by("-monetary", "customer_id")


# -- win-back and birthdays -------------------------------------------------------------------------------


def winback_list(*, winback_days: int | None = None, treatment: str = "", channel: str = ""):
    """Customers silent for more than `winback_days` (MarketingSettings.winback_days) as of the last RFM
    build, each with its `treatment` (rfm.winback_treatment: one-to-one for frequent buyers F ≥ 3 and
    high value M ≥ 4, batch for the others): one-to-one first, then the most valuable first."""
    if winback_days is None:
        winback_days = MarketingSettings.current().winback_days
    one_to_one = Q(f__gte=rfm.HIGH_VALUE_F) | Q(m__gte=rfm.HIGH_VALUE_M)
    qs = (
        CustomerRFM.objects.filter(recency_days__gt=winback_days)
        .select_related("customer__channel", "customer__membership")
        .annotate(
            treatment=Case(When(one_to_one, then=Value(rfm.ONE_TO_ONE)), default=Value(rfm.BATCH)),
            treatment_rank=Case(When(one_to_one, then=Value(0)), default=Value(1)),
        )
    )
    if treatment == rfm.ONE_TO_ONE:
        qs = qs.filter(one_to_one)
    elif treatment == rfm.BATCH:
        qs = qs.exclude(one_to_one)
    if channel:
        qs = qs.filter(customer__channel__code=channel)
    return qs.order_by("treatment_rank", "-monetary", "customer_id")


def winback_counts(*, winback_days: int | None = None) -> dict[str, int]:
    """How many silent customers get each treatment: {"one_to_one": n, "batch": n}."""
    if winback_days is None:
        winback_days = MarketingSettings.current().winback_days
    one_to_one = Q(f__gte=rfm.HIGH_VALUE_F) | Q(m__gte=rfm.HIGH_VALUE_M)
    facts = CustomerRFM.objects.filter(recency_days__gt=winback_days).aggregate(
        one=Count("id", filter=one_to_one), all=Count("id")
    )
    return {rfm.ONE_TO_ONE: facts["one"], rfm.BATCH: facts["all"] - facts["one"]}


BIRTHDAY_DAYS = 30


def birthday_list(*, today: date, days: int = BIRTHDAY_DAYS, tier: str = ""):
    """Members whose birthday falls in the `days` days from `today` (today included; 29 February counts as
    28 February in other years), soonest first, each with `days_until`."""
    wanted = membership.birthday_days(today, days)
    condition = Q()
    for month, day, _offset in wanted:
        condition |= Q(birthday__month=month, birthday__day=day)
    until = Case(
        *(
            When(birthday__month=month, birthday__day=day, then=Value(offset))
            for month, day, offset in wanted
        ),
        output_field=IntegerField(),
    )
    qs = (
        Membership.objects.filter(birthday__isnull=False)
        .filter(condition)
        .select_related("customer__channel")
        .annotate(days_until=until)
    )
    if tier:
        qs = qs.filter(tier=tier)
    return qs.order_by("days_until", "customer_id")


# -- membership and points --------------------------------------------------------------------------------


def tier_rules() -> list[membership.TierRule]:
    """The tier table as plain rules, lowest first."""
    return [
        membership.TierRule(r.code, r.name, r.rank, r.min_spend, r.min_orders, r.points_multiplier)
        for r in MembershipTierRule.objects.order_by("rank")
    ]


def membership_tier_summary() -> list[dict]:
    """Per tier, lowest first: the rule and how many members hold it, with their points outstanding; plus
    members whose tier is no longer in the table (code "")."""
    counts = {
        row["tier"]: row
        for row in Membership.objects.values("tier").annotate(n=Count("id"), points=Sum("points")).order_by()
    }
    rows = []
    for rule in MembershipTierRule.objects.order_by("rank"):
        row = counts.pop(rule.code, None)
        rows.append(
            {"rule": rule, "members": row["n"] if row else 0, "points": (row["points"] or 0) if row else 0}
        )
    rest = sum(row["n"] for row in counts.values())
    if rest:
        rows.append(
            {"rule": None, "members": rest, "points": sum(row["points"] or 0 for row in counts.values())}
        )
    return rows


FIND_LIMIT = 20


def customer_find(*, query: str) -> list[Customer]:
    """Up to FIND_LIMIT customers whose external id starts with `query` or whose phone is `query` (the
    whole number: phones are encrypted and found through their hash), with their channel and membership
    (to open their points page)."""
    query = query.strip()
    if len(query) < 3:
        return []
    match = Q(external_id__istartswith=query)
    by_phone = pii.hash_match(query, kinds=("phone",))
    return list(
        Customer.objects.filter(match | by_phone if by_phone is not None else match)
        .select_related("channel", "membership")
        .order_by("external_id", "id")[:FIND_LIMIT]
    )


def customer_get(*, customer_id: int) -> Customer:
    return Customer.objects.select_related("channel").get(pk=customer_id)


def customer_membership(*, customer_id: int) -> Membership | None:
    return Membership.objects.filter(customer_id=customer_id).first()


def points_ledger(*, customer_id: int) -> QuerySet[PointsEntry]:
    """The customer's points entries, newest first, with their order."""
    return (
        PointsEntry.objects.filter(customer_id=customer_id)
        .select_related("order")
        .order_by("-created_at", "-id")
    )


def points_available(*, customer_id: int, today: date) -> int:
    """Points that can be redeemed today: unused points of earn entries not past their expiry (entries the
    nightly has not expired yet are left out too)."""
    total = PointsEntry.objects.filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=today),
        customer_id=customer_id,
        kind=PointsEntry.Kind.EARN,
        remaining__gt=0,
    ).aggregate(n=Sum("remaining"))["n"]
    return total or 0


def points_expiring(*, customer_id: int, today: date, days: int = 30) -> int:
    """Unused points that expire in the `days` days from today."""
    total = PointsEntry.objects.filter(
        customer_id=customer_id,
        kind=PointsEntry.Kind.EARN,
        remaining__gt=0,
        expires_on__gte=today,
        expires_on__lt=today + timedelta(days=days),
    ).aggregate(n=Sum("remaining"))["n"]
    return total or 0


def customer_marketing_profile(customer_id: int) -> dict:
    """A customer's segment and tier for other areas' pages (the service customer 360 reads it through
    `settings.SERVICE_CUSTOMER_PROFILE_PROVIDER`: service may not import marketing). Plain data:
    {"segment", "segment_label", "rfm": "R4 F3 M5" or "", "tier", "tier_label", "points"}; blanks when the
    nightly jobs have not scored the customer yet."""
    rfm = CustomerRFM.objects.filter(customer_id=customer_id).first()
    membership = Membership.objects.filter(customer_id=customer_id).first()
    tier = membership.tier if membership else ""
    return {
        "segment": rfm.segment if rfm else "",
        "segment_label": str(rfm.get_segment_display()) if rfm else "",
        "rfm": f"R{rfm.r} F{rfm.f} M{rfm.m}" if rfm else "",
        "tier": tier,
        "tier_label": str(dict(MemberTier.choices).get(tier, tier)) if tier else "",
        "points": membership.points if membership else 0,
    }
