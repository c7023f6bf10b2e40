"""The order desk's main flow for operations: filter the orders, open one and read its timeline, scan
for late orders, resolve an exception with a note, open a customer. Screenshots go to var/screenshots/."""

import re
from datetime import timedelta

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from inventory.models import StockLevel
from orders.models import Order, OrderException
from orders.schemas import order_parse
from orders.services import order_sync
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def push_open_orders() -> None:
    """The demo's orders are all settled; a channel pushes two open ones, as it would through the API: one
    paid three hours ago and still not shipped (late by the SOP), one wanting more units than there are."""
    # The demo's own open orders are settled first, so the queue holds only what this test pushes.
    Order.objects.filter(status__in=["pending", "paid"]).update(status="shipped")
    level = (
        StockLevel.objects.filter(on_hand__gte=F("reserved") + 2)
        .select_related("sku", "warehouse")
        .order_by("sku__code")
        .first()
    )
    sku = level.sku
    available = StockLevel.objects.filter(sku=sku).aggregate(n=Sum(F("on_hand") - F("reserved")))["n"]
    placed = timezone.now().replace(microsecond=0) - timedelta(hours=3)
    province = level.warehouse.province
    customer = {"external_id": "E2E-C1", "name": "陈静", "phone": "13612345678", "province": province}

    def order(external_id, quantity):
        return {
            "external_id": external_id,
            "placed_at": placed.isoformat(),
            "updated_at": (placed + timedelta(minutes=3)).isoformat(),
            "status": "paid",
            "payment_method": "alipay",
            "customer": customer,
            "total": f"{quantity * 129}.00",
            "lines": [{"sku": sku.code, "quantity": quantity, "unit_price": "129.00"}],
        }

    parsed = [order_parse(order("E2E-LATE-1", 1))[0], order_parse(order("E2E-SHORT-1", available + 2))[0]]
    result = order_sync(channel_code="tmall", orders=parsed)
    assert result.created == 2, result.as_dict()


def test_operations_works_the_order_desk(page, demo_site, watch, screenshots):
    push_open_orders()
    base = demo_site["url"]
    login(page, base, "operations", demo_site["password"])

    # The orders list, filtered to the paid orders of a channel.
    channel = Order.objects.get(external_id="E2E-LATE-1").channel
    page.goto(f"{base}/orders/")
    page.select_option("#f-channel", channel.code)
    page.select_option("#f-status", "paid")
    page.click("[data-testid=order-filters] button[type=submit]")
    page.wait_for_url(re.compile(rf"channel={channel.code}.*status=paid"))
    rows = page.locator("[data-testid=order-table] tbody tr[data-order]")
    assert rows.count() == 2
    assert set(page.locator("[data-testid=order-table] tbody tr td:nth-child(2)").all_inner_texts()) == {
        channel.name
    }
    assert set(page.locator("[data-testid=order-table] tbody tr td:nth-child(4)").all_inner_texts()) == {
        "Paid"
    }
    page.screenshot(path=screenshots / "order-desk-list.png", full_page=True)

    # The exception filter: only the backordered one has an open exception yet, and it wears a badge.
    page.select_option("#f-exception", "any")
    page.click("[data-testid=order-filters] button[type=submit]")
    page.wait_for_url(re.compile(r"exception=any"))
    assert rows.all_inner_texts()[0].startswith("E2E-SHORT-1")
    assert rows.count() == 1
    assert rows.first.locator("[data-exception=backorder]").count() == 1
    page.select_option("#f-exception", "")
    page.click("[data-testid=order-filters] button[type=submit]")
    page.wait_for_url(re.compile(r"exception=&"))

    # Sorting by total keeps the filters.
    page.click("[data-testid=order-table] thead a:has-text('Total')")
    page.wait_for_url(re.compile(r"sort=-total"))
    assert f"channel={channel.code}" in page.url
    assert rows.count() == 2 and rows.first.get_attribute("data-order") == "E2E-SHORT-1"

    # The late one: its line is reserved in a warehouse, and the timeline shows arrival and reservation.
    rows.locator("a:has-text('E2E-LATE-1')").click()
    page.wait_for_selector("[data-testid=order-timeline]")
    assert "E2E-LATE-1" in page.locator("h1").inner_text()
    assert page.locator("[data-testid=allocation-state]").first.inner_text() == "Reserved"
    kinds = page.locator("[data-testid=order-timeline] tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.kind)"
    )
    assert kinds == ["created", "reservation"]
    page.screenshot(path=screenshots / "order-desk-detail.png", full_page=True)

    # The exception queue has the backorder; the scan raises the order paid over 2 hours ago.
    page.click("[data-testid=tab-exceptions]")
    page.wait_for_selector("[data-testid=exception-table]")
    assert page.locator("[data-testid=exception-counts] [data-kind=late]").inner_text() == "0"
    page.click("[data-testid=scan-button]")
    page.wait_for_selector(".alert-warning")
    raised = OrderException.objects.filter(
        kind="late", resolved_at__isnull=True, order__external_id__startswith="E2E-"
    ).count()
    assert raised == 2  # both are paid over 2 hours ago and not shipped (the demo may add its own)
    assert "2 orders" in page.locator(".alert-warning").inner_text()
    assert page.locator("[data-testid=exception-counts] [data-kind=late]").inner_text() == "2"
    page.screenshot(path=screenshots / "order-desk-exceptions.png", full_page=True)

    # Only the late ones (a click on their count), then resolve E2E-LATE-1's inline, with a note; the
    # queue comes back, still filtered, without it.
    page.click("[data-testid=exception-counts] a:has([data-kind=late])")
    page.wait_for_url(re.compile(r"kind=late"))
    rows = page.locator("[data-testid=exception-table] tbody tr[data-exception-id]")
    assert rows.count() == 2
    row = rows.filter(has=page.locator("a:has-text('E2E-LATE-1')"))
    exception_id = row.get_attribute("data-exception-id")
    row.locator("input[name=note]").fill("Warehouse confirmed pick-up today.")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    assert "Resolved" in page.locator(".alert-success").inner_text()
    assert "kind=late" in page.url
    assert page.locator(f"tr[data-exception-id='{exception_id}']").count() == 0
    assert rows.count() == 1
    assert page.locator("[data-testid=exception-counts] [data-kind=late]").inner_text() == "1"
    exception = OrderException.objects.select_related("order").get(pk=exception_id)
    assert exception.resolution_note == "Warehouse confirmed pick-up today."
    assert exception.resolved_by.username == "operations"
    page.screenshot(path=screenshots / "order-desk-resolved.png", full_page=True)

    # The order's timeline now tells the story, and its customer page is one click away.
    page.goto(f"{base}/orders/{exception.order_id}/")
    resolved = page.locator("[data-testid=order-timeline] tr[data-kind=exception_resolved]")
    assert "Warehouse confirmed pick-up today." in resolved.inner_text()
    assert page.locator("[data-testid=order-exceptions] [data-state=resolved]").count() == 1
    page.screenshot(path=screenshots / "order-desk-detail-resolved.png", full_page=True)

    order = Order.objects.select_related("customer").get(pk=exception.order_id)
    page.click("[data-testid=order-customer] a")
    page.wait_for_selector("[data-testid=customer-summary]")
    assert page.locator("[data-testid=customer-phone]").inner_text() == order.customer.phone  # operations
    assert page.locator("[data-testid=customer-ltv]").inner_text().startswith("¥")
    assert page.locator("[data-testid=customer-order-table] tbody tr").count() >= 1
    page.screenshot(path=screenshots / "order-desk-customer.png", full_page=True)

    assert watch.problems == []


def test_finance_reads_the_desk_with_masked_phones_and_no_actions(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    login(page, base, "finance", demo_site["password"])
    order = Order.objects.select_related("customer").exclude(customer__phone_hash="").first()
    page.goto(f"{base}/orders/customers/{order.customer_id}/")
    assert "****" in page.locator("[data-testid=customer-phone]").inner_text()
    page.goto(f"{base}/orders/exceptions/")
    assert page.locator("[data-testid=scan-button]").count() == 0
    page.goto(f"{base}/orders/channels/")
    assert page.locator("[data-testid=channel-table] tbody tr").count() > 0
    page.screenshot(path=screenshots / "order-desk-channels.png", full_page=True)
    assert watch.problems == []


def test_admin_sets_a_channel_webhook_secret(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    login(page, base, "admin", demo_site["password"])
    page.goto(f"{base}/orders/channels/")
    page.click("[data-channel=shopify] a:has-text('Edit')")
    page.wait_for_selector("[data-testid=channel-form]")
    assert page.locator("[data-testid=secret-state]").inner_text() == "not set"
    assert page.locator("#id_webhook_secret").get_attribute("type") == "password"
    secret = "e2e-shopify-secret-0123456789abcdef"
    page.fill("#id_webhook_secret", secret)
    page.click("[data-testid=channel-form] button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-testid=secret-state]").inner_text() == "set"
    assert page.locator("#id_webhook_secret").input_value() == ""
    assert secret not in page.content()
    page.screenshot(path=screenshots / "order-desk-channel-edit.png", full_page=True)
    assert watch.problems == []
