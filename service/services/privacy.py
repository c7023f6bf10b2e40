"""Customer service's part of erasing a customer (a personal-data request; shopops.privacy runs every app's
part in one transaction). Free text that is the customer's own words is replaced; text written by staff
keeps its content with the customer's personal data (name, phone, email, addresses) scrubbed out. Tickets,
returns, compensation, feedback ratings and survey scores stay (the service KPIs and the costs do not
move)."""

from django.db import transaction
from django.db.models import Q

from service.models import Compensation, Escalation, Feedback, ReturnRequest, Survey, Ticket, TicketMessage
from shopops.common.privacy import ERASED, erased_name, scrub


@transaction.atomic
def customer_personal_erase(*, customer_id: int, personal_values: list[str]) -> dict:
    """`personal_values`: the customer's data in clear before it was erased (orders reads them)."""
    mine = Q(customer_id=customer_id) | Q(order__customer_id=customer_id)
    placeholder = erased_name(customer_id)
    values = [v for v in personal_values if v]
    counts = {}

    tickets = list(Ticket.objects.filter(mine).select_for_update(of=("self",)))
    for ticket in tickets:
        ticket.subject = scrub(ticket.subject, values)[:200]
    Ticket.objects.bulk_update(tickets, ["subject"], batch_size=500)
    counts["tickets"] = len(tickets)

    messages = list(TicketMessage.objects.filter(ticket__in=tickets))
    for message in messages:
        if message.kind == TicketMessage.Kind.CUSTOMER:
            message.body = ERASED
            message.author_name = placeholder
            message.attachments = []
        else:
            message.body = scrub(message.body, values)
            if message.author_name in values:
                message.author_name = placeholder
    TicketMessage.objects.bulk_update(messages, ["body", "author_name", "attachments"], batch_size=500)
    counts["ticket_messages"] = len(messages)

    escalations = list(Escalation.objects.filter(ticket__in=tickets))
    for escalation in escalations:
        escalation.cause = scrub(escalation.cause, values)
        escalation.actions = scrub(escalation.actions, values)
        escalation.prevention = scrub(escalation.prevention, values)
    Escalation.objects.bulk_update(escalations, ["cause", "actions", "prevention"], batch_size=500)

    returns = list(ReturnRequest.objects.filter(mine))
    for request in returns:
        request.note = scrub(request.note, values)
    ReturnRequest.objects.bulk_update(returns, ["note"], batch_size=500)
    counts["returns"] = len(returns)

    compensations = list(Compensation.objects.filter(mine))
    for compensation in compensations:
        compensation.note = scrub(compensation.note, values)
    Compensation.objects.bulk_update(compensations, ["note"], batch_size=500)
    counts["compensation"] = len(compensations)

    # Reviews and survey comments are the customer's words: gone; ratings, sentiment and scores stay.
    counts["feedback"] = Feedback.objects.filter(mine).update(text=ERASED, author=placeholder)
    counts["surveys"] = Survey.objects.filter(mine).exclude(comment="").update(comment="")
    return counts
