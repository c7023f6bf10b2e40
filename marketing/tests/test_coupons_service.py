"""Coupon writes: generated codes, chosen codes, batches, the checks."""

import pytest
from django.core.exceptions import ValidationError

from marketing.models import Coupon, CouponBatch, Promotion
from marketing.services import coupons
from orders.tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def promotion(db):
    return Promotion.objects.create(
        code="REWARD",
        name="邀请奖励 ¥20",
        kind="amount_off",
        params={"amount": "20.00"},
        coupon_required=True,
    )


def test_coupon_issue_generates_one_unguessable_code(promotion):
    coupon = coupons.coupon_issue(promotion=promotion, prefix="ref-")
    assert coupon.code.startswith("REF-")
    assert len(coupon.code) == 4 + coupons.CODE_RANDOM_LENGTH
    assert set(coupon.code[4:]) <= set(coupons.CODE_ALPHABET)
    assert not set(coupon.code[4:]) & set("01OIL")
    assert (coupon.usage_limit, coupon.per_customer_limit, coupon.used, coupon.active) == (1, None, 0, True)
    assert coupon.promotion == promotion


def test_coupon_issue_for_a_customer_limits_per_customer_too(promotion):
    coupon = coupons.coupon_issue(promotion=promotion, customer=CustomerFactory(), usage_limit=2)
    assert (coupon.usage_limit, coupon.per_customer_limit) == (2, 2)


def test_coupon_issue_codes_differ(promotion):
    codes = {coupons.coupon_issue(promotion=promotion).code for _ in range(50)}
    assert len(codes) == 50


def test_coupon_issue_needs_a_coupon_promotion(promotion):
    promotion.coupon_required = False
    with pytest.raises(ValidationError) as exc:
        coupons.coupon_issue(promotion=promotion)
    assert list(exc.value.message_dict) == ["promotion"]
    with pytest.raises(ValidationError) as exc:
        coupons.coupon_issue(promotion=Promotion.objects.get(), usage_limit=0, prefix="a b")
    assert set(exc.value.message_dict) == {"usage_limit", "prefix"}
    assert Coupon.objects.count() == 0


def test_coupon_create_upper_cases_and_refuses_duplicates(promotion):
    coupon = coupons.coupon_create(
        promotion=promotion, code=" d11vip ", usage_limit=100, per_customer_limit=1
    )
    assert coupon.code == "D11VIP"
    with pytest.raises(ValidationError) as exc:
        coupons.coupon_create(promotion=promotion, code="D11vip")
    assert exc.value.message_dict == {"code": ["This code is already used."]}
    with pytest.raises(ValidationError) as exc:
        coupons.coupon_create(promotion=promotion, code="有空格 的")
    assert list(exc.value.message_dict) == ["code"]


def test_batch_all_codes_distinct_with_the_limits(promotion):
    batch = coupons.coupon_batch_create(
        promotion=promotion, count=2000, prefix="D11", usage_limit=1, per_customer_limit=1, name="短信"
    )
    created = Coupon.objects.filter(batch=batch)
    assert created.count() == 2000
    assert created.values("code").distinct().count() == 2000
    assert set(created.values_list("usage_limit", "per_customer_limit").distinct()) == {(1, 1)}
    assert all(code.startswith("D11") for code in created.values_list("code", flat=True))


def test_batch_refused_whole(promotion):
    with pytest.raises(ValidationError) as exc:
        coupons.coupon_batch_create(promotion=promotion, count=coupons.BATCH_MAX + 1)
    assert list(exc.value.message_dict) == ["count"]
    assert CouponBatch.objects.count() == 0


def test_code_normalize():
    assert coupons.code_normalize("  d11-vip ") == "D11-VIP"
    assert coupons.code_normalize(None) == ""
