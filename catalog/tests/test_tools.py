"""The pricing tools through their pages: the floor guard (refused, overridden with permission and reason,
audited), one SKU's price and costs, the bulk change (preview = apply, to the cent), channel and member
tier prices, and who may use them."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from catalog.forms import SignedPlanForm
from catalog.models import (
    SKU,
    Category,
    ChannelAdjustment,
    ChannelPrice,
    MemberTierPrice,
    PriceChange,
    SKUCost,
)
from catalog.services import floor_of
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory

D = Decimal


def fake_channels():
    """The active channels (orders owns them; catalog tests name this selector instead)."""
    return [
        SimpleNamespace(code="jd", name="JD", commission_rate=D("0.05"), payment_fee_rate=D("0.006")),
        SimpleNamespace(code="tmall", name="Tmall", commission_rate=D("0.05"), payment_fee_rate=D("0.006")),
    ]


@pytest.fixture(autouse=True)
def _channels(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_tools.fake_channels"


@pytest.fixture
def skus(db):
    """A category with a sub-category, three active SKUs in them, one inactive, one elsewhere.

    A: purchase 40.00 + inbound 2.50 + packaging 1.20 = landed 43.70, floor price 43.70 / 0.6 = 72.84
    B: landed 35.00, floor price 58.34;  C: landed 45.00, floor price 75.00 (both in the sub-category)
    """
    cleaning = CategoryFactory(code="cleaning", name="Cleaning")
    vacuums = CategoryFactory(code="vacuums", name="Vacuums", parent=cleaning)
    other = CategoryFactory(code="other", name="Other")
    a = SKUFactory(
        code="A", product=ProductFactory(category=cleaning), unit_cost=D("40.00"), list_price=D("129.00")
    )
    SKUCost.objects.create(sku=a, inbound_cost=D("2.50"), packaging_cost=D("1.20"))
    b = SKUFactory(
        code="B", product=ProductFactory(category=vacuums), unit_cost=D("35.00"), list_price=D("60.00")
    )
    c = SKUFactory(
        code="C", product=ProductFactory(category=vacuums), unit_cost=D("45.00"), list_price=D("70.00")
    )
    SKUFactory(
        code="OFF",
        product=ProductFactory(category=vacuums),
        unit_cost=D("10"),
        list_price=D("50"),
        active=False,
    )
    SKUFactory(code="ELSE", product=ProductFactory(category=other), unit_cost=D("10"), list_price=D("50"))
    return SimpleNamespace(a=a, b=b, c=c)


def price_of(code):
    return SKU.objects.get(code=code).list_price


# --- one SKU: the floor guard -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_price_under_the_floor_is_refused_with_the_floor_price(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:sku-price", args=["A"])
    response = client.post(url, {"target": "list", "price": "69.00", "reason": "Match a competitor"})
    assert response.status_code == 400
    errors = response.context["form"].non_field_errors()
    assert errors == [
        "1 price(s) would break the margin floor, e.g. A at ¥69.00: gross margin 36.7 % below the floor "
        "40.0 % (lowest allowed price ¥72.84)."
    ]
    assert price_of("A") == D("129.00")
    assert not PriceChange.objects.exists()


@pytest.mark.django_db
def test_override_without_the_permission_is_refused(skus, client_for):
    client = client_for("operations")
    response = client.post(
        reverse("catalog:sku-price", args=["A"]),
        {"target": "list", "price": "69.00", "reason": "Match", "override": "on"},
    )
    assert response.status_code == 400
    assert (
        "You do not hold the pricing-override permission." in response.context["form"].non_field_errors()[0]
    )
    assert price_of("A") == D("129.00") and not PriceChange.objects.exists()


@pytest.mark.django_db
def test_override_with_permission_and_reason_is_accepted_and_audited(skus, client, make_user):
    user = make_user("operations")
    user.user_permissions.add(Permission.objects.get(codename="override_margin_floor"))
    client.force_login(user)
    url = reverse("catalog:sku-price", args=["A"])
    # Ticking the box without a reason is not enough: nothing is written.
    response = client.post(url, {"target": "list", "price": "69.00", "reason": "", "override": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["reason"] == ["Say why: the reason goes into the price history."]
    # The holder who does not tick the box is refused too.
    response = client.post(url, {"target": "list", "price": "69.00", "reason": "Traffic driver"})
    assert response.status_code == 400 and price_of("A") == D("129.00")
    response = client.post(
        url, {"target": "list", "price": "69.00", "reason": "Traffic driver", "override": "on"}
    )
    assert response.status_code == 302 and response["Location"] == url
    assert price_of("A") == D("69.00")
    change = PriceChange.objects.get()
    assert (change.field, change.old_value, change.new_value) == ("list_price", D("129.00"), D("69.00"))
    assert change.floor_override is True
    assert change.margin == D("0.3667")  # (69.00 - 43.70) / 69.00
    assert change.reason == "Traffic driver" and change.changed_by == user and change.source == "ui"
    # The SKU's page lists the change, marked as an override.
    html = client.get(url).content.decode()
    assert 'data-testid="floor-override"' in html and "Traffic driver" in html


@pytest.mark.django_db
def test_admin_overrides_the_floor(skus, client_for):
    client = client_for("admin")
    response = client.post(
        reverse("catalog:sku-price", args=["C"]),
        {"target": "list", "price": "69.00", "reason": "Clearance", "override": "on"},
    )
    assert response.status_code == 302
    assert PriceChange.objects.get().floor_override is True and price_of("C") == D("69.00")


@pytest.mark.django_db
def test_a_price_at_the_floor_price_passes_without_override(skus, client_for):
    client = client_for("operations")
    response = client.post(
        reverse("catalog:sku-price", args=["A"]), {"target": "list", "price": "72.84", "reason": "Promo"}
    )
    assert response.status_code == 302
    change = PriceChange.objects.get()
    assert change.floor_override is False and change.margin == D("0.4001")  # 29.14 / 72.84 = 0.400055


@pytest.mark.django_db
def test_live_preview_shows_margin_floor_and_floor_price(skus, client_for):
    client = client_for("operations")
    response = client.post(
        reverse("catalog:sku-price", args=["A"]),
        {"target": "list", "price": "69.00"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates] == ["catalog/tools/_price_preview.html"]
    html = response.content.decode()
    assert 'data-breach="1"' in html
    for text in ("¥129.00", "¥69.00", "¥43.70", "36.7%", "40.0%", "¥72.84"):
        assert text in html, text
    preview = response.context["preview"]
    assert (preview.landed, preview.floor_price, preview.margin) == (D("43.70"), D("72.84"), D("0.3667"))
    assert not PriceChange.objects.exists()


@pytest.mark.django_db
def test_channel_and_tier_price_of_one_sku(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:sku-price", args=["A"])
    assert (
        client.post(url, {"target": "channel:tmall", "price": "119.00", "reason": "Tmall"}).status_code == 302
    )
    assert client.post(url, {"target": "tier:gold", "price": "109.00", "reason": "Gold"}).status_code == 302
    assert ChannelPrice.objects.get(sku=skus.a, channel="tmall").price == D("119.00")
    assert MemberTierPrice.objects.get(sku=skus.a, tier="gold").price == D("109.00")
    rows = list(
        PriceChange.objects.order_by("id").values_list("field", "channel", "tier", "old_value", "new_value")
    )
    assert rows == [
        ("channel_price", "tmall", "", D("129.00"), D("119.00")),
        ("tier_price", "", "gold", None, D("109.00")),
    ]
    assert price_of("A") == D("129.00")


@pytest.mark.django_db
def test_bad_input_shows_field_errors(skus, client_for):
    client = client_for("operations")
    response = client.post(
        reverse("catalog:sku-price", args=["A"]), {"target": "channel:nope", "price": "-1", "reason": "x"}
    )
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"target", "price"}
    assert client.get(reverse("catalog:sku-price", args=["NOPE"])).status_code == 404


# --- one SKU: costs and loss leader -------------------------------------------------------------------


@pytest.mark.django_db
def test_costs_change_is_audited_and_moves_the_floor_price(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:sku-costs", args=["A"])
    data = {
        "costs-unit_cost": "42.00",
        "costs-inbound_cost": "3.00",
        "costs-packaging_cost": "1.00",
        "costs-shipping_cost": "8.50",
        "costs-marketing_rate": "4",
        "costs-reason": "New supplier quote",
        "action": "costs",
    }
    assert client.post(url, {**data, "costs-reason": ""}).status_code == 400
    assert SKU.objects.get(code="A").unit_cost == D("40.00")
    response = client.post(url, data)
    assert response.status_code == 302
    sku = SKU.objects.get(code="A")
    assert sku.unit_cost == D("42.00")
    costs = SKUCost.objects.get(sku=sku)
    assert (costs.inbound_cost, costs.packaging_cost, costs.shipping_cost, costs.marketing_rate) == (
        D("3.00"),
        D("1.00"),
        D("8.50"),
        D("0.0400"),
    )
    change = PriceChange.objects.get()
    assert (change.field, change.old_value, change.new_value, change.reason) == (
        "unit_cost",
        D("40.00"),
        D("42.00"),
        "New supplier quote",
    )
    page = client.get(url)
    assert page.context["preview"].landed == D("46.00")
    assert page.context["preview"].floor_price == D("76.67")  # 46.00 / 0.6 = 76.666.. rounded up


@pytest.mark.django_db
def test_loss_leader_set_and_ended(skus, client_for):
    from django.utils import timezone

    client = client_for("operations")
    url = reverse("catalog:sku-costs", args=["A"])
    until = (timezone.localdate() + timezone.timedelta(days=30)).isoformat()
    response = client.post(
        url, {"action": "loss_leader", "ll-loss_leader": "on", "ll-until": until, "ll-floor": "10"}
    )
    assert response.status_code == 400
    assert response.context["leader_form"].errors["reason"] == ["A loss leader needs a reason."]
    response = client.post(
        url,
        {
            "action": "loss_leader",
            "ll-loss_leader": "on",
            "ll-until": until,
            "ll-floor": "10",
            "ll-reason": "618",
        },
    )
    assert response.status_code == 302
    sku = SKU.objects.get(code="A")
    floor = floor_of(sku)
    assert (floor.value, floor.source) == (D("0.1000"), "loss_leader")
    # Now 69.00 passes the guard without override: floor price 43.70 / 0.9 = 48.56.
    response = client.post(
        reverse("catalog:sku-price", args=["A"]), {"target": "list", "price": "69.00", "reason": "618"}
    )
    assert response.status_code == 302 and PriceChange.objects.get().floor_override is False
    assert client.post(url, {"action": "loss_leader", "ll-floor": ""}).status_code == 302
    assert floor_of(SKU.objects.get(code="A")).source == "setting"


# --- bulk change ----------------------------------------------------------------------------------------


def bulk_form(**overrides):
    data = {
        "action": "preview",
        "category": "cleaning",
        "role": "",
        "q": "",
        "channel": "",
        "mode": "percent",
        "value": "5",
        "rounding": "x9",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def payload_of(response):
    return response.context["apply_form"].initial["payload"]


@pytest.mark.django_db
def test_bulk_preview_figures_to_the_cent(skus, client_for):
    """cleaning (with its sub-category vacuums), +5 %, round to 9:
    A 129.00 -> 135.45 -> 139.00; B 60.00 -> 63.00 -> 59.00; C 70.00 -> 73.50 -> 69.00 (under 75.00)."""
    client = client_for("operations")
    response = client.post(reverse("catalog:bulk-price"), bulk_form())
    assert response.status_code == 200
    preview = response.context["preview"]
    assert (preview.selected, len(preview.rows), len(preview.breaches), preview.unchanged) == (3, 3, 1, 0)
    rows = {r.sku.code: r for r in preview.rows}
    assert {code: (r.old_value, r.plan.new_value, r.change) for code, r in rows.items()} == {
        "A": (D("129.00"), D("139.00"), D("10.00")),
        "B": (D("60.00"), D("59.00"), D("-1.00")),
        "C": (D("70.00"), D("69.00"), D("-1.00")),
    }
    assert {code: r.margin for code, r in rows.items()} == {
        "A": D("0.6856"),
        "B": D("0.4068"),
        "C": D("0.3478"),
    }
    assert {code: r.floor_price for code, r in rows.items()} == {
        "A": D("72.84"),
        "B": D("58.34"),
        "C": D("75.00"),
    }
    assert [code for code, r in rows.items() if r.breach] == ["C"]
    html = response.content.decode()
    assert 'data-testid="count-breaches" class="text-danger">1<' in html
    assert '<tr data-sku="C" data-breach="1"' in html
    assert not PriceChange.objects.exists() and price_of("A") == D("129.00")


@pytest.mark.django_db
def test_bulk_apply_with_a_breach_is_refused_without_override(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:bulk-price")
    payload = payload_of(client.post(url, bulk_form()))
    response = client.post(
        url, {"action": "apply", "payload": payload, "reason": "Spring +5 %", "override": "on"}
    )
    assert response.status_code == 400
    error = response.context["apply_form"].non_field_errors()[0]
    assert error.startswith("1 price(s) would break the margin floor, e.g. C at ¥69.00")
    assert (price_of("A"), price_of("B"), price_of("C")) == (D("129.00"), D("60.00"), D("70.00"))
    assert not PriceChange.objects.exists()
    # The refused page shows the same preview again, with the same plan and the change form refilled.
    assert response.context["form"]["category"].value() == "cleaning"
    assert response.context["form"]["value"].value() == "5"
    assert [r.plan.new_value for r in response.context["preview"].rows] == [
        D("139.00"),
        D("59.00"),
        D("69.00"),
    ]


@pytest.mark.django_db
def test_bulk_preview_equals_apply(skus, client_for):
    """Leaving the breach out, the plan applies exactly what the preview showed; a SKU added to the
    category after the preview is not touched (apply does not recompute the selection)."""
    client = client_for("operations")
    url = reverse("catalog:bulk-price")
    response = client.post(url, bulk_form(skip_breaches="on"))
    preview = response.context["preview"]
    assert (len(preview.rows), preview.left_out) == (2, 1)
    planned = {r.sku.code: r.plan.new_value for r in preview.rows}
    SKUFactory(
        code="LATE", product=ProductFactory(category=Category.objects.get(code="vacuums")), list_price=D("80")
    )
    # No reason: refused, nothing written.
    response = client.post(url, {"action": "apply", "payload": payload_of(response), "reason": " "})
    assert response.status_code == 400 and not PriceChange.objects.exists()
    response = client.post(
        url,
        {
            "action": "apply",
            "payload": response.context["apply_form"]["payload"].value(),
            "reason": "Spring +5 %",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    assert planned == {"A": D("139.00"), "B": D("59.00")}
    assert {code: price_of(code) for code in ("A", "B", "C", "LATE", "ELSE", "OFF")} == {
        "A": D("139.00"),
        "B": D("59.00"),
        "C": D("70.00"),
        "LATE": D("80.00"),
        "ELSE": D("50.00"),
        "OFF": D("50.00"),
    }
    changes = {c.sku.code: c for c in PriceChange.objects.select_related("sku", "changed_by")}
    assert {code: (c.old_value, c.new_value, c.margin) for code, c in changes.items()} == {
        "A": (D("129.00"), D("139.00"), D("0.6856")),
        "B": (D("60.00"), D("59.00"), D("0.4068")),
    }
    assert {(c.source, c.reason, c.floor_override, c.changed_by.username) for c in changes.values()} == {
        ("bulk", "Spring +5 %", False, "user-operations")
    }
    # The tool's page lists them afterwards.
    html = client.get(url).content.decode()
    assert '<tr data-sku="A">' in html and '<tr data-sku="B">' in html


@pytest.mark.django_db
def test_bulk_breach_applied_with_override_is_audited(skus, client_for):
    client = client_for("admin")
    url = reverse("catalog:bulk-price")
    payload = payload_of(client.post(url, bulk_form()))
    response = client.post(
        url, {"action": "apply", "payload": payload, "reason": "Clear old stock", "override": "on"}
    )
    assert response.status_code == 302
    overridden = PriceChange.objects.filter(floor_override=True).values_list(
        "sku__code", "new_value", "margin"
    )
    assert list(overridden) == [("C", D("69.00"), D("0.3478"))]
    assert PriceChange.objects.filter(floor_override=False).count() == 2


@pytest.mark.django_db
def test_bulk_keep_floor_rounds_up_to_the_next_9(skus, client_for):
    client = client_for("operations")
    response = client.post(reverse("catalog:bulk-price"), bulk_form(keep_floor="on"))
    rows = {r.sku.code: r.plan.new_value for r in response.context["preview"].rows}
    assert rows == {"A": D("139.00"), "B": D("59.00"), "C": D("79.00")}  # C: never below 75.00 -> 79
    assert response.context["preview"].breaches == []


@pytest.mark.django_db
def test_bulk_cost_plus_and_channel_price(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:bulk-price")
    response = client.post(url, bulk_form(mode="markup", value="70", rounding="none"))
    rows = {r.sku.code: r.plan.new_value for r in response.context["preview"].rows}
    assert rows == {"A": D("74.29"), "B": D("59.50"), "C": D("76.50")}  # landed x 1.70, to the cent
    # A channel's price: from its own price where it has one, else from the list price.
    ChannelPrice.objects.create(sku=skus.a, channel="tmall", price=D("119.00"))
    response = client.post(url, bulk_form(channel="tmall", value="10", rounding="none", q="A"))
    preview = response.context["preview"]
    assert [
        (r.sku.code, r.plan.field, r.plan.channel, r.old_value, r.plan.new_value) for r in preview.rows
    ] == [("A", "channel_price", "tmall", D("119.00"), D("130.90"))]
    client.post(url, {"action": "apply", "payload": payload_of(response), "reason": "Tmall +10 %"})
    assert ChannelPrice.objects.get(sku=skus.a, channel="tmall").price == D("130.90")
    assert price_of("A") == D("129.00")


@pytest.mark.django_db
def test_bulk_form_errors_and_tampered_plans(skus, client_for, make_user):
    client = client_for("operations")
    url = reverse("catalog:bulk-price")
    response = client.post(url, bulk_form(value="abc", rounding="x7"))
    assert response.status_code == 400 and set(response.context["form"].errors) == {"value", "rounding"}
    response = client.post(url, bulk_form(category="", q="nothing-matches"))
    assert response.status_code == 400
    assert response.context["form"].non_field_errors() == ["No SKU matches the selection."]
    payload = payload_of(client.post(url, bulk_form()))
    tampered = payload[:-3] + ("AAA" if payload[-3:] != "AAA" else "BBB")
    response = client.post(url, {"action": "apply", "payload": tampered, "reason": "x"})
    assert response.status_code == 400
    assert response.context["apply_errors"] == [
        "The preview could not be verified: preview the change again."
    ]
    # A plan signed for someone else is refused too.
    other = make_user("operations", username="someone-else")
    foreign = SignedPlanForm.sign(user=other, tool="bulk", plans=[])
    assert client.post(url, {"action": "apply", "payload": foreign, "reason": "x"}).status_code == 400
    # A plan of another tool is refused.
    channels = SignedPlanForm.sign(user=response.wsgi_request.user, tool="channels", plans=[])
    assert client.post(url, {"action": "apply", "payload": channels, "reason": "x"}).status_code == 400
    assert not PriceChange.objects.exists()


# --- channel and tier prices ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_channel_adjustments_and_derived_prices(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:channel-prices")
    response = client.post(
        url,
        {
            "action": "adjustments",
            "adj-tmall-percent": "3",
            "adj-tmall-round_to_9": "on",
            "adj-jd-percent": "-2",
        },
    )
    assert response.status_code == 302
    assert set(ChannelAdjustment.objects.values_list("channel", "percent", "round_to_9")) == {
        ("tmall", D("0.0300"), True),
        ("jd", D("-0.0200"), False),
    }
    response = client.post(url, {"action": "preview", "category": "", "q": "A", "channels": ["jd", "tmall"]})
    preview = response.context["preview"]
    # tmall: 129.00 x 1.03 = 132.87 -> 129 (X9), which is what it sells at already: unchanged.
    # jd: 129.00 x 0.98 = 126.42, not rounded.
    assert [(r.plan.channel, r.old_value, r.plan.new_value) for r in preview.rows] == [
        ("jd", D("129.00"), D("126.42"))
    ]
    assert preview.unchanged == 1
    assert (
        client.post(
            url, {"action": "apply", "payload": payload_of(response), "reason": "JD rule"}
        ).status_code
        == 302
    )
    assert list(ChannelPrice.objects.values_list("sku__code", "channel", "price")) == [
        ("A", "jd", D("126.42"))
    ]
    change = PriceChange.objects.get()
    assert (change.field, change.channel, change.source) == ("channel_price", "jd", "bulk")


@pytest.mark.django_db
def test_tier_prices_from_percent_per_tier(skus, client_for):
    client = client_for("operations")
    url = reverse("catalog:tier-prices")
    response = client.post(url, {"action": "preview", "category": "cleaning", "tier_gold": "10"})
    preview = response.context["preview"]
    assert {r.sku.code: (r.plan.tier, r.plan.new_value, r.breach) for r in preview.rows} == {
        "A": ("gold", D("116.10"), False),
        "B": ("gold", D("54.00"), True),
        "C": ("gold", D("63.00"), True),
    }
    response = client.post(
        url, {"action": "preview", "category": "cleaning", "tier_gold": "10", "skip_breaches": "on"}
    )
    assert response.context["preview"].left_out == 2
    assert (
        client.post(url, {"action": "apply", "payload": payload_of(response), "reason": "Gold"}).status_code
        == 302
    )
    assert list(MemberTierPrice.objects.values_list("sku__code", "tier", "price")) == [
        ("A", "gold", D("116.10"))
    ]
    response = client.post(url, {"action": "preview", "category": "cleaning"})
    assert response.context["form"].non_field_errors() == ["Give a discount for at least one member tier."]


# --- who may use the tools ------------------------------------------------------------------------------


TOOL_URLS = [
    ("catalog:sku-price", ["A"]),
    ("catalog:sku-costs", ["A"]),
    ("catalog:bulk-price", []),
    ("catalog:channel-prices", []),
    ("catalog:tier-prices", []),
    ("catalog:bundles", []),
    ("catalog:bundle-create", []),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["manager", "finance", "marketing", "inventory_planner"])
def test_read_only_roles_get_403_on_every_tool(skus, client_for, role):
    client = client_for(role)
    for name, args in TOOL_URLS:
        url = reverse(name, args=args)
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"target": "list", "price": "1.00", "reason": "x"}).status_code == 403, url
    assert price_of("A") == D("129.00") and not PriceChange.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["operations", "admin"])
def test_pricing_roles_open_every_tool(skus, client_for, role):
    client = client_for(role)
    for name, args in TOOL_URLS:
        assert client.get(reverse(name, args=args)).status_code == 200, name
