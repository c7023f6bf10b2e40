"""Membership tiers and points, pure: which tier a customer's last 12 months earn, the rules a tier table
must keep, how many points an order earns or gives back, first-in first-out redemption, birthdays.

Tiers. A customer holds the highest tier whose two thresholds are both met over the 12 months (365 days)
ending on the business date: spend (counted orders' totals net of refunds, shop currency) at least
`min_spend` AND counted orders at least `min_orders`. The lowest tier is the floor: every customer with a
membership holds at least it. Tiers are re-assigned every night from the last 12 months, so a customer who
buys less moves down as well as up; `tier_since` says since when the current tier is held.

Defaults (codes match the catalogue's member-tier prices): member (everyone), silver from ¥800 and 2
orders, gold from ¥2,000 and 4 orders, platinum from ¥5,000 and 8 orders; points multipliers 1, 1.2, 1.5,
2. Chosen from the demo shop (average order about ¥330; of the customers who bought in the last 12 months,
the median spent ¥288 in 1 order, the top 10 % ¥1,100 in 2 orders): about 10 % reach silver, 2 % gold
and 0.4 % platinum.

Points. A delivered order earns floor(amount × points per yuan × the tier's multiplier) points, the amount
being what the customer paid (the order total, shop currency). Points expire `points_expire_days` after the
order was delivered. Redemption uses the oldest points first (earn entries by expiry date, then age).
A returned order gives back the points it earned that are still unused; a refunded one the share of them
the refund is of the order total (rounded up). Points already redeemed are not clawed back: the balance
never goes below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

MIN_TIERS, MAX_TIERS = 3, 5
TIER_WINDOW_DAYS = 365


@dataclass(frozen=True)
class TierRule:
    code: str
    name: str
    rank: int  # 1 = the lowest tier
    min_spend: Decimal
    min_orders: int
    points_multiplier: Decimal = Decimal("1")


DEFAULT_TIERS = (
    TierRule("member", "Member", 1, Decimal("0.00"), 0, Decimal("1.00")),
    TierRule("silver", "Silver", 2, Decimal("800.00"), 2, Decimal("1.20")),
    TierRule("gold", "Gold", 3, Decimal("2000.00"), 4, Decimal("1.50")),
    TierRule("platinum", "Platinum", 4, Decimal("5000.00"), 8, Decimal("2.00")),
)


def tier_for(*, spend: Decimal, orders: int, rules: Sequence[TierRule]) -> str:
    """The code of the highest tier whose spend and order thresholds are both met; the lowest tier when
    none is (it is the floor)."""
    ordered = sorted(rules, key=lambda rule: rule.rank)
    if not ordered:
        raise ValueError("No membership tiers are defined.")
    reached = ordered[0].code
    for rule in ordered[1:]:
        if spend >= rule.min_spend and orders >= rule.min_orders:
            reached = rule.code
    return reached


# Problems tier_rules_check reports (codes; the service words them in the user's language).
TOO_FEW_OR_MANY = "count"
NOT_DISTINCT = "distinct"
NEGATIVE = "negative"
MULTIPLIER_BELOW_ONE = "multiplier_min"
ASKS_LESS = "asks_less"
ASKS_SAME = "asks_same"
MULTIPLIER_LOWER = "multiplier_lower"


def tier_rules_check(rules: Sequence[TierRule]) -> dict[str, list[str]]:
    """Problems of a tier table as codes, keyed by tier code ("__all__" for the table): 3-5 tiers
    (TOO_FEW_OR_MANY), distinct ranks and codes (NOT_DISTINCT), no negative threshold (NEGATIVE),
    multipliers at least 1 (MULTIPLIER_BELOW_ONE) and never lower than the tier below (MULTIPLIER_LOWER),
    thresholds never lower than the tier below (ASKS_LESS) and at least one higher (ASKS_SAME)."""
    errors: dict[str, list[str]] = {}
    if not MIN_TIERS <= len(rules) <= MAX_TIERS:
        errors["__all__"] = [TOO_FEW_OR_MANY]
    if len({r.rank for r in rules}) != len(rules) or len({r.code for r in rules}) != len(rules):
        errors.setdefault("__all__", []).append(NOT_DISTINCT)
    ordered = sorted(rules, key=lambda rule: rule.rank)
    for rule in ordered:
        if rule.min_spend < 0 or rule.min_orders < 0:
            errors.setdefault(rule.code, []).append(NEGATIVE)
        if rule.points_multiplier < 1:
            errors.setdefault(rule.code, []).append(MULTIPLIER_BELOW_ONE)
    for lower, higher in zip(ordered, ordered[1:], strict=False):
        if higher.min_spend < lower.min_spend or higher.min_orders < lower.min_orders:
            errors.setdefault(higher.code, []).append(ASKS_LESS)
        elif higher.min_spend == lower.min_spend and higher.min_orders == lower.min_orders:
            errors.setdefault(higher.code, []).append(ASKS_SAME)
        if higher.points_multiplier < lower.points_multiplier:
            errors.setdefault(higher.code, []).append(MULTIPLIER_LOWER)
    return errors


def points_earned(*, amount: Decimal, points_per_yuan: Decimal, multiplier: Decimal) -> int:
    """floor(amount × points per yuan × multiplier), never negative: ¥199.99 × 1 × 1.5 → 299."""
    value = (Decimal(amount) * Decimal(points_per_yuan) * Decimal(multiplier)).to_integral_value(
        rounding=ROUND_FLOOR
    )
    return max(int(value), 0)


def points_clawback(*, earned: int, remaining: int, total: Decimal, refund: Decimal, returned: bool) -> int:
    """Points to take back from an order's earn entry: all that is still unused when the order was
    returned (or refunded in full); for a partial refund the refund's share of the earned points, rounded
    up, but never more than what is unused."""
    if earned <= 0 or remaining <= 0:
        return 0
    if returned or total <= 0 or refund >= total:
        return remaining
    if refund <= 0:
        return 0
    share = (Decimal(earned) * Decimal(refund) / Decimal(total)).to_integral_value(rounding=ROUND_CEILING)
    return min(int(share), remaining)


class NotEnoughPoints(ValueError):
    pass


def fifo_take(entries: Sequence[tuple[int, int]], points: int) -> list[tuple[int, int]]:
    """Take `points` from earn entries [(id, remaining)] in the order given (oldest first):
    [(id, taken)] for the entries touched. Raises NotEnoughPoints when they hold less."""
    if points <= 0:
        raise ValueError("Redeem a positive number of points.")
    taken, left = [], points
    for entry_id, remaining in entries:
        if left == 0:
            break
        take = min(remaining, left)
        if take > 0:
            taken.append((entry_id, take))
            left -= take
    if left:
        raise NotEnoughPoints(f"Only {points - left} points are available.")
    return taken


def points_value(*, points: int, value_per_100: Decimal) -> Decimal:
    """What `points` are worth in yuan, to the cent (100 points = `value_per_100`), rounded down: points
    never pay out more than they are worth."""
    return (Decimal(points) * Decimal(value_per_100) / 100).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)


def birthday_on(birthday: date, year: int) -> date:
    """The birthday in `year`; 29 February is kept on 28 February in years without it."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def next_birthday(birthday: date, today: date) -> date:
    """The next birthday on or after `today`."""
    this_year = birthday_on(birthday, today.year)
    return this_year if this_year >= today else birthday_on(birthday, today.year + 1)


def birthday_days(today: date, days: int) -> list[tuple[int, int, int]]:
    """[(month, day, days from today)] of the `days` days from today (today = 0) for a query by month and
    day of birth; 29 February falls on 28 February in years without it."""
    found = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        found.append((day.month, day.day, offset))
        if day.month == 2 and day.day == 28 and not _is_leap(day.year):
            found.append((2, 29, offset))
    return found


def _is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
