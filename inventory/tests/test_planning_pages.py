"""The planner's pages: the overview's attention lists, the replenishment worklist (approve into POs,
dismiss; 403 without inventory.change_purchaseorder), the SKU stock page with the maths, forecast accuracy
and the KPI page."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory import services
from inventory.models import (
    DemandDay,
    ForecastModel,
    PurchaseOrder,
    ReplenishmentSuggestion,
    SKUClass,
    SKUForecast,
    Supplier,
    SupplierSKU,
)
from inventory.tests.factories import WarehouseFactory

pytestmark = pytest.mark.django_db
Status = ReplenishmentSuggestion.Status


@pytest.fixture
def data():
    today = timezone.localdate()
    east, west = WarehouseFactory(code="east", name="East"), WarehouseFactory(code="west", name="West")
    acme = Supplier.objects.create(code="acme", name="Acme", lead_time_days=7)
    bolt = Supplier.objects.create(code="bolt", name="Bolt", lead_time_days=5)
    one = SKUFactory(code="P-1", name="Mop", unit_cost=Decimal("10.00"))
    two = SKUFactory(code="P-2", name="Bucket", unit_cost=Decimal("4.00"))
    three = SKUFactory(code="P-3", name="Brush", unit_cost=Decimal("2.00"))
    for sku in (one, two):
        SupplierSKU.objects.create(
            supplier=acme, sku=sku, unit_cost=Decimal("12.50"), min_order_qty=10, case_pack=5
        )
    SupplierSKU.objects.create(supplier=bolt, sku=three, unit_cost=Decimal("2.00"))
    services.stock_receive(sku_id=one.pk, warehouse=east, quantity=8, reference="opening")
    services.stock_receive(sku_id=three.pk, warehouse=west, quantity=50, reference="opening")
    for i in range(1, 29):
        DemandDay.objects.create(sku=one, warehouse=east, day=today - timedelta(days=i), reserved=2)
    SKUForecast.objects.create(
        sku=one,
        business_date=today,
        model="ets",
        daily=[2.0] * 90,
        lower=[0.5] * 90,
        upper=[3.5] * 90,
        mean_daily=Decimal("2.000"),
        sigma_daily=Decimal("1.000"),
        wape=Decimal("0.2500"),
        bias=Decimal("0.1000"),
        actual_28d=56,
        history_days=200,
    )
    SKUForecast.objects.create(
        sku=two,
        business_date=today,
        model="croston",
        daily=[0.5] * 90,
        mean_daily=Decimal("0.500"),
        wape=Decimal("0.6000"),
        bias=Decimal("-0.2000"),
        actual_28d=14,
        intermittent=True,
    )
    SKUClass.objects.create(sku=one, business_date=today, abc="A", xyz="X")
    SKUClass.objects.create(sku=two, business_date=today, abc="B", xyz="Z")

    def suggest(sku, wh, supplier, quantity, day=today, **extra):
        return ReplenishmentSuggestion.objects.create(
            business_date=day,
            sku=sku,
            warehouse=wh,
            supplier=supplier,
            service_level=Decimal("0.9800"),
            z=Decimal("2.054"),
            quantity=quantity,
            unit_cost=Decimal("12.50"),
            amount=Decimal("12.50") * quantity,
            lead_time_days=Decimal("7"),
            **extra,
        )

    s1 = suggest(one, east, acme, 20, available=8, projected_stockout_on=today + timedelta(days=4))
    s2 = suggest(two, east, acme, 10)
    s3 = suggest(three, west, bolt, 5, projected_stockout_on=today + timedelta(days=30))  # after lead time
    old = suggest(one, east, acme, 99, day=today - timedelta(days=1))
    return SimpleNamespace(
        today=today,
        east=east,
        west=west,
        acme=acme,
        bolt=bolt,
        skus=(one, two, three),
        s=(s1, s2, s3),
        old=old,
    )


def test_worklist_groups_the_latest_run_by_supplier(client_for, data):
    planner = client_for("inventory_planner")
    html = planner.get(reverse("inventory:replenishment")).content.decode()
    assert 'data-testid="group-purchase-acme"' in html and 'data-testid="group-purchase-bolt"' in html
    assert html.index("group-purchase-acme") < html.index("group-purchase-bolt")
    assert f'data-suggestion="{data.old.pk}"' not in html  # yesterday's run
    assert f'name="qty_{data.s[0].pk}" value="20"' in html
    assert "approve-purchase-acme" in html
    # Operations read the list without the approve buttons or inputs.
    html = client_for("operations").get(reverse("inventory:replenishment")).content.decode()
    assert "group-purchase-acme" in html and "approve-purchase-acme" not in html and "qty_" not in html


def test_planner_approves_a_suppliers_suggestions_into_an_approved_po(client_for, data):
    s1, s2, s3 = data.s
    planner = client_for("inventory_planner")
    response = planner.post(
        reverse("inventory:replenishment"),
        {"action": "approve", "suggestion": [s1.pk, s2.pk], f"qty_{s1.pk}": "25", f"qty_{s2.pk}": "10"},
    )
    po = PurchaseOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:po-detail", args=[po.number]
    )
    assert (po.supplier, po.warehouse, po.status) == (data.acme, data.east, PurchaseOrder.Status.APPROVED)
    assert sorted(po.lines.values_list("sku__code", "quantity", "unit_cost")) == [
        ("P-1", 25, Decimal("12.50")),
        ("P-2", 10, Decimal("12.50")),
    ]
    assert po.amount == Decimal("437.50")  # 35 x 12.50
    s1.refresh_from_db()
    s3.refresh_from_db()
    assert (s1.status, s1.quantity, s1.purchase_order) == (Status.ORDERED, 25, po)
    assert s3.status == Status.OPEN
    html = planner.get(reverse("inventory:replenishment") + "?status=ordered").content.decode()
    assert po.number in html


def test_approval_refused_by_the_suppliers_terms_shows_why(client_for, data):
    s1 = data.s[0]
    planner = client_for("inventory_planner")
    response = planner.post(
        reverse("inventory:replenishment"), {"action": "approve", "suggestion": [s1.pk], f"qty_{s1.pk}": "7"}
    )
    assert response.status_code == 400
    assert "P-1: 7 is below the minimum order quantity of 10." in response.content.decode()
    assert PurchaseOrder.objects.count() == 0
    s1.refresh_from_db()
    assert s1.status == Status.OPEN
    response = planner.post(reverse("inventory:replenishment"), {"action": "approve", f"qty_{s1.pk}": "x"})
    assert response.status_code == 400 and "Tick at least one suggestion." in response.content.decode()


def test_dismiss(client_for, data):
    s3 = data.s[2]
    response = client_for("inventory_planner").post(
        reverse("inventory:replenishment"), {"action": "dismiss", "suggestion": [s3.pk]}
    )
    assert response.status_code == 302
    s3.refresh_from_db()
    assert s3.status == Status.DISMISSED and PurchaseOrder.objects.count() == 0


@pytest.mark.parametrize("role", ["operations", "manager"])
def test_roles_without_the_permission_cannot_approve(client_for, data, role):
    s1 = data.s[0]
    client = client_for(role)
    for action in ("approve", "dismiss"):
        response = client.post(reverse("inventory:replenishment"), {"action": action, "suggestion": [s1.pk]})
        assert response.status_code == 403
    s1.refresh_from_db()
    assert s1.status == Status.OPEN and PurchaseOrder.objects.count() == 0


def test_overview_shows_what_needs_attention(client_for, data):
    html = client_for("operations").get(reverse("inventory:overview")).content.decode()
    # P-1 runs out in 4 days, before an order placed today arrives (7 days); P-3 only after 30 days.
    assert 'data-testid="risk-count">1<' in html
    assert 'data-sku="P-1"' in html and 'data-sku="P-3"' not in html
    assert 'data-testid="kpi-cards"' in html
    # Dead stock: P-3 has 50 units and no sale in 90 days (2.00 each).
    assert 'data-testid="dead-count">1<' in html


def test_sku_stock_page_with_levels_chart_and_maths(client_for, data):
    client = client_for("operations")
    response = client.get(reverse("inventory:sku-stock", args=["P-1"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-warehouse="east"' in html and 'data-col="on_hand">8<' in html
    assert 'data-figure="sku-forecast"' in html
    chart = response.context["chart"]
    assert [trace["name"] for trace in chart["data"]] == ["Demand", "Prediction interval", "Forecast"]
    assert len(chart["data"][0]["x"]) == 180 and sum(chart["data"][0]["y"]) == 56
    explain = response.context["explain"]
    assert explain is not None and explain["available"] is True
    assert 'data-testid="ss-formula"' in html and explain["safety_stock"]["formula"] in html
    assert "opening" in html  # the ledger row
    # Stored keys are shown in words: the model's and the supplier tier's labels, the reason of the choice.
    assert explain["forecast"]["model"] in {label for _key, label in ForecastModel.choices}
    assert explain["supplier"]["tier"] in {label for _key, label in Supplier.Tier.choices}
    assert str(explain["supplier"]["reason"]).startswith(("chosen for its", "the only qualified"))
    assert str(explain["supplier"]["reason"]) in html
    assert client.get(reverse("inventory:sku-stock", args=["NOPE"])).status_code == 404


def test_forecast_accuracy_pools_by_class_and_model(client_for, data):
    client = client_for("manager")
    response = client.get(reverse("inventory:forecast-accuracy"))
    assert response.status_code == 200
    by_class = {r.key: (r.skus, r.actual_units, r.wape, r.bias) for r in response.context["by_class"]}
    assert by_class == {
        "A": (1, 56, Decimal("0.2500"), Decimal("0.1000")),
        "B": (1, 14, Decimal("0.6000"), Decimal("-0.2000")),
    }
    total = response.context["total"]
    # (0.25 x 56 + 0.60 x 14) / 70 = 22.4 / 70; bias (5.6 - 2.8) / 70
    assert (total.wape, total.bias, total.accuracy) == (
        Decimal("0.3200"),
        Decimal("0.0400"),
        Decimal("0.6800"),
    )
    offenders = [f.sku.code for f in response.context["page_obj"]]
    assert offenders == ["P-1", "P-2"]  # 14 units wrong, then 8.4
    html = response.content.decode()
    assert reverse("inventory:sku-stock", args=["P-1"]) in html
    sorted_by_wape = client.get(reverse("inventory:forecast-accuracy") + "?sort=wape")
    assert [f.sku.code for f in sorted_by_wape.context["page_obj"]] == ["P-2", "P-1"]


def test_kpi_page_and_export(client_for, data):
    client = client_for("inventory_planner")
    response = client.get(reverse("inventory:kpis"))
    assert response.status_code == 200
    k = response.context["k"]
    assert k.value == Decimal("180.00")  # 8 x 10 + 50 x 2
    assert [r.code for r in response.context["page_obj"]] == ["P-3"]
    csv = client.get(reverse("inventory:kpis") + "?list=overstock&export=csv")
    body = b"".join(csv.streaming_content).decode()
    assert body.splitlines()[1].startswith("P-3,")
