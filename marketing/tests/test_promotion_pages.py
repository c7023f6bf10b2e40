"""Promotion pages: the list (filters, export, pagination), a promotion's page, the editor (tiers added and
removed, field errors next to their inputs, warnings confirmed before saving) and its "try a cart"
simulator, opened by the roles that may and refused to the others.

Worked example (shop margin floor 40 %, unit cost ¥40.00, so the floor price is ¥66.67 a unit):
A-1 at ¥99.00 x 1 and B-2 at ¥132.00 x 2 make ¥363.00. 满199减20 / 满399减50 gives ¥20.00 off, split in
proportion to the lines: 2000 x 99/363 = 545.45 cents and 2000 x 264/363 = 1454.55 cents, rounded down
to 545 + 1454 = 1999, the cent left going to the larger remainder (B-2): ¥5.45 and ¥14.55. Total
¥343.00. The next tier is ¥36.00 away and saves ¥50.00.
"""

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import Promotion, PromotionCustomerUsage, PromotionResult, Redemption
from orders.models import Channel
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory

D = Decimal
MKT, MGR, ADM, OPS, FIN = "marketing", "manager", "admin", "operations", "finance"
TIERS = {"tier-threshold": ["199", "399"], "tier-value": ["20", "50"]}
TWO_TIERS = {
    "tiers": [{"threshold": "199.00", "amount": "20.00"}, {"threshold": "399.00", "amount": "50.00"}],
}
CART = {"sim-channel": "own_store", "line-sku": ["A-1", "B-2", ""], "line-qty": ["1", "2", ""]}


@pytest.fixture
def shop(db):
    ChannelFactory(code="own_store", name="Own store", kind=Channel.Kind.OWN_STORE)
    ChannelFactory(code="tmall", name="Tmall")
    home = CategoryFactory(code="home", name="Home")
    SKUFactory(code="A-1", name="Cup", product=ProductFactory(category=home), list_price=D("99.00"))
    SKUFactory(code="B-2", name="Pot", product=ProductFactory(category=home), list_price=D("132.00"))


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _tiers_post(**extra) -> dict:
    data = {"code": "D11-TIERS", "name": "满199减20 满399减50", "kind": "threshold_amount", "priority": "10"}
    data |= {"active": "on", **TIERS, **CART}
    return data | extra


def _promotion(code: str, **fields) -> Promotion:
    defaults = {
        "name": f"Promotion {code}",
        "kind": "threshold_amount",
        "params": {"tiers": [{"threshold": "199.00", "amount": "20.00"}]},
        "scope": {"skus": [], "categories": [], "channels": [], "member_tiers": []},
    }
    return Promotion.objects.create(code=code, **(defaults | fields))


# --- access ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "status"), [(MKT, 200), (MGR, 200), (ADM, 200), (OPS, 403), (FIN, 403)])
def test_reading_pages_are_the_marketing_areas(shop, client_for, role, status):
    _promotion("P1")
    client = client_for(role)
    assert client.get(reverse("marketing:promotion-list")).status_code == status
    assert client.get(reverse("marketing:promotion-detail", args=["P1"])).status_code == status
    assert client.post(reverse("marketing:promotion-simulate"), _tiers_post()).status_code == status


@pytest.mark.parametrize(("role", "status"), [(MKT, 200), (ADM, 200), (MGR, 403), (OPS, 403), (None, 403)])
def test_the_editor_is_for_marketing_and_admin(shop, client_for, role, status):
    _promotion("P1")
    client = client_for(role)
    assert client.get(reverse("marketing:promotion-create")).status_code == status
    assert client.get(reverse("marketing:promotion-edit", args=["P1"])).status_code == status
    response = client.post(reverse("marketing:promotion-create"), _tiers_post(code="NEW-1"))
    assert response.status_code == (302 if status == 200 else 403)
    assert Promotion.objects.filter(code="NEW-1").exists() is (status == 200)


def test_the_manager_sees_no_edit_buttons(shop, client_for):
    _promotion("P1")
    client = client_for(MGR)
    assert 'data-testid="promotion-new"' not in _text(client.get(reverse("marketing:promotion-list")))
    assert 'data-testid="promotion-edit"' not in _text(
        client.get(reverse("marketing:promotion-detail", args=["P1"]))
    )
    client = client_for(MKT)
    assert 'data-testid="promotion-edit"' in _text(
        client.get(reverse("marketing:promotion-detail", args=["P1"]))
    )


def test_unknown_promotion_is_404(shop, client_for):
    client = client_for(MKT)
    assert client.get(reverse("marketing:promotion-detail", args=["NOPE"])).status_code == 404
    assert client.get(reverse("marketing:promotion-edit", args=["NOPE"])).status_code == 404


def test_simulate_get_gives_the_empty_panel(shop, client_for):
    response = client_for(MGR).get(reverse("marketing:promotion-simulate"))
    assert response.status_code == 200
    assert 'data-testid="sim-empty">Add SKU codes and units to price a cart.</p>' in _text(response)
    assert client_for(MKT).put(reverse("marketing:promotion-simulate")).status_code == 405


# --- the editor: create -----------------------------------------------------------------------------


def test_create_a_tiered_threshold_promotion(shop, client_for):
    client = client_for(MKT)
    start = (timezone.localtime() + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    post = _tiers_post(
        starts_at=start.strftime("%Y-%m-%dT%H:%M"),
        ends_at=(start + timedelta(days=11)).strftime("%Y-%m-%dT%H:%M"),
        scope_channels=["own_store"],
        scope_categories=["home"],
        per_customer_limit="2",
        exclusive="on",
    )
    response = client.post(reverse("marketing:promotion-create"), post)
    assert response.status_code == 302
    assert response["Location"] == reverse("marketing:promotion-detail", args=["D11-TIERS"])
    promotion = Promotion.objects.get(code="D11-TIERS")
    assert promotion.name == "满199减20 满399减50"
    assert promotion.kind == "threshold_amount"
    assert promotion.params == {
        "tiers": [{"threshold": "199.00", "amount": "20.00"}, {"threshold": "399.00", "amount": "50.00"}]
    }
    assert promotion.scope == {
        "skus": [],
        "categories": ["home"],
        "channels": ["own_store"],
        "member_tiers": [],
    }
    assert promotion.starts_at == start
    assert promotion.ends_at == start + timedelta(days=11)
    assert (promotion.priority, promotion.exclusive, promotion.coupon_required) == (10, True, False)
    assert (promotion.usage_limit, promotion.per_customer_limit, promotion.active) == (None, 2, True)
    assert promotion.created_by.username == "user-marketing"
    page = _text(client.get(response["Location"]))
    assert "Saved promotion D11-TIERS." in page
    assert '<td class="num">¥199.00</td><td class="num">¥20.00</td>' in page
    assert '<td class="num">¥399.00</td><td class="num">¥50.00</td>' in page
    assert 'data-status="upcoming"' in page


def test_field_errors_show_next_to_their_inputs_and_nothing_is_saved(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(
        code="", scope_skus="A-1, NOPE-9", **{"tier-threshold": ["199", "100"], "tier-value": ["20", "150"]}
    )
    response = client.post(reverse("marketing:promotion-create"), post)
    assert response.status_code == 400
    page = _text(response)
    assert '<div class="invalid-feedback d-block" data-error="code">This field is required.</div>' in page
    assert 'data-error="scope_skus">Unknown SKU: NOPE-9.</div>' in page
    assert 'data-error="tiers[1].value">The amount off cannot exceed the threshold.</div>' in page
    assert 'id="tier-1-value" name="tier-value" value="150"' in page  # what was typed stays
    assert re.search(r'<textarea name="scope_skus"[^>]* class="[^"]*is-invalid', page)
    assert re.search(r'<input type="text" name="name" value="满199减20 满399减50"[^>]* class="[^"]*sm"', page)
    assert Promotion.objects.count() == 0


def test_tier_rows_are_numbered_as_sent_when_blank_rows_are_dropped(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(**{"tier-threshold": ["", "199", "abc"], "tier-value": ["", "20", "30"]})
    page = _text(client.post(reverse("marketing:promotion-create"), post))
    # the blank first row is not sent: "abc" is tier 1 for the validator and row 2 on the page
    assert re.search(
        r'id="tier-2-threshold" name="tier-threshold" value="abc" inputmode="decimal" class="[^"]*is-invalid',
        page,
    )
    assert 'data-error="tiers[2].threshold">Enter an amount of money' in page


def test_a_tier_kind_needs_a_tier(shop, client_for):
    post = _tiers_post(**{"tier-threshold": [""], "tier-value": [""]})
    page = _text(client_for(MKT).post(reverse("marketing:promotion-create"), post))
    assert 'data-error="tiers">Add at least one tier.</div>' in page


def test_kind_params_errors(shop, client_for):
    post = _tiers_post(kind="percent_off", **{"params-percent": "120", "params-max_affected_items": "0"})
    response = client_for(MKT).post(reverse("marketing:promotion-create"), post)
    assert response.status_code == 400
    page = _text(response)
    assert 'data-error="params-percent">Enter a percentage above 0 and at most 100.</div>' in page
    assert 'data-error="params-max_affected_items">Must be at least 1.</div>' in page


def test_member_price_tiers_and_flash_sale_window(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(
        code="VIP", kind="member_price", **{"params-tier_gold": "10", "params-tier_silver": "x"}
    )
    page = _text(client.post(reverse("marketing:promotion-create"), post))
    assert 'data-error="params-tier_silver">Enter a percentage' in page
    post["params-tier_silver"] = "5"
    assert client.post(reverse("marketing:promotion-create"), post).status_code == 302
    assert Promotion.objects.get(code="VIP").params == {"tiers": {"gold": "10", "silver": "5"}}

    flash = _tiers_post(code="FLASH", kind="flash_sale", **{"params-sku": "A-1", "params-price": "69.00"})
    flash["params-quantity"] = "100"
    page = _text(client.post(reverse("marketing:promotion-create"), flash))
    assert 'data-error="starts_at">A flash sale needs a time window.</div>' in page
    assert not Promotion.objects.filter(code="FLASH").exists()


def test_add_and_remove_tier_rows_without_saving(shop, client_for):
    client = client_for(MKT)
    url = reverse("marketing:promotion-create")
    page = _text(client.post(url, _tiers_post(_action="tier-add")))
    assert page.count('data-testid="tier-row"') == 3
    assert 'id="tier-1-threshold" name="tier-threshold" value="399"' in page
    assert 'id="tier-2-threshold" name="tier-threshold" value=""' in page
    page = _text(client.post(url, _tiers_post(_action="tier-remove-0")))
    assert page.count('data-testid="tier-row"') == 1
    assert 'id="tier-0-threshold" name="tier-threshold" value="399"' in page
    # htmx gets the editor alone, with the simulation of the cart
    response = client.post(url, _tiers_post(_action="tier-add"), headers={"HX-Request": "true"})
    partial = _text(response)
    assert partial.startswith('<div id="promotion-editor"') and "<html" not in partial
    assert 'data-testid="sim-total">¥343.00<' in partial
    assert Promotion.objects.count() == 0


def test_changing_the_kind_shows_its_parameters(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(kind="buy_x_get_y", _action="refresh")
    page = _text(client.post(reverse("marketing:promotion-create"), post, headers={"HX-Request": "true"}))
    assert 'data-kind="buy_x_get_y"' in page
    assert 'name="params-buy"' in page and 'name="params-get"' in page
    assert 'name="tier-threshold"' not in page
    assert Promotion.objects.count() == 0


# --- the simulator ----------------------------------------------------------------------------------


def test_simulator_prices_the_draft_with_the_hint(shop, client_for):
    response = client_for(MKT).post(reverse("marketing:promotion-simulate"), _tiers_post())
    assert response.status_code == 200
    page = _text(response)
    assert '<tr data-sku="A-1"><td>A-1</td> <td class="num">1</td><td class="num">¥99.00</td>' in page
    assert 'data-col="discount">¥5.45</td><td class="num" data-col="total">¥93.55</td>' in page
    assert 'data-col="discount">¥14.55</td><td class="num" data-col="total">¥249.45</td>' in page
    assert 'data-testid="sim-subtotal">¥363.00<' in page
    assert 'data-testid="sim-discount">¥20.00<' in page
    assert 'data-testid="sim-total">¥343.00<' in page
    assert '<li data-code="D11-TIERS">D11-TIERS: −¥20.00</li>' in page
    assert 'data-code="D11-TIERS">D11-TIERS: add ¥36.00 more to save ¥50.00</li>' in page
    assert Promotion.objects.count() == 0  # nothing saved


def test_simulator_without_a_code_yet_and_at_the_drafts_start(shop, client_for):
    start = timezone.localtime() + timedelta(days=30)
    post = _tiers_post(code="", name="", starts_at=start.strftime("%Y-%m-%dT%H:%M"))
    page = _text(client_for(MKT).post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥343.00<' in page  # priced at the start, not now
    assert f"Priced at {start.strftime('%Y-%m-%d %H:%M')} (shop time)." in page
    assert "SIMULATOR-DRAFT: add ¥36.00 more to save ¥50.00" in page


def test_simulator_at_a_moment_outside_the_window_does_not_apply_the_draft(shop, client_for):
    start = timezone.localtime() + timedelta(days=30)
    post = _tiers_post(starts_at=start.strftime("%Y-%m-%dT%H:%M"))
    post["sim-at"] = (start - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = _text(client_for(MKT).post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥363.00<' in page
    assert '<li class="text-muted">None.</li>' in page


def test_simulator_replaces_the_saved_promotion_when_editing(shop, client_for):
    _promotion("D11-TIERS", params={"tiers": [{"threshold": "100.00", "amount": "90.00"}]})
    post = _tiers_post(editing="D11-TIERS")
    page = _text(client_for(MKT).post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥343.00<' in page  # the draft's ¥20, not the saved ¥90


def test_simulator_reports_unknown_skus_and_bad_quantities(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(**{"line-sku": ["A-1", "NOPE"], "line-qty": ["1", "1"]})
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-line-error">Line 2: Unknown SKU: NOPE.</div>' in page
    assert 'data-priced="1"' not in page
    post = _tiers_post(**{"line-sku": ["A-1"], "line-qty": ["0"]})
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert "Line 1: Enter a whole number of units, at least 1." in page


def test_simulator_shows_the_drafts_errors(shop, client_for):
    post = _tiers_post(**{"tier-threshold": ["199"], "tier-value": ["300"]})
    page = _text(client_for(MKT).post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-draft-errors"' in page
    assert "The amount off cannot exceed the threshold." in page


def test_simulator_takes_a_customers_coupon_codes(shop, client_for):
    _promotion(
        "WELCOME", coupon_required=True, params={"tiers": [{"threshold": "100.00", "amount": "10.00"}]}
    )
    post = _tiers_post(**{"sim-coupon_codes": "welcome, BOGUS"})
    page = _text(client_for(MKT).post(reverse("marketing:promotion-simulate"), post))
    assert '<li data-code="WELCOME">WELCOME: −¥10.00</li>' in page
    assert 'data-testid="sim-total">¥333.00<' in page
    assert "<li>BOGUS: unknown coupon</li>" in page


# --- warnings before saving -------------------------------------------------------------------------

FLOOR_WARNING = (
    "This promotion can take 1 SKU(s) below their margin floor (A-1 ¥49.50 &lt; floor ¥66.67); "
    "when pricing, those lines stop at the floor unless the promotion is a loss leader."
)


def test_warnings_show_in_the_simulator_and_saving_asks_to_confirm(shop, client_for):
    client = client_for(MKT)
    post = _tiers_post(code="HALF", kind="percent_off", scope_skus="A-1", **{"params-percent": "50"})
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-warnings"' in page and FLOOR_WARNING in page
    # the line stops at the floor: ¥99.00 -> ¥66.67
    assert 'data-col="discount">¥32.33</td><td class="num" data-col="total">¥66.67</td>' in page

    response = client.post(reverse("marketing:promotion-create"), post)
    assert response.status_code == 200
    page = _text(response)
    assert 'data-testid="confirm-warnings"' in page and FLOOR_WARNING in page
    assert not Promotion.objects.filter(code="HALF").exists()

    token = re.search(r'name="confirm_warnings" value="([0-9a-f]{16})"', page).group(1)
    # a confirmation of other warnings (the promotion changed since) is no confirmation
    other = post | {"params-percent": "55", "confirm_warnings": token}
    assert client.post(reverse("marketing:promotion-create"), other).status_code == 200
    assert not Promotion.objects.filter(code="HALF").exists()

    response = client.post(reverse("marketing:promotion-create"), post | {"confirm_warnings": token})
    assert response.status_code == 302
    assert Promotion.objects.get(code="HALF").params == {"percent": "50"}
    detail = _text(client.get(response["Location"]))
    assert "Saved promotion HALF with 1 warning(s) confirmed." in detail
    assert 'data-testid="promotion-warnings"' in detail


def test_a_loss_leader_has_no_floor_warning(shop, client_for):
    post = _tiers_post(
        code="HALF", kind="percent_off", scope_skus="A-1", loss_leader="on", **{"params-percent": "50"}
    )
    assert client_for(MKT).post(reverse("marketing:promotion-create"), post).status_code == 302


def test_gift_cost_outside_the_band_is_a_warning(shop, client_for):
    SKUFactory(code="GIFT-1", unit_cost=D("2.00"), list_price=D("9.90"))
    post = _tiers_post(code="GIFT", kind="gift", **{"params-threshold": "199", "params-gift_sku": "GIFT-1"})
    response = client_for(MKT).post(reverse("marketing:promotion-create"), post)
    assert response.status_code == 200
    assert "The gift GIFT-1 costs ¥2.00, 1.0 % of the threshold ¥199.00: outside the 5-15 % band." in _text(
        response
    )
    assert not Promotion.objects.filter(code="GIFT").exists()


# --- the editor: edit -------------------------------------------------------------------------------


def test_edit_shows_the_saved_values_and_saves_changes(shop, client_for):
    client = client_for(MKT)
    client.post(reverse("marketing:promotion-create"), _tiers_post(scope_skus="A-1 B-2"))
    url = reverse("marketing:promotion-edit", args=["D11-TIERS"])
    page = _text(client.get(url))
    assert 'id="tier-0-threshold" name="tier-threshold" value="199.00"' in page
    assert 'id="tier-1-value" name="tier-value" value="50.00"' in page
    assert "> A-1, B-2</textarea>" in page
    assert re.search(r'<input type="text" name="code" value="D11-TIERS"[^>]* disabled', page)
    post = _tiers_post(
        code="OTHER", **{"tier-threshold": ["199", "399", "599"], "tier-value": ["20", "50", "80"]}
    )
    response = client.post(url, post | {"editing": "D11-TIERS"})
    assert response.status_code == 302
    promotion = Promotion.objects.get(code="D11-TIERS")  # the code stays
    assert [t["amount"] for t in promotion.params["tiers"]] == ["20.00", "50.00", "80.00"]
    assert promotion.scope["skus"] == []
    assert not Promotion.objects.filter(code="OTHER").exists()


def test_edit_refused_by_the_service_shows_the_error(shop, client_for):
    promotion = _promotion("USED", used=3, usage_limit=10)
    post = _tiers_post(code="USED", usage_limit="2")
    response = client_for(MKT).post(reverse("marketing:promotion-edit", args=["USED"]), post)
    assert response.status_code == 400
    assert 'data-error="usage_limit">Already used 3 times: the limit cannot be lower.</div>' in _text(
        response
    )
    promotion.refresh_from_db()
    assert promotion.usage_limit == 10


# --- list and detail --------------------------------------------------------------------------------


@pytest.fixture
def four(shop):
    now = timezone.now()
    live = _promotion("LIVE-1", starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=1))
    _promotion("SOON-1", kind="percent_off", params={"percent": "10"}, starts_at=now + timedelta(days=3))
    _promotion("OVER-1", starts_at=now - timedelta(days=9), ends_at=now - timedelta(days=2))
    _promotion("DRAFT-1", name="双11 draft", active=False, starts_at=now + timedelta(days=3))
    return live


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("", ["DRAFT-1", "SOON-1", "LIVE-1", "OVER-1"]),  # newest start first, then code
        ("status=live", ["LIVE-1"]),
        ("status=upcoming", ["SOON-1"]),
        ("status=ended", ["OVER-1"]),
        ("status=draft", ["DRAFT-1"]),
        ("kind=percent_off", ["SOON-1"]),
        ("q=双11", ["DRAFT-1"]),
        ("q=live", ["LIVE-1"]),
    ],
)
def test_list_filters(four, client_for, query, codes):
    page = client_for(MGR).get(f"{reverse('marketing:promotion-list')}?{query}").content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', page) == codes


def test_list_export_csv(four, client_for):
    order = OrderFactory(channel=Channel.objects.get(code="tmall"))
    Redemption.objects.create(promotion=four, order=order, discount=D("20.00"))
    response = client_for(MKT).get(f"{reverse('marketing:promotion-list')}?status=live&export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="promotions.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:4] == ["Code", "Name", "Kind", "Status"]
    assert len(rows) == 2
    assert rows[1][0] == "LIVE-1" and rows[1][2] == "Spend and save (满减)" and rows[1][3] == "Live"
    assert rows[1][12] == "1"  # redemptions accepted


def test_list_is_paginated(shop, client_for):
    for n in range(53):
        _promotion(f"P{n:02d}")
    client = client_for(MKT)
    page = client.get(reverse("marketing:promotion-list")).content.decode()
    assert len(re.findall(r'<tr data-code="', page)) == 50 and "Page 1 of 2" in page
    page = client.get(f"{reverse('marketing:promotion-list')}?page=2").content.decode()
    assert re.findall(r'<tr data-code="([^"]+)"', page) == ["P50", "P51", "P52"]


def test_detail_shows_usage_and_redemptions(four, client_for):
    channel = Channel.objects.get(code="tmall")
    customers = [CustomerFactory(channel=channel) for _ in range(3)]
    four.used, four.usage_limit, four.per_customer_limit = 4, 100, 2
    four.save()
    for n, customer in enumerate(customers[:2]):
        PromotionCustomerUsage.objects.create(promotion=four, customer=customer, used=n + 1)
    for discount in [D("20.00"), D("50.00"), D("20.00")]:
        Redemption.objects.create(promotion=four, order=OrderFactory(channel=channel), discount=discount)
    Redemption.objects.create(
        promotion=four,
        order=OrderFactory(channel=channel),
        status="refused",
        reason="limit",
        discount=D("20.00"),
    )
    page = _text(client_for(MGR).get(reverse("marketing:promotion-detail", args=["LIVE-1"])))
    assert 'data-testid="usage-used">4 / 100</dd>' in page
    assert 'data-testid="usage-customers">2</dd>' in page
    assert 'data-testid="usage-redemptions">3</dd>' in page
    assert 'data-testid="usage-refused">1</dd>' in page
    assert 'data-testid="usage-discount">¥90.00</dd>' in page
    assert 'data-status="live"' in page


def test_detail_links_the_results_page_when_it_exists(four, client_for):
    PromotionResult.objects.create(promotion=four, computed_at=timezone.now())
    page = _text(client_for(MKT).get(reverse("marketing:promotion-detail", args=["LIVE-1"])))
    try:
        url = reverse("marketing:promotion-result", args=["LIVE-1"])
    except Exception:  # noqa: BLE001 - the results pages are another helper's; without them, no link
        assert 'data-testid="promotion-results-link"' not in page
    else:
        assert f'href="{url}" data-testid="promotion-results-link"' in page


def test_detail_of_a_percent_off_shows_its_params(shop, client_for):
    _promotion(
        "PCT",
        kind="percent_off",
        params={"percent": "15", "min_spend": "100.00", "max_affected_items": 2},
        scope={"skus": ["A-1"], "categories": [], "channels": ["tmall"], "member_tiers": ["gold"]},
    )
    page = _text(client_for(MKT).get(reverse("marketing:promotion-detail", args=["PCT"])))
    assert '<dt class="col-6">Percent off</dt><dd class="col-6">15 %</dd>' in page
    assert '<dt class="col-6">Minimum spend in scope (¥)</dt><dd class="col-6">¥100.00</dd>' in page
    assert '<dt class="col-4">SKUs</dt><dd class="col-8">A-1</dd>' in page
    assert '<dt class="col-4">Channels</dt><dd class="col-8">tmall</dd>' in page
    assert (
        '<dt class="col-4">Categories</dt><dd class="col-8"><span class="text-muted">All</span></dd>' in page
    )


def test_pages_render_in_chinese(four, client_for, settings):
    client = client_for(MKT)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for url in (
        reverse("marketing:promotion-list"),
        reverse("marketing:promotion-detail", args=["LIVE-1"]),
        reverse("marketing:promotion-edit", args=["LIVE-1"]),
        reverse("marketing:promotion-create"),
        reverse("marketing:overview"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="zh-hans">' in response.content.decode()
    response = client.post(reverse("marketing:promotion-simulate"), _tiers_post())
    assert "D11-TIERS:\n    再消费 ¥36.00 可省 ¥50.00</li>" in response.content.decode()


def test_anonymous_is_sent_to_login(shop, client):
    _promotion("P1")
    for url in (
        reverse("marketing:promotion-list"),
        reverse("marketing:promotion-create"),
        reverse("marketing:promotion-simulate"),
        reverse("marketing:promotion-detail", args=["P1"]),
        reverse("marketing:promotion-edit", args=["P1"]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_add_and_remove_cart_lines_without_saving(shop, client_for):
    client = client_for(MKT)
    url = reverse("marketing:promotion-create")
    page = _text(client.post(url, _tiers_post(_action="line-add")))
    assert page.count('data-testid="cart-line"') == 4
    page = _text(client.post(url, _tiers_post(_action="line-remove-0")))
    assert page.count('data-testid="cart-line"') == 3  # never fewer than three rows to type in
    assert 'id="line-0-sku" name="line-sku" value="B-2"' in page
    assert 'data-testid="sim-total">¥244.00<' in page  # 2 x B-2 = ¥264.00, tier 1: ¥20.00 off
    assert Promotion.objects.count() == 0


def test_simulator_prices_a_members_cart_with_the_member_price(shop, client_for):
    from marketing.models import Membership

    customer = CustomerFactory(channel=Channel.objects.get(code="own_store"), external_id="C1")
    Membership.objects.create(customer=customer, tier="gold")
    post = _tiers_post(code="VIP", kind="member_price", **{"params-tier_gold": "10"})
    post |= {"line-sku": ["A-1"], "line-qty": ["1"], "sim-customer": "C1"}
    client = client_for(MKT)
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-col="discount">¥9.90</td><td class="num" data-col="total">¥89.10</td>' in page
    post["sim-customer"] = "GUEST-9"  # unknown: a guest, no member price
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥99.00<' in page
    post |= {"sim-customer": "", "sim-member_tier": "gold"}  # no customer: price as a gold member
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-col="discount">¥9.90</td><td class="num" data-col="total">¥89.10</td>' in page
    post["sim-member_tier"] = "silver"  # the draft gives silver nothing
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥99.00<' in page


def test_list_export_xlsx(four, client_for):
    from io import BytesIO

    from openpyxl import load_workbook

    response = client_for(MGR).get(f"{reverse('marketing:promotion-list')}?status=upcoming&export=xlsx")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][0] == "Code" and [row[0] for row in rows[1:]] == ["SOON-1"]
    assert rows[1][2] == "Percent off" and rows[1][3] == "Upcoming"


def test_a_promotions_page_tries_a_cart_with_the_saved_promotions(shop, client_for):
    start = timezone.now() + timedelta(days=5)
    _promotion(
        "D11-TIERS",
        params=TWO_TIERS,
        starts_at=start,
        ends_at=start + timedelta(days=3),
    )
    client = client_for(MGR)  # reads only: the saved promotions, no draft
    page = _text(client.get(reverse("marketing:promotion-detail", args=["D11-TIERS"])))
    assert 'data-testid="detail-simulator"' in page and 'name="saved" value="D11-TIERS"' in page
    post = {"saved": "D11-TIERS", **CART}
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥343.00<' in page  # priced at its start: it applies
    assert "D11-TIERS: add ¥36.00 more to save ¥50.00" in page
    assert 'data-testid="sim-warnings"' not in page
    post["sim-at"] = timezone.localtime(start - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    page = _text(client.post(reverse("marketing:promotion-simulate"), post))
    assert 'data-testid="sim-total">¥363.00<' in page  # before its start: no discount
    assert client.post(reverse("marketing:promotion-simulate"), {"saved": "NOPE", **CART}).status_code == 404
