"""The risk queue and review pages: who opens them, the tabs and export, release and cancel with a note."""

from decimal import Decimal

import pytest
from django.urls import reverse

from finance.models import OrderRisk
from finance.tests.factories_risk import CustomerFactory, OrderRiskFactory, SKUFactory, risk_order
from orders import services as order_services
from orders.models import Order

pytestmark = pytest.mark.django_db


@pytest.fixture
def held():
    customer = CustomerFactory(name="王芳", phone="13812345678")
    order = risk_order(
        customer=customer,
        payment_method="cod",
        total=Decimal("1200.00"),
        address="上海市浦东新区XX路1号",
        lines=[(SKUFactory(), 1)],
    )
    order_services.order_hold(order_id=order.pk, reason="Risk score 70")
    return OrderRiskFactory(order=order, score=70)


def urls(risk):
    return [
        reverse("finance:risk-queue"),
        reverse("finance:risk-queue") + "?tab=all",
        reverse("finance:risk-detail", args=[risk.pk]),
    ]


@pytest.mark.parametrize("role", ["finance", "manager", "admin"])
def test_pages_open_for_finance_roles(client_for, held, role):
    client = client_for(role)
    for url in urls(held):
        response = client.get(url)
        assert response.status_code == 200, url


def test_pages_are_forbidden_to_service_agents(client_for, held):
    client = client_for("service_agent")
    for url in [*urls(held), reverse("finance:risk-order", args=[held.order_id])]:
        assert client.get(url).status_code == 403
    assert (
        client.post(reverse("finance:risk-release", args=[held.pk]), {"release-note": "x"}).status_code == 403
    )


def test_manager_reads_but_every_post_is_403(client_for, held):
    client = client_for("manager")
    html = client.get(reverse("finance:risk-detail", args=[held.pk])).content.decode()
    assert 'data-testid="release-form"' not in html
    assert (
        client.post(reverse("finance:risk-release", args=[held.pk]), {"release-note": "ok"}).status_code
        == 403
    )
    assert (
        client.post(reverse("finance:risk-cancel", args=[held.pk]), {"cancel-note": "ok"}).status_code == 403
    )
    held.refresh_from_db()
    assert held.status == OrderRisk.Status.HELD


def test_queue_lists_held_orders_with_masked_personal_data(client_for, held):
    client = client_for("finance")
    html = client.get(reverse("finance:risk-queue")).content.decode()
    assert f'data-pk="{held.pk}"' in html
    assert reverse("orders:order-detail", args=[held.order_id]) in html
    assert "138****5678" in html and "13812345678" not in html
    assert "王*" in html
    assert 'data-testid="cod-bad-debt"' in html
    released = client.get(reverse("finance:risk-queue") + "?tab=released").content.decode()
    assert f'data-pk="{held.pk}"' not in released


def test_queue_exports_csv_and_xlsx(client_for, held):
    client = client_for("finance")
    response = client.get(reverse("finance:risk-queue") + "?tab=held&export=csv")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    header, row = body.strip().splitlines()[:2]
    assert header.startswith("Order,Placed at,Channel,Amount,Payment method")
    assert f"{held.order.channel.code}:{held.order.external_id}" in row and ",1200.00,cod," in row
    xlsx = client.get(reverse("finance:risk-queue") + "?export=xlsx")
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_release_needs_a_note_then_lifts_the_hold(client_for, held):
    client = client_for("finance")
    url = reverse("finance:risk-release", args=[held.pk])
    response = client.post(url, {"release-note": "  "})
    assert response.status_code == 400
    assert 'data-field-error="note"' in response.content.decode()
    assert client.get(url).status_code == 405
    response = client.post(url, {"release-note": "Called the customer: genuine."})
    assert response.status_code == 302
    held.refresh_from_db()
    assert (held.status, held.review_note, held.reviewed_by.username) == (
        "released",
        "Called the customer: genuine.",
        "user-finance",
    )
    assert Order.objects.get(pk=held.order_id).held_at is None
    # a second review is refused with a message, not a crash
    assert client.post(url, {"release-note": "again"}).status_code == 400


def test_cancel_cancels_the_order(client_for, held):
    response = client_for("finance").post(
        reverse("finance:risk-cancel", args=[held.pk]), {"cancel-note": "Fake address, phone dead."}
    )
    assert response.status_code == 302
    held.refresh_from_db()
    order = Order.objects.get(pk=held.order_id)
    assert (held.status, order.status, order.held_at) == ("cancelled", "cancelled", None)


def test_order_banner_link_leads_to_the_review(client_for, held):
    client = client_for("finance")
    response = client.get(reverse("finance:risk-order", args=[held.order_id]))
    assert response.status_code == 302 and response.url == reverse("finance:risk-detail", args=[held.pk])
    other = risk_order()
    assert client.get(reverse("finance:risk-order", args=[other.pk])).url == reverse("finance:risk-queue")


def test_detail_shows_each_rule(client_for, held):
    html = client_for("finance").get(reverse("finance:risk-detail", args=[held.pk])).content.decode()
    for rule in (
        "new_customer_cod",
        "shared_contact",
        "province_mismatch",
        "refused_delivery",
        "unusual_quantity",
    ):
        assert f'data-rule="{rule}"' in html
    assert "上海市浦东新****" in html and "XX路1号" not in html
