"""What customer service holds about one customer, for a personal-data request (export)."""

from django.db.models import Q

from service.models import (
    Compensation,
    Escalation,
    Feedback,
    ReturnLine,
    ReturnRequest,
    Survey,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from shopops.common.privacy import records


def _tickets(customer_id: int):
    return Ticket.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id))


def customer_export(*, customer_id: int) -> dict:
    """Tickets (the customer's, or on their orders) with messages, events and escalation reports; returns
    with lines; compensation; feedback; survey answers."""
    tickets = _tickets(customer_id).order_by("opened_at", "id")
    ticket_ids = list(tickets.values_list("id", flat=True))
    returns = ReturnRequest.objects.filter(
        Q(customer_id=customer_id) | Q(order__customer_id=customer_id)
    ).order_by("requested_at", "id")
    return {
        "tickets": records(tickets),
        "ticket_messages": records(TicketMessage.objects.filter(ticket_id__in=ticket_ids).order_by("id")),
        "ticket_events": records(TicketEvent.objects.filter(ticket_id__in=ticket_ids).order_by("id")),
        "escalations": records(Escalation.objects.filter(ticket_id__in=ticket_ids).order_by("id")),
        "returns": records(returns),
        "return_lines": records(ReturnLine.objects.filter(request__in=returns).order_by("id")),
        "compensation": records(
            Compensation.objects.filter(
                Q(customer_id=customer_id) | Q(order__customer_id=customer_id)
            ).order_by("id")
        ),
        "feedback": records(
            Feedback.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id)).order_by(
                "id"
            )
        ),
        "surveys": records(
            Survey.objects.filter(Q(customer_id=customer_id) | Q(order__customer_id=customer_id)).order_by(
                "id"
            )
        ),
    }
