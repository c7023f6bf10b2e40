"""Demo customers' marketing data, written after the orders exist (`customers_seed`): membership tiers
(the defaults) and every buyer's membership and tier as of the end date, birthdays for about 60 % of the
members, a points ledger (orders delivered in the last 60 days earn; ten days of orders delivered a year
ago earned too and have expired since; some members redeemed), and the RFM scores of the end date.

Everything goes through `marketing.services.customers`, so the demo obeys the pages' rules. Deterministic
by seed (its own random stream) and the end date. At scale "small" (53k customers): 8.5 s measured on a
2-core machine with the load average at 8-10 (other jobs running), of which about 3 s of this process's
CPU; expect about 4 s on an idle machine.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from marketing.models import CustomerRFM, MarketingSettings, Membership, MembershipTierRule, PointsEntry
from marketing.services import customers as services
from orders.models import Customer
from shopops.common import bulk

BIRTHDAY_SHARE = 0.6
REDEMPTIONS = {"tiny": 10, "small": 30, "large": 100}
RECENT_DAYS = 60  # orders delivered in these days before the end date have earned points
EXPIRED_FROM, EXPIRED_TO = 375, 366  # ten days of deliveries a year ago: earned, then expired


def customers_seed(*, scale: str, seed: int, end_date: date) -> dict[str, int]:
    rng = np.random.default_rng([seed, 60_606])
    if not MarketingSettings.objects.exists():
        MarketingSettings.objects.create()
    services.membership_tiers_ensure()
    services.membership_assign(business_date=end_date)
    _birthdays(rng, end_date)
    services.points_earn(
        start=end_date - timedelta(days=EXPIRED_FROM), end=end_date - timedelta(days=EXPIRED_TO)
    )
    services.points_expire(business_date=end_date)
    services.points_earn(start=end_date - timedelta(days=RECENT_DAYS - 1), end=end_date)
    _redemptions(rng, end_date, REDEMPTIONS.get(scale, REDEMPTIONS["tiny"]))
    services.customer_rfm_build(business_date=end_date)
    return {
        "marketing.MembershipTierRule": MembershipTierRule.objects.count(),
        "marketing.Membership": Membership.objects.count(),
        "marketing.PointsEntry": PointsEntry.objects.count(),
        "marketing.CustomerRFM": CustomerRFM.objects.count(),
    }


def _birthdays(rng: np.random.Generator, end_date: date) -> None:
    """About 60 % of the members gave a birthday: ages 18-65, any day of the year."""
    ids = list(Membership.objects.order_by("id").values_list("id", flat=True))
    if not ids:
        return
    chosen = rng.random(len(ids)) < BIRTHDAY_SHARE
    ages = rng.integers(18, 66, len(ids))
    days = rng.integers(0, 365, len(ids))
    rows = []
    for member_id, keep, age, day in zip(ids, chosen.tolist(), ages.tolist(), days.tolist(), strict=True):
        if keep:
            rows.append((member_id, date(end_date.year - age, 1, 1) + timedelta(days=day)))
    bulk.rows_update(Membership, ["birthday"], rows)


def _redemptions(rng: np.random.Generator, end_date: date, count: int) -> None:
    """`count` members with at least 300 points redeemed part of them (200 points or more)."""
    rich = list(
        Membership.objects.filter(points__gte=300)
        .order_by("customer_id")
        .values_list("customer_id", "points")
    )
    if not rich:
        return
    picks = rng.choice(len(rich), size=min(count, len(rich)), replace=False).tolist()
    notes = ["积分换购 电水壶", "积分抵现", "积分兑换 清洁套装", "生日礼积分兑换"]
    customers = Customer.objects.in_bulk([rich[i][0] for i in picks])
    for i in sorted(picks):
        customer_id, points = rich[i]
        amount = int(rng.integers(200, points + 1)) // 100 * 100
        services.points_redeem(
            customer=customers[customer_id],
            points=max(amount, 100),
            note=notes[int(rng.integers(len(notes)))],
            today=end_date,
        )
