"""Races on real PostgreSQL: concurrent redemptions never spend the same points twice nor take a balance
below zero, and the nightly expiry running at the same time neither deadlocks nor loses a point."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.db.models import Sum

from conftest import require
from marketing.models import MarketingSettings, Membership, PointsEntry
from marketing.services import customers as services
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.dates import day_start

pytestmark = pytest.mark.django_db(transaction=True)
DAY = date(2026, 6, 30)


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    errors, barrier = [], threading.Barrier(len(args_list))

    def wrapped(*args):
        try:
            barrier.wait(timeout=30)
            target(*args)
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def member_with_points(totals_and_days):
    """A member (tier member, x1) with one delivered order per (total, delivery day), earned."""
    services.membership_tiers_ensure()
    customer = CustomerFactory(channel=ChannelFactory())
    for total, day in totals_and_days:
        OrderFactory(
            channel=customer.channel,
            customer=customer,
            placed_at=day_start(day),
            delivered_at=day_start(day) + timedelta(hours=10),
            status=Order.Status.DELIVERED,
            total=Decimal(total),
        )
    services.points_earn(start=min(d for _t, d in totals_and_days), end=max(d for _t, d in totals_and_days))
    return customer


def sums(customer):
    entries = PointsEntry.objects.filter(customer=customer)
    return {
        "balance": Membership.objects.get(customer=customer).points,
        "remaining": entries.filter(kind="earn").aggregate(n=Sum("remaining"))["n"],
        "redeemed": -(entries.filter(kind="redeem").aggregate(n=Sum("points"))["n"] or 0),
        "expired": -(entries.filter(kind="expire").aggregate(n=Sum("points"))["n"] or 0),
    }


@pytest.mark.parametrize("run", range(3))
def test_concurrent_redemptions_spend_each_point_once(run):
    customer = member_with_points([("40.00", DAY), ("60.00", DAY)])  # 100 points in two entries
    errors = run_threads(lambda: services.points_redeem(customer=customer, points=30, today=DAY), [()] * 8)
    assert len(errors) == 5 and all(isinstance(e, ValidationError) for e in errors)
    assert sums(customer) == {"balance": 10, "remaining": 10, "redeemed": 90, "expired": 0}


@pytest.mark.parametrize("run", range(3))
def test_expiry_and_redemptions_at_once_lose_nothing_and_do_not_deadlock(run):
    MarketingSettings.objects.create(points_expire_days=10)
    # 50 points expire at the end of DAY (delivered DAY - 10), 100 later
    customer = member_with_points([("50.00", DAY - timedelta(days=10)), ("100.00", DAY - timedelta(days=1))])
    work = [("expire",)] + [("redeem",)] * 6

    def act(kind):
        if kind == "expire":
            services.points_expire(business_date=DAY)
        else:
            services.points_redeem(customer=customer, points=20, today=DAY)

    errors = run_threads(act, work)
    assert all(isinstance(e, ValidationError) for e in errors), errors
    got = sums(customer)
    assert got["balance"] == got["remaining"] >= 0
    assert got["balance"] + got["redeemed"] + got["expired"] == 150
    assert got["redeemed"] == 20 * (6 - len(errors))
    assert PointsEntry.objects.filter(kind="earn", expires_on__lte=DAY, remaining__gt=0).count() == 0
