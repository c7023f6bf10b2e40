"""The customer 360: what service knows of one customer (tickets, returns, compensation, feedback,
surveys) next to the orders (read through `orders.selectors`) and, when the composition root provides
it, the marketing profile (RFM segment, member tier)."""

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils.module_loading import import_string

from orders.models import Customer
from service.models import Compensation, Feedback, ReturnRequest, Survey, Ticket
from shopops.common.money import ZERO, to_money

RECENT_ROWS = 20
PROFILE_BLANK = {"segment": "", "segment_label": "", "tier": "", "tier_label": "", "rfm": "", "points": None}


def customer_marketing_profile(*, customer: Customer) -> dict | None:
    """HOOK for the composition root: service may not import marketing, so the RFM segment and member
    tier come from the callable named in settings.SERVICE_CUSTOMER_PROFILE_PROVIDER (a dotted path), called
    with the customer's id and returning plain data: {"segment", "tier"} and optionally "segment_label",
    "tier_label", "rfm", "points". None when the setting is absent or empty."""
    path = getattr(settings, "SERVICE_CUSTOMER_PROFILE_PROVIDER", "")
    if not path:
        return None
    return PROFILE_BLANK | dict(import_string(path)(customer.pk) or {})


def customer_tickets(*, customer: Customer) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(customer=customer)
        .select_related("team", "assignee")
        .order_by("-opened_at", "-id")
    )


def customer_returns(*, customer: Customer) -> QuerySet[ReturnRequest]:
    """The customer's return requests, also those recorded only against one of their orders."""
    return (
        ReturnRequest.objects.filter(Q(customer=customer) | Q(order__customer=customer))
        .select_related("order")
        .order_by("-requested_at", "-id")
    )


def customer_compensations(*, customer: Customer) -> QuerySet[Compensation]:
    """Compensation for the customer, found through the customer, their tickets or their orders."""
    return (
        Compensation.objects.filter(
            Q(customer=customer) | Q(ticket__customer=customer) | Q(order__customer=customer)
        )
        .distinct()
        .select_related("ticket", "order")
        .order_by("-created_at", "-id")
    )


def customer_feedback(*, customer: Customer) -> QuerySet[Feedback]:
    return (
        Feedback.objects.filter(Q(customer=customer) | Q(order__customer=customer))
        .select_related("channel", "sku")
        .order_by("-occurred_at", "-id")
    )


def customer_surveys(*, customer: Customer) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(customer=customer)
        .select_related("ticket", "order", "category")
        .order_by("-created_at", "-id")
    )


def customer_service_summary(*, customer: Customer) -> dict:
    """Counts for the 360's header: tickets (open), returns, compensation granted (approved, amount),
    feedback, surveys answered."""
    tickets = Ticket.objects.filter(customer=customer).aggregate(
        total=Count("id"), open=Count("id", filter=Q(status__in=Ticket.OPEN_STATUSES))
    )
    approved = customer_compensations(customer=customer).filter(status=Compensation.Status.APPROVED)
    compensation_ids = approved.values("pk")
    amount = Compensation.objects.filter(pk__in=compensation_ids).aggregate(amount=Sum("amount"))["amount"]
    return {
        "tickets": tickets["total"],
        "open_tickets": tickets["open"],
        "returns": customer_returns(customer=customer).count(),
        "compensations": approved.count(),
        "compensation_amount": to_money(amount or ZERO),
        "feedback": customer_feedback(customer=customer).count(),
        "surveys_answered": Survey.objects.filter(customer=customer, answered_at__isnull=False).count(),
    }
