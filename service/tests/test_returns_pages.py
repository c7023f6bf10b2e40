"""Return pages: list with KPI and export, the request form from an order, the request page and its
actions; who may open and who may write."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory.models import StockLevel
from inventory.tests.factories import WarehouseFactory
from orders.models import Order
from service.models import ReturnRequest
from service.tests.factories_returns import delivered_order, return_make

pytestmark = pytest.mark.django_db
S = ReturnRequest.Status


@pytest.fixture
def order():
    exempt = SKUFactory(code="UW-1", return_exempt=True, return_exempt_reason="Intimate apparel")
    return delivered_order(
        lines=[
            (SKUFactory(code="MUG-1"), 2, Decimal("100.00"), Decimal("20.00")),
            (exempt, 1, Decimal("50.00"), Decimal("0.00")),
        ]
    )


@pytest.mark.parametrize("role", ["service_agent", "manager", "admin"])
def test_pages_open_for_service_roles(client_for, order, role):
    client = client_for(role)
    request = return_make(order=order)
    for url in (
        reverse("service:return-list"),
        reverse("service:return-create"),
        f"{reverse('service:return-create')}?order={order.pk}",
        reverse("service:return-detail", args=[request.number]),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", ["operations", "finance", "marketing", None])
def test_pages_refused_outside_service(client_for, order, role):
    client = client_for(role)
    request = return_make(order=order)
    assert client.get(reverse("service:return-list")).status_code in (302, 403)
    assert client.get(reverse("service:return-detail", args=[request.number])).status_code in (302, 403)
    response = client.post(reverse("service:return-action", args=[request.number, "approve"]))
    assert response.status_code in (302, 403)
    request.refresh_from_db()
    assert request.status == S.REQUESTED


def test_create_page_shows_deadline_and_exempt_reason_and_creates(client_for, order):
    client = client_for("service_agent")
    url = f"{reverse('service:return-create')}?order={order.pk}"
    html = client.get(url).content.decode()
    assert "2026-11-08" in html
    assert "Exempt from no-reason return: Intimate apparel" in html
    mug, _uw = order.lines.order_by("id")
    response = client.post(url, {"reason": "defective", "note": "cracked", f"qty_{mug.pk}": "1"})
    request = ReturnRequest.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "service:return-detail", args=[request.number]
    )
    assert list(request.lines.values_list("quantity", flat=True)) == [1]


def test_create_page_shows_service_refusals(client_for, order):
    client = client_for("service_agent")
    url = f"{reverse('service:return-create')}?order={order.pk}"
    _mug, uw = order.lines.order_by("id")
    response = client.post(url, {"reason": "no_reason", f"qty_{uw.pk}": "1"})
    assert response.status_code == 400
    assert "UW-1 is exempt from no-reason return: Intimate apparel" in response.content.decode()
    assert client.post(url, {"reason": "defective"}).status_code == 400
    assert not ReturnRequest.objects.exists()


def test_lookup_redirects_to_the_order(client_for, order):
    client = client_for("service_agent")
    response = client.get(
        reverse("service:return-create"), {"channel": "tmall", "external_id": order.external_id}
    )
    assert response.status_code == 302 and response.url.endswith(f"?order={order.pk}")
    response = client.get(reverse("service:return-create"), {"channel": "tmall", "external_id": "nope"})
    assert response.status_code == 200 and "No such order on this channel." in response.content.decode()


def test_actions_walk_the_flow(client_for, order):
    client = client_for("service_agent")
    wh = WarehouseFactory()
    request = return_make(order=order)

    def act(action, data=None):
        response = client.post(reverse("service:return-action", args=[request.number, action]), data or {})
        assert response.status_code == 302
        request.refresh_from_db()
        return request

    assert act("approve").status == S.APPROVED
    assert act("receive", {"warehouse": wh.pk}).status == S.RECEIVED
    mug_line, uw_line = request.lines.order_by("id")
    bad = act(
        "inspect",
        {
            f"restock_{mug_line.pk}": 1,
            f"scrap_{mug_line.pk}": 0,
            f"restock_{uw_line.pk}": 1,
            f"scrap_{uw_line.pk}": 0,
        },
    )
    assert bad.status == S.RECEIVED
    inspected = act(
        "inspect",
        {
            f"restock_{mug_line.pk}": 2,
            f"scrap_{mug_line.pk}": 0,
            f"restock_{uw_line.pk}": 0,
            f"scrap_{uw_line.pk}": 1,
        },
    )
    assert inspected.status == S.INSPECTED
    assert StockLevel.objects.get(sku=mug_line.sku, warehouse=wh).on_hand == 2
    html = client.get(reverse("service:return-detail", args=[request.number])).content.decode()
    assert 'data-testid="refund-form"' in html and 'value="230.00"' in html
    refunded = act("refund", {"amount": "", "method": "alipay"})
    assert (refunded.status, refunded.refund_amount) == (S.REFUNDED, Decimal("230.00"))
    order.refresh_from_db()
    assert (order.status, order.refund_amount) == (Order.Status.REFUNDED, Decimal("230.00"))
    assert client.post(reverse("service:return-action", args=[request.number, "explode"])).status_code == 404
    assert client.get(reverse("service:return-action", args=[request.number, "approve"])).status_code == 405


def test_reject_needs_a_reason_and_message_shown(client_for, order):
    client = client_for("manager")
    request = return_make(order=order)
    response = client.post(
        reverse("service:return-action", args=[request.number, "reject"]), {"reason": ""}, follow=True
    )
    assert "Say why the return is rejected." in response.content.decode()
    client.post(reverse("service:return-action", args=[request.number, "reject"]), {"reason": "Worn"})
    request.refresh_from_db()
    assert (request.status, request.rejection_reason) == (S.REJECTED, "Worn")


def test_list_filters_kpi_and_export(client_for, order):
    client = client_for("service_agent")
    a = return_make(order=order, reason="defective")
    b = return_make(order=delivered_order(), reason="wrong_item", status=S.REJECTED)
    html = client.get(reverse("service:return-list"), {"status": "rejected"}).content.decode()
    assert b.number in html and a.number not in html
    assert 'data-testid="refund-kpi"' in html
    response = client.get(reverse("service:return-list"), {"reason": "defective", "export": "csv"})
    body = b"".join(response.streaming_content).decode()
    assert a.number in body and b.number not in body
    xlsx = client.get(reverse("service:return-list"), {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_order_page_links_to_a_return(client_for, order):
    html = client_for("service_agent").get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert f"{reverse('service:return-create')}?order={order.pk}" in html
    html = client_for("operations").get(reverse("orders:order-detail", args=[order.pk])).content.decode()
    assert 'data-testid="return-request"' not in html


def test_pages_render_in_chinese(client_for, order, settings):
    client = client_for("manager")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    request = return_make(order=order, status=S.APPROVED)
    for url in (
        reverse("service:return-list"),
        f"{reverse('service:return-create')}?order={order.pk}",
        reverse("service:return-detail", args=[request.number]),
        reverse("service:compensation-list"),
        reverse("service:compensation-create"),
        reverse("service:compensation-standard"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="zh-hans"' in response.content.decode() or "zh" in response.get("Content-Language", "")
