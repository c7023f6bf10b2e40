"""Personal-data requests: export everything about one customer, erase (anonymise) a customer while every
order fact and KPI stays the same; admin only; recorded (PrivacyRequest and the audit trail)."""

import copy
import hashlib
import io
import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from finance.models import OrderRisk
from inventory import services as stock
from inventory.tests.factories import WarehouseFactory
from marketing.models import Membership
from orders import selectors as order_selectors
from orders.api.views import SYNC_EXAMPLE
from orders.models import Customer, CustomerDayFact, Order, OrderDayFact, OrderLine
from orders.schemas import order_parse
from orders.services import order_sync
from orders.tests.factories import ChannelFactory
from service.models import Feedback, Ticket, TicketMessage
from service.services.tickets import ticket_create, ticket_message_add
from service.tests.factories_feedback import FeedbackFactory
from shopops.common import roles
from shopops.common.audit import log_entry_model
from shopops.privacy.models import PrivacyRequest

pytestmark = pytest.mark.django_db

PHONE, EMAIL, NAME = "13912345678", "wang.fang@example.com", "王芳"
ADDRESS = "上海市浦东新区世纪大道100号8楼"
OTHER_PHONE = "15887654321"


def _order(external_id, customer, address, status="paid", updated="2026-06-18T10:25:00+08:00"):
    data = copy.deepcopy(SYNC_EXAMPLE["orders"][0])
    data.update(
        external_id=external_id, customer=customer, address=address, status=status, updated_at=updated
    )
    parsed, errors = order_parse(data)
    assert errors is None
    return parsed


@pytest.fixture
def shop():
    ChannelFactory(code="tmall", name="Tmall")
    east = WarehouseFactory(code="east", provinces_served=["上海"])
    sku = SKUFactory(code="SKU-0001", unit_cost=Decimal("50.00"))
    stock.stock_receive(sku_id=sku.pk, warehouse=east, quantity=100, reference="opening")
    wang = {"external_id": "C-WANG", "name": NAME, "phone": PHONE, "email": EMAIL, "province": "上海"}
    li = {"external_id": "C-LI", "name": "李雷", "phone": OTHER_PHONE, "province": "上海"}
    result = order_sync(
        channel_code="tmall",
        orders=[
            _order("T-1", wang, ADDRESS),
            _order("T-2", wang, ADDRESS, status="shipped"),
            _order("T-3", li, "江苏省南京市鼓楼区中山路321号"),
        ],
    )
    assert result.created == 3 and not result.rejected
    customer = Customer.objects.get(external_id="C-WANG")
    order = Order.objects.get(external_id="T-1")
    ticket = ticket_create(
        channel=Ticket.Channel.CHAT,
        type=Ticket.Type.ORDER_ISSUE,
        subject=f"{NAME} 的订单",
        body=f"我是{NAME}，电话 {PHONE}，地址 {ADDRESS}，还没发货",
        customer=customer,
        order=order,
        author_name=NAME,
    )
    ticket_message_add(
        ticket=ticket, kind=TicketMessage.Kind.NOTE, body=f"已致电 {PHONE} 与{NAME}确认，今天发货"
    )
    FeedbackFactory(customer=customer, order=order, text=f"{NAME}：发货太慢 {PHONE}", author=NAME)
    Membership.objects.create(customer=customer, points=120, birthday=date(1990, 5, 1))
    OrderRisk.objects.create(
        order=order, score=10, scored_at=timezone.now(), review_note=f"called {PHONE}, {NAME} confirmed"
    )
    return customer


def _facts():
    """Every order figure and KPI rollup: must not move when a customer is erased."""
    orders = list(
        Order.objects.order_by("id").values(
            "id",
            "customer_id",
            "status",
            "placed_at",
            "total",
            "total_shop",
            "refund_amount",
            "province",
            "city",
        )
    )
    lines = list(OrderLine.objects.order_by("id").values("order_id", "quantity", "unit_price", "discount"))
    days = list(OrderDayFact.objects.order_by("date", "channel_id").values())
    customers = list(CustomerDayFact.objects.order_by("date", "customer_id").values())
    return orders, lines, days, customers


def test_export_is_a_json_file_with_everything_about_the_customer_recorded_and_audited(shop, client_for):
    response = client_for(roles.ADMIN).get(f"/privacy/customers/{shop.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="customer-tmall_C-WANG-')
    data = json.loads(response.content)
    assert data["orders"]["customer"]["phone"] == PHONE and data["orders"]["customer"]["email"] == EMAIL
    assert sorted(o["external_id"] for o in data["orders"]["orders"]) == ["T-1", "T-2"]
    assert {o["address"] for o in data["orders"]["orders"]} == {ADDRESS}
    assert len(data["orders"]["order_lines"]) == 2
    assert len(data["service"]["tickets"]) == 1
    assert any(PHONE in m["body"] for m in data["service"]["ticket_messages"])
    assert data["service"]["feedback"][0]["text"] == f"{NAME}：发货太慢 {PHONE}"
    assert data["marketing"]["membership"][0]["birthday"] == "1990-05-01"
    assert data["finance"]["order_risks"][0]["score"] == 10
    assert "C-LI" not in response.content.decode() and OTHER_PHONE not in response.content.decode()

    request = PrivacyRequest.objects.get()
    assert (request.kind, request.customer_id, request.customer_ref) == ("export", shop.pk, "tmall:C-WANG")
    assert request.file_sha256 == hashlib.sha256(response.content).hexdigest()
    assert request.requested_by_name == "user-admin" and request.at.tzinfo is not None
    entry = log_entry_model().objects.get_for_object(shop).filter(action=3).get()
    assert entry.additional_data["file_sha256"] == request.file_sha256
    assert entry.actor.username == "user-admin"


def test_erase_anonymises_everywhere_and_keeps_every_order_figure(shop, client_for):
    before = _facts()
    kpis_before = order_selectors.customer_summary(customer=shop)
    client = client_for(roles.ADMIN)
    page = client.get(f"/privacy/customers/{shop.pk}/")
    assert page.status_code == 200 and "privacy-erase-form" in page.content.decode()
    assert client.get(f"/privacy/customers/{shop.pk}/erase/").status_code == 405  # POST only
    refused = client.post(f"/privacy/customers/{shop.pk}/erase/", {"confirm": "C-WAN"})
    assert refused.status_code == 400 and Customer.objects.get(pk=shop.pk).phone == PHONE  # the confirm step

    response = client.post(f"/privacy/customers/{shop.pk}/erase/", {"confirm": "C-WANG"})
    assert response.status_code == 302

    customer = Customer.objects.get(pk=shop.pk)
    assert (customer.name, customer.phone, customer.email) == (f"erased-{shop.pk}", "", "")
    assert (customer.name_hash, customer.phone_hash, customer.email_hash) == ("", "", "")
    assert (
        list(Order.objects.filter(customer=customer).values_list("address", "address_hash")) == [("", "")] * 2
    )
    ticket = Ticket.objects.get()
    assert NAME not in ticket.subject and "[erased]" in ticket.subject
    bodies = dict(TicketMessage.objects.values_list("kind", "body"))
    assert bodies["customer"] == "[erased]"
    assert bodies["note"] == "已致电 [erased] 与[erased]确认，今天发货"  # staff notes keep their content
    assert not TicketMessage.objects.filter(author_name=NAME).exists()
    feedback = Feedback.objects.get()
    assert (feedback.text, feedback.author, feedback.rating) == ("[erased]", f"erased-{shop.pk}", 3)
    assert Membership.objects.get(customer=customer).birthday is None
    assert Membership.objects.get(customer=customer).points == 120
    assert OrderRisk.objects.get().review_note == "called [erased], [erased] confirmed"
    # The other customer is untouched; the erased one is no longer found by their phone.
    assert Customer.objects.get(external_id="C-LI").phone == OTHER_PHONE
    assert [o.external_id for o in order_selectors.order_list(search=PHONE)] == []
    # Orders, lines, totals, statuses and the KPI rollups: identical.
    assert _facts() == before
    assert order_selectors.customer_summary(customer=customer) == kpis_before

    request = PrivacyRequest.objects.get()
    assert (request.kind, request.customer_ref, request.requested_by_name) == (
        "erase",
        "tmall:C-WANG",
        "user-admin",
    )
    assert request.counts["orders"] == {"customers": 1, "order_addresses": 2}
    entry = log_entry_model().objects.get_for_object(shop).filter(action=1).get()
    assert PHONE not in json.dumps(entry.changes, ensure_ascii=False)  # the audit keeps no personal data
    assert entry.additional_data["kind"] == "erase"


@pytest.mark.parametrize("role", sorted(set(roles.ROLES) - {roles.ADMIN}))
def test_privacy_pages_are_the_admins(shop, client_for, role):
    client = client_for(role)
    for url in ("/privacy/", f"/privacy/customers/{shop.pk}/", f"/privacy/customers/{shop.pk}/export/"):
        assert client.get(url).status_code == 403
    assert client.post(f"/privacy/customers/{shop.pk}/erase/", {"confirm": "C-WANG"}).status_code == 403
    assert Customer.objects.get(pk=shop.pk).phone == PHONE and not PrivacyRequest.objects.exists()


def test_admin_sees_the_link_on_both_customer_pages_and_the_request_list(shop, client_for):
    admin = client_for(roles.ADMIN)
    link = f'href="/privacy/customers/{shop.pk}/"'
    assert link in admin.get(f"/orders/customers/{shop.pk}/").content.decode()
    assert link in admin.get(f"/service/customers/{shop.pk}/").content.decode()
    admin.get(f"/privacy/customers/{shop.pk}/export/")
    listing = admin.get("/privacy/")
    assert listing.status_code == 200 and "tmall:C-WANG" in listing.content.decode()


def test_link_hidden_from_other_roles(shop, client_for):
    page = client_for(roles.OPERATIONS).get(f"/orders/customers/{shop.pk}/").content.decode()
    assert "/privacy/" not in page


def test_commands(shop, tmp_path):
    target = tmp_path / "export.json"
    call_command("customer_export", str(shop.pk), "--output", str(target), stderr=io.StringIO())
    content = target.read_bytes()
    assert json.loads(content)["orders"]["customer"]["phone"] == PHONE
    assert PrivacyRequest.objects.get().file_sha256 == hashlib.sha256(content).hexdigest()
    with pytest.raises(CommandError):
        call_command("customer_erase", str(shop.pk))
    assert Customer.objects.get(pk=shop.pk).phone == PHONE
    out = io.StringIO()
    call_command("customer_erase", str(shop.pk), "--yes", stdout=out)
    assert "Customer tmall:C-WANG erased" in out.getvalue()
    assert Customer.objects.get(pk=shop.pk).phone == ""
    with pytest.raises(CommandError):
        call_command("customer_erase", "999999", "--yes")
