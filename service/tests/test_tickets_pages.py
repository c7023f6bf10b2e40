"""Ticket pages: the queue (filters, search, export), the ticket page, reply, update, open, access."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from service.models import Escalation, Ticket, TicketMessage, TicketSLA
from service.tests.factories_tickets import team_make, ticket_make

pytestmark = pytest.mark.django_db
LIST = reverse("service:ticket-list")


def _numbers(response) -> list[str]:
    html = response.content.decode()
    return [part.split('"')[0] for part in html.split('<tr data-number="')[1:]]


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_pages_open_for_the_service_roles(client_for, role):
    client = client_for(role)
    ticket = ticket_make(
        messages=[(TicketMessage.Kind.NOTE, "checking"), (TicketMessage.Kind.AUTO_REPLY, "auto")]
    )
    assert client.get(LIST).status_code == 200
    assert client.get(reverse("service:ticket-detail", args=[ticket.number])).status_code == 200
    assert client.get(reverse("service:ticket-create")).status_code == 200


@pytest.mark.parametrize("role", ["operations", "marketing", "finance", None])
def test_pages_refused_to_other_roles(client_for, role):
    client = client_for(role)
    ticket = ticket_make()
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("service:ticket-detail", args=[ticket.number])).status_code == 403
    assert client.get(reverse("service:ticket-create")).status_code == 403
    response = client.post(
        reverse("service:ticket-reply", args=[ticket.number]), {"kind": "reply", "body": "hi"}
    )
    assert response.status_code == 403
    response = client.post(reverse("service:ticket-update", args=[ticket.number]), {"status": "resolved"})
    assert response.status_code == 403
    assert ticket.messages.count() == 1


def test_writes_refused_without_change_permission(client, make_user):
    from django.contrib.auth.models import Permission

    user = make_user("service_agent", "agent-readonly")
    # An agent whose group lost the change permission: reading still works, writing does not.
    user.groups.first().permissions.remove(Permission.objects.get(codename="change_ticket"))
    client.force_login(user)
    ticket = ticket_make()
    assert client.get(reverse("service:ticket-detail", args=[ticket.number])).status_code == 200
    response = client.post(
        reverse("service:ticket-reply", args=[ticket.number]), {"kind": "reply", "body": "hi"}
    )
    assert response.status_code == 403
    assert client.get(reverse("service:ticket-create")).status_code == 403


def test_queue_defaults_to_open_tickets_soonest_due_first(client_for):
    client = client_for("service_agent")
    now = timezone.now()
    late = ticket_make(subject="late")
    soon = ticket_make(subject="soon")
    no_clock = ticket_make(subject="no clock")
    closed = ticket_make(status=Ticket.Status.CLOSED)
    for ticket, due in ((late, now - timedelta(minutes=30)), (soon, now + timedelta(hours=2))):
        TicketSLA.objects.create(
            ticket=ticket, metric="first_response", target_minutes=60, calendar="calendar", due_at=due
        )
    response = client.get(LIST)
    assert _numbers(response) == [late.number, soon.number, no_clock.number]
    html = response.content.decode()
    assert f'<tr data-number="{late.number}" class="table-danger" data-overdue="1">' in html
    assert closed.number not in html
    assert _numbers(client.get(LIST, {"overdue": "1"})) == [late.number]
    assert _numbers(client.get(LIST, {"status": "all", "sort": "opened"})) == [
        late.number,
        soon.number,
        no_clock.number,
        closed.number,
    ]


def test_queue_filters_and_search(client_for, make_user):
    client = client_for("service_agent")
    from django.contrib.auth.models import User

    agent = User.objects.get(username="user-service_agent")
    other = make_user("service_agent", "agent-other")
    team = team_make(code="returns", name="Returns")
    mine = ticket_make(assignee=agent, priority="urgent", channel="email", type="complaint")
    theirs = ticket_make(assignee=other, team=team, subject="退款还没到账")
    nobody = ticket_make(body="Where is my parcel SF1234?")
    assert _numbers(client.get(LIST, {"assignee": "mine"})) == [mine.number]
    assert _numbers(client.get(LIST, {"assignee": "none"})) == [nobody.number]
    assert _numbers(client.get(LIST, {"assignee": str(other.pk)})) == [theirs.number]
    assert _numbers(client.get(LIST, {"team": "returns"})) == [theirs.number]
    assert _numbers(client.get(LIST, {"priority": "urgent"})) == [mine.number]
    assert _numbers(client.get(LIST, {"channel": "email"})) == [mine.number]
    assert _numbers(client.get(LIST, {"type": "complaint"})) == [mine.number]
    assert _numbers(client.get(LIST, {"q": "退款"})) == [theirs.number]
    assert _numbers(client.get(LIST, {"q": "SF1234"})) == [nobody.number]
    assert _numbers(client.get(LIST, {"q": mine.number.lower()})) == [mine.number]
    assert _numbers(client.get(LIST, {"status": "bogus", "sort": "bogus"})) != []


def test_queue_export(client_for):
    client = client_for("service_agent")
    ticket = ticket_make(subject="导出", tags=["b", "a"])
    response = client.get(LIST, {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body[0].startswith("Number,Opened at,Subject")
    assert body[1].startswith(f"{ticket.number},")
    assert "导出" in body[1]
    assert '"a, b"' in body[1]
    xlsx = client.get(LIST, {"export": "xlsx"})
    assert xlsx["Content-Disposition"] == 'attachment; filename="tickets.xlsx"'


def test_detail_shows_conversation_kinds_and_links(client_for):
    client = client_for("service_agent")
    channel = ChannelFactory(code="tmall")
    customer = CustomerFactory(channel=channel, name="王芳")
    order = OrderFactory(channel=channel, customer=customer)
    ticket = ticket_make(
        customer=customer,
        order=order,
        messages=[
            (TicketMessage.Kind.AUTO_REPLY, "自动回复"),
            (TicketMessage.Kind.REPLY, "public answer"),
            (TicketMessage.Kind.NOTE, "secret note"),
        ],
    )
    other = ticket_make(customer=customer)
    response = client.get(reverse("service:ticket-detail", args=[ticket.number]))
    html = response.content.decode()
    for kind in ("customer", "auto_reply", "reply", "note"):
        assert f'data-kind="{kind}"' in html
    assert reverse("orders:order-detail", args=[order.pk]) in html
    assert 'data-testid="customer-link"' in html
    assert other.number in html
    assert 'id="reply-form"' in html
    assert 'data-testid="shortcuts"' in html
    # by numeric id too
    assert client.get(reverse("service:ticket-detail", args=[ticket.pk])).status_code == 200
    assert client.get(reverse("service:ticket-detail", args=["T-999999"])).status_code == 404


def test_reply_and_note(client_for):
    client = client_for("service_agent")
    ticket = ticket_make()
    url = reverse("service:ticket-reply", args=[ticket.number])
    response = client.post(url, {"kind": "note", "body": "call the courier"})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("new", None)
    response = client.post(
        url, {"kind": "reply", "body": "It ships today.", "then_status": "waiting_customer"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("service:ticket-detail", args=[ticket.number])
    ticket.refresh_from_db()
    assert ticket.status == "waiting_customer"
    assert ticket.first_response_at is not None
    reply = ticket.messages.get(kind="reply")
    assert (reply.author.username, reply.body) == ("user-service_agent", "It ships today.")
    response = client.post(url, {"kind": "reply", "body": ""})
    assert response.status_code == 400
    assert 'data-field-error="body"' in response.content.decode()
    assert client.get(url).status_code == 405


def test_update_status_assignment_and_tags(client_for, make_user):
    client = client_for("manager")
    agent = make_user("service_agent", "agent-zhao")
    team = team_make(code="vip", name="VIP")
    ticket = ticket_make()
    url = reverse("service:ticket-update", args=[ticket.number])
    data = {
        "status": "open",
        "priority": "major",
        "type": "complaint",
        "team": team.pk,
        "assignee": agent.pk,
        "tags": "vip, 投诉",
    }
    response = client.post(url, data)
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.priority, ticket.type, ticket.team, ticket.assignee) == (
        "open",
        "major",
        "complaint",
        team,
        agent,
    )
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["vip", "投诉"]
    Escalation.objects.create(ticket=ticket, reason="breach", raised_at=timezone.now())
    response = client.post(url, {**data, "status": "closed"})
    assert response.status_code == 400
    assert 'data-field-error="status"' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_agent_opens_a_ticket_for_a_phone_call(client_for):
    client = client_for("service_agent")
    channel = ChannelFactory(code="jd")
    order = OrderFactory(channel=channel, external_id="JD-1")
    page = client.get(reverse("service:ticket-create"), {"order": order.pk})
    assert page.status_code == 200
    assert 'value="JD-1"' in page.content.decode()
    response = client.post(
        reverse("service:ticket-create"),
        {
            "channel": "phone",
            "type": "order_issue",
            "priority": "urgent",
            "subject": "",
            "body": "打电话说收到的货有破损\n要求换货",
            "store": "jd",
            "order_ref": "JD-1",
            "tags": "破损",
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert response["Location"] == reverse("service:ticket-detail", args=[ticket.number])
    assert (ticket.subject, ticket.order, ticket.customer, ticket.source) == (
        "打电话说收到的货有破损",
        order,
        order.customer,
        "agent",
    )
    assert ticket.events.get().user.username == "user-service_agent"
    bad = client.post(
        reverse("service:ticket-create"),
        {"channel": "phone", "type": "presale", "priority": "normal", "order_ref": "X"},
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'data-field-error="subject"' in html
    assert 'data-field-error="store"' in html
    assert Ticket.objects.count() == 1


def test_detail_includes_the_sla_kb_and_compensation_panels(client_for):
    client = client_for("service_agent")
    ticket = ticket_make(body="退货运费谁出?")
    html = client.get(reverse("service:ticket-detail", args=[ticket.number])).content.decode()
    assert 'data-testid="sla-clocks"' in html
    assert 'data-testid="kb-suggestions"' in html
    assert 'data-testid="compensation-panel"' in html
