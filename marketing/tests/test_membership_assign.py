"""Membership tiers on the database: defaults, the nightly assignment by 12-month spend AND orders (up and
down, tier_since, idempotent), threshold edits checked as a whole table; the birthday list."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from marketing.models import Membership, MembershipTierRule
from marketing.selectors import customers as selectors
from marketing.services import customers as services
from marketing.tasks import customers as tasks
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory
from shopops.common.models import JobRun

D = Decimal
DAY = date(2026, 6, 30)


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)), timezone.get_current_timezone())


def orders(customer, totals, *, days_before=5, status=Order.Status.DELIVERED):
    for i, total in enumerate(totals):
        OrderFactory(
            channel=customer.channel,
            customer=customer,
            placed_at=at(DAY - timedelta(days=days_before + i)),
            status=status,
            total=D(total),
        )


@pytest.fixture
def shop(db):
    channel = ChannelFactory()
    c = {name: CustomerFactory(channel=channel, external_id=name) for name in ("X", "Y", "Z", "W", "V")}
    orders(c["X"], ["450.00", "450.00"])  # ¥900 in 2 orders: silver
    orders(c["Y"], ["625.00"] * 8)  # ¥5,000 in 8 orders: platinum
    orders(c["Z"], ["5000.00"])  # ¥5,000 in 1 order: member
    orders(c["W"], ["3000.00"] * 9, days_before=366)  # a big spender, but over a year ago: member
    orders(c["V"], ["900.00"] * 3, status=Order.Status.CANCELLED)  # cancelled only: no membership
    return c


def tiers(customers):
    found = {m.customer_id: (m.tier, m.tier_since) for m in Membership.objects.all()}
    return {name: found[c.pk] for name, c in customers.items() if c.pk in found}


def test_defaults_are_created_once(db):
    assert not MembershipTierRule.objects.exists()
    services.membership_tiers_ensure()
    services.membership_tiers_ensure()
    assert list(
        MembershipTierRule.objects.values_list("code", "rank", "min_spend", "min_orders", "points_multiplier")
    ) == [
        ("member", 1, D("0.00"), 0, D("1.00")),
        ("silver", 2, D("800.00"), 2, D("1.20")),
        ("gold", 3, D("2000.00"), 4, D("1.50")),
        ("platinum", 4, D("5000.00"), 8, D("2.00")),
    ]


def test_assignment_by_spend_and_orders(shop):
    result = services.membership_assign(business_date=DAY)
    assert tiers(shop) == {
        "X": ("silver", DAY),
        "Y": ("platinum", DAY),
        "Z": ("member", DAY),
        "W": ("member", DAY),
    }
    assert result == {"created": 4, "changed": 0, "tiers": {"member": 2, "platinum": 1, "silver": 1}}
    # the same night again changes nothing
    assert services.membership_assign(business_date=DAY) == {**result, "created": 0}


def test_tiers_move_down_when_the_year_passes(shop):
    services.membership_assign(business_date=DAY)
    later = DAY + timedelta(days=300)
    orders(shop["Y"], ["2100.00"], days_before=-290)  # one more order, 10 days before `later`
    services.membership_assign(business_date=later)
    # 300 days on, every order is still inside the 365 days: nothing moves
    got = tiers(shop)
    assert got["X"] == ("silver", DAY)
    assert got["Y"] == ("platinum", DAY)
    assert services.membership_assign(business_date=DAY + timedelta(days=370))["changed"] == 2  # X and Y
    got = tiers(shop)
    assert got["X"] == ("member", DAY + timedelta(days=370))
    # Y: only the ¥2,100 order is left in the year (1 order): member
    assert got["Y"] == ("member", DAY + timedelta(days=370))
    assert got["Z"] == ("member", DAY)  # unchanged: tier_since kept


def test_members_whose_orders_were_all_cancelled_fall_to_the_lowest_tier(shop):
    services.membership_assign(business_date=DAY)
    Order.objects.filter(customer=shop["Y"]).update(status=Order.Status.CANCELLED)
    result = services.membership_assign(business_date=DAY + timedelta(days=1))
    assert tiers(shop)["Y"] == ("member", DAY + timedelta(days=1))
    assert result["changed"] == 1


def test_the_nightly_task_records_the_job(shop):
    tasks.membership_assign(DAY.isoformat())
    tasks.membership_assign(DAY.isoformat())
    run = JobRun.objects.get(job="marketing.membership_assign", business_date=DAY)
    assert run.runs == 2 and run.detail["changed"] == 0 and run.detail["created"] == 0
    assert Membership.objects.count() == 4


def test_threshold_edits_are_checked_as_a_table_and_saved_whole(db):
    services.membership_tiers_ensure()
    with pytest.raises(ValidationError) as error:
        services.membership_tiers_update(
            changes={
                "silver": {"min_spend": D("900.00")},
                "gold": {"min_spend": D("850.00"), "min_orders": 2, "points_multiplier": D("1.10")},
            }
        )
    assert error.value.message_dict == {
        "gold": [
            "A tier cannot ask less spend or fewer orders than the tier below it.",
            "The points multiplier cannot be lower than the tier below it.",
        ]
    }
    assert MembershipTierRule.objects.get(code="silver").min_spend == D("800.00")  # nothing written
    services.membership_tiers_update(
        changes={"silver": {"min_spend": D("1000.00"), "name": "白银"}, "gold": {"min_orders": 5}}
    )
    silver, gold = MembershipTierRule.objects.get(code="silver"), MembershipTierRule.objects.get(code="gold")
    assert (silver.min_spend, silver.name, gold.min_orders) == (D("1000.00"), "白银", 5)
    with pytest.raises(ValidationError) as error:
        services.membership_tiers_update(changes={"diamond": {"min_orders": 1}})
    assert error.value.message_dict == {"diamond": ["No such tier."]}


def test_membership_tier_summary(shop):
    services.membership_assign(business_date=DAY)
    Membership.objects.filter(customer=shop["Y"]).update(points=120)
    rows = selectors.membership_tier_summary()
    assert [(r["rule"].code, r["members"], r["points"]) for r in rows] == [
        ("member", 2, 0),
        ("silver", 1, 0),
        ("gold", 0, 0),
        ("platinum", 1, 120),
    ]


def test_birthday_list_next_30_days_soonest_first(shop):
    services.membership_assign(business_date=DAY)
    births = {"X": date(1990, 7, 1), "Y": date(1985, 6, 30), "Z": date(2000, 7, 30), "W": date(1970, 7, 31)}
    for name, day in births.items():
        Membership.objects.filter(customer=shop[name]).update(birthday=day)
    rows = list(selectors.birthday_list(today=DAY))
    # 30 days from 30 June: 30 June .. 29 July; Z (30 July) and W (31 July) are outside
    assert [(m.customer.external_id, m.days_until) for m in rows] == [("Y", 0), ("X", 1)]
    assert [m.customer.external_id for m in selectors.birthday_list(today=DAY, days=31)] == ["Y", "X", "Z"]
    assert [m.customer.external_id for m in selectors.birthday_list(today=DAY, tier="silver")] == ["X"]


def test_birthday_list_over_new_year_and_29_february(db):
    channel = ChannelFactory()
    people = {
        "dec": date(1990, 12, 31),
        "jan": date(1991, 1, 2),
        "leap": date(1992, 2, 29),
    }
    for name, birthday in people.items():
        Membership.objects.create(
            customer=CustomerFactory(channel=channel, external_id=name), birthday=birthday
        )
    assert [
        (m.customer.external_id, m.days_until) for m in selectors.birthday_list(today=date(2026, 12, 30))
    ] == [
        ("dec", 1),
        ("jan", 3),
    ]
    # 2027 has no 29 February: the birthday is kept on the 28th
    assert [
        (m.customer.external_id, m.days_until) for m in selectors.birthday_list(today=date(2027, 2, 20))
    ] == [("leap", 8)]
