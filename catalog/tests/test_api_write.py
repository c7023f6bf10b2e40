"""The catalogue API's writes: PUT /api/v1/skus (bulk upsert) and POST /api/v1/competitor-prices."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.urls import reverse

from catalog.models import SKU, CategoryPricing, CompetitorPrice, PriceChange, Product, SKUCost
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from shopops.common.models import ApiClient

SKUS = "/api/v1/skus"
PRICES = "/api/v1/competitor-prices"


def channels():
    """The channel selector for these tests (catalog may not import orders)."""
    return [SimpleNamespace(code="tmall", name="Tmall"), SimpleNamespace(code="jd", name="JD")]


@pytest.fixture(autouse=True)
def _setup(settings):
    settings.SHOPOPS_CHANNEL_LIST_SELECTOR = "catalog.tests.test_api_write.channels"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def key(db):
    _client, key = ApiClient.objects.create_key(name="erp", scopes=["catalog:read", "catalog:write"])
    return key


@pytest.fixture
def call(client, key):
    def send(method: str, path: str, body, *, api_key: str | None = key):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"} if api_key else {}
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return getattr(client, method)(path, data=data, content_type="application/json", **headers)

    return send


@pytest.fixture
def put(call):
    return lambda body, **kw: call("put", SKUS, body, **kw)


@pytest.fixture
def post(call):
    return lambda body, **kw: call("post", PRICES, body, **kw)


@pytest.fixture
def oral(db):
    return CategoryFactory(code="oral-care", name="Oral care")


@pytest.fixture
def brush(oral):
    return SKUFactory(
        product=ProductFactory(category=oral, name="Toothbrush"),
        code="SKU-0001",
        name="Electric toothbrush",
        unit_cost=Decimal("40.00"),
        list_price=Decimal("129.00"),
        weight_kg=Decimal("0.350"),
        role=SKU.Role.HERO,
    )


def test_the_urls():
    assert reverse("api-sku-list") == SKUS
    assert reverse("api-competitor-prices") == PRICES


# --- access and request shape -------------------------------------------------------------------------


def test_put_without_key_401_and_without_write_scope_403(put, db):
    response = put({"skus": [{"code": "X"}]}, api_key=None)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Api-Key"
    _c, read_only = ApiClient.objects.create_key(name="bi", scopes=["catalog:read"])
    response = put({"skus": [{"code": "X"}]}, api_key=read_only)
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'catalog:write'."}


def test_the_write_scope_does_not_grant_reading(client, db):
    _c, write_only = ApiClient.objects.create_key(name="feeder", scopes=["catalog:write"])
    response = client.get(SKUS, HTTP_AUTHORIZATION=f"Api-Key {write_only}")
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'catalog:read'."}


def test_competitor_prices_need_the_write_scope(post, db):
    assert post({"prices": []}, api_key=None).status_code == 401
    _c, read_only = ApiClient.objects.create_key(name="bi", scopes=["catalog:read"])
    response = post({"prices": []}, api_key=read_only)
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key lacks the scope 'catalog:write'."}


def test_more_than_1000_skus_413_and_none_400(put, db):
    response = put({"skus": [{"code": f"S{n}"} for n in range(1001)]})
    assert response.status_code == 413
    assert response.json() == {"detail": "At most 1000 SKUs per request, not 1001."}
    response = put({"skus": []})
    assert response.status_code == 400
    assert response.json() == {"skus": ["Send at least one of the SKUs."]}
    assert SKU.objects.count() == 0


@pytest.mark.parametrize(
    "body, answer",
    [
        (b"{not json", None),
        ([{"code": "X"}], {"non_field_errors": ["Expected a JSON object."]}),
        ({"skus": {"code": "X"}}, {"skus": ["Expected a list of SKUs."]}),
        ({}, {"skus": ["Expected a list of SKUs."]}),
    ],
)
def test_a_body_of_the_wrong_shape_is_400(put, db, body, answer):
    response = put(body)
    assert response.status_code == 400
    if answer is None:
        assert response.json()["detail"].startswith("Malformed JSON")
    else:
        assert response.json() == answer


def test_more_than_1000_prices_413_and_none_400(post, db):
    row = {"sku": "S", "competitor": "c", "price": "1.00", "seen_at": "2026-01-01T00:00:00Z"}
    response = post({"prices": [row] * 1001})
    assert response.status_code == 413
    assert response.json() == {"detail": "At most 1000 prices per request, not 1001."}
    response = post({"prices": []})
    assert response.status_code == 400
    assert response.json() == {"prices": ["Send at least one of the prices."]}


# --- the upsert -----------------------------------------------------------------------------------------

NEW = {
    "code": "SKU-0101",
    "name": "Electric toothbrush, black",
    "category": "oral-care",
    "unit_cost": "40.00",
    "list_price": "129.00",
    "weight": "0.350",
    "role": "core",
    "active": True,
}


def test_created_updated_unchanged_counted_and_written(put, brush):
    SKUFactory(code="SKU-0002", product=brush.product, name="Brush heads", unit_cost=Decimal("10.00"))
    response = put(
        {
            "skus": [
                NEW,
                {"code": "SKU-0001", "list_price": "119.00", "unit_cost": 45, "name": "Sonic toothbrush"},
                {"code": "SKU-0002", "name": "Brush heads", "unit_cost": "10.00"},
            ]
        }
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 1, "rejected": []}

    new = SKU.objects.select_related("product__category").get(code="SKU-0101")
    assert (new.name, new.unit_cost, new.list_price, new.weight_kg, new.role, new.active) == (
        "Electric toothbrush, black",
        Decimal("40.00"),
        Decimal("129.00"),
        Decimal("0.350"),
        "core",
        True,
    )
    # one product per new SKU, named after it, in the category
    assert (new.product.name, new.product.category.code) == ("Electric toothbrush, black", "oral-care")
    assert new.product.skus.count() == 1

    brush.refresh_from_db()
    assert (brush.name, brush.unit_cost, brush.list_price, brush.role) == (
        "Sonic toothbrush",
        Decimal("45.00"),
        Decimal("119.00"),
        "hero",  # not given: kept
    )
    audit = list(
        PriceChange.objects.order_by("sku__code", "field").values_list(
            "sku__code", "field", "old_value", "new_value", "margin", "source", "reason", "changed_by"
        )
    )
    assert audit == [
        ("SKU-0001", "list_price", Decimal("129.00"), Decimal("119.00"), Decimal("0.6218"), "api",
         "API sync by erp", None),
        ("SKU-0001", "unit_cost", Decimal("40.00"), Decimal("45.00"), Decimal("0.6512"), "api",
         "API sync by erp", None),
        ("SKU-0101", "list_price", None, Decimal("129.00"), Decimal("0.6899"), "api",
         "API sync by erp (new SKU)", None),
        ("SKU-0101", "unit_cost", None, Decimal("40.00"), Decimal("0.6899"), "api",
         "API sync by erp (new SKU)", None),
    ]  # fmt: skip


def test_the_same_payload_twice_changes_nothing(put, oral):
    body = {"skus": [NEW, {**NEW, "code": "SKU-0102", "active": False}]}
    assert put(body).json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": []}
    before = SKU.objects.get(code="SKU-0101").updated_at
    assert put(body).json() == {"created": 0, "updated": 0, "unchanged": 2, "rejected": []}
    assert PriceChange.objects.count() == 4
    assert SKU.objects.get(code="SKU-0101").updated_at == before
    # equal amounts written differently are the same value
    again = {"skus": [{**NEW, "unit_cost": 40, "list_price": "129", "weight": "0.35", "active": "true"}]}
    assert put(again).json() == {"created": 0, "updated": 0, "unchanged": 1, "rejected": []}


def test_an_update_is_visible_to_an_incremental_get(put, client, key, brush):
    SKU.objects.filter(pk=brush.pk).update(updated_at=datetime(2025, 1, 1, tzinfo=UTC))
    put({"skus": [{"code": "SKU-0001", "active": False}]})
    response = client.get(f"{SKUS}?updated_since=2025-06-01T00:00:00Z", HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert [row["code"] for row in response.json()["results"]] == ["SKU-0001"]
    assert response.json()["results"][0]["active"] is False


def test_row_errors_reject_only_their_rows(put, brush):
    response = put(
        {
            "skus": [
                {**NEW, "code": "SKU-0201", "category": "toys"},
                {"code": "SKU-0202", "name": "Floss"},
                {
                    "code": "SKU-0203",
                    "name": "",
                    "category": "oral-care",
                    "unit_cost": "-1",
                    "list_price": "12.345",
                    "weight": "heavy",
                    "role": "star",
                    "active": "maybe",
                },
                {"code": "SKU-0001", "list_price": "0"},
                {"name": "no code"},
                "not an object",
                {**NEW, "code": "SKU-0204"},
                {**NEW, "code": "SKU-0205", "unit_cost": 12.5},
                {**NEW, "code": "SKU-0206"},
                {**NEW, "code": "SKU-0206", "name": "twin"},
                {**NEW, "code": "x" * 65},
            ]
        }
    )
    assert response.status_code == 200
    assert response.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": [
            {"code": "SKU-0201", "errors": {"category": ["Unknown category: toys"]}},
            {
                "code": "SKU-0202",
                "errors": {
                    "category": ["Required for a new SKU."],
                    "unit_cost": ["Required for a new SKU."],
                    "list_price": ["Required for a new SKU."],
                },
            },
            {
                "code": "SKU-0203",
                "errors": {
                    "name": ["Must not be blank."],
                    "unit_cost": ["Must not be negative."],
                    "list_price": ["At most 2 decimal places."],
                    "weight": ["Not a number: heavy"],
                    "role": ["Not a role: use one of hero, core, long_tail, new, image."],
                    "active": ["Must be true or false."],
                },
            },
            {"code": "SKU-0001", "errors": {"list_price": ["A price must be above zero."]}},
            {"code": None, "errors": {"code": ["This field is required."]}},
            {"code": None, "errors": {"non_field_errors": ["A SKU must be an object of fields."]}},
            {"code": "SKU-0206", "errors": {"code": ["This SKU code is given more than once."]}},
            {"code": "SKU-0206", "errors": {"code": ["This SKU code is given more than once."]}},
            {"code": "x" * 65, "errors": {"code": ["At most 64 characters."]}},
        ],
    }
    # the JSON number 12.5 is read exactly, not as a float
    assert sorted(SKU.objects.values_list("code", "unit_cost")) == [
        ("SKU-0001", Decimal("40.00")),
        ("SKU-0204", Decimal("40.00")),
        ("SKU-0205", Decimal("12.50")),
    ]


FLOOR_MESSAGE = (
    "¥50.00 is under the margin floor: gross margin 20.0 %, floor 40.0 % (lowest allowed price ¥66.67). "
    "Prices under the floor are set on the SKU page, with the override permission."
)


def test_a_price_under_the_margin_floor_is_rejected_with_nothing_of_its_row_written(put, brush):
    response = put(
        {
            "skus": [
                {"code": "SKU-0001", "list_price": "50.00", "name": "Renamed", "unit_cost": "40.00"},
                {**NEW, "list_price": "50.00"},
                {**NEW, "code": "SKU-0102", "list_price": "66.67"},
            ]
        }
    )
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": [
            {"code": "SKU-0001", "errors": {"list_price": [FLOOR_MESSAGE]}},
            {"code": "SKU-0101", "errors": {"list_price": [FLOOR_MESSAGE]}},
        ],
    }
    brush.refresh_from_db()
    assert (brush.name, brush.list_price) == ("Electric toothbrush", Decimal("129.00"))
    assert not SKU.objects.filter(code="SKU-0101").exists()
    assert not Product.objects.filter(name=NEW["name"]).exclude(skus__code="SKU-0102").exists()
    assert list(PriceChange.objects.values_list("sku__code", "field", "new_value").order_by("field")) == [
        ("SKU-0102", "list_price", Decimal("66.67")),  # exactly at the floor: allowed
        ("SKU-0102", "unit_cost", Decimal("40.00")),
    ]


def test_the_floor_is_checked_at_the_new_cost_and_the_category_floor(put, brush):
    SKUCost.objects.create(sku=brush, inbound_cost=Decimal("5.00"))
    CategoryPricing.objects.create(category=brush.product.category, margin_floor=Decimal("0.5000"))
    # landed 60 + 5 = 65; floor 50 % -> lowest price 130.00
    response = put({"skus": [{"code": "SKU-0001", "unit_cost": "60.00", "list_price": "129.99"}]})
    message = response.json()["rejected"][0]["errors"]["list_price"][0]
    assert message.startswith("¥129.99 is under the margin floor: gross margin 50.0 %, floor 50.0 %")
    assert "(lowest allowed price ¥130.00)" in message
    brush.refresh_from_db()
    assert brush.unit_cost == Decimal("40.00")  # the cost change of the rejected row is rolled back
    response = put({"skus": [{"code": "SKU-0001", "unit_cost": "60.00", "list_price": "130.00"}]})
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "rejected": []}


def test_a_cost_alone_may_push_a_price_under_the_floor(put, brush):
    # costs are facts: accepted, and the SKU shows up as a breach on the pricing overview
    response = put({"skus": [{"code": "SKU-0001", "unit_cost": "100.00"}]})
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0, "rejected": []}
    assert SKU.objects.get(code="SKU-0001").unit_cost == Decimal("100.00")


def test_a_category_change_moves_the_own_product_or_gives_a_new_one(put, brush, oral):
    CategoryFactory(code="gifts", name="Gifts")
    own = SKUFactory(code="SKU-0009", product=ProductFactory(category=oral))
    SKUFactory(code="SKU-0002", product=brush.product)  # brush shares its product
    response = put(
        {"skus": [{"code": "SKU-0001", "category": "gifts"}, {"code": "SKU-0009", "category": "gifts"}]}
    )
    assert response.json() == {"created": 0, "updated": 2, "unchanged": 0, "rejected": []}
    brush.refresh_from_db()
    own.refresh_from_db()
    assert own.product.category.code == "gifts"
    assert (brush.product.category.code, brush.product.name) == ("gifts", "Electric toothbrush")
    assert SKU.objects.get(code="SKU-0002").product.category.code == "oral-care"


def test_get_shows_the_new_fields_and_channel_prices(client, key, brush):
    brush.channel_prices.create(channel="tmall", price=Decimal("125"))
    brush.channel_prices.create(channel="jd", price=Decimal("119.9"))
    response = client.get(SKUS, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response.json()["results"] == [
        {
            "code": "SKU-0001",
            "name": "Electric toothbrush",
            "category": "oral-care",
            "unit_cost": "40.00",
            "list_price": "129.00",
            "weight_kg": "0.350",
            "weight": "0.350",
            "role": "hero",
            "active": True,
            "channel_prices": {"jd": "119.90", "tmall": "125.00"},
        }
    ]


def test_get_reads_channel_prices_in_one_query(client, key, oral, django_assert_max_num_queries):
    for n in range(5):
        sku = SKUFactory(code=f"SKU-10{n}", product=ProductFactory(category=oral))
        sku.channel_prices.create(channel="tmall", price=Decimal("99.00"))
    with django_assert_max_num_queries(6):
        response = client.get(SKUS, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert len(response.json()["results"]) == 5


# --- competitor prices ----------------------------------------------------------------------------------

SEEN = "2026-06-18T10:21:00+08:00"


def offer(**changes):
    return {"sku": "SKU-0001", "competitor": "BrightSmile", "channel": "tmall", "price": "119.00",
            "seen_at": SEEN} | changes  # fmt: skip


def test_competitor_prices_recorded_and_idempotent(post, brush):
    body = {"prices": [offer(), offer(channel=""), offer(competitor="Dentix", price=99)]}
    assert post(body).json() == {"created": 3, "updated": 0, "unchanged": 0, "rejected": []}
    assert post(body).json() == {"created": 0, "updated": 0, "unchanged": 3, "rejected": []}
    # the same instant in another offset is the same key; a new price corrects it
    same = offer(price="118.50", seen_at="2026-06-18T02:21:00Z")
    assert post({"prices": [same]}).json() == {"created": 0, "updated": 1, "unchanged": 0, "rejected": []}
    rows = list(
        CompetitorPrice.objects.order_by("competitor", "channel").values_list(
            "sku__code", "competitor", "channel", "price", "seen_at", "source"
        )
    )
    seen = datetime(2026, 6, 18, 2, 21, tzinfo=UTC)
    assert rows == [
        ("SKU-0001", "BrightSmile", "", Decimal("119.00"), seen, "api"),
        ("SKU-0001", "BrightSmile", "tmall", Decimal("118.50"), seen, "api"),
        ("SKU-0001", "Dentix", "tmall", Decimal("99.00"), seen, "api"),
    ]


def test_competitor_price_row_errors(post, brush):
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = post(
        {
            "prices": [
                offer(sku="SKU-9999"),
                offer(channel="amazon"),
                offer(seen_at="2026-06-18T10:21:00"),
                offer(seen_at="yesterday"),
                offer(seen_at=future),
                offer(price="0"),
                offer(price="1.234"),
                {"sku": "SKU-0001"},
                offer(competitor="Dentix"),
                offer(competitor="Dentix"),
                [],
            ]
        }
    )
    assert response.json() == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": [
            {"index": 0, "sku": "SKU-9999", "errors": {"sku": ["Unknown SKU: SKU-9999"]}},
            {
                "index": 1,
                "sku": "SKU-0001",
                "errors": {
                    "channel": [
                        "Unknown channel: amazon (leave it blank for an offer on no particular channel)."
                    ]
                },
            },
            {
                "index": 2,
                "sku": "SKU-0001",
                "errors": {"seen_at": ["Give a time zone offset, such as 2026-06-18T10:21:00+08:00."]},
            },
            {
                "index": 3,
                "sku": "SKU-0001",
                "errors": {"seen_at": ["Not a date and time such as 2026-06-18T10:21:00+08:00."]},
            },
            {"index": 4, "sku": "SKU-0001", "errors": {"seen_at": ["This time is in the future."]}},
            {"index": 5, "sku": "SKU-0001", "errors": {"price": ["A price must be above zero."]}},
            {"index": 6, "sku": "SKU-0001", "errors": {"price": ["At most 2 decimal places."]}},
            {
                "index": 7,
                "sku": "SKU-0001",
                "errors": {
                    "competitor": ["This field is required."],
                    "price": ["This field is required."],
                    "seen_at": ["This field is required."],
                },
            },
            {
                "index": 9,
                "sku": "SKU-0001",
                "errors": {
                    "seen_at": ["Repeats an earlier row: the same SKU, competitor, channel and time."]
                },
            },
            {
                "index": 10,
                "sku": None,
                "errors": {"non_field_errors": ["A price must be an object of fields."]},
            },
        ],
    }
    assert list(CompetitorPrice.objects.values_list("competitor", "price")) == [("Dentix", Decimal("119.00"))]


def test_the_schema_documents_the_writes(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    put = schema["paths"]["/api/v1/skus"]["put"]
    assert put["operationId"] == "skus_upsert"
    assert "named after the SKU" in put["description"]
    assert sorted(put["responses"]) == ["200", "400", "401", "403", "413", "429"]
    assert put["responses"]["403"]["description"] == "The API key lacks the scope `catalog:write`"
    assert "examples" in put["requestBody"]["content"]["application/json"]
    post = schema["paths"]["/api/v1/competitor-prices"]["post"]
    assert post["operationId"] == "competitor_prices_record"
    assert sorted(post["responses"]) == ["200", "400", "401", "403", "413", "429"]
    get = schema["paths"]["/api/v1/skus"]["get"]
    assert get["responses"]["403"]["description"] == "The API key lacks the scope `catalog:read`"
