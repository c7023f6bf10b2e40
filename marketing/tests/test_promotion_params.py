"""promotion_clean (the promotion JSON's validation) and promotion_create / promotion_update."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import FlashSalePool, Promotion
from marketing.promotion_params import promotion_as_json, promotion_clean
from marketing.services.promotions import (
    PROMOTIONS_VERSION_KEY,
    promotion_create,
    promotion_update,
    promotions_version_get,
)
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db


def body(**overrides):
    data = {
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
    data.update(overrides)
    return data


def test_issue_example_cleans_to_decimals_and_aware_datetimes():
    cleaned, errors = promotion_clean(body())
    assert errors == {}
    assert cleaned["params"] == {
        "tiers": [
            {"threshold": Decimal("199.00"), "amount": Decimal("20.00")},
            {"threshold": Decimal("399.00"), "amount": Decimal("50.00")},
        ]
    }
    assert cleaned["starts_at"] == datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    assert cleaned["ends_at"] == datetime(2026, 11, 11, 16, 0, tzinfo=UTC)
    assert cleaned["scope"] == {"skus": [], "categories": [], "channels": [], "member_tiers": []}
    assert cleaned["priority"] == 10
    assert cleaned["active"] is True
    assert "campaign" not in cleaned


def test_naive_datetime_is_shop_time():
    cleaned, errors = promotion_clean(body(starts_at="2026-11-11T00:00:00", ends_at=None))
    assert errors == {}
    assert cleaned["starts_at"] == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert cleaned["ends_at"] is None


def test_tiers_sorted_and_errors_keyed_by_index_as_sent():
    data = body(
        params={"tiers": [{"threshold": "399", "amount": "50"}, {"threshold": "199", "amount": "20"}]}
    )
    cleaned, errors = promotion_clean(data)
    assert errors == {}
    assert [t["threshold"] for t in cleaned["params"]["tiers"]] == [Decimal("199.00"), Decimal("399.00")]

    data = body(
        params={
            "tiers": [
                {"threshold": "199", "amount": "20"},
                {"threshold": "abc", "amount": "50"},
                {"threshold": "50", "amount": "60"},
                {"threshold": "199", "amount": "30"},
            ]
        }
    )
    cleaned, errors = promotion_clean(data)
    assert cleaned is None
    assert errors == {
        "params.tiers[1].threshold": ['Enter an amount of money, e.g. "19.90".'],
        "params.tiers[2].amount": ["The amount off cannot exceed the threshold."],
        "params.tiers[3].threshold": ["Two tiers have the same threshold."],
    }


def test_higher_tier_must_give_more():
    data = body(
        params={"tiers": [{"threshold": "199", "amount": "50"}, {"threshold": "399", "amount": "20"}]}
    )
    _cleaned, errors = promotion_clean(data)
    assert errors == {"params.tiers[1].amount": ["A higher threshold must give more than the tier below it."]}


def test_money_and_percent_rules():
    _c, errors = promotion_clean(body(kind="percent_off", params={"percent": "120", "min_spend": "1.005"}))
    assert errors == {
        "params.percent": ["Enter a percentage above 0 and at most 100."],
        "params.min_spend": ["Use at most 2 decimal places."],
    }
    cleaned, errors = promotion_clean(
        body(kind="percent_off", params={"percent": 12.5, "min_quantity": "2", "max_affected_items": None})
    )
    assert errors == {}
    assert cleaned["params"] == {
        "percent": Decimal("12.5"),
        "min_quantity": 2,
        "min_spend": None,
        "max_affected_items": None,
    }


def test_required_fields_and_unknown_params():
    _c, errors = promotion_clean({"kind": "buy_x_get_y", "params": {"buy": 2, "gets": 1}})
    assert errors == {
        "code": ["This field is required."],
        "name": ["This field is required."],
        "params.gets": ["Not a parameter of this kind of promotion."],
        "params.get": ["This field is required."],
    }
    _c, errors = promotion_clean(body(kind="nope"))
    assert list(errors) == ["kind"]
    assert promotion_clean([1, 2]) == (None, {"non_field_errors": ["Expected a JSON object."]})


def test_unknown_codes_are_field_errors():
    ChannelFactory(code="own_store", name="Own store")
    CategoryFactory(code="tea")
    SKUFactory(code="SKU-0001")
    data = body(
        scope={
            "skus": ["SKU-0001", "SKU-9999"],
            "categories": ["tea", "coffee"],
            "channels": ["own_store", "mars"],
            "member_tiers": ["gold", "diamond"],
        }
    )
    cleaned, errors = promotion_clean(data)
    assert cleaned is None
    assert errors == {
        "scope.skus": ["Unknown SKU: SKU-9999."],
        "scope.categories": ["Unknown category: coffee."],
        "scope.channels": ["Unknown channel: mars."],
        "scope.member_tiers": ["Unknown membership tier: diamond."],
    }


def test_gift_flash_and_member_price_codes():
    SKUFactory(code="GIFT-1")
    cleaned, errors = promotion_clean(
        body(kind="gift", params={"threshold": "299", "gift_sku": "GIFT-1"}, scope={})
    )
    assert errors == {}
    assert cleaned["params"] == {"threshold": Decimal("299.00"), "gift_sku": "GIFT-1", "quantity": 1}
    _c, errors = promotion_clean(body(kind="gift", params={"threshold": "299", "gift_sku": "NOPE"}))
    assert errors == {"params.gift_sku": ["Unknown SKU: NOPE."]}
    _c, errors = promotion_clean(
        body(kind="flash_sale", params={"sku": "GIFT-1", "price": "9.90", "quantity": 100}, starts_at=None)
    )
    assert errors == {"starts_at": ["A flash sale needs a time window."]}
    _c, errors = promotion_clean(body(kind="member_price", params={"tiers": {"gold": "10", "iron": "5"}}))
    assert errors == {"params.tiers.iron": ["Unknown membership tier: iron."]}


def test_window_order_limits_and_booleans():
    _c, errors = promotion_clean(
        body(ends_at="2026-10-01T00:00:00+08:00", usage_limit=0, exclusive="maybe", priority="x")
    )
    assert errors == {
        "ends_at": ["Must be after the start."],
        "usage_limit": ["Must be at least 1."],
        "exclusive": ["Must be true or false."],
        "priority": ["Enter a whole number."],
    }


def test_code_must_be_unique_except_for_itself():
    cleaned, _e = promotion_clean(body())
    promotion = promotion_create(data=cleaned)
    _c, errors = promotion_clean(body(code="d11-tiers"))
    assert errors == {"code": ["A promotion with this code already exists."]}
    _c, errors = promotion_clean(body(), promotion=promotion)
    assert errors == {}


def test_create_stores_json_and_bumps_version(django_capture_on_commit_callbacks):
    before = promotions_version_get()
    cleaned, _e = promotion_clean(body(campaign=None))
    with django_capture_on_commit_callbacks(execute=True):
        promotion = promotion_create(data=cleaned)
    promotion.refresh_from_db()
    assert promotion.params == {
        "tiers": [{"threshold": "199.00", "amount": "20.00"}, {"threshold": "399.00", "amount": "50.00"}]
    }
    assert promotion.scope == {"skus": [], "categories": [], "channels": [], "member_tiers": []}
    assert promotions_version_get() != before
    again, errors = promotion_clean(promotion_as_json(promotion), promotion=promotion)
    assert errors == {}
    assert again["params"] == cleaned["params"]


def test_update_keeps_used_and_refuses_limit_below_use(django_capture_on_commit_callbacks):
    cleaned, _e = promotion_clean(body())
    promotion = promotion_create(data=cleaned)
    Promotion.objects.filter(pk=promotion.pk).update(used=5)
    cleaned, _e = promotion_clean(body(name="new name", usage_limit=4), promotion=promotion)
    with pytest.raises(ValidationError) as info:
        promotion_update(promotion=promotion, data=cleaned)
    assert info.value.message_dict == {"usage_limit": ["Already used 5 times: the limit cannot be lower."]}
    cleaned, _e = promotion_clean(body(name="new name", usage_limit=10), promotion=promotion)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        promotion_update(promotion=promotion, data=cleaned)
    assert len(callbacks) == 1
    promotion.refresh_from_db()
    assert (promotion.name, promotion.usage_limit, promotion.used) == ("new name", 10, 5)


def test_flash_sale_creates_and_resizes_its_pool():
    sku = SKUFactory(code="SKU-FLASH", product=ProductFactory())
    data = body(
        code="FLASH-1",
        kind="flash_sale",
        params={"sku": sku.code, "price": "9.90", "quantity": 100, "per_customer": 2},
        scope={},
    )
    cleaned, errors = promotion_clean(data)
    assert errors == {}
    promotion = promotion_create(data=cleaned)
    pool = FlashSalePool.objects.get(promotion=promotion)
    assert (pool.quantity, pool.claimed) == (100, 0)
    FlashSalePool.objects.filter(pk=pool.pk).update(claimed=30)
    cleaned, _e = promotion_clean({**data, "params": {**data["params"], "quantity": 20}}, promotion=promotion)
    with pytest.raises(ValidationError) as info:
        promotion_update(promotion=promotion, data=cleaned)
    assert list(info.value.message_dict) == ["params.quantity"]
    pool.refresh_from_db()
    assert pool.quantity == 100
    cleaned, _e = promotion_clean({**data, "params": {**data["params"], "quantity": 40}}, promotion=promotion)
    promotion_update(promotion=promotion, data=cleaned)
    pool.refresh_from_db()
    assert (pool.quantity, pool.claimed) == (40, 30)


def test_clean_uses_few_queries():
    SKUFactory(code="SKU-A")
    SKUFactory(code="SKU-B")
    data = body(kind="percent_off", params={"percent": "10"}, scope={"skus": ["SKU-A", "SKU-B"]})
    with CaptureQueriesContext(connection) as queries:
        _c, errors = promotion_clean(data)
    assert errors == {}
    assert len(queries) == 2  # code taken? + the SKUs


def test_version_key_is_shared_in_cache():
    from django.core.cache import cache

    version = promotions_version_get()
    assert cache.get(PROMOTIONS_VERSION_KEY) == version
