"""The tickets API: POST /api/v1/tickets, POST /api/v1/tickets/{number}/messages, GET list and detail."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from service.models import Ticket, TicketMessage, TicketSLA
from service.services import knowledge
from service.tests.factories_tickets import team_make, ticket_make
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets"
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
TICKET_KEYS = {
    "number",
    "status",
    "priority",
    "channel",
    "type",
    "subject",
    "source",
    "external_id",
    "customer",
    "order",
    "sku",
    "assignee",
    "team",
    "tags",
    "language",
    "sentiment",
    "opened_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "sla",
    "auto_replied",
    "auto_reply",
    "handed_over",
}


@pytest.fixture(autouse=True)
def _clear_throttles():
    cache.clear()


def key_for(*scopes):
    _, key = ApiClient.objects.create_key(name="connector", scopes=list(scopes))
    return f"Api-Key {key}"


def post(client, url, body, auth):
    raw = body if isinstance(body, str) else json.dumps(body)
    return client.post(url, raw, content_type="application/json", HTTP_AUTHORIZATION=auth)


BODY = {
    "channel": "marketplace",
    "type": "order_issue",
    "subject": "包裹没到",
    "body": "三天了还没收到",
    "external_id": "conv-1",
    "opened_at": "2026-11-20T10:00:00+08:00",
}


def test_create_201_with_the_documented_shape(client):
    channel = ChannelFactory(code="tmall")
    customer = CustomerFactory(channel=channel, external_id="tb_1")
    order = OrderFactory(channel=channel, external_id="O-1", customer=customer)
    SKUFactory(code="SKU-0001")
    body = {
        **BODY,
        "customer": {"channel": "tmall", "external_id": "tb_1"},
        "order": {"channel": "tmall", "external_id": "O-1"},
        "sku": "SKU-0001",
        "priority": "urgent",
        "tags": ["delivery"],
        "attachments": [
            {"name": "photo.jpg", "size": 1200, "content_type": "image/jpeg", "url": "https://x/p.jpg"}
        ],
    }
    response = post(client, URL, body, key_for("service:write"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == TICKET_KEYS
    ticket = Ticket.objects.get()
    assert data["number"] == ticket.number == f"T-{ticket.pk:06d}"
    assert (data["status"], data["priority"], data["channel"], data["type"], data["source"]) == (
        "new",
        "urgent",
        "marketplace",
        "order_issue",
        "api",
    )
    assert data["customer"] == {"channel": "tmall", "external_id": "tb_1"}
    assert data["order"] == {"channel": "tmall", "external_id": "O-1"}
    assert (data["sku"], data["tags"], data["language"]) == ("SKU-0001", ["delivery"], "zh")
    assert data["opened_at"] == "2026-11-20T02:00:00+00:00"
    assert (data["first_response_at"], data["auto_reply"], data["handed_over"]) == (None, None, False)
    assert ticket.order == order
    assert ticket.sales_channel == channel
    # the default policies (migration 0002): urgent -> first response in 4 h; resolution in 24 h
    assert data["sla"] == [
        {
            "metric": "first_response",
            "state": "running",
            "target_minutes": 240,
            "due_at": "2026-11-20T06:00:00+00:00",
            "breached": False,
        },
        {
            "metric": "resolution",
            "state": "running",
            "target_minutes": 1440,
            "due_at": "2026-11-21T02:00:00+00:00",
            "breached": False,
        },
    ]
    message = ticket.messages.get()
    assert message.attachments == [
        {"name": "photo.jpg", "size": 1200, "content_type": "image/jpeg", "url": "https://x/p.jpg"}
    ]


def test_create_shows_sla_clocks():
    client_ticket = ticket_make(opened_at=T0)
    TicketSLA.objects.create(
        ticket=client_ticket,
        metric="first_response",
        target_minutes=1440,
        calendar="calendar",
        due_at=T0 + timedelta(days=1),
    )
    from service.api.tickets import _ticket_json

    assert _ticket_json(client_ticket.pk)["sla"] == [
        {
            "metric": "first_response",
            "state": "running",
            "target_minutes": 1440,
            "due_at": "2026-11-21T02:00:00+00:00",
            "breached": False,
        }
    ]


def test_repeated_external_id_answers_200_with_the_same_ticket(client):
    auth = key_for("service:write")
    first = post(client, URL, BODY, auth)
    again = post(client, URL, {**BODY, "body": "changed"}, auth)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Ticket.objects.count() == 1


def test_chat_ticket_with_auto_reply(client, monkeypatch):
    def autoreply(*, ticket, message):
        return TicketMessage.objects.create(
            ticket=ticket, kind="auto_reply", body="支持七天无理由退货", created_at=message.created_at
        )

    monkeypatch.setattr(knowledge, "kb_autoreply", autoreply)
    response = post(
        client, URL, {"channel": "chat", "type": "presale", "body": "可以退货吗"}, key_for("service:write")
    )
    assert response.status_code == 201
    data = response.json()
    assert (data["subject"], data["status"], data["auto_reply"]) == (
        "可以退货吗",
        "open",
        "支持七天无理由退货",
    )
    assert data["first_response_at"] == data["opened_at"]


def test_unknown_customer_is_not_linked_but_store_is(client):
    ChannelFactory(code="tmall")
    response = post(
        client,
        URL,
        {**BODY, "customer": {"channel": "tmall", "external_id": "new"}},
        key_for("service:write"),
    )
    assert response.status_code == 201
    assert response.json()["customer"] is None
    assert Ticket.objects.get().sales_channel.code == "tmall"


def test_create_400_field_errors_and_nothing_written(client):
    ChannelFactory(code="tmall")
    auth = key_for("service:write")
    response = post(client, URL, {"channel": "fax", "type": "presale"}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"channel"}
    response = post(client, URL, {"channel": "chat", "type": "presale"}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"subject"}
    response = post(
        client,
        URL,
        {
            **BODY,
            "order": {"channel": "tmall", "external_id": "nope"},
            "sku": "NOPE",
            "customer": {"channel": "x"},
        },
        auth,
    )
    assert response.status_code == 400
    assert set(response.json()) == {"customer"}  # shape errors first
    response = post(
        client, URL, {**BODY, "order": {"channel": "tmall", "external_id": "nope"}, "sku": "NOPE"}, auth
    )
    assert response.status_code == 400
    assert response.json() == {"order": ["Unknown order nope on tmall."], "sku": ["Unknown SKU NOPE."]}
    response = post(client, URL, {**BODY, "attachments": [{"size": 1}]}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"attachments"}
    response = post(client, URL, "[1, 2]", auth)
    assert response.status_code == 400
    assert Ticket.objects.count() == 0


def test_scopes(client):
    assert post(client, URL, BODY, key_for("service:read")).status_code == 403
    assert post(client, URL, BODY, key_for("orders:write")).status_code == 403
    assert client.get(URL, HTTP_AUTHORIZATION=key_for("orders:read")).status_code == 403
    assert client.get(URL).status_code == 401
    assert post(client, URL, BODY, "").status_code == 401
    ticket = ticket_make()
    assert (
        post(client, f"{URL}/{ticket.number}/messages", {"body": "x"}, key_for("service:read")).status_code
        == 403
    )
    assert (
        client.get(f"{URL}/{ticket.number}", HTTP_AUTHORIZATION=key_for("service:write")).status_code == 200
    )


def test_message_201_by_number_and_by_id(client):
    auth = key_for("service:write")
    ticket = ticket_make(opened_at=T0, status=Ticket.Status.WAITING_CUSTOMER)
    response = post(
        client,
        f"{URL}/{ticket.number}/messages",
        {
            "body": "地址是上海市徐汇区",
            "author_name": "王芳",
            "external_id": "m-1",
            "created_at": "2026-11-20T12:00:00+08:00",
        },
        auth,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"message", "ticket", "auto_reply"}
    assert set(data["message"]) == {
        "id",
        "kind",
        "body",
        "author_name",
        "external_id",
        "attachments",
        "sentiment",
        "created_at",
    }
    assert (data["message"]["kind"], data["message"]["author_name"], data["message"]["created_at"]) == (
        "customer",
        "王芳",
        "2026-11-20T04:00:00+00:00",
    )
    assert data["ticket"] == {"number": ticket.number, "status": "open", "handed_over": False}
    assert data["auto_reply"] is None
    again = post(
        client, f"{URL}/{ticket.pk}/messages", {"body": "地址是上海市徐汇区", "external_id": "m-1"}, auth
    )
    assert again.status_code == 200
    assert again.json()["message"]["id"] == data["message"]["id"]
    reply = post(client, f"{URL}/{ticket.pk}/messages", {"body": "已改地址", "kind": "reply"}, auth)
    assert reply.status_code == 201
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None
    assert ticket.messages.count() == 3


def test_message_400_and_404(client):
    auth = key_for("service:write")
    ticket = ticket_make()
    response = post(client, f"{URL}/{ticket.number}/messages", {"body": "", "kind": "note"}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"kind"}
    response = post(client, f"{URL}/{ticket.number}/messages", {"body": "  "}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"body"}
    assert post(client, f"{URL}/T-999999/messages", {"body": "x"}, auth).status_code == 404
    assert post(client, f"{URL}/999999/messages", {"body": "x"}, auth).status_code == 404
    Ticket.objects.filter(pk=ticket.pk).update(status=Ticket.Status.CLOSED)
    response = post(client, f"{URL}/{ticket.number}/messages", {"body": "hello?"}, auth)
    assert response.status_code == 400
    assert set(response.json()) == {"body"}


def test_message_on_chat_returns_auto_reply(client, monkeypatch):
    def autoreply(*, ticket, message):
        return TicketMessage.objects.create(
            ticket=ticket, kind="auto_reply", body="7天", created_at=message.created_at
        )

    monkeypatch.setattr(knowledge, "kb_autoreply", autoreply)
    ticket = ticket_make(channel="chat", body="")
    response = post(
        client, f"{URL}/{ticket.number}/messages", {"body": "退货期限?"}, key_for("service:write")
    )
    assert response.status_code == 201
    data = response.json()
    assert data["auto_reply"]["body"] == "7天"
    assert data["ticket"]["status"] == "open"


def test_get_detail_and_list_with_filters(client):
    auth = key_for("service:read")
    team = team_make(code="vip")
    a = ticket_make(priority="major", team=team, tags=["b", "a"])
    b = ticket_make(status=Ticket.Status.CLOSED, subject="退款问题")
    response = client.get(f"{URL}/{a.number.lower()}", HTTP_AUTHORIZATION=auth)
    assert response.status_code == 200
    data = response.json()
    assert set(data) == TICKET_KEYS
    assert (data["number"], data["team"], data["tags"], data["priority"]) == (
        a.number,
        "vip",
        ["a", "b"],
        "major",
    )
    assert client.get(f"{URL}/T-999999", HTTP_AUTHORIZATION=auth).status_code == 404
    listing = client.get(URL, HTTP_AUTHORIZATION=auth).json()
    assert set(listing) == {"next", "previous", "results"}
    assert [t["number"] for t in listing["results"]] == [a.number, b.number]
    assert [
        t["number"] for t in client.get(f"{URL}?status=active", HTTP_AUTHORIZATION=auth).json()["results"]
    ] == [a.number]
    assert [t["number"] for t in client.get(f"{URL}?q=退款", HTTP_AUTHORIZATION=auth).json()["results"]] == [
        b.number
    ]
    assert [
        t["number"] for t in client.get(f"{URL}?team=vip", HTTP_AUTHORIZATION=auth).json()["results"]
    ] == [a.number]
    page = client.get(f"{URL}?page_size=1", HTTP_AUTHORIZATION=auth).json()
    assert len(page["results"]) == 1
    assert page["next"]
    bad = client.get(f"{URL}?status=done&priority=low", HTTP_AUTHORIZATION=auth)
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "priority"}
