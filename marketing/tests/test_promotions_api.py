"""GET/POST /api/v1/promotions and GET/PUT /api/v1/promotions/{code}."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.utils import timezone

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import FlashSalePool, Promotion
from orders.tests.factories import ChannelFactory
from shopops.common.models import ApiClient

LIST = "/api/v1/promotions"


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def keys(db):
    return {
        scope: ApiClient.objects.create_key(name=scope, scopes=[scope])[1]
        for scope in ("marketing:read", "marketing:write", "pricing:quote")
    }


@pytest.fixture
def call(client, keys):
    def send(method, path, body=None, *, scope="marketing:write"):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {keys[scope]}"} if scope else {}
        if body is None:
            return getattr(client, method)(path, **headers)
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return getattr(client, method)(path, data=data, content_type="application/json", **headers)

    return send


@pytest.fixture
def catalog(db):
    tea = CategoryFactory(code="tea", name="Tea")
    SKUFactory(code="SKU-0001", product=ProductFactory(category=tea), unit_cost=Decimal("40.00"))
    SKUFactory(code="SKU-0002", product=ProductFactory(category=tea), unit_cost=Decimal("20.00"))
    ChannelFactory(code="own_store", name="Own store")


D11 = {
    "code": "D11-TIERS",
    "name": "满199减20 满399减50",
    "kind": "threshold_amount",
    "params": {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
    "scope": {"skus": [], "categories": [], "channels": [], "member_tiers": []},
    "starts_at": "2026-11-01T00:00:00+08:00",
    "ends_at": "2026-11-12T00:00:00+08:00",
    "priority": 10,
    "exclusive": False,
    "coupon_required": False,
    "usage_limit": None,
    "per_customer_limit": None,
    "loss_leader": False,
}


def test_create_answers_201_with_the_stored_promotion(call, catalog):
    response = call("post", LIST, D11)
    assert response.status_code == 201, response.json()
    assert response.json() == {
        **D11,
        "params": {
            "tiers": [{"threshold": "199.00", "amount": "20.00"}, {"threshold": "399.00", "amount": "50.00"}]
        },
        "active": True,
        "used": 0,
        "status": "ended",
        "warnings": [],
    }
    assert Promotion.objects.get(code="D11-TIERS").name == "满199减20 满399减50"


def test_create_400_with_field_errors_and_nothing_written(call, catalog):
    body = {
        **D11,
        "params": {"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "3x9", "amount": "50"}]},
        "scope": {"skus": ["SKU-0001", "SKU-9"], "channels": ["own_store"]},
    }
    response = call("post", LIST, body)
    assert response.status_code == 400
    assert response.json() == {
        "params.tiers[1].threshold": ['Enter an amount of money, e.g. "19.90".'],
        "scope.skus": ["Unknown SKU: SKU-9."],
    }
    assert not Promotion.objects.exists()
    assert call("post", LIST, b"{nope").status_code == 400
    assert call("post", LIST, [1]).json() == {"non_field_errors": ["Expected a JSON object."]}


def test_create_answers_the_margin_floor_warning(call, catalog):
    body = {
        **D11,
        "code": "HALF",
        "kind": "percent_off",
        "params": {"percent": "50"},
        "scope": {"skus": ["SKU-0001"]},
    }
    response = call("post", LIST, body)
    assert response.status_code == 201
    assert response.json()["warnings"] == [
        "This promotion can take 1 SKU(s) below their margin floor (SKU-0001 ¥49.50 < floor ¥66.67); when "
        "pricing, those lines stop at the floor unless the promotion is a loss leader."
    ]


def test_scopes(call, catalog):
    assert call("post", LIST, D11, scope="marketing:read").status_code == 403
    assert call("post", LIST, D11, scope="pricing:quote").status_code == 403
    assert call("post", LIST, D11, scope=None).status_code == 401
    assert call("post", LIST, D11).status_code == 201
    assert call("get", LIST, scope="marketing:read").status_code == 200
    assert call("get", LIST, scope="marketing:write").status_code == 200
    assert call("get", LIST, scope="pricing:quote").status_code == 403
    assert call("get", f"{LIST}/D11-TIERS", scope="marketing:read").status_code == 200
    assert call("put", f"{LIST}/D11-TIERS", D11, scope="marketing:read").status_code == 403


def test_get_one_and_404(call, catalog):
    call("post", LIST, D11)
    body = call("get", f"{LIST}/D11-TIERS", scope="marketing:read").json()
    assert (body["code"], body["kind"], body["used"]) == ("D11-TIERS", "threshold_amount", 0)
    assert call("get", f"{LIST}/d11-tiers", scope="marketing:read").json()["code"] == "D11-TIERS"
    assert call("get", f"{LIST}/NOPE", scope="marketing:read").status_code == 404
    assert call("put", f"{LIST}/NOPE", D11).status_code == 404


def test_put_replaces_and_may_rename(call, catalog):
    call("post", LIST, D11)
    body = {k: v for k, v in D11.items() if k != "code"}
    body["params"] = {"tiers": [{"threshold": "299", "amount": "30"}]}
    response = call("put", f"{LIST}/D11-TIERS", body)
    assert response.status_code == 200, response.json()
    assert response.json()["params"] == {"tiers": [{"threshold": "299.00", "amount": "30.00"}]}
    response = call("put", f"{LIST}/D11-TIERS", {**body, "code": "D11-NEW", "priority": "high"})
    assert response.status_code == 400
    assert response.json() == {"priority": ["Enter a whole number."]}
    response = call("put", f"{LIST}/D11-TIERS", {**body, "code": "D11-NEW"})
    assert response.json()["code"] == "D11-NEW"
    assert list(Promotion.objects.values_list("code", flat=True)) == ["D11-NEW"]


def test_code_clash_is_409_and_flash_pool_refusal_is_400(call, catalog):
    call("post", LIST, D11)
    assert call("post", LIST, D11).status_code == 409  # a conflict with what exists, not bad input
    call("post", LIST, {**D11, "code": "OTHER"})
    clash = call("put", f"{LIST}/OTHER", {**D11, "code": "d11-tiers"})
    assert clash.status_code == 409
    assert clash.json() == {"code": ["A promotion with this code already exists."]}
    now = timezone.now()
    flash = {
        **D11,
        "code": "FLASH",
        "kind": "flash_sale",
        "params": {"sku": "SKU-0002", "price": "9.90", "quantity": 100, "per_customer": 1},
        "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=2)).isoformat(),
    }
    assert call("post", LIST, flash).status_code == 201
    FlashSalePool.objects.filter(promotion__code="FLASH").update(claimed=60)
    response = call("put", f"{LIST}/FLASH", {**flash, "params": {**flash["params"], "quantity": 50}})
    assert response.status_code == 400
    assert list(response.json()) == ["params.quantity"]
    assert FlashSalePool.objects.get(promotion__code="FLASH").quantity == 100


def test_list_is_paginated_and_filtered(call, catalog):
    now = timezone.now()
    windows = {
        "LIVE": (now - timedelta(days=1), now + timedelta(days=1), True),
        "SOON": (now + timedelta(days=3), now + timedelta(days=5), True),
        "PAST": (now - timedelta(days=9), now - timedelta(days=5), True),
        "DRAFT": (now - timedelta(days=1), now + timedelta(days=1), False),
    }
    for code, (start, end, active) in windows.items():
        body = {
            **D11,
            "code": code,
            "starts_at": start.isoformat(),
            "ends_at": end.isoformat(),
            "active": active,
        }
        assert call("post", LIST, body).status_code == 201
    call(
        "post",
        LIST,
        {**D11, "code": "PCT", "kind": "percent_off", "params": {"percent": "5"}, "name": "five"},
    )

    def codes(query):
        response = call("get", f"{LIST}?{query}", scope="marketing:read")
        assert response.status_code == 200
        return [row["code"] for row in response.json()["results"]]

    assert codes("status=live") == ["LIVE"]
    assert codes("status=upcoming") == ["SOON"]
    assert codes("status=draft") == ["DRAFT"]
    assert sorted(codes("status=ended")) == ["PAST", "PCT"]
    assert codes("kind=percent_off") == ["PCT"]
    assert codes("search=fiv") == ["PCT"]
    page = call("get", f"{LIST}?page_size=2", scope="marketing:read").json()
    assert [row["code"] for row in page["results"]] == ["LIVE", "SOON"]  # by id
    assert page["next"]
    nxt = call("get", page["next"], scope="marketing:read").json()
    assert [row["code"] for row in nxt["results"]] == ["PAST", "DRAFT"]
    assert call("get", f"{LIST}?status=nope", scope="marketing:read").status_code == 400


def test_a_promotion_created_by_api_prices_the_next_quote(call, client, keys, catalog):
    assert call("post", LIST, D11).status_code == 201
    body = {
        "channel": "own_store",
        "customer": None,
        "coupon_codes": [],
        "at": "2026-11-05T12:00:00+08:00",
        "lines": [{"sku": "SKU-0001", "quantity": 3}],
    }
    response = call("post", "/api/v1/pricing/quote", body, scope="pricing:quote")
    assert response.json()["total"] == "277.00"  # 3 x ¥99.00 = ¥297.00 reaches ¥199
    call("put", f"{LIST}/D11-TIERS", {**D11, "params": {"tiers": [{"threshold": "199", "amount": "40"}]}})
    response = call("post", "/api/v1/pricing/quote", body, scope="pricing:quote")
    assert response.json()["total"] == "257.00"


def test_the_schema_documents_the_endpoints(tmp_path):
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--file", str(out), "--validate")
    text = out.read_text()
    for needle in ("/api/v1/pricing/quote", "/api/v1/promotions/{code}", "Application order", "half-up"):
        assert needle in text
