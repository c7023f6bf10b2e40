"""Ticket rows for tests, written straight with the ORM: no SLA clocks, no NLP, no auto-reply, so that every
helper's tests can use them whatever the other services do."""

import uuid
from datetime import timedelta
from itertools import count

import pytest
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


def _is_stub(function) -> bool:
    import inspect

    return inspect.getsource(function).rstrip().endswith("raise NotImplementedError")


@pytest.fixture
def tickets_stubs(monkeypatch):
    """Stand-ins for the other helpers' functions the ticket services call, applied only while those are
    still the lead's NotImplementedError stubs: no clocks, no auto-reply, no CSAT survey."""
    from decimal import Decimal

    from service import nlp
    from service.services import knowledge, sla, surveys

    if _is_stub(nlp.language_of):
        monkeypatch.setattr(
            nlp, "language_of", lambda text: "zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en"
        )
    if _is_stub(nlp.sentiment):
        monkeypatch.setattr(nlp, "sentiment", lambda text: Decimal("0.0000"))
    if _is_stub(sla.ticket_sla_sync):
        monkeypatch.setattr(sla, "ticket_sla_sync", lambda *, ticket, now=None: [])
    if _is_stub(knowledge.kb_autoreply):
        monkeypatch.setattr(knowledge, "kb_autoreply", lambda *, ticket, message: None)
    if _is_stub(surveys.csat_survey_create):
        monkeypatch.setattr(surveys, "csat_survey_create", lambda *, ticket, at=None: None)
