"""Reads of returns and refunds: the list, one request, the refund-time KPI, returns by reason.

Periods are shop-local dates, half-open: [start, end).

Refund time (the 2-day target, `ServiceSettings.refund_target_days`): the clock starts when the shop
could refund, not when the customer asked, since transit time is not the shop's. That is the moment the
goods were received, or, for a refund-only request (refunded without the goods coming back), the
moment it was approved. It stops at the refund. A refund counts in the period it was paid.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet, Sum

from service.models import ReturnLine, ReturnRequest, ServiceSettings
from shopops.common.dates import day_range

HOURS = Decimal("0.01")
SHARE = Decimal("0.0001")


def return_list(filters: Mapping | None = None) -> QuerySet[ReturnRequest]:
    """Requests, newest first. Filters (all optional): status, reason, channel (code), q (return number,
    order external id or customer external id), start / end (shop-local dates of the request, [start, end)),
    customer (id)."""
    filters = filters or {}
    qs = ReturnRequest.objects.select_related("order__channel", "customer", "warehouse", "ticket")
    if filters.get("status"):
        qs = qs.filter(status=filters["status"])
    if filters.get("reason"):
        qs = qs.filter(reason=filters["reason"])
    if filters.get("channel"):
        qs = qs.filter(order__channel__code=filters["channel"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    search = (filters.get("q") or "").strip()
    if search:
        qs = qs.filter(
            Q(number__iexact=search) | Q(order__external_id=search) | Q(customer__external_id=search)
        )
    start, end = filters.get("start"), filters.get("end")
    if start:
        qs = qs.filter(requested_at__gte=day_range(start, start)[0])
    if end:
        qs = qs.filter(requested_at__lt=day_range(end, end)[0])
    return qs.annotate(units=Sum("lines__quantity")).order_by("-requested_at", "-id")


def return_get(number: str) -> ReturnRequest:
    """One request by its number (ReturnRequest.DoesNotExist if none)."""
    return ReturnRequest.objects.select_related(
        "order__channel", "customer", "warehouse", "ticket", "decided_by", "refunded_by"
    ).get(number=number)


def return_lines(*, request: ReturnRequest) -> QuerySet[ReturnLine]:
    return request.lines.select_related("sku", "order_line").order_by("id")


def customer_returns(*, customer) -> QuerySet[ReturnRequest]:
    return return_list({"customer": customer.pk})


def refund_clock_start(request: ReturnRequest):
    """When the refund clock of a request starts: receipt of the goods, else approval (refund-only)."""
    return request.received_at or request.decided_at or request.requested_at


def refund_time_kpi(*, start: date, end: date) -> dict:
    """Refunds paid in [start, end): count, average and median hours (2 places) from receipt (or approval
    for refund-only) to refund, how many within the target and their share (4 places)."""
    target_days = ServiceSettings.load().refund_target_days
    lo, hi = day_range(start, end)
    hours = []
    for request in ReturnRequest.objects.filter(refunded_at__gte=lo, refunded_at__lt=hi).only(
        "requested_at", "decided_at", "received_at", "refunded_at"
    ):
        seconds = Decimal((request.refunded_at - refund_clock_start(request)).total_seconds())
        hours.append(max(seconds, Decimal(0)) / 3600)
    target_hours = Decimal(target_days * 24)
    within = sum(1 for h in hours if h <= target_hours)
    count = len(hours)
    return {
        "count": count,
        "average_hours": (sum(hours) / count).quantize(HOURS, rounding=ROUND_HALF_UP) if count else None,
        "median_hours": statistics.median(hours).quantize(HOURS, rounding=ROUND_HALF_UP) if count else None,
        "within_target": within,
        "within_target_share": (Decimal(within) / count).quantize(SHARE, rounding=ROUND_HALF_UP)
        if count
        else None,
        "target_days": target_days,
        "target_hours": target_hours,
    }


def returns_by_reason(*, start: date, end: date) -> list[dict]:
    """Requests made in [start, end) per reason (rejected and cancelled ones included, counted apart):
    requests, units, rejected_or_cancelled, refunded (amount), most requests first."""
    lo, hi = day_range(start, end)
    labels = dict(ReturnRequest.Reason.choices)
    requests = (
        ReturnRequest.objects.filter(requested_at__gte=lo, requested_at__lt=hi)
        .values("reason")
        .annotate(
            requests=Count("id"),
            closed=Count(
                "id",
                filter=Q(status__in=[ReturnRequest.Status.REJECTED, ReturnRequest.Status.CANCELLED]),
            ),
            refunded=Sum("refund_amount"),
        )
    )
    units = dict(
        ReturnLine.objects.filter(request__requested_at__gte=lo, request__requested_at__lt=hi)
        .values("request__reason")
        .annotate(units=Sum("quantity"))
        .values_list("request__reason", "units")
    )
    rows = [
        {
            "reason": row["reason"],
            "label": labels.get(row["reason"], row["reason"]),
            "requests": row["requests"],
            "units": units.get(row["reason"], 0) or 0,
            "rejected_or_cancelled": row["closed"],
            "refunded": row["refunded"] or Decimal("0.00"),
        }
        for row in requests
    ]
    return sorted(rows, key=lambda r: (-r["requests"], r["reason"]))
