"""POST /api/v1/pricing/quote and the quote service behind it (promotion_quote, warnings_for_draft)."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import CategoryPricing, ChannelPrice, SKUCost
from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from marketing.models import (
    Coupon,
    FlashSaleClaim,
    FlashSaleCustomerCount,
    FlashSalePool,
    Membership,
    Promotion,
    PromotionCustomerUsage,
)
from marketing.promotion_params import promotion_clean
from marketing.services.promotions import promotion_create
from marketing.services.quote import promotion_quote, warnings_for_draft
from orders.tests.factories import ChannelFactory, CustomerFactory
from shopops.common.models import ApiClient

QUOTE = "/api/v1/pricing/quote"
NOW = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def shop(db):
    """own_store and tmall; tea (parent drinks) holds SKU-0001 ¥129 and SKU-0002 ¥59, cost ¥40 and ¥20
    (floors at the 40 % margin: ¥66.67 and ¥33.34); SKU-GIFT costs ¥15."""
    ChannelFactory(code="own_store", name="Own store")
    ChannelFactory(code="tmall", name="Tmall")
    drinks = CategoryFactory(code="drinks", name="Drinks")
    tea = CategoryFactory(code="tea", name="Tea", parent=drinks)
    toys = CategoryFactory(code="toys", name="Toys")
    skus = {
        "SKU-0001": SKUFactory(
            code="SKU-0001",
            product=ProductFactory(category=tea),
            unit_cost=Decimal("40.00"),
            list_price=Decimal("129.00"),
        ),
        "SKU-0002": SKUFactory(
            code="SKU-0002",
            product=ProductFactory(category=tea),
            unit_cost=Decimal("20.00"),
            list_price=Decimal("59.00"),
        ),
        "SKU-0003": SKUFactory(
            code="SKU-0003",
            product=ProductFactory(category=toys),
            unit_cost=Decimal("10.00"),
            list_price=Decimal("25.00"),
        ),
        "SKU-GIFT": SKUFactory(
            code="SKU-GIFT",
            product=ProductFactory(category=toys),
            unit_cost=Decimal("15.00"),
            list_price=Decimal("39.00"),
        ),
    }
    return skus


def promo(**data):
    base = {
        "code": "P",
        "name": "promotion",
        "kind": "percent_off",
        "params": {"percent": "10"},
        "scope": {},
        "starts_at": "2026-11-01T00:00:00+08:00",
        "ends_at": "2026-11-12T00:00:00+08:00",
    }
    base.update(data)
    cleaned, errors = promotion_clean(base)
    assert errors == {}, errors
    return promotion_create(data=cleaned)


def tiers():
    return promo(
        code="D11-TIERS",
        name="满199减20 满399减50",
        kind="threshold_amount",
        params={"tiers": [{"threshold": "199", "amount": "20"}, {"threshold": "399", "amount": "50"}]},
        priority=10,
    )


@pytest.fixture
def key(db):
    _client, key = ApiClient.objects.create_key(name="store", scopes=["pricing:quote"])
    return key


@pytest.fixture
def post(client, key):
    def send(body, *, api_key=key, query=""):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"} if api_key else {}
        return client.post(QUOTE + query, data=json.dumps(body), content_type="application/json", **headers)

    return send


def cart(*lines, **extra):
    return {
        "channel": "own_store",
        "customer": None,
        "coupon_codes": [],
        "at": "2026-11-11T10:00:00+08:00",
        "lines": [{"sku": sku, "quantity": q} for sku, q in lines],
        **extra,
    }


# --- the API --------------------------------------------------------------------------------------


def test_threshold_tiers_split_exactly_and_hint_the_next_tier(post, shop):
    tiers()
    response = post(cart(("SKU-0001", 2), ("SKU-0002", 1)))
    assert response.status_code == 200, response.json()
    # ¥258.00 + ¥59.00 = ¥317.00 reaches ¥199: ¥20.00 split 25800:5900 -> 16.2776 / 3.7224 -> 16.27 + 3.72
    # = 19.99, the cent left goes to the larger remainder (line 1): 16.28 + 3.72.
    assert response.json() == {
        "lines": [
            {
                "sku": "SKU-0001",
                "quantity": 2,
                "unit_price": "129.00",
                "discount": "16.28",
                "total": "241.72",
            },
            {"sku": "SKU-0002", "quantity": 1, "unit_price": "59.00", "discount": "3.72", "total": "55.28"},
        ],
        "subtotal": "317.00",
        "discount_total": "20.00",
        "total": "297.00",
        "applied": [{"code": "D11-TIERS", "amount": "20.00"}],
        "rejected_coupons": [],
        "hints": [
            {
                "code": "D11-TIERS",
                "amount_needed": "82.00",
                "saving": "50.00",
                "message": "add ¥82.00 more to save ¥50.00",
            }
        ],
        "warnings": [],
    }


def test_highest_tier_and_no_hint_above_it(post, shop):
    tiers()
    body = post(cart(("SKU-0001", 3), ("SKU-0002", 1))).json()  # ¥387 + ¥59 = ¥446
    assert (body["total"], body["discount_total"], body["hints"]) == ("396.00", "50.00", [])


def test_explain_adds_the_trace(post, shop):
    tiers()
    body = post(cart(("SKU-0001", 2)), query="?explain=1").json()
    assert body["trace"] == [
        {
            "code": "D11-TIERS",
            "message": "threshold_amount: subtotal ¥258.00 reaches ¥199.00: ¥20.00 off; discount ¥20.00",
        }
    ]
    assert "trace" not in post(cart(("SKU-0001", 2))).json()


def test_bad_input_is_400_with_field_errors(post, shop):
    response = post(cart(("SKU-0001", 1), ("SKU-9999", 1), ("SKU-0002", 0), channel="mars"))
    assert response.status_code == 400
    assert response.json() == {
        "channel": ["Unknown channel: mars."],
        "lines[1].sku": ["Unknown SKU: SKU-9999."],
        "lines[2].quantity": ["Enter a whole number, 1 or more."],
    }
    response = post(cart(("SKU-0001", 1), ("SKU-9999", 1)))
    assert (response.status_code, response.json()) == (400, {"lines[1].sku": ["Unknown SKU: SKU-9999."]})
    response = post({**cart(), "at": "tomorrow"})
    assert response.status_code == 400
    assert set(response.json()) == {"at", "lines"}
    response = post(cart(("SKU-0001", 1), coupon_codes="X"))
    assert response.json() == {"coupon_codes": ["Expected a list of codes."]}


def test_keys_and_scopes(post, shop):
    assert post(cart(("SKU-0001", 1)), api_key=None).status_code == 401
    _client, other = ApiClient.objects.create_key(name="bi", scopes=["marketing:write"])
    assert post(cart(("SKU-0001", 1)), api_key=other).status_code == 403


def test_at_prices_a_future_campaign_and_an_ended_one_no_more(post, shop):
    tiers()
    before = post(cart(("SKU-0001", 2), at="2026-10-31T23:59:59+08:00")).json()
    during = post(cart(("SKU-0001", 2), at="2026-11-01T00:00:00+08:00")).json()
    after = post(cart(("SKU-0001", 2), at="2026-11-12T00:00:00+08:00")).json()
    assert (before["total"], during["total"], after["total"]) == ("258.00", "238.00", "258.00")


def test_channel_price_and_category_ancestors(post, shop):
    ChannelPrice.objects.create(sku=shop["SKU-0001"], channel="tmall", price=Decimal("119.00"))
    promo(code="DRINKS10", scope={"categories": ["drinks"]})  # tea's parent
    body = post(cart(("SKU-0001", 1), ("SKU-0003", 1), channel="tmall")).json()
    assert body["lines"] == [
        {"sku": "SKU-0001", "quantity": 1, "unit_price": "119.00", "discount": "11.90", "total": "107.10"},
        {"sku": "SKU-0003", "quantity": 1, "unit_price": "25.00", "discount": "0.00", "total": "25.00"},
    ]


def test_margin_floor_caps_unless_loss_leader(post, shop):
    promo(code="HALF", params={"percent": "50"}, scope={"skus": ["SKU-0001"]})
    body = post(cart(("SKU-0001", 2)), query="?explain=1").json()
    # floor: ¥40 / (1 - 0.40) = ¥66.67 a unit, ¥133.34 for two: the 50 % (¥129.00) stops at ¥124.66
    assert (body["total"], body["discount_total"]) == ("133.34", "124.66")
    assert body["trace"][1] == {
        "code": "HALF",
        "message": "SKU-0001 capped at its floor ¥133.34: ¥124.66 instead of ¥129.00",
    }
    CategoryPricing.objects.create(category=shop["SKU-0001"].product.category, margin_floor=Decimal("0.2000"))
    assert post(cart(("SKU-0001", 2))).json()["total"] == "129.00"  # category floor 20 %: ¥50.00 a unit
    Promotion.objects.filter(code="HALF").update(loss_leader=True, updated_at=timezone.now())
    assert post(cart(("SKU-0001", 2))).json()["total"] == "129.00"


def test_a_loss_leader_sku_has_its_own_floor(post, shop):
    SKUCost.objects.create(
        sku=shop["SKU-0001"],
        loss_leader=True,
        loss_leader_floor=Decimal("0.0000"),
        loss_leader_reason="traffic",
        loss_leader_until=datetime(2026, 12, 31).date(),
    )
    promo(code="HALF", params={"percent": "50"}, scope={"skus": ["SKU-0001"]})
    assert post(cart(("SKU-0001", 1))).json()["total"] == "64.50"  # above its landed cost ¥40.00


def test_member_price_by_the_customers_tier(post, shop):
    promo(code="VIP", kind="member_price", params={"tiers": {"gold": "20", "silver": "5"}})
    customer = CustomerFactory(channel=ChannelFactory(code="own_store"), external_id="C1")
    Membership.objects.create(customer=customer, tier="gold")
    body = post(cart(("SKU-0002", 1), customer={"external_id": "C1"})).json()
    assert (body["total"], body["applied"]) == ("47.20", [{"code": "VIP", "amount": "11.80"}])
    # on another channel C1 is someone else (customers are per channel): a guest, no tier
    assert (
        post(cart(("SKU-0002", 1), channel="tmall", customer={"external_id": "C1"})).json()["total"]
        == "59.00"
    )
    assert post(cart(("SKU-0002", 1))).json()["total"] == "59.00"
    lines = [{"sku": "SKU-0002", "quantity": 1}]
    at = datetime(2026, 11, 5, tzinfo=UTC)
    assert promotion_quote(channel="own_store", lines=lines, at=at, member_tier="silver").total == Decimal(
        "56.05"
    )
    # a known customer's own tier wins over member_tier
    quote = promotion_quote(channel="own_store", lines=lines, at=at, customer="C1", member_tier="silver")
    assert quote.total == Decimal("47.20")


def test_coupons_from_the_coupon_table(post, shop):
    welcome = promo(
        code="WELCOME",
        kind="amount_off",
        params={"amount": "10", "level": "order"},
        coupon_required=True,
    )
    Coupon.objects.create(code="WELCOME10", promotion=welcome)
    Coupon.objects.create(code="OLD", promotion=welcome, active=False)
    Coupon.objects.create(code="USED", promotion=welcome, usage_limit=1, used=1)
    body = post(cart(("SKU-0002", 1), coupon_codes=["welcome10 ", "OLD", "USED", "NOPE", "WELCOME"])).json()
    assert body["total"] == "49.00"
    assert body["applied"] == [{"code": "WELCOME", "amount": "10.00"}]
    assert body["rejected_coupons"] == [
        {"code": "OLD", "reason": "coupon is not active"},
        {"code": "USED", "reason": "coupon already used up"},
        {"code": "NOPE", "reason": "unknown coupon"},
        {"code": "WELCOME", "reason": "unknown coupon"},  # it has codes of its own: its code is none
    ]


def test_a_public_coupon_code_and_duplicates(post, shop):
    promo(code="SAVE5", kind="amount_off", params={"amount": "5"}, coupon_required=True)
    body = post(cart(("SKU-0002", 1), coupon_codes=["save5", "SAVE5"])).json()
    assert body["total"] == "54.00"
    assert body["rejected_coupons"] == [{"code": "SAVE5", "reason": "duplicate coupon"}]
    assert post(cart(("SKU-0002", 1))).json()["total"] == "59.00"  # no coupon, no discount


def test_coupon_per_customer_limit(post, shop):
    from marketing.models import Redemption
    from orders.tests.factories import OrderFactory

    welcome = promo(code="WELCOME", kind="amount_off", params={"amount": "10"}, coupon_required=True)
    coupon = Coupon.objects.create(code="ONCE", promotion=welcome, per_customer_limit=1)
    customer = CustomerFactory(channel=ChannelFactory(code="own_store"), external_id="C7")
    Redemption.objects.create(
        promotion=welcome,
        coupon=coupon,
        order=OrderFactory(customer=customer, channel=customer.channel),
        customer=customer,
    )
    body = post(cart(("SKU-0002", 1), customer={"external_id": "C7"}, coupon_codes=["ONCE"])).json()
    assert body["rejected_coupons"] == [{"code": "ONCE", "reason": "coupon already used by this customer"}]
    assert post(cart(("SKU-0002", 1), coupon_codes=["ONCE"])).json()["total"] == "49.00"


def test_personal_coupon_prices_only_for_its_owner(post, shop):
    welcome = promo(code="REWARD", kind="amount_off", params={"amount": "10"}, coupon_required=True)
    own_store = ChannelFactory._meta.model.objects.get(code="own_store")
    owner = CustomerFactory(channel=own_store, external_id="C8")
    CustomerFactory(channel=own_store, external_id="C9")
    Coupon.objects.create(code="MINE", promotion=welcome, customer=owner, usage_limit=1)
    body = post(cart(("SKU-0002", 1), customer={"external_id": "C8"}, coupon_codes=["mine"])).json()
    assert (body["total"], body["rejected_coupons"]) == ("49.00", [])
    for customer in ({"external_id": "C9"}, None):
        body = post(cart(("SKU-0002", 1), customer=customer, coupon_codes=["MINE"])).json()
        assert body["total"] == "59.00"
        assert body["rejected_coupons"] == [
            {"code": "MINE", "reason": "coupon was issued to another customer"}
        ]


def test_usage_limits(post, shop):
    limited = promo(code="FIRST100", usage_limit=100, per_customer_limit=1)
    customer = CustomerFactory(channel=ChannelFactory(code="own_store"), external_id="C2")
    assert post(cart(("SKU-0002", 1), customer={"external_id": "C2"})).json()["total"] == "53.10"
    PromotionCustomerUsage.objects.create(promotion=limited, customer=customer, used=1)
    assert post(cart(("SKU-0002", 1), customer={"external_id": "C2"})).json()["total"] == "59.00"
    assert post(cart(("SKU-0002", 1))).json()["total"] == "53.10"
    Promotion.objects.filter(pk=limited.pk).update(used=100)
    assert post(cart(("SKU-0002", 1))).json()["total"] == "59.00"


def test_flash_sale_remainder_and_the_customers_own_hold(post, shop):
    sale = promo(
        code="FLASH",
        kind="flash_sale",
        params={"sku": "SKU-0003", "price": "9.90", "quantity": 3, "per_customer": 2},
        loss_leader=True,
        starts_at=(timezone.now() - timedelta(days=1)).isoformat(),
        ends_at=(timezone.now() + timedelta(days=1)).isoformat(),
    )
    body = post(cart(("SKU-0003", 5), at=None)).json()
    assert body["lines"][0] == {
        "sku": "SKU-0003",
        "quantity": 5,
        "unit_price": "25.00",
        "discount": "30.20",
        "total": "94.80",
    }  # two units (the per-customer cap) at ¥9.90
    now = timezone.now()
    FlashSalePool.objects.filter(promotion=sale).update(claimed=3)
    FlashSaleCustomerCount.objects.create(promotion=sale, customer_ref="C3", claimed=1)
    FlashSaleClaim.objects.create(
        promotion=sale,
        customer_ref="C3",
        sku=shop["SKU-0003"],
        quantity=1,
        expires_at=now + timedelta(minutes=9),
    )
    FlashSaleClaim.objects.create(
        promotion=sale,
        customer_ref="C9",
        sku=shop["SKU-0003"],
        quantity=2,
        expires_at=now - timedelta(minutes=1),
    )
    at = now.isoformat()
    # sold out but for C9's expired hold of 2 units: others get 2 units
    assert post(cart(("SKU-0003", 3), at=at)).json()["total"] == "44.80"
    # C3 holds one unit (2 free in the pool + theirs = 3, their cap 2 minus 0 other uses): 2 units
    assert post(cart(("SKU-0003", 3), at=at, customer={"external_id": "C3"})).json()["total"] == "44.80"
    FlashSaleClaim.objects.filter(customer_ref="C9").update(expires_at=now + timedelta(minutes=5))
    assert post(cart(("SKU-0003", 3), at=at)).json()["total"] == "75.00"  # truly sold out
    assert post(cart(("SKU-0003", 3), at=at, customer={"external_id": "C3"})).json()["total"] == "59.90"


def test_gift_line_and_its_cost_warning(post, shop):
    promo(code="GIFT", kind="gift", params={"threshold": "99", "gift_sku": "SKU-GIFT"})
    body = post(cart(("SKU-0001", 1))).json()
    assert body["lines"][-1] == {
        "sku": "SKU-GIFT",
        "quantity": 1,
        "unit_price": "0.00",
        "discount": "0.00",
        "total": "0.00",
        "gift": True,
    }
    assert body["total"] == "129.00"
    assert body["applied"] == [{"code": "GIFT", "amount": "0.00"}]
    assert body["warnings"] == []  # ¥15 of ¥129: 11.6 %
    body = post(cart(("SKU-0001", 3))).json()
    assert body["warnings"] == [
        {
            "code": "GIFT",
            "message": "gift SKU-GIFT costs ¥15.00, 3.9 % of the qualifying subtotal ¥387.00: "
            "outside the 5-15 % band",
        }
    ]


# --- the service ------------------------------------------------------------------------------------


def test_an_edit_is_seen_by_the_next_quote(shop, django_capture_on_commit_callbacks):
    at = datetime(2026, 11, 5, tzinfo=UTC)
    lines = [{"sku": "SKU-0002", "quantity": 1}]
    assert promotion_quote(channel="own_store", lines=lines, at=at).total == Decimal("59.00")
    with django_capture_on_commit_callbacks(execute=True):
        tiers_promo = promo(code="P10")
    assert promotion_quote(channel="own_store", lines=lines, at=at).total == Decimal("53.10")
    # a write that bypasses the service (the admin, a factory) is seen too: the table's fingerprint
    Promotion.objects.filter(pk=tiers_promo.pk).update(active=False, updated_at=timezone.now())
    assert promotion_quote(channel="own_store", lines=lines, at=at).total == Decimal("59.00")


def test_a_draft_replaces_the_saved_promotion_of_its_code(shop):
    tiers()
    at = datetime(2026, 11, 5, tzinfo=UTC)
    lines = [{"sku": "SKU-0001", "quantity": 2}]
    draft, _e = promotion_clean(
        {
            "code": "D11-TIERS",
            "name": "draft",
            "kind": "threshold_amount",
            "params": {"tiers": [{"threshold": "199", "amount": "30"}]},
            "active": False,
        },
        promotion=Promotion.objects.get(code="D11-TIERS"),
    )
    assert promotion_quote(channel="own_store", lines=lines, at=at).total == Decimal("238.00")
    assert promotion_quote(channel="own_store", lines=lines, at=at, draft=draft).total == Decimal("228.00")
    draft["code"] = "NEW"
    quote = promotion_quote(channel="own_store", lines=lines, at=at, draft=draft)
    assert [a.code for a in quote.applied] == ["D11-TIERS", "NEW"]
    assert quote.total == Decimal("208.00")


def test_validation_errors_of_the_service(shop):
    with pytest.raises(ValidationError) as info:
        promotion_quote(channel="", lines=[])
    assert info.value.message_dict == {
        "channel": ["This field is required."],
        "lines": ["Give at least one line."],
    }


def test_a_50_line_cart_reads_few_queries(shop):
    for n in range(50):
        SKUFactory(code=f"BULK-{n:02d}", product=ProductFactory(category=shop["SKU-0001"].product.category))
    tiers()
    promo(code="TEA5", scope={"categories": ["tea"]}, usage_limit=1000)
    promo(code="VIP", kind="member_price", params={"tiers": {"gold": "10"}})
    customer = CustomerFactory(channel=ChannelFactory(code="own_store"), external_id="C1")
    Membership.objects.create(customer=customer, tier="gold")
    lines = [{"sku": f"BULK-{n:02d}", "quantity": 1 + n % 3} for n in range(50)]
    at = datetime(2026, 11, 5, tzinfo=UTC)
    promotion_quote(channel="own_store", lines=lines, customer="C1", at=at)  # builds the index
    with CaptureQueriesContext(connection) as queries:
        quote = promotion_quote(channel="own_store", lines=lines, customer="C1", at=at)
    # 1. the promotions' fingerprint, the customer and the SKUs; 2. the usage counts
    assert len(queries) == 2
    assert [a.code for a in quote.applied][:2] == ["VIP", "TEA5"]


# --- warnings before saving -------------------------------------------------------------------------


def test_margin_floor_warning_before_saving(shop):
    draft, _e = promotion_clean(
        {
            "code": "HALF",
            "name": "half",
            "kind": "percent_off",
            "params": {"percent": "50"},
            "scope": {"categories": ["tea"]},
        }
    )
    assert warnings_for_draft(draft) == [
        "This promotion can take 2 SKU(s) below their margin floor (SKU-0001 ¥64.50 < floor ¥66.67, "
        "SKU-0002 ¥29.50 < floor ¥33.34); when pricing, those lines stop at the floor unless the promotion "
        "is a loss leader."
    ]
    draft["loss_leader"] = True
    assert warnings_for_draft(draft) == []
    draft, _e = promotion_clean(
        {
            "code": "T",
            "name": "t",
            "kind": "percent_off",
            "params": {"percent": "20"},
            "scope": {"categories": ["tea"]},
        }
    )
    assert warnings_for_draft(draft) == []  # ¥103.20 and ¥47.20 keep the floor


def test_gift_cost_band_warning_before_saving(shop):
    draft, _e = promotion_clean(
        {"code": "G", "name": "g", "kind": "gift", "params": {"threshold": "500", "gift_sku": "SKU-GIFT"}}
    )
    assert warnings_for_draft(draft) == [
        "The gift SKU-GIFT costs ¥15.00, 3.0 % of the threshold ¥500.00: outside the 5-15 % band."
    ]
    draft["params"]["threshold"] = Decimal("150.00")
    assert warnings_for_draft(draft) == []


def test_the_documented_example_is_what_the_api_answers(post, shop):
    from marketing.api.promotions import QUOTE_ANSWER, QUOTE_EXAMPLE

    tiers()
    assert post(QUOTE_EXAMPLE).json() == QUOTE_ANSWER


def test_coupons_of_a_paused_or_a_couponless_promotion(post, shop):
    paused = promo(
        code="PAUSED", kind="amount_off", params={"amount": "5"}, coupon_required=True, active=False
    )
    plain = promo(code="PLAIN", kind="amount_off", params={"amount": "3"})
    Coupon.objects.create(code="P1", promotion=paused)
    Coupon.objects.create(code="P2", promotion=plain)
    body = post(cart(("SKU-0002", 1), coupon_codes=["P1", "P2"])).json()
    assert body["total"] == "56.00"
    assert body["rejected_coupons"] == [
        {"code": "P1", "reason": "the coupon's promotion is not active"},
        {"code": "P2", "reason": "no coupon needed: the promotion applies by itself"},
    ]
