"""Referral and KOC codes: creation rules, attribution of new customers' first orders (idempotent), the
reward rule (one coupon per N invites, also under concurrency), the order-sync follow-up, fission cost and
the pages."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from conftest import require
from marketing.models import (
    AdMetricDay,
    Campaign,
    Coupon,
    Promotion,
    Redemption,
    ReferralAttribution,
    ReferralCode,
    ReferralReward,
)
from marketing.selectors.referrals import fission_cost
from marketing.services.referrals import referral_code_create, referrals_attribute
from orders.models import Order
from orders.services import order_sync_followups_enqueue
from orders.tests.factories import ChannelFactory, CustomerFactory, order_with_lines

D = Decimal


def at(day, hour=12):
    return timezone.make_aware(datetime(2026, 11, day, hour))


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="own_store", name="Own store")
    sku = SKUFactory(code="SKU-0001")
    reward = Promotion.objects.create(
        code="REWARD-20", name="¥20 off", kind="amount_off", params={"amount": "20"}, coupon_required=True
    )
    referrer = CustomerFactory(channel=channel, external_id="R1", name="李雷")
    code = referral_code_create(
        code="friend-li", referrer=referrer, reward_invites=2, reward_promotion=reward
    )
    return {"channel": channel, "sku": sku, "reward": reward, "referrer": referrer, "code": code}


def order(shop, customer, *, day, code="FRIEND-LI", status=Order.Status.PAID):
    return order_with_lines(
        lines=[(shop["sku"], 1, D("99.00"), D("0"))],
        channel=shop["channel"],
        customer=customer,
        placed_at=at(day),
        coupon_code=code,
        status=status,
    )


def new_customer(shop, external_id):
    return CustomerFactory(channel=shop["channel"], external_id=external_id)


def test_create_rules(shop):
    assert shop["code"].code == "FRIEND-LI"
    with pytest.raises(ValidationError) as exc:
        referral_code_create(code="friend-li", referrer=shop["referrer"])
    assert exc.value.message_dict == {"code": ["This code is in use already (a referral code or a coupon)."]}
    Coupon.objects.create(code="D11VIP", promotion=shop["reward"])
    with pytest.raises(ValidationError) as exc:
        referral_code_create(code="d11vip", kind="koc", owner_name="")
    assert set(exc.value.message_dict) == {"code", "owner_name"}
    plain = Promotion.objects.create(code="PLAIN", name="p", kind="percent_off", params={"percent": "5"})
    with pytest.raises(ValidationError) as exc:
        referral_code_create(code="x y", referrer=None, reward_promotion=plain, reward_invites=0)
    assert set(exc.value.message_dict) == {"code", "referrer", "reward_invites", "reward_promotion"}
    koc = referral_code_create(code="koc-mimi", kind="koc", owner_name="米米")
    assert (koc.code, koc.referrer, koc.owner_name) == ("KOC-MIMI", None, "米米")


def test_attribution_of_first_orders_only(shop):
    n1, n2 = new_customer(shop, "N1"), new_customer(shop, "N2")
    existing = new_customer(shop, "OLD")
    old_first = order(shop, existing, day=1, code="")
    o1 = order(shop, n1, day=5, code="friend-li ")  # case and spaces do not matter
    o1b = order(shop, n1, day=6)  # n1's second order
    o_old = order(shop, existing, day=5)  # not new
    o_self = order(shop, shop["referrer"], day=5)  # self-referral
    o_other = order(shop, n2, day=5, code="SOMETHING")  # another code
    cancelled_first = new_customer(shop, "N3")
    order(shop, cancelled_first, day=2, code="", status=Order.Status.CANCELLED)
    o3 = order(shop, cancelled_first, day=6)  # a cancelled order does not count: still new
    ids = [o.pk for o in (old_first, o1, o1b, o_old, o_self, o_other, o3)]

    assert referrals_attribute(order_ids=ids) == {"attributed": 2, "rewards": 1}
    assert sorted(ReferralAttribution.objects.values_list("customer__external_id", "order_id")) == [
        ("N1", o1.pk),
        ("N3", o3.pk),
    ]
    # the 2 invites earned one single-use coupon of the reward promotion
    reward = ReferralReward.objects.get()
    assert reward.invites == 2 and reward.code == shop["code"]
    assert reward.coupon.promotion == shop["reward"] and reward.coupon.code.startswith("REF")
    assert reward.coupon.usage_limit == 1
    assert set(ReferralAttribution.objects.values_list("rewarded", flat=True)) == {True}
    # idempotent
    assert referrals_attribute(order_ids=ids) == {"attributed": 0, "rewards": 0}
    assert ReferralAttribution.objects.count() == 2 and ReferralReward.objects.count() == 1


def test_pending_order_is_attributed_once_paid(shop):
    n1 = new_customer(shop, "N1")
    o = order(shop, n1, day=5, status=Order.Status.PENDING)
    assert referrals_attribute(order_ids=[o.pk]) == {"attributed": 0, "rewards": 0}
    Order.objects.filter(pk=o.pk).update(status=Order.Status.PAID)
    assert referrals_attribute(order_ids=[o.pk]) == {"attributed": 1, "rewards": 0}


def test_inactive_code_attributes_nothing(shop):
    ReferralCode.objects.update(active=False)
    o = order(shop, new_customer(shop, "N1"), day=5)
    assert referrals_attribute(order_ids=[o.pk]) == {"attributed": 0, "rewards": 0}


def test_rewards_every_n_invites(shop):
    orders = [order(shop, new_customer(shop, f"N{i}"), day=5 + i) for i in range(5)]
    referrals_attribute(order_ids=[orders[0].pk])
    assert ReferralReward.objects.count() == 0
    referrals_attribute(order_ids=[o.pk for o in orders[1:4]])
    assert ReferralReward.objects.count() == 2  # 4 invites
    referrals_attribute(order_ids=[orders[4].pk])
    assert ReferralReward.objects.count() == 2  # the 5th waits for a 6th
    assert ReferralAttribution.objects.filter(rewarded=False).count() == 1


def test_koc_code_reward_has_no_coupon(shop):
    referral_code_create(code="KOC-MIMI", kind="koc", owner_name="米米", reward_invites=1)
    o = order(shop, new_customer(shop, "N1"), day=5, code="koc-mimi")
    assert referrals_attribute(order_ids=[o.pk]) == {"attributed": 1, "rewards": 1}
    assert ReferralReward.objects.get().coupon is None


def test_order_sync_follow_up_by_task_name(shop, settings, django_capture_on_commit_callbacks):
    settings.ORDER_SYNC_FOLLOWUP_TASKS = ["marketing.referrals_attribute"]
    o = order(shop, new_customer(shop, "N1"), day=5)
    with django_capture_on_commit_callbacks(execute=True):  # through the task outbox, on commit
        order_sync_followups_enqueue(order_ids=[o.pk])  # eager in tests
    assert ReferralAttribution.objects.get().order == o


def test_fission_cost(shop):
    campaign = Campaign.objects.create(
        code="FISSION",
        name="Invite friends",
        kind=Campaign.Kind.REFERRAL,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        other_cost=D("300.00"),
    )
    ReferralCode.objects.update(campaign=campaign)
    AdMetricDay.objects.create(
        campaign=campaign, channel=shop["channel"], day=date(2026, 11, 3), spend=D("200.00")
    )
    orders = [order(shop, new_customer(shop, f"N{i}"), day=5 + i) for i in range(4)]
    referrals_attribute(order_ids=[o.pk for o in orders])
    coupons = [r.coupon for r in ReferralReward.objects.all()]
    assert len(coupons) == 2
    # the referrer used one reward coupon: ¥20 off
    used = order(shop, shop["referrer"], day=20, code=coupons[0].code)
    Redemption.objects.create(promotion=shop["reward"], coupon=coupons[0], order=used, discount=D("20.00"))
    Redemption.objects.create(
        promotion=shop["reward"], coupon=coupons[1], order=orders[0], discount=D("20.00"), status="refused"
    )
    assert fission_cost(campaign=campaign, today=date(2026, 11, 30)) == {
        "ad_spend": D("200.00"),
        "other_cost": D("300.00"),
        "reward_discount": D("20.00"),
        "cost": D("520.00"),
        "new_customers": 4,
        "fission_cost": D("130.00"),
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_attribution_gives_each_reward_once():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")
    channel = ChannelFactory(code="own_store")
    sku = SKUFactory(code="SKU-C")
    reward = Promotion.objects.create(
        code="RW", name="rw", kind="amount_off", params={"amount": "5"}, coupon_required=True
    )
    referrer = CustomerFactory(channel=channel, external_id="REF")
    referral_code_create(code="CONC", referrer=referrer, reward_invites=3, reward_promotion=reward)
    orders = [
        order_with_lines(
            lines=[(sku, 1, D("10.00"), D("0"))],
            channel=channel,
            customer=CustomerFactory(channel=channel),
            placed_at=at(5),
            coupon_code="CONC",
        )
        for _ in range(24)
    ]
    ids = [o.pk for o in orders]
    chunks = [ids[i::8] for i in range(8)] + [ids]  # 8 threads on distinct orders, one on all of them
    barrier = threading.Barrier(len(chunks))

    def run(chunk):
        try:
            barrier.wait()
            return referrals_attribute(order_ids=chunk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(chunks)) as pool:
        results = list(pool.map(run, chunks))
    assert sum(r["attributed"] for r in results) == 24
    assert ReferralAttribution.objects.count() == 24
    assert ReferralReward.objects.count() == 8  # 24 invites / 3
    assert sum(r["rewards"] for r in results) == 8
    assert Coupon.objects.filter(promotion=reward).count() == 8
    assert ReferralAttribution.objects.filter(rewarded=False).count() == 0


# --- pages ---------------------------------------------------------------------------------------------


def test_referral_pages(shop, client_for):
    o = order(shop, new_customer(shop, "N1"), day=5)
    referrals_attribute(order_ids=[o.pk])
    client = client_for("manager")
    html = client.get(reverse("marketing:referral-list")).content.decode()
    row = html.split('data-code="FRIEND-LI"')[1].split("</tr>")[0]
    assert '<td class="num" data-col="attributed">1</td>' in row and "李雷" in row
    assert 'data-testid="referral-new"' not in html
    assert client.get(reverse("marketing:referral-create")).status_code == 403
    response = client.get(reverse("marketing:referral-list"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert body[1] == "FRIEND-LI,Customer referral,R1,,,1,0,2,True"


def test_referral_create_page(shop, client_for):
    client = client_for("marketing")
    url = reverse("marketing:referral-create")
    assert client.get(url).status_code == 200
    form = {
        "code": "han-mei",
        "kind": "referral",
        "referrer_channel": "own_store",
        "referrer": "R1",
        "owner_name": "",
        "campaign": "",
        "offer": "",
        "reward_invites": "3",
        "reward_promotion": "REWARD-20",
    }
    assert client.post(url, form).status_code == 302
    code = ReferralCode.objects.get(code="HAN-MEI")
    assert (code.referrer, code.reward_promotion, code.reward_invites) == (
        shop["referrer"],
        shop["reward"],
        3,
    )
    response = client.post(url, {**form, "code": "other", "referrer": "NOBODY"})
    assert response.status_code == 400 and "No customer with this id." in response.content.decode()
    response = client.post(url, {**form})
    assert response.status_code == 400 and "in use already" in response.content.decode()
    assert client_for("finance").get(url).status_code == 403
