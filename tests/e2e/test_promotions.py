"""The marketing user builds a 满199减20 / 满399减50 promotion in the editor (adding the second tier), tries
a cart in the simulator and sees the hint to the next tier, saves it and finds it in the list.
Screenshots go to var/screenshots/."""

import math
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.models import SKU
from marketing.models import Promotion
from marketing.promotion_params import promotion_clean
from marketing.selectors.promotions import quote_skus_get
from marketing.services.quote import promotion_quote, warnings_for_draft
from shopops.common.dates import shop_today
from tests.e2e.conftest import login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CODE = "E2E-TIERS"
CHANNEL = "own_store"


def money_text(value: Decimal) -> str:
    return f"¥{value:,.2f}"


def _cart() -> tuple[SKU, Decimal, int]:
    """A SKU and units that make ¥199-¥398.99 on the own store (tier 1 reached, tier 2 not), with room
    above the SKU's margin floor for the ¥20 off (a line never goes below its floor)."""
    candidates = list(
        SKU.objects.filter(active=True, list_price__gte=Decimal("60.00"), list_price__lt=Decimal("199.00"))
        .order_by("code")
        .values_list("code", flat=True)
    )
    quoted = quote_skus_get(codes=candidates, channel=CHANNEL, today=shop_today())
    for code in candidates:
        sku = quoted[code]
        units = math.ceil(Decimal("199.00") / sku.price)
        room = (sku.price - sku.floor_price) * units
        if sku.price * units < Decimal("399.00") and room >= Decimal("20.00"):
            return SKU.objects.get(code=code), sku.price, units
    raise AssertionError("the demo has no SKU between ¥60 and ¥199 with room above its floor")


def test_marketing_builds_a_tiered_promotion_and_tries_a_cart(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    sku, price, units = _cart()
    subtotal = price * units
    assert Decimal("199.00") <= subtotal < Decimal("399.00")
    login(page, base, "marketing", demo_site["password"])

    page.goto(f"{base}/marketing/")
    page.get_by_test_id("overview-promotions").click()
    page.get_by_test_id("promotion-new").click()
    page.wait_for_selector("[data-testid=promotion-form]")
    page.fill("#id_code", CODE)
    page.fill("#id_name", "满199减20 满399减50")
    assert page.input_value("#id_kind") == "threshold_amount"
    page.fill("#tier-0-threshold", "199")
    page.fill("#tier-0-value", "20")
    page.get_by_test_id("tier-add").click()  # htmx: the editor comes back with a second, empty row
    page.wait_for_selector("#tier-1-threshold")
    assert page.input_value("#tier-0-threshold") == "199"
    page.fill("#tier-1-threshold", "399")
    page.fill("#tier-1-value", "50")

    page.select_option("#id_sim-channel", CHANNEL)
    page.fill("#line-0-sku", sku.code)
    page.fill("#line-0-qty", str(units))
    # What the quote service says for the same draft and cart (other demo promotions may apply too).
    post = {
        "code": CODE,
        "name": "x",
        "kind": "threshold_amount",
        "params": {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
    }
    draft, errors = promotion_clean(post)
    assert errors == {}
    quote = promotion_quote(channel=CHANNEL, lines=[{"sku": sku.code, "quantity": units}], draft=draft)
    expected = next(h for h in quote.hints if h.code == CODE)
    if not Promotion.objects.exists():  # alone, the draft sees the cart's own subtotal
        assert expected.amount_needed == Decimal("399.00") - subtotal
    assert expected.saving == Decimal("50.00")
    # The simulator follows the typing (htmx, 400 ms after the last key): wait for the whole cart.
    hint = page.locator(f"[data-testid=sim-hint][data-code='{CODE}']")
    expect(hint).to_contain_text(f"add {money_text(expected.amount_needed)} more to save ¥50.00")
    assert page.get_by_test_id("sim-subtotal").inner_text() == money_text(quote.subtotal)
    assert page.get_by_test_id("sim-total").inner_text() == money_text(quote.total)
    applied = {a.code: a.amount for a in quote.applied}
    assert applied.get(CODE, Decimal(0)) > 0
    assert page.locator(f"[data-testid=sim-applied] li[data-code='{CODE}']").inner_text() == (
        f"{CODE}: −{money_text(applied[CODE])}"
    )
    assert not Promotion.objects.filter(code=CODE).exists()  # trying a cart saves nothing
    page.screenshot(path=screenshots / "promotion-editor-simulator.png", full_page=True)

    # An empty scope reaches every SKU: the 12.5 % (¥50 of ¥399) may cross some margin floors. The
    # warnings show before saving, and saving asks to confirm them.
    warnings = warnings_for_draft(draft)
    if warnings:
        expect(page.get_by_test_id("sim-warnings")).to_contain_text(warnings[0])
    page.get_by_test_id("promotion-save").click()
    if warnings:
        confirm = page.get_by_test_id("confirm-warnings")
        expect(confirm).to_contain_text(warnings[0])
        assert not Promotion.objects.filter(code=CODE).exists()
        page.screenshot(path=screenshots / "promotion-confirm-warnings.png", full_page=True)
        page.check("#confirm-warnings")
        page.get_by_test_id("promotion-save").click()
    page.wait_for_url(re.compile(rf"/marketing/promotions/{CODE}/$"))
    assert f"Saved promotion {CODE}" in page.locator(".alert").first.inner_text()
    promotion = Promotion.objects.get(code=CODE)
    assert promotion.params == {
        "tiers": [{"threshold": "199.00", "amount": "20.00"}, {"threshold": "399.00", "amount": "50.00"}]
    }
    assert promotion.active and promotion.created_by.username == "marketing"
    assert page.get_by_test_id("promotion-status").get_attribute("data-status") == "live"
    # The saved promotion's page tries a cart too (htmx), now with the saved promotion itself.
    page.select_option("#id_sim-channel", CHANNEL)
    page.fill("#line-0-sku", sku.code)
    page.fill("#line-0-qty", str(units))
    page.get_by_test_id("simulate-button").click()
    expect(page.locator(f"[data-testid=sim-hint][data-code='{CODE}']")).to_contain_text(
        f"add {money_text(expected.amount_needed)} more to save ¥50.00"
    )
    assert page.get_by_test_id("sim-total").inner_text() == money_text(quote.total)
    page.screenshot(path=screenshots / "promotion-detail.png", full_page=True)

    page.goto(f"{base}/marketing/promotions/")
    page.fill("#f-q", "E2E")
    page.select_option("#f-status", "live")
    page.click("[data-testid=promotion-filters] button[type=submit]")
    page.wait_for_url(re.compile(r"q=E2E"))
    rows = page.locator("[data-testid=promotion-table] tbody tr[data-code]")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-code") == CODE
    assert "满199减20 满399减50" in rows.first.inner_text()
    page.screenshot(path=screenshots / "promotion-list.png", full_page=True)
    assert watch.problems == [], "\n".join(watch.problems)


def test_the_kind_picker_shows_that_kinds_parameters(page, demo_site, watch, screenshots):
    base = demo_site["url"]
    login(page, base, "marketing", demo_site["password"])
    page.goto(f"{base}/marketing/promotions/new/")
    assert page.locator("[data-testid=kind-params]").get_attribute("data-kind") == "threshold_amount"
    page.select_option("#id_kind", "gift")  # htmx: the editor comes back with the gift's inputs
    page.wait_for_selector("[data-testid=kind-params][data-kind=gift]")
    assert page.locator("#id_params-threshold").is_visible()
    assert page.locator("#id_params-gift_sku").is_visible()
    assert page.locator("#tier-0-threshold").count() == 0
    page.select_option("#id_kind", "member_price")
    page.wait_for_selector("[data-testid=kind-params][data-kind=member_price]")
    assert page.locator("#id_params-tier_gold").is_visible()
    page.screenshot(path=screenshots / "promotion-editor-member-price.png", full_page=True)
    assert watch.problems == [], "\n".join(watch.problems)
