"""The API keeps the promises of its schema: regression tests for what the fuzzer (test_api_fuzz.py) found."""

import json

import pytest
from django.core.cache import cache
from drf_spectacular.generators import SchemaGenerator

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def auth(db):
    cache.clear()
    scopes = [code for code, _label in ApiClient.SCOPES]
    _client, key = ApiClient.objects.create_key(name="contract", scopes=scopes)
    return {"HTTP_AUTHORIZATION": f"Api-Key {key}"}


@pytest.fixture(scope="module")
def openapi():
    return SchemaGenerator().get_schema(request=None, public=True)


def test_options_is_405_json_not_a_server_error(client, auth):
    # DRF's OPTIONS metadata called get_object() on the SKU list view (it also takes PUT): a 500.
    response = client.options("/api/v1/skus", **auth)
    assert response.status_code == 405
    assert response["Content-Type"] == "application/json"


@pytest.mark.parametrize("page_size", ["0", "-1", "abc", "1.5", "1001", ""])
def test_page_size_outside_1_to_max_is_400(client, auth, page_size):
    response = client.get(f"/api/v1/skus?page_size={page_size}", **auth)
    assert response.status_code == 400
    assert response.json() == {"page_size": ["A whole number from 1 to 1000."]}


def test_page_size_given_twice_is_400_and_a_good_one_pages(client, auth):
    SKUFactory.create_batch(2)
    assert client.get("/api/v1/skus?page_size=1&page_size=2", **auth).status_code == 400
    response = client.get("/api/v1/skus?page_size=1", **auth)
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert response.json()["next"]
    # The orders list has its own maximum, 500.
    assert client.get("/api/v1/orders?page_size=501", **auth).json() == {
        "page_size": ["A whole number from 1 to 500."]
    }


def test_an_unknown_api_path_is_a_json_404_and_a_page_an_html_one(client, auth):
    response = client.get("/api/v1/orders/not a slug!/T1", **auth)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/orders?updated_since=",
        "/api/v1/orders?placed_from=",
        "/api/v1/feedback?until=",
        "/api/v1/feedback?source=",
        "/api/v1/tickets?status=",
        "/api/v1/tickets?overdue=maybe",
        "/api/v1/tickets?overdue=true&overdue=false",
        "/api/v1/feedback?ticket=null",
    ],
)
def test_blank_or_mistyped_filters_are_400_not_ignored(client, auth, url):
    assert client.get(url, **auth).status_code == 400


def test_quote_explain_must_be_a_boolean(client, auth):
    ChannelFactory(code="tmall")
    SKUFactory(code="SKU-0001")
    body = json.dumps({"channel": "tmall", "lines": [{"sku": "SKU-0001", "quantity": 1}]})
    url = "/api/v1/pricing/quote"
    bad = client.post(f"{url}?explain=maybe", body, content_type="application/json", **auth)
    assert bad.status_code == 400
    assert bad.json() == {"explain": ["Use true or false."]}
    good = client.post(f"{url}?explain=true", body, content_type="application/json", **auth)
    assert good.status_code == 200
    assert "trace" in good.json()


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/tickets", {"channel": "chat", "type": "presale", "subject": "Hi", "body": 0}, "body"),
        ("/api/v1/tickets", {"channel": "chat", "type": "presale", "subject": 7}, "subject"),
        (
            "/api/v1/tickets",
            {
                "channel": "chat",
                "type": "presale",
                "subject": "Hi",
                "attachments": [{"name": "a", "size": "9"}],
            },
            "attachments",
        ),
        (
            "/api/v1/returns",
            {"order": {"channel": "tmall", "external_id": 5}, "lines": [], "reason": "no_reason"},
            "order",
        ),
    ],
)
def test_json_types_are_not_coerced(client, auth, url, body, field):
    # DRF turns a number into a string field's text and "9" into a whole number; the schema promises types.
    response = client.post(url, json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 400
    assert field in response.json()


def test_the_schema_documents_what_the_api_answers(openapi):
    operations = {
        (method.upper(), path): operation
        for path, methods in openapi["paths"].items()
        for method, operation in methods.items()
    }
    orders_list = operations["GET", "/api/v1/orders"]["responses"]["200"]["content"]["application/json"]
    assert orders_list["schema"] == {"$ref": "#/components/schemas/PaginatedOrderList"}
    for (method, path), operation in operations.items():
        if path.startswith("/api/v1/webhooks/"):
            continue  # signed by Shopify, no API key: its own answers
        assert {"400", "401", "403", "429"} <= set(operation["responses"]), (method, path)
        if "{" in path:
            assert "404" in operation["responses"], (method, path)
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "page_size":
                assert parameter["schema"]["minimum"] == 1, (method, path)
        if "requestBody" in operation:
            assert set(operation["requestBody"]["content"]) == {"application/json"}, (method, path)
    sync = openapi["components"]["schemas"]["OrderSyncRequest"]["properties"]["orders"]["items"]
    assert sync["anyOf"][1] == {}  # a malformed order is answered in `rejected`, not with a 400


@pytest.mark.parametrize(
    "moment",
    ["1962-08-12T19:45:39.532+22:28", "0001-01-01T00:30:00+10:00", "9999-12-31T23:00:00-12:00"],
)
def test_order_filters_take_any_iso_offset_and_year(client, auth, moment):
    # PostgreSQL refuses an offset beyond ±15:59 (a 500 before); year 1 at +10:00 is before year 1 in UTC.
    ChannelFactory(code="tmall")
    response = client.get("/api/v1/orders", {"updated_since": moment, "placed_to": moment}, **auth)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_a_quote_with_nul_characters_in_its_codes_is_no_server_error(client, auth):
    # PostgreSQL refuses a NUL character even in a query parameter: looking such a code up was a 500.
    ChannelFactory(code="tmall")
    SKUFactory(code="SKU-0001")
    body = {
        "channel": "tmall",
        "customer": {"external_id": "C\x001"},
        "coupon_codes": ["SAVE\x005"],
        "lines": [{"sku": "SKU-0001", "quantity": 1}],
    }
    response = client.post("/api/v1/pricing/quote", json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 200
    assert response.json()["rejected_coupons"] == [{"code": "SAVE\x005", "reason": "unknown coupon"}]
    body["lines"] = [{"sku": "SKU\x00-1", "quantity": 1}]
    response = client.post("/api/v1/pricing/quote", json.dumps(body), content_type="application/json", **auth)
    assert response.status_code == 400
    assert response.json() == {"lines[0].sku": ["Unknown SKU: SKU\x00-1."]}


def test_a_quote_at_any_iso_offset_is_no_server_error(client, auth):
    # PostgreSQL refuses an offset beyond ±15:59: a quote "at" +22:04 was a 500.
    ChannelFactory(code="tmall")
    SKUFactory(code="SKU-0001")
    for at in ("2026-11-11T10:00:00+22:04", "0001-01-01T00:10:00+10:00"):
        body = {"channel": "tmall", "at": at, "lines": [{"sku": "SKU-0001", "quantity": 1}]}
        response = client.post(
            "/api/v1/pricing/quote", json.dumps(body), content_type="application/json", **auth
        )
        assert response.status_code == 200, at
