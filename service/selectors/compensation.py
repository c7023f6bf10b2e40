"""Reads of compensation: the log, the standard and limits, costs for finance, the ticket panel.

Periods are shop-local dates, half-open: [start, end). A compensation counts on the day it was approved
(`decided_at`), since that is when it became a cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum

from service.models import Compensation, CompensationLimit, CompensationRule
from shopops.common.dates import day_range


def compensation_list(filters: Mapping | None = None) -> QuerySet[Compensation]:
    """Compensations, newest first. Filters (all optional): status, problem, remedy, ticket (number),
    order (id), customer (id), start / end (shop-local dates of creation, [start, end))."""
    filters = filters or {}
    qs = Compensation.objects.select_related(
        "ticket", "order__channel", "sku", "customer", "requested_by", "decided_by"
    )
    for name in ("status", "problem", "remedy", "severity"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    if filters.get("ticket"):
        qs = qs.filter(ticket__number=filters["ticket"])
    if filters.get("order"):
        qs = qs.filter(order_id=filters["order"])
    if filters.get("customer"):
        qs = qs.filter(customer_id=filters["customer"])
    start, end = filters.get("start"), filters.get("end")
    if start:
        qs = qs.filter(created_at__gte=day_range(start, start)[0])
    if end:
        qs = qs.filter(created_at__lt=day_range(end, end)[0])
    return qs.order_by("-created_at", "-id")


def compensation_pending() -> QuerySet[Compensation]:
    return compensation_list({"status": Compensation.Status.PENDING}).order_by("created_at", "id")


def compensation_get(*, pk: int) -> Compensation:
    return compensation_list().get(pk=pk)


def compensation_standard() -> QuerySet[CompensationRule]:
    """Every rule (inactive ones too), by problem and severity (minor, moderate, severe)."""
    return CompensationRule.objects.all().order_by("problem", "severity")


def compensation_standard_table() -> list[CompensationRule]:
    """Active rules, ordered by problem then severity in their natural order."""
    order = {"minor": 0, "moderate": 1, "severe": 2}
    rules = CompensationRule.objects.filter(active=True)
    return sorted(rules, key=lambda r: (r.problem, order.get(r.severity, 9)))


def compensation_limits() -> QuerySet[CompensationLimit]:
    return CompensationLimit.objects.all().order_by("max_amount", "role")


def _approved_in(start: date, end: date) -> QuerySet[Compensation]:
    lo, hi = day_range(start, end)
    return Compensation.objects.filter(
        status=Compensation.Status.APPROVED, decided_at__gte=lo, decided_at__lt=hi
    )


def compensation_costs(*, start: date, end: date) -> list[dict]:
    """Approved compensations decided in [start, end), one record each, for finance: id, decided_at,
    amount, remedy, problem, severity, ticket (number or ""), order_id, order (channel:external id),
    sku_id, sku (code), customer_id, coupon_code."""
    rows = (
        _approved_in(start, end)
        .order_by("decided_at", "id")
        .values(
            "id",
            "decided_at",
            "amount",
            "remedy",
            "problem",
            "severity",
            "ticket__number",
            "order_id",
            "order__channel__code",
            "order__external_id",
            "sku_id",
            "sku__code",
            "customer_id",
            "coupon_code",
        )
    )
    return [
        {
            "id": r["id"],
            "decided_at": r["decided_at"],
            "amount": r["amount"],
            "remedy": r["remedy"],
            "problem": r["problem"],
            "severity": r["severity"],
            "ticket": r["ticket__number"] or "",
            "order_id": r["order_id"],
            "order": f"{r['order__channel__code']}:{r['order__external_id']}" if r["order_id"] else "",
            "sku_id": r["sku_id"],
            "sku": r["sku__code"] or "",
            "customer_id": r["customer_id"],
            "coupon_code": r["coupon_code"],
        }
        for r in rows
    ]


def compensation_totals(*, start: date, end: date) -> dict:
    """Approved compensations decided in [start, end): `by_problem` and `by_remedy` (lists of dicts with
    the key, count and amount, largest amount first) and the `total` count and amount."""
    qs = _approved_in(start, end)

    def grouped(name: str) -> list[dict]:
        rows = qs.values(name).annotate(count=Count("id"), amount=Sum("amount"))
        return sorted(
            ({name: r[name], "count": r["count"], "amount": r["amount"]} for r in rows),
            key=lambda r: (-r["amount"], r[name]),
        )

    total = qs.aggregate(count=Count("id"), amount=Sum("amount"))
    return {
        "by_problem": grouped("problem"),
        "by_remedy": grouped("remedy"),
        "total": {"count": total["count"], "amount": total["amount"] or Decimal("0.00")},
    }


def ticket_compensation_panel(*, ticket) -> dict:
    """Context of `service/compensation/_ticket_panel.html`: the ticket, its compensations, and the
    standard (`rules`: the ticket's problem rows first when its type hints at one; the whole active table
    otherwise), which is the same for every user."""
    compensations = list(
        Compensation.objects.filter(ticket=ticket)
        .select_related("sku", "requested_by", "decided_by")
        .order_by("-created_at", "-id")
    )
    rules = compensation_standard_table()
    used = {c.problem for c in compensations}
    if used:
        rules = [r for r in rules if r.problem in used] + [r for r in rules if r.problem not in used]
    return {
        "ticket": ticket,
        "compensations": compensations,
        "rules": rules,
        "pending_count": sum(1 for c in compensations if c.status == Compensation.Status.PENDING),
        "approved_amount": sum(
            (c.amount for c in compensations if c.status == Compensation.Status.APPROVED), Decimal("0.00")
        ),
    }


def compensation_customer(*, customer) -> QuerySet[Compensation]:
    return compensation_list({"customer": customer.pk})


def compensation_counts() -> dict[str, int]:
    return dict(
        Compensation.objects.values("status")
        .annotate(n=Count("id"))
        .filter(~Q(status=""))
        .values_list("status", "n")
    )
