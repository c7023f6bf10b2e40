"""GET /api/v1/inventory/forecasts, /suggestions and /levels: scope inventory:read, exact shapes, filters,
field errors, cursor pagination."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory import services
from inventory.models import ReplenishmentSuggestion, SKUForecast, StockMovement, Supplier
from inventory.services import MovementSpec
from inventory.tests.factories import WarehouseFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
TODAY = date(2025, 6, 1)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def make_getter(client, scopes):
    _api_client, key = ApiClient.objects.create_key(name="erp", scopes=scopes)

    def get(name, query=""):
        return client.get(f"{reverse(name)}{query}", HTTP_AUTHORIZATION=f"Api-Key {key}")

    return get


@pytest.fixture
def api(client):
    return make_getter(client, ["inventory:read"])


@pytest.fixture
def data():
    east, west = WarehouseFactory(code="east"), WarehouseFactory(code="west")
    one, two = SKUFactory(code="SKU-0001"), SKUFactory(code="SKU-0002")
    acme = Supplier.objects.create(code="acme", name="Acme")
    bolt = Supplier.objects.create(code="bolt", name="Bolt")
    services.stock_receive(sku_id=one.pk, warehouse=east, quantity=10, reference="PO-1")
    services.stock_receive(sku_id=one.pk, warehouse=west, quantity=5, reference="PO-2")
    services.stock_receive(sku_id=two.pk, warehouse=east, quantity=4, reference="PO-3")
    services.stock_movements_apply(
        movements=[MovementSpec(one.pk, west.pk, StockMovement.Kind.RESERVATION, reserved_delta=3)]
    )
    SKUForecast.objects.create(
        sku=one,
        business_date=date(2025, 5, 31),
        model="croston",
        daily=[9.0, 9.0],
        lower=[0.0, 0.0],
        upper=[20.0, 20.0],
        mean_daily=Decimal("9"),
    )
    SKUForecast.objects.create(
        sku=one,
        business_date=TODAY,
        model="ets",
        daily=[1.5, 2.25, 3.0],
        lower=[0.5, 1.0, 1.25],
        upper=[2.5, 3.5, 4.75],
        mean_daily=Decimal("2.250"),
        sigma_daily=Decimal("0.800"),
        wape=Decimal("0.2143"),
        bias=Decimal("-0.0500"),
        actual_28d=56,
        intermittent=False,
        history_days=730,
        stockout_days=2,
    )

    def suggestion(day, sku, wh, kind="purchase", supplier=None, source=None, quantity=10, **extra):
        return ReplenishmentSuggestion.objects.create(
            business_date=day,
            sku=sku,
            warehouse=wh,
            kind=kind,
            supplier=supplier,
            source_warehouse=source,
            service_level=Decimal("0.9500"),
            z=Decimal("1.645"),
            quantity=quantity,
            **extra,
        )

    old = suggestion(date(2025, 5, 31), one, east, supplier=acme)
    s1 = suggestion(
        TODAY,
        one,
        east,
        supplier=acme,
        quantity=40,
        abc="A",
        on_hand=10,
        available=10,
        daily_demand=Decimal("2.250"),
        safety_stock=6,
        reorder_point=22,
        order_up_to=38,
        projected_stockout_on=date(2025, 6, 5),
        next_arrival_on=date(2025, 6, 8),
        quantity_needed=28,
        unit_cost=Decimal("12.50"),
        amount=Decimal("500.00"),
        lead_time_days=Decimal("7.00"),
    )
    s2 = suggestion(TODAY, two, west, supplier=bolt, quantity=12)
    s3 = suggestion(TODAY, one, west, kind="transfer", source=east, quantity=3)
    return SimpleNamespace(east=east, west=west, one=one, two=two, old=old, s=(s1, s2, s3))


def test_urls():
    assert reverse("api-inventory-forecasts") == "/api/v1/inventory/forecasts"
    assert reverse("api-inventory-suggestions") == "/api/v1/inventory/suggestions"
    assert reverse("api-inventory-levels") == "/api/v1/inventory/levels"


def test_forecast_is_the_latest_with_days_and_accuracy(api, data):
    response = api("api-inventory-forecasts", "?sku=SKU-0001")
    assert response.status_code == 200
    assert response.json() == {
        "sku": "SKU-0001",
        "business_date": "2025-06-01",
        "model": "ets",
        "model_name": "Exponential smoothing, weekly seasonality",
        "mean_daily": "2.250",
        "sigma_daily": "0.800",
        "wape": "0.2143",
        "bias": "-0.0500",
        "actual_28d": 56,
        "intermittent": False,
        "history_days": 730,
        "stockout_days": 2,
        "days": [
            {"date": "2025-06-02", "forecast": 1.5, "lower": 0.5, "upper": 2.5},
            {"date": "2025-06-03", "forecast": 2.25, "lower": 1.0, "upper": 3.5},
            {"date": "2025-06-04", "forecast": 3.0, "lower": 1.25, "upper": 4.75},
        ],
    }


def test_forecast_errors(api, data):
    response = api("api-inventory-forecasts")
    assert response.status_code == 400 and response.json() == {"sku": ["This field is required."]}
    response = api("api-inventory-forecasts", "?sku=NOPE")
    assert response.status_code == 404 and response.json() == {"detail": "No SKU with code 'NOPE'."}
    response = api("api-inventory-forecasts", "?sku=SKU-0002")
    assert response.status_code == 404 and response.json() == {
        "detail": "No forecast for SKU 'SKU-0002' yet."
    }


def test_suggestions_of_the_latest_run(api, data):
    s1, s2, s3 = data.s
    response = api("api-inventory-suggestions")
    assert response.status_code == 200
    body = response.json()
    assert [row["id"] for row in body["results"]] == [s1.pk, s2.pk, s3.pk]  # not the older run's
    assert body["next"] is None
    assert body["results"][0] == {
        "id": s1.pk,
        "business_date": "2025-06-01",
        "sku": "SKU-0001",
        "warehouse": "east",
        "kind": "purchase",
        "status": "open",
        "supplier": "acme",
        "source_warehouse": None,
        "abc": "A",
        "service_level": "0.9500",
        "on_hand": 10,
        "available": 10,
        "inbound": 0,
        "daily_demand": "2.250",
        "sigma_demand": "0.000",
        "lead_time_days": "7.00",
        "lead_time_spread_days": "0.00",
        "safety_stock": 6,
        "reorder_point": 22,
        "order_up_to": 38,
        "projected_stockout_on": "2025-06-05",
        "next_arrival_on": "2025-06-08",
        "quantity_needed": 28,
        "quantity": 40,
        "unit_cost": "12.50",
        "amount": "500.00",
        "purchase_order": None,
        "transfer": None,
    }
    transfer = body["results"][2]
    assert (transfer["kind"], transfer["supplier"], transfer["source_warehouse"]) == (
        "transfer",
        None,
        "east",
    )


def test_suggestion_filters_and_pagination(api, data):
    s1, s2, s3 = data.s

    def ids(query):
        response = api("api-inventory-suggestions", query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids("?supplier=bolt") == [s2.pk]
    assert ids("?warehouse=west") == [s2.pk, s3.pk]
    assert ids("?kind=transfer") == [s3.pk]
    assert ids("?status=ordered") == []
    first = api("api-inventory-suggestions", "?page_size=2").json()
    assert [r["id"] for r in first["results"]] == [s1.pk, s2.pk]
    second = api("api-inventory-suggestions", "?" + first["next"].split("?", 1)[1]).json()
    assert [r["id"] for r in second["results"]] == [s3.pk] and second["next"] is None


def test_suggestion_field_errors(api, data):
    response = api("api-inventory-suggestions", "?supplier=nope&kind=gift&warehouse=north")
    assert response.status_code == 400
    assert response.json() == {
        "supplier": ["Unknown supplier 'nope'."],
        "warehouse": ["Unknown warehouse 'north'."],
        "kind": ['"gift" is not a valid choice.'],
    }


def test_suggestions_empty_before_the_first_run(api, db):
    response = api("api-inventory-suggestions")
    assert response.status_code == 200 and response.json()["results"] == []


def test_levels(api, data):
    response = api("api-inventory-levels")
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"sku": "SKU-0001", "warehouse": "east", "on_hand": 10, "reserved": 0, "available": 10},
        {"sku": "SKU-0001", "warehouse": "west", "on_hand": 5, "reserved": 3, "available": 2},
        {"sku": "SKU-0002", "warehouse": "east", "on_hand": 4, "reserved": 0, "available": 4},
    ]
    rows = api("api-inventory-levels", "?sku=SKU-0002,NOPE&sku=SKU-0001&warehouse=east").json()["results"]
    assert [(r["sku"], r["warehouse"]) for r in rows] == [("SKU-0001", "east"), ("SKU-0002", "east")]
    assert api("api-inventory-levels", "?sku=NOPE").json()["results"] == []
    response = api("api-inventory-levels", "?warehouse=north")
    assert response.status_code == 400 and response.json() == {"warehouse": ["Unknown warehouse 'north'."]}


@pytest.mark.parametrize(
    "name", ["api-inventory-forecasts", "api-inventory-suggestions", "api-inventory-levels"]
)
def test_scope_required(client, data, name):
    other = make_getter(client, ["stock:read", "catalog:read"])
    response = other(name, "?sku=SKU-0001")
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'inventory:read'."}
    assert client.get(f"{reverse(name)}?sku=SKU-0001").status_code == 401


def test_schema_documents_the_endpoints(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--file", str(out), "--validate")
    text = out.read_text()
    for path in (
        "/api/v1/inventory/forecasts:",
        "/api/v1/inventory/suggestions:",
        "/api/v1/inventory/levels:",
    ):
        assert path in text
    assert "The API key lacks the scope `inventory:read`" in text
