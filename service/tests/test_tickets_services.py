"""Ticket services: numbering, the status machine, first response, reopening, escalations, idempotency."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from orders.tests.factories import CustomerFactory, OrderFactory
from service.models import Escalation, Tag, Ticket, TicketEvent, TicketMessage
from service.services import knowledge, sla, surveys
from service.services.tickets import ticket_create, ticket_message_add, ticket_update
from service.tests.factories_tickets import team_make, ticket_make

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
S = Ticket.Status
K = TicketMessage.Kind


def _events(ticket):
    return list(ticket.events.order_by("id").values_list("kind", "from_value", "to_value"))


def _open(**kwargs):
    values = {
        "channel": "email",
        "type": "order_issue",
        "subject": "Where is my parcel?",
        "body": "Still waiting.",
    }
    values.update(kwargs)
    values.setdefault("opened_at", T0)
    return ticket_create(**values)


# --- create -----------------------------------------------------------------------------------------------
def test_create_numbers_from_pk_and_records_first_message():
    ticket = _open(tags=["delivery", "delivery ", "vip"], attachments=[{"name": "photo.jpg", "size": 2048}])
    ticket.refresh_from_db()
    assert ticket.number == f"T-{ticket.pk:06d}"
    assert ticket.status == S.NEW
    assert ticket.opened_at == T0
    assert ticket.language == "en"
    assert _events(ticket) == [("created", "", "new")]
    message = ticket.messages.get()
    assert (message.kind, message.body, message.created_at) == (K.CUSTOMER, "Still waiting.", T0)
    assert message.attachments == [{"name": "photo.jpg", "size": 2048, "content_type": "", "url": ""}]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["delivery", "vip"]
    second = _open()
    assert second.number == f"T-{second.pk:06d}"
    assert second.number != ticket.number


def test_create_chinese_ticket_language_and_subject_from_body():
    ticket = _open(subject="", body="快递三天没动了\n请帮我查一下")
    assert ticket.subject == "快递三天没动了"
    assert ticket.language == "zh"


def test_create_links_order_customer_and_channel():
    order = OrderFactory()
    ticket = _open(order=order)
    assert ticket.customer == order.customer
    assert ticket.sales_channel == order.channel


def test_create_with_assignee_records_assign_event(make_user):
    agent = make_user("service_agent", "agent-li")
    ticket = _open(assignee=agent, team=team_make(code="pre"))
    assert _events(ticket) == [("created", "", "new"), ("assign", "", "agent-li")]


def test_create_validates_fields():
    with pytest.raises(ValidationError) as caught:
        ticket_create(channel="fax", type="nope", subject="", priority="low")
    assert sorted(caught.value.message_dict) == ["channel", "priority", "subject", "type"]
    assert Ticket.objects.count() == 0


def test_create_refuses_order_of_another_customer():
    with pytest.raises(ValidationError) as caught:
        _open(order=OrderFactory(), customer=CustomerFactory())
    assert list(caught.value.message_dict) == ["order"]


def test_create_refuses_bad_attachments_and_naive_time():
    with pytest.raises(ValidationError) as caught:
        _open(attachments=[{"size": 3}])
    assert list(caught.value.message_dict) == ["attachments"]
    with pytest.raises(ValidationError) as caught:
        _open(opened_at=datetime(2026, 11, 20, 10, 0))
    assert list(caught.value.message_dict) == ["opened_at"]


def test_create_external_id_is_idempotent_per_channel():
    first = _open(channel="chat", external_id="conv-1", body="你好")
    again = _open(channel="chat", external_id="conv-1", body="another text", subject="other")
    assert again.pk == first.pk
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1
    other_channel = _open(channel="marketplace", external_id="conv-1")
    assert other_channel.pk != first.pk


# --- messages and the status machine ------------------------------------------------------------------------
def test_first_public_reply_opens_ticket_and_sets_first_response(make_user):
    agent = make_user("service_agent", "agent-wang")
    ticket = _open()
    ticket_message_add(
        ticket=ticket,
        kind=K.NOTE,
        body="checking with the courier",
        author=agent,
        at=T0 + timedelta(minutes=3),
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    assert ticket.status == S.NEW
    reply = ticket_message_add(
        ticket=ticket, kind=K.REPLY, body="It ships today.", author=agent, at=T0 + timedelta(minutes=7)
    )
    assert reply.author_name == "agent-wang"
    ticket_message_add(
        ticket=ticket, kind=K.REPLY, body="Tracking: SF123", author=agent, at=T0 + timedelta(minutes=9)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == T0 + timedelta(minutes=7)
    assert ticket.status == S.OPEN
    assert _events(ticket) == [("created", "", "new"), ("status", "new", "open")]
    assert ticket.events.get(kind="status").at == T0 + timedelta(minutes=7)


def test_customer_message_reopens_waiting_ticket():
    ticket = _open()
    ticket_message_add(ticket=ticket, kind=K.REPLY, body="Which address?", at=T0 + timedelta(minutes=5))
    ticket_update(ticket=ticket, status=S.WAITING_CUSTOMER, at=T0 + timedelta(minutes=6))
    ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="Shanghai", at=T0 + timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.status == S.OPEN
    assert _events(ticket)[-2:] == [
        ("status", "open", "waiting_customer"),
        ("status", "waiting_customer", "open"),
    ]


def test_customer_message_reopens_resolved_but_not_third_party():
    ticket = _open()
    ticket_update(ticket=ticket, status=S.RESOLVED, at=T0 + timedelta(hours=1))
    assert ticket.resolved_at == T0 + timedelta(hours=1)
    ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="Still broken", at=T0 + timedelta(hours=3))
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolved_at) == (S.OPEN, None)
    ticket_update(ticket=ticket, status=S.WAITING_THIRD_PARTY, at=T0 + timedelta(hours=4))
    ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="Any news?", at=T0 + timedelta(hours=5))
    ticket.refresh_from_db()
    assert ticket.status == S.WAITING_THIRD_PARTY


def test_message_external_id_is_idempotent_and_closed_ticket_refuses():
    ticket = _open()
    first = ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="hello", external_id="m-1", at=T0)
    again = ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="hello again", external_id="m-1", at=T0)
    assert again.pk == first.pk
    assert ticket.messages.count() == 2
    ticket_update(ticket=ticket, status=S.CLOSED, at=T0 + timedelta(hours=1))
    with pytest.raises(ValidationError) as caught:
        ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="hello?")
    assert list(caught.value.message_dict) == ["body"]
    ticket_message_add(ticket=ticket, kind=K.NOTE, body="customer wrote again on a closed ticket")


def test_message_validation():
    ticket = _open()
    with pytest.raises(ValidationError) as caught:
        ticket_message_add(ticket=ticket, kind="shout", body="  ")
    assert sorted(caught.value.message_dict) == ["body", "kind"]


def test_resolve_and_close_set_times_and_closed_is_final(django_capture_on_commit_callbacks, monkeypatch):
    asked = []
    monkeypatch.setattr(surveys, "csat_survey_create", lambda *, ticket, at=None: asked.append(ticket.pk))
    ticket = _open()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, status=S.RESOLVED, at=T0 + timedelta(hours=2))
    assert asked == [ticket.pk]
    ticket_update(ticket=ticket, status=S.CLOSED, at=T0 + timedelta(hours=5))
    ticket.refresh_from_db()
    assert (ticket.resolved_at, ticket.closed_at) == (T0 + timedelta(hours=2), T0 + timedelta(hours=5))
    with pytest.raises(ValidationError) as caught:
        ticket_update(ticket=ticket, status=S.OPEN)
    assert list(caught.value.message_dict) == ["status"]
    with pytest.raises(ValidationError):
        ticket_update(ticket=ticket, status=S.NEW)


def test_close_without_resolving_sets_both_times():
    ticket = _open()
    ticket_update(ticket=ticket, status=S.CLOSED, at=T0 + timedelta(minutes=30))
    ticket.refresh_from_db()
    assert ticket.resolved_at == ticket.closed_at == T0 + timedelta(minutes=30)


def test_close_refused_while_escalation_report_pending(make_user):
    ticket = _open(type="complaint", priority="major")
    escalation = Escalation.objects.create(ticket=ticket, reason="first response breached", raised_at=T0)
    with pytest.raises(ValidationError) as caught:
        ticket_update(ticket=ticket, status=S.CLOSED)
    assert list(caught.value.message_dict) == ["status"]
    ticket.refresh_from_db()
    assert ticket.status == S.NEW
    ticket_update(ticket=ticket, status=S.RESOLVED)  # resolving is fine, only closing waits for the report
    escalation.filed_at = T0 + timedelta(days=1)
    escalation.filed_by = make_user("manager", "boss")
    escalation.save()
    ticket_update(ticket=ticket, status=S.CLOSED)
    assert ticket.status == S.CLOSED


def test_update_records_each_change(make_user):
    agent = make_user("service_agent", "agent-a")
    lead = make_user("manager", "lead-b")
    team = team_make(code="after-sales", name="After-sales")
    ticket = _open()
    ticket_update(
        ticket=ticket,
        user=lead,
        priority="urgent",
        type="complaint",
        assignee=agent,
        team=team,
        tags=["refund", "late"],
        at=T0 + timedelta(minutes=10),
    )
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.type, ticket.assignee, ticket.team) == (
        "urgent",
        "complaint",
        agent,
        team,
    )
    assert _events(ticket) == [
        ("created", "", "new"),
        ("priority", "normal", "urgent"),
        ("type", "order_issue", "complaint"),
        ("assign", "", "agent-a"),
        ("assign", "", "team:after-sales"),
    ]
    assert set(ticket.events.exclude(kind="created").values_list("user__username", flat=True)) == {"lead-b"}
    assert sorted(Tag.objects.values_list("name", flat=True)) == ["late", "refund"]
    ticket_update(ticket=ticket, assignee=None, priority="urgent", tags=["late"])
    assert _events(ticket)[-1] == ("assign", "agent-a", "")
    assert list(ticket.tags.values_list("name", flat=True)) == ["late"]
    assert TicketEvent.objects.filter(ticket=ticket).count() == 6


def test_update_validates_choices():
    ticket = _open()
    with pytest.raises(ValidationError) as caught:
        ticket_update(ticket=ticket, status="done", priority="low", type="x")
    assert sorted(caught.value.message_dict) == ["priority", "status", "type"]


# --- calls into the other services ------------------------------------------------------------------------
def test_every_write_syncs_sla_clocks(monkeypatch):
    synced = []
    monkeypatch.setattr(sla, "ticket_sla_sync", lambda *, ticket, now=None: synced.append(now) or [])
    ticket = _open()
    ticket_message_add(ticket=ticket, kind=K.REPLY, body="ok", at=T0 + timedelta(minutes=1))
    ticket_update(ticket=ticket, status=S.WAITING_CUSTOMER, at=T0 + timedelta(minutes=2))
    assert synced == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_chat_customer_messages_go_to_autoreply(monkeypatch):
    seen = []

    def autoreply(*, ticket, message):
        seen.append((ticket.channel, message.body))
        return TicketMessage.objects.create(
            ticket=ticket, kind=K.AUTO_REPLY, body="7 days", created_at=message.created_at
        )

    monkeypatch.setattr(knowledge, "kb_autoreply", autoreply)
    chat = _open(channel="chat", body="退货多久?")
    chat.refresh_from_db()
    assert chat.first_response_at == T0
    assert chat.status == S.OPEN
    ticket_message_add(ticket=chat, kind=K.CUSTOMER, body="谢谢", at=T0 + timedelta(minutes=1))
    _open(channel="email", body="return window?")
    assert seen == [("chat", "退货多久?"), ("chat", "谢谢")]


def test_factory_ticket_make():
    ticket = ticket_make(messages=[(K.REPLY, "hi", 5)], tags=["x"], priority="major")
    assert ticket.number == f"T-{ticket.pk:06d}"
    assert Ticket.objects.get(number=ticket.number).priority == "major"
    assert list(ticket.messages.values_list("kind", flat=True)) == ["customer", "reply"]


def test_resolving_asks_for_csat_once(django_capture_on_commit_callbacks):
    from service.models import Survey

    ticket = _open()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, status=S.RESOLVED, at=T0 + timedelta(hours=1))
    ticket_message_add(ticket=ticket, kind=K.CUSTOMER, body="not fixed", at=T0 + timedelta(hours=2))
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(ticket=ticket, status=S.RESOLVED, at=T0 + timedelta(hours=3))
    survey = Survey.objects.get(ticket=ticket)
    assert (survey.kind, survey.created_at) == ("csat", T0 + timedelta(hours=1))


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_open_one_ticket():
    """Two connector retries at once with the same conversation id: one ticket (real Postgres only)."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("a race needs a real database server")
    results, barrier = [], threading.Barrier(2)

    def open_one():
        try:
            barrier.wait()
            results.append(_open(channel="marketplace", external_id="race-1").pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_one) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2
    assert results[0] == results[1]
    assert Ticket.objects.filter(external_id="race-1").count() == 1
