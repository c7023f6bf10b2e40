"""Bundles: landed cost from the components, margin against the floor, available stock from the scarcest
component (read through settings.SHOPOPS_SKU_STOCK_SELECTOR), created through the floor guard."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from catalog.models import SKU, BundleComponent, PriceChange, Product, SKUCost
from catalog.services import MarginFloorError, bundle_create, bundle_quote, sku_available
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory

D = Decimal

STOCK = {}  # sku id -> list of per-warehouse rows, set by the `stock` fixture


def fake_stock(sku_id):
    return STOCK.get(sku_id, [])


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.SHOPOPS_SKU_STOCK_SELECTOR = "catalog.tests.test_bundles.fake_stock"
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_tools.fake_channels"


@pytest.fixture
def parts(db):
    """A: landed 43.70 (40.00 + 2.50 + 1.20), 10 available in two warehouses; B: landed 35.00, 20."""
    category = CategoryFactory(code="kits", name="Kits")
    a = SKUFactory(
        code="BRUSH", product=ProductFactory(category=category), unit_cost=D("40.00"), weight_kg=D("0.800")
    )
    SKUCost.objects.create(sku=a, inbound_cost=D("2.50"), packaging_cost=D("1.20"))
    b = SKUFactory(
        code="HEAD", product=ProductFactory(category=category), unit_cost=D("35.00"), weight_kg=D("0.100")
    )
    STOCK.clear()
    STOCK[a.pk] = [{"warehouse": "SH", "available": 7}, {"warehouse": "GZ", "available": 3}]
    STOCK[b.pk] = [{"warehouse": "SH", "available": 20}]
    yield category, a, b
    STOCK.clear()


@pytest.mark.django_db
def test_quote_to_the_cent(parts):
    """1 x BRUSH + 3 x HEAD: landed 43.70 + 3 x 35.00 = 148.70; purchase 40.00 + 105.00 = 145.00;
    at 259.00 the margin is 110.30 / 259.00 = 42.59 %; floor price 148.70 / 0.6 = 247.84;
    available min(10 // 1, 20 // 3) = 6."""
    category, a, b = parts
    quote = bundle_quote(components=[(a, 1), (b, 3)], price=D("259.00"), category=category)
    assert (quote.landed, quote.unit_cost, quote.margin, quote.floor_price) == (
        D("148.70"),
        D("145.00"),
        D("0.4259"),
        D("247.84"),
    )
    assert (quote.breach, quote.available) == (False, 6)
    assert [(line.sku.code, line.available, line.landed_total) for line in quote.lines] == [
        ("BRUSH", 10, D("43.70")),
        ("HEAD", 20, D("105.00")),
    ]
    assert bundle_quote(components=[(a, 1), (b, 3)], price=D("239.00"), category=category).breach is True


@pytest.mark.django_db
def test_stock_without_the_setting_counts_zero(parts, settings):
    settings.SHOPOPS_SKU_STOCK_SELECTOR = ""
    _category, a, _b = parts
    assert sku_available([a.pk]) == {a.pk: 0}


@pytest.mark.django_db
def test_bundle_create_sets_costs_and_audits_the_price(parts, make_user):
    category, a, b = parts
    user = make_user("operations")
    bundle = bundle_create(
        code="KIT-1",
        name="Cleaning kit",
        price=D("259.00"),
        components=[(a.pk, 1), (b.pk, 3)],
        category=category,
        reason="New kit",
        user=user,
    )
    assert (bundle.unit_cost, bundle.list_price, bundle.weight_kg) == (D("145.00"), D("259.00"), D("1.100"))
    assert bundle.product.category == category and bundle.product.name == "Cleaning kit"
    assert set(bundle.components.values_list("component__code", "quantity")) == {("BRUSH", 1), ("HEAD", 3)}
    change = PriceChange.objects.get(sku=bundle)
    assert (change.old_value, change.new_value, change.margin, change.reason, change.changed_by) == (
        D("0.00"),
        D("259.00"),
        D("0.4259"),
        "New kit",
        user,
    )


@pytest.mark.django_db
def test_bundle_under_the_floor_is_refused_and_nothing_is_written(parts, make_user):
    category, a, b = parts
    products = Product.objects.count()
    with pytest.raises(MarginFloorError) as exc:
        bundle_create(
            code="KIT-1",
            name="Cleaning kit",
            price=D("199.00"),
            components=[(a.pk, 1), (b.pk, 3)],
            category=category,
            reason="Cheap kit",
            user=make_user("operations"),
        )
    assert "lowest allowed price ¥247.84" in exc.value.messages[0]
    assert not SKU.objects.filter(code="KIT-1").exists()
    assert Product.objects.count() == products and not BundleComponent.objects.exists()
    assert not PriceChange.objects.exists()


@pytest.mark.django_db
def test_bundle_create_validates(parts, make_user):
    category, a, b = parts
    user = make_user("operations")
    with pytest.raises(ValidationError) as exc:
        bundle_create(
            code="BRUSH",
            name="",
            price=D("0"),
            components=[(a.pk, 1)],
            category=category,
            reason="x",
            user=user,
        )
    assert set(exc.value.message_dict) == {"code", "name", "price", "components"}
    kit = bundle_create(
        code="KIT-1",
        name="Kit",
        price=D("259.00"),
        components=[(a.pk, 1), (b.pk, 3)],
        category=category,
        reason="x",
        user=user,
    )
    with pytest.raises(ValidationError) as exc:
        bundle_create(
            code="KIT-2",
            name="Kit of kits",
            price=D("999.00"),
            components=[(kit.pk, 2)],
            category=category,
            reason="x",
            user=user,
        )
    assert exc.value.message_dict == {"components": ["A bundle cannot be a component of another bundle."]}


def bundle_post(**overrides):
    data = {
        "code": "KIT-9",
        "name": "Cleaning kit",
        "category": "kits",
        "product_name": "",
        "role": "core",
        "price": "259.00",
        "reason": "Kit for 618",
        "c-TOTAL_FORMS": "5",
        "c-INITIAL_FORMS": "0",
        "c-MIN_NUM_FORMS": "0",
        "c-MAX_NUM_FORMS": "20",
        "c-0-sku": "BRUSH",
        "c-0-quantity": "1",
        "c-1-sku": "HEAD",
        "c-1-quantity": "3",
        "action": "preview",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_bundle_pages_preview_create_and_list(parts, client_for):
    client = client_for("operations")
    url = reverse("catalog:bundle-create")
    response = client.post(url, bundle_post())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="quote-landed">¥148.70<' in html
    assert 'data-testid="quote-margin">42.6%<' in html
    assert 'data-testid="quote-floor-price">¥247.84<' in html
    assert 'data-testid="quote-available">6<' in html
    assert not SKU.objects.filter(code="KIT-9").exists()
    # Under the floor: refused with the floor message, nothing created.
    response = client.post(url, bundle_post(price="199.00", action="create"))
    assert response.status_code == 400
    assert "would break the margin floor" in response.context["form"].non_field_errors()[0]
    assert not SKU.objects.filter(code="KIT-9").exists()
    # An unknown component is a field error.
    response = client.post(url, bundle_post(**{"c-1-sku": "NOPE", "action": "create"}))
    assert response.status_code == 400
    assert response.context["formset"].forms[1].errors["sku"] == ["No SKU has this code."]
    # Created: listed with its figures.
    response = client.post(url, bundle_post(action="create"))
    assert response.status_code == 302 and response["Location"] == reverse("catalog:bundles")
    assert SKU.objects.get(code="KIT-9").list_price == D("259.00")
    html = client.get(reverse("catalog:bundles")).content.decode()
    assert '<tr data-sku="KIT-9">' in html and '<td class="num" data-col="available">6</td>' in html
    assert "1 × BRUSH, 3 × HEAD" in html
