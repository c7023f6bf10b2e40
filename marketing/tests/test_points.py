"""The points ledger on the database: earn on delivered orders (tier multiplier, idempotent), claw back on
returns and refunds, expire, redeem first-in first-out with clear errors; the balance always equals the
earn entries' remainders."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.utils import timezone

from marketing.models import MarketingSettings, Membership, PointsEntry
from marketing.selectors import customers as selectors
from marketing.services import customers as services
from marketing.tasks import customers as tasks
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.models import JobRun

D = Decimal
DAY = date(2026, 6, 30)


def at(day: date, hour: int = 12) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)), timezone.get_current_timezone())


def delivered(customer, total: str, day: date = DAY, *, hour: int = 12, **kwargs):
    return OrderFactory(
        channel=customer.channel,
        customer=customer,
        placed_at=at(day - timedelta(days=3)),
        delivered_at=at(day, hour),
        status=kwargs.pop("status", Order.Status.DELIVERED),
        total=D(total),
        **kwargs,
    )


def ledger(customer):
    return list(
        PointsEntry.objects.filter(customer=customer)
        .order_by("id")
        .values_list("kind", "points", "remaining", "expires_on")
    )


def balance(customer) -> int:
    return Membership.objects.get(customer=customer).points


def assert_ledger_adds_up():
    """Every member's balance is the sum of the remainders of their earn entries."""
    remaining = dict(
        PointsEntry.objects.filter(kind="earn")
        .values("customer_id")
        .annotate(n=Sum("remaining"))
        .values_list("customer_id", "n")
    )
    for member in Membership.objects.all():
        assert member.points == remaining.get(member.customer_id, 0), member.customer_id


@pytest.fixture
def gold(db):
    services.membership_tiers_ensure()
    customer = CustomerFactory(channel=ChannelFactory(), external_id="GOLD-1")
    Membership.objects.create(customer=customer, tier="gold")
    return customer


def test_delivered_orders_earn_with_the_tier_multiplier_once(gold):
    plain = CustomerFactory(channel=gold.channel, external_id="NEW-1")  # no membership yet
    delivered(gold, "199.99")  # 199.99 x 1.5 = 299.985 -> 299
    delivered(gold, "100.00", hour=0)  # 00:00-00:59 shop time is still the business date
    delivered(gold, "50.00", DAY - timedelta(days=1), hour=23)  # the day before
    delivered(gold, "80.00", status=Order.Status.RETURNED)  # delivered that day, returned since
    delivered(plain, "88.80")
    result = services.points_build(business_date=DAY)
    expiry = DAY + timedelta(days=365)
    assert ledger(gold) == [("earn", 150, 150, expiry), ("earn", 299, 299, expiry)]  # by delivery time
    assert ledger(plain) == [("earn", 88, 88, expiry)]
    assert Membership.objects.get(customer=plain).tier == "member"
    assert balance(gold) == 449 and balance(plain) == 88
    assert result["earned"] == {"orders": 3, "points": 537}
    # again: nothing new
    assert services.points_build(business_date=DAY)["earned"] == {"orders": 0, "points": 0}
    assert balance(gold) == 449 and PointsEntry.objects.count() == 3
    assert_ledger_adds_up()


def test_settings_set_the_rate_and_the_expiry(gold):
    MarketingSettings.objects.create(points_per_yuan=D("2.00"), points_expire_days=30)
    delivered(gold, "10.10")  # 10.10 x 2 x 1.5 = 30.3 -> 30
    services.points_build(business_date=DAY)
    assert ledger(gold) == [("earn", 30, 30, DAY + timedelta(days=30))]


def test_a_returned_order_gives_back_its_unused_points(gold):
    order = delivered(gold, "200.00")  # 300 points
    other = delivered(gold, "100.00")  # 150 points
    services.points_build(business_date=DAY)
    services.points_redeem(customer=gold, points=350, note="kettle", today=DAY)  # FIFO: 300 + 50
    assert balance(gold) == 100
    Order.objects.filter(pk=other.pk).update(
        status=Order.Status.RETURNED, closed_at=at(DAY + timedelta(days=2))
    )
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.RETURNED, closed_at=at(DAY + timedelta(days=2))
    )
    result = services.points_build(business_date=DAY + timedelta(days=2))
    # `order` has nothing left (all redeemed); `other` has 100 of its 150 unused: those come back
    assert result["clawed_back"] == {"orders": 1, "points": 100}
    assert [(e.kind, e.points, e.order_id) for e in PointsEntry.objects.filter(kind="adjust")] == [
        ("adjust", -100, other.pk)
    ]
    assert balance(gold) == 0
    assert services.points_build(business_date=DAY + timedelta(days=2))["clawed_back"]["orders"] == 0
    assert balance(gold) == 0
    assert_ledger_adds_up()


def test_a_partial_refund_gives_back_its_share(gold):
    order = delivered(gold, "300.00")  # 450 points
    services.points_build(business_date=DAY)
    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.REFUNDED, refund_amount=D("100.00"), closed_at=at(DAY + timedelta(days=1))
    )
    services.points_build(business_date=DAY + timedelta(days=1))
    assert ledger(gold)[-1] == ("adjust", -150, 0, None)
    assert balance(gold) == 300
    assert_ledger_adds_up()


def test_points_expire_on_their_day_once(gold):
    MarketingSettings.objects.create(points_expire_days=10)
    delivered(gold, "100.00")  # 150, expires DAY + 10
    delivered(gold, "20.00", DAY + timedelta(days=1))  # 30, expires DAY + 11
    services.points_build(business_date=DAY)
    services.points_build(business_date=DAY + timedelta(days=1))
    services.points_redeem(customer=gold, points=100, today=DAY + timedelta(days=2))
    assert services.points_build(business_date=DAY + timedelta(days=9))["expired"] == {
        "entries": 0,
        "points": 0,
    }
    result = services.points_build(business_date=DAY + timedelta(days=10))
    assert result["expired"] == {"entries": 1, "points": 50}
    assert balance(gold) == 30
    assert services.points_build(business_date=DAY + timedelta(days=10))["expired"]["entries"] == 0
    assert [e[:3] for e in ledger(gold)] == [
        ("earn", 150, 0),
        ("earn", 30, 30),
        ("redeem", -100, 0),
        ("expire", -50, 0),
    ]
    assert_ledger_adds_up()


def test_redeem_first_to_expire_first_and_refuse_more_than_available(gold):
    MarketingSettings.objects.create(points_expire_days=10)
    delivered(gold, "100.00", DAY - timedelta(days=20))  # 150, expired on DAY - 10 (nightly not run)
    delivered(gold, "200.00", DAY - timedelta(days=2))  # 300, expires DAY + 8
    delivered(gold, "40.00", DAY - timedelta(days=5))  # 60, expires DAY + 5
    services.points_earn(start=DAY - timedelta(days=20), end=DAY)  # the expiry has not run since
    assert balance(gold) == 510
    assert selectors.points_available(customer_id=gold.pk, today=DAY) == 360
    with pytest.raises(ValidationError) as error:
        services.points_redeem(customer=gold, points=361, today=DAY)
    assert error.value.message_dict == {"points": ["Only 360 points can be redeemed; 361 were asked for."]}
    assert balance(gold) == 510 and not PointsEntry.objects.filter(kind="redeem").exists()
    entry = services.points_redeem(customer=gold, points=100, note="满100积分换购", today=DAY)
    assert (entry.kind, entry.points, entry.note) == ("redeem", -100, "满100积分换购")
    # the 60 expiring first go first, then 40 of the 300; the expired 150 are untouched
    assert [e[:3] for e in ledger(gold)][:3] == [("earn", 150, 150), ("earn", 60, 0), ("earn", 300, 260)]
    assert balance(gold) == 410
    assert_ledger_adds_up()


@pytest.mark.parametrize("points", [0, -5, "10"])
def test_redeem_needs_a_positive_whole_number(gold, points):
    with pytest.raises(ValidationError) as error:
        services.points_redeem(customer=gold, points=points)
    assert error.value.message_dict == {"points": ["Redeem at least 1 point."]}


def test_a_customer_without_membership_has_nothing_to_redeem(db):
    customer = CustomerFactory(channel=ChannelFactory())
    with pytest.raises(ValidationError) as error:
        services.points_redeem(customer=customer, points=1)
    assert error.value.message_dict == {"points": ["Only 0 points can be redeemed; 1 were asked for."]}


def test_redeem_checks_the_users_permission(gold, make_user):
    delivered(gold, "100.00")
    services.points_build(business_date=DAY)
    with pytest.raises(PermissionDenied):
        services.points_redeem(customer=gold, points=10, user=make_user("manager"), today=DAY)
    services.points_redeem(customer=gold, points=10, user=make_user("marketing"), today=DAY)
    assert balance(gold) == 140


def test_the_nightly_task_records_the_job(gold):
    delivered(gold, "100.00")
    tasks.points_build(DAY.isoformat())
    detail = tasks.points_build(DAY.isoformat())
    run = JobRun.objects.get(job="marketing.points_build", business_date=DAY)
    assert run.runs == 2 and detail["earned"] == {"orders": 0, "points": 0}
    assert balance(gold) == 150


def test_points_expiring_soon(gold):
    MarketingSettings.objects.create(points_expire_days=20)
    delivered(gold, "100.00")
    services.points_build(business_date=DAY)
    assert selectors.points_expiring(customer_id=gold.pk, today=DAY, days=20) == 0
    assert selectors.points_expiring(customer_id=gold.pk, today=DAY, days=21) == 150


def test_redeem_takes_the_points_that_expire_first_not_the_oldest_entry(gold):
    settings = MarketingSettings.objects.create(points_expire_days=100)
    delivered(gold, "100.00", DAY - timedelta(days=1))  # 150, earned first, expires DAY + 99
    services.points_build(business_date=DAY - timedelta(days=1))
    settings.points_expire_days = 10
    settings.save()
    delivered(gold, "20.00")  # 30, earned later, expires DAY + 10: used first
    services.points_build(business_date=DAY)
    services.points_redeem(customer=gold, points=40, today=DAY)
    assert [e[:3] for e in ledger(gold)] == [("earn", 150, 140), ("earn", 30, 0), ("redeem", -40, 0)]
    assert_ledger_adds_up()
