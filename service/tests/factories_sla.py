"""SLA test factories: tickets with a status history written straight with the ORM (not through the tickets
service), then synced with `ticket_sla_sync`."""

from datetime import datetime

from service.models import Escalation, SLAPolicy, Ticket, TicketEvent
from service.sla import SHOP_TZ
from service.tests.factories_tickets import ticket_make


def shop(*args) -> datetime:
    """An aware shop-local (Asia/Shanghai) instant: shop(2026, 10, 9, 17, 30)."""
    return datetime(*args, tzinfo=SHOP_TZ)


def status_change(ticket: Ticket, to: str, at: datetime, *, user=None) -> Ticket:
    """Move the ticket to status `to` at `at`, with its history event (and resolved_at / closed_at)."""
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.STATUS, from_value=ticket.status, to_value=to, at=at, user=user
    )
    ticket.status = to
    if to == Ticket.Status.RESOLVED:
        ticket.resolved_at = at
    elif to == Ticket.Status.CLOSED:
        ticket.closed_at = at
    elif to in Ticket.OPEN_STATUSES:
        ticket.resolved_at = None
        ticket.closed_at = None
    ticket.save(update_fields=["status", "resolved_at", "closed_at"])
    return ticket


def priority_change(ticket: Ticket, to: str, at: datetime) -> Ticket:
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.PRIORITY, from_value=ticket.priority, to_value=to, at=at
    )
    ticket.priority = to
    ticket.save(update_fields=["priority"])
    return ticket


def policy_make(**kwargs) -> SLAPolicy:
    values = {
        "name": "Test policy",
        "metric": SLAPolicy.Metric.FIRST_RESPONSE,
        "target_minutes": 60,
        "calendar": SLAPolicy.Calendar.CALENDAR,
    }
    values.update(kwargs)
    return SLAPolicy.objects.create(**values)


def escalation_make(*, ticket: Ticket | None = None, raised_at: datetime | None = None) -> Escalation:
    ticket = ticket or ticket_make(
        type=Ticket.Type.COMPLAINT,
        priority=Ticket.Priority.MAJOR,
        opened_at=raised_at or shop(2026, 11, 2, 10),
    )
    return Escalation.objects.create(
        ticket=ticket,
        reason="Major complaint: first response target breached",
        raised_at=raised_at or shop(2026, 11, 2, 11),
    )
