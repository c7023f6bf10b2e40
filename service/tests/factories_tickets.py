"""Ticket rows for tests, written straight with the ORM: no SLA clocks, no NLP, no auto-reply, so that a
test gets exactly the rows it sets up."""

import uuid
from datetime import timedelta
from itertools import count

from django.utils import timezone

from service.models import Tag, Team, Ticket, TicketEvent, TicketMessage

_seq = count(1)


def team_make(*, code: str = "", name: str = "", members=()) -> Team:
    n = next(_seq)
    team, _created = Team.objects.get_or_create(
        code=code or f"team-{n}", defaults={"name": name or f"Team {n}"}
    )
    if members:
        team.members.add(*members)
    return team


def ticket_make(**kwargs) -> Ticket:
    """A ticket (number T-000123 from its pk) with a `created` event and, unless `body=""`, its first
    customer message at `opened_at`. Any Ticket field may be given; extra keys:

    - `body` (default "我的订单还没有发货"): the first customer message;
    - `messages`: a list of (kind, body) or (kind, body, minutes after opened_at) added after it;
    - `tags`: tag names.
    """
    body = kwargs.pop("body", "我的订单还没有发货")
    messages = kwargs.pop("messages", ())
    tags = kwargs.pop("tags", ())
    n = next(_seq)
    opened_at = kwargs.pop("opened_at", None) or timezone.now()
    values = {
        "subject": f"Test ticket {n}",
        "channel": Ticket.Channel.CHAT,
        "type": Ticket.Type.PRESALE,
        "priority": Ticket.Priority.NORMAL,
        "status": Ticket.Status.NEW,
        "opened_at": opened_at,
    }
    values.update(kwargs)
    ticket = Ticket.objects.create(number=f"tmp-{uuid.uuid4().hex[:16]}", **values)
    ticket.number = f"T-{ticket.pk:06d}"
    Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
    TicketEvent.objects.create(
        ticket=ticket, kind=TicketEvent.Kind.CREATED, to_value=ticket.status, at=opened_at
    )
    if body:
        TicketMessage.objects.create(
            ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body=body, created_at=opened_at
        )
    for index, message in enumerate(messages, start=1):
        kind, text, *minutes = message
        at = opened_at + timedelta(minutes=minutes[0] if minutes else index)
        TicketMessage.objects.create(ticket=ticket, kind=kind, body=text, created_at=at)
    if tags:
        ticket.tags.set([Tag.objects.get_or_create(name=name)[0] for name in tags])
    return ticket
