"""Ticket reads: the agents' queue, one ticket, queue counts by team and agent, a customer's tickets and the
first-response / resolution times of a period.

Periods are shop-local dates [start, end): `end` is excluded; a ticket counts in the period it was opened in.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.utils import timezone

from service.models import Ticket, TicketMessage, TicketSLA
from shopops.common import pii
from shopops.common.dates import day_range

ACTIVE = "active"  # the status filter meaning "any open status" (the queue's default)
UNASSIGNED = "none"  # the assignee filter meaning "nobody"
SORTS = {
    "due": (F("sla_due").asc(nulls_last=True), "-opened_at"),
    "-due": (F("sla_due").desc(nulls_last=True), "-opened_at"),
    "opened": ("opened_at", "id"),
    "-opened": ("-opened_at", "-id"),
    "priority": ("priority_rank", F("sla_due").asc(nulls_last=True)),
    "-priority": ("-priority_rank", F("sla_due").asc(nulls_last=True)),
    "updated": ("updated_at", "id"),
    "-updated": ("-updated_at", "-id"),
    "number": ("id",),
    "-number": ("-id",),
}
DEFAULT_SORT = "due"
_PRIORITY_RANK = {Ticket.Priority.NORMAL: 0, Ticket.Priority.URGENT: 1, Ticket.Priority.MAJOR: 2}
_ONE = Decimal("0.1")


def _with_due(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """`sla_due`: the earliest due time of the ticket's running clocks (None when none runs)."""
    due = (
        TicketSLA.objects.filter(ticket=OuterRef("pk"), state=TicketSLA.State.RUNNING, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    rank = Case(
        *(When(priority=code, then=Value(value)) for code, value in _PRIORITY_RANK.items()),
        default=Value(0),
        output_field=IntegerField(),
    )
    return queryset.annotate(sla_due=Subquery(due), priority_rank=rank)


def ticket_list(
    *,
    status: str = "",
    assignee=None,
    team=None,
    priority: str = "",
    type: str = "",
    channel: str = "",
    q: str = "",
    mine_user=None,
    overdue_only: bool = False,
    sort: str = "",
    now=None,
) -> QuerySet[Ticket]:
    """Tickets for the queue and the API, each with `sla_due` (earliest running clock) and `is_overdue`.

    `status`: a status code, "active" (any open status) or "" (all). `assignee`: a user, a user pk, or
    "none" (unassigned). `team`: a Team, its pk or its code. `q`: part of the number, subject, conversation
    id, customer (name, id at the store), order id, or of any message. `mine_user`: only that user's tickets.
    `overdue_only`: a running clock past due. `sort`: a key of SORTS (default: SLA due first).
    """
    now = now or timezone.now()
    tickets = _with_due(
        Ticket.objects.select_related(
            "customer", "order", "order__channel", "assignee", "team", "sales_channel"
        )
    )
    if status == ACTIVE:
        tickets = tickets.filter(status__in=Ticket.OPEN_STATUSES)
    elif status:
        tickets = tickets.filter(status=status)
    if assignee == UNASSIGNED:
        tickets = tickets.filter(assignee__isnull=True)
    elif assignee not in (None, ""):
        tickets = tickets.filter(assignee=getattr(assignee, "pk", assignee))
    if mine_user is not None:
        tickets = tickets.filter(assignee=mine_user)
    if team not in (None, ""):
        if hasattr(team, "pk"):
            tickets = tickets.filter(team=team)
        elif str(team).isdigit():
            tickets = tickets.filter(team_id=int(team))
        else:
            tickets = tickets.filter(team__code=team)
    if priority:
        tickets = tickets.filter(priority=priority)
    if type:
        tickets = tickets.filter(type=type)
    if channel:
        tickets = tickets.filter(channel=channel)
    q = (q or "").strip()
    if q:
        in_messages = TicketMessage.objects.filter(ticket=OuterRef("pk"), body__icontains=q)
        tickets = tickets.filter(
            Q(number__icontains=q)
            | Q(subject__icontains=q)
            | Q(external_id=q)
            | (pii.hash_match(q, prefix="customer__") or Q(pk__in=[]))
            | Q(customer__external_id=q)
            | Q(order__external_id=q)
            | Exists(in_messages)
        )
    tickets = tickets.annotate(is_overdue=ExpressionWrapper(Q(sla_due__lt=now), output_field=BooleanField()))
    if overdue_only:
        tickets = tickets.filter(sla_due__lt=now)
    return tickets.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def ticket_get(*, number) -> Ticket | None:
    """A ticket by number (T-000123, case-insensitive) or by its numeric id; None when unknown."""
    value = str(number).strip()
    tickets = Ticket.objects.select_related(
        "customer", "customer__channel", "order", "order__channel", "sku", "assignee", "team", "sales_channel"
    )
    if value.isdigit():
        return tickets.filter(pk=int(value)).first()
    return tickets.filter(number=value.upper()).first()


def ticket_messages(*, ticket: Ticket) -> QuerySet[TicketMessage]:
    """The conversation, oldest first."""
    return ticket.messages.select_related("author", "article").order_by("created_at", "id")


def ticket_events(*, ticket: Ticket):
    return ticket.events.select_related("user").order_by("at", "id")


def ticket_last_customer_message(*, ticket: Ticket) -> TicketMessage | None:
    return ticket.messages.filter(kind=TicketMessage.Kind.CUSTOMER).order_by("-created_at", "-id").first()


def ticket_external_get(*, channel: str, external_id: str) -> Ticket | None:
    """The ticket a connector opened with this conversation id on this channel."""
    if not external_id:
        return None
    return Ticket.objects.filter(channel=channel, external_id=external_id).first()


def ticket_status_counts(*, user=None) -> dict[str, int]:
    """Open tickets by status (all, or one agent's), for the queue's tabs."""
    tickets = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    if user is not None:
        tickets = tickets.filter(assignee=user)
    counts = dict(tickets.values_list("status").annotate(n=Count("id")).order_by())
    return {status: counts.get(status, 0) for status in Ticket.OPEN_STATUSES}


def _status_counts_by(field: str, label_fields: tuple[str, ...]) -> list[dict]:
    aggregates = {status: Count("id", filter=Q(status=status)) for status in Ticket.OPEN_STATUSES}
    rows = (
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
        .values(field, *label_fields)
        .annotate(total=Count("id"), **aggregates)
        .order_by("-total", *label_fields)
    )
    return [dict(row) for row in rows]


def ticket_queue_counts() -> dict:
    """Open tickets by team and by agent, each row with the count per open status and `total`:

    `{"by_team": [{"team_id", "team__code", "team__name", "new", "open", "waiting_customer",
    "waiting_third_party", "total"}], "by_agent": [{"assignee_id", "assignee__username", ...}],
    "totals": {status: n, ..., "total": n}}`. Tickets without a team / an assignee form a row with a None id.
    """
    by_team = _status_counts_by("team_id", ("team__code", "team__name"))
    by_agent = _status_counts_by(
        "assignee_id", ("assignee__username", "assignee__first_name", "assignee__last_name")
    )
    totals = {status: sum(row[status] for row in by_team) for status in Ticket.OPEN_STATUSES}
    totals["total"] = sum(totals.values())
    return {"by_team": by_team, "by_agent": by_agent, "totals": totals}


def customer_tickets(*, customer) -> QuerySet[Ticket]:
    """A customer's tickets, newest first, with `sla_due`."""
    return _with_due(
        Ticket.objects.filter(customer=customer).select_related("assignee", "team", "order")
    ).order_by("-opened_at", "-id")


@dataclass(frozen=True)
class ResponseTimes:
    """Minutes (one decimal) over the tickets opened in the period; None where no ticket qualifies."""

    tickets: int
    responded: int
    resolved: int
    first_response_median: Decimal | None
    first_response_average: Decimal | None
    resolution_median: Decimal | None
    resolution_average: Decimal | None


def _minutes(values: list[float]) -> tuple[Decimal | None, Decimal | None]:
    if not values:
        return None, None
    med = Decimal(str(median(values))).quantize(_ONE, rounding=ROUND_HALF_UP)
    avg = (Decimal(str(sum(values))) / len(values)).quantize(_ONE, rounding=ROUND_HALF_UP)
    return med, avg


def _instant(value) -> datetime:
    if isinstance(value, datetime):
        return value
    return day_range(value, value)[0]


def ticket_response_times(*, start: date | datetime, end: date | datetime) -> ResponseTimes:
    """Median and average first-response and resolution minutes of the tickets opened in [start, end)
    (shop-local dates, or aware instants). First response: opened → first public reply or auto-reply.
    Resolution: opened → resolved (reopened tickets count once resolved again)."""
    rows = list(
        Ticket.objects.filter(opened_at__gte=_instant(start), opened_at__lt=_instant(end)).values_list(
            "opened_at", "first_response_at", "resolved_at"
        )
    )
    first = [(r - o).total_seconds() / 60 for o, r, _res in rows if r is not None]
    resolution = [(res - o).total_seconds() / 60 for o, _r, res in rows if res is not None]
    first_med, first_avg = _minutes(first)
    res_med, res_avg = _minutes(resolution)
    return ResponseTimes(
        tickets=len(rows),
        responded=len(first),
        resolved=len(resolution),
        first_response_median=first_med,
        first_response_average=first_avg,
        resolution_median=res_med,
        resolution_average=res_avg,
    )


# ---------------------------------------------------------------------------------------------
# Lookups of the references a connector sends (by the store's ids and the SKU code)
# ---------------------------------------------------------------------------------------------
def sales_channel_by_code(*, code: str):
    from orders.models import Channel

    return Channel.objects.filter(code=code).first()


def customer_by_external(*, channel: str, external_id: str):
    from orders.models import Customer

    return (
        Customer.objects.select_related("channel")
        .filter(channel__code=channel, external_id=external_id)
        .first()
    )


def order_by_external(*, channel: str, external_id: str):
    from orders.models import Order

    return (
        Order.objects.select_related("channel", "customer")
        .filter(channel__code=channel, external_id=external_id)
        .first()
    )


def sku_by_code(*, code: str):
    from catalog.models import SKU

    return SKU.objects.filter(code=code).first()
