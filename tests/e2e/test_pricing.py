"""The pricing user's bulk change: filter a category, +5 % rounded to 9 (never below the floor price),
preview, apply with a reason, then find the new price in the SKU page's history chart and audit table.
Screenshots go to var/screenshots/."""

import json
import re
from decimal import Decimal

import pytest

from catalog import pricing
from catalog.models import SKU, Category, PriceChange
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def money_text(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def test_operations_applies_a_bulk_change_and_sees_it_in_the_history(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    # The category where +5 % rounded to 9 moves the most prices (under ~¥100 it rounds back to the same).
    moved: dict[int, int] = {}
    for category_id, price in SKU.objects.filter(active=True).values_list("product__category", "list_price"):
        if pricing.round_to_9(pricing.adjust(price, Decimal("0.05"))) != price:
            moved[category_id] = moved.get(category_id, 0) + 1
    category = Category.objects.get(pk=max(moved, key=lambda pk: (moved[pk], -pk)))
    selected = SKU.objects.filter(product__category=category, active=True).count()
    audited_before = PriceChange.objects.count()  # the demo has its own history
    login(page, base, "operations", demo_site["password"])

    page.goto(f"{base}/catalog/tools/bulk/")
    page.select_option("#id_category", category.code)
    page.select_option("#id_mode", "percent")
    page.fill("#id_value", "5")
    page.select_option("#id_rounding", "x9")
    page.check("#id_keep_floor")
    page.click("[data-testid=preview-button]")
    page.wait_for_selector("[data-testid=plan-preview]")

    assert page.get_by_test_id("count-selected").inner_text() == str(selected)
    assert page.get_by_test_id("count-breaches").inner_text() == "0"
    changing = int(page.get_by_test_id("count-changing").inner_text())
    assert changing > 0
    rows = page.locator("[data-testid=plan-table] tbody tr[data-sku]")
    assert rows.count() == min(changing, 200)
    # One changed SKU: its old and new price as the preview shows them.
    row = rows.first
    code = row.get_attribute("data-sku")
    sku = SKU.objects.get(code=code)
    assert row.locator("[data-col=old]").inner_text() == money_text(sku.list_price)
    new_text = row.locator("[data-col=new]").inner_text()
    new_price = Decimal(new_text.lstrip("¥").replace(",", ""))
    assert new_price != sku.list_price and str(new_price).endswith("9.00")
    page.screenshot(path=screenshots / "pricing-bulk-preview.png", full_page=True)
    assert PriceChange.objects.count() == audited_before  # a preview writes nothing

    page.fill("[data-testid=plan-apply] #id_reason", "Spring price rise +5 %")
    page.click("[data-testid=plan-apply-button]")
    page.wait_for_selector(".alert-success")
    assert f"Applied {changing} price change(s)" in page.locator(".alert-success").inner_text()
    assert PriceChange.objects.filter(source="bulk", reason="Spring price rise +5 %").count() == changing
    assert SKU.objects.get(code=code).list_price == new_price
    page.screenshot(path=screenshots / "pricing-bulk-applied.png", full_page=True)

    # The change is one click away, on the SKU's page: in the price history chart and the audit table.
    page.click(f"[data-testid=recent-changes] tr[data-sku='{code}'] a")
    page.wait_for_url(re.compile(rf"/catalog/skus/{re.escape(code)}/$"))
    page.wait_for_selector("[data-figure=price-history] .main-svg")
    figure = json.loads(page.locator("script#price-history").inner_text())
    list_price_trace = figure["data"][0]
    assert list_price_trace["y"][-1] == float(new_price)
    assert float(sku.list_price) in list_price_trace["y"]
    audit = page.locator("[data-testid=audit-table] tbody tr").first.inner_text()
    assert "Spring price rise +5 %" in audit and new_text in audit and "operations" in audit
    page.screenshot(path=screenshots / "pricing-sku-history.png", full_page=True)
    assert watch.problems == []


def test_operations_is_refused_under_the_floor_on_the_sku_price_page(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    sku = SKU.objects.filter(active=True, components__isnull=True).order_by("code").first()
    login(page, base, "operations", demo_site["password"])
    page.goto(f"{base}/catalog/skus/{sku.code}/price/")
    floor_price = page.get_by_test_id("preview-floor-price").inner_text()
    # The live preview (htmx) flags a price under the floor as it is typed.
    page.fill("#id_price", "1.00")
    page.wait_for_selector("[data-testid=price-preview][data-breach='1']")
    assert floor_price in page.get_by_test_id("preview-breach").inner_text()
    page.fill("#id_reason", "Try a very low price")
    page.click("[data-testid=price-save]")
    page.wait_for_selector("[data-testid=price-error]")
    assert "would break the margin floor" in page.get_by_test_id("price-error").inner_text()
    assert SKU.objects.get(pk=sku.pk).list_price == sku.list_price
    page.screenshot(path=screenshots / "pricing-floor-refused.png", full_page=True)
    assert [p for p in watch.problems if "400" not in p] == []  # the refusal itself answers 400
