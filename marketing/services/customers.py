"""Customer writes: the nightly RFM build, membership tiers (defaults, thresholds, nightly assignment) and
the points ledger (earn on delivered orders, claw back on returns, expire, redeem).

The rules themselves are pure (`marketing.rfm`, `marketing.membership`); this module reads the facts,
applies the rules and writes, each step in one transaction and idempotent for its business date.
Ledger invariant: a membership's `points` is the sum of `remaining` over the customer's earn entries;
every change of one changes the other in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from marketing import membership, rfm
from marketing.models import CustomerRFM, MarketingSettings, Membership, MembershipTierRule, PointsEntry
from marketing.selectors import customers as selectors
from shopops.common import bulk
from shopops.common.dates import shop_today

POINTS_PERMISSION = "marketing.change_membership"
TIERS_PERMISSION = "marketing.change_membershiptierrule"
BATCH = 5_000


def _chunks(items: list, size: int = BATCH):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# -- RFM --------------------------------------------------------------------------------------------------


@transaction.atomic
def customer_rfm_build(*, business_date: date) -> dict:
    """Score every customer with a counted order up to `business_date` (rfm.rfm_score over
    MarketingSettings.rfm_window_days) and replace every CustomerRFM row with the new scores (in one
    transaction: pages see the old scores or the new, never a mix). Idempotent: the same date gives the
    same rows. Returns counts per segment."""
    window = MarketingSettings.current().rfm_window_days
    facts = [
        rfm.CustomerFacts(
            customer_id=row.customer_id,
            recency_days=(business_date - row.last_day).days,
            frequency=row.orders,
            monetary=row.spend,
        )
        for row in selectors.customer_order_facts(business_date=business_date, window_days=window)
    ]
    scored = rfm.rfm_score(facts)
    removed = CustomerRFM.objects.count()
    CustomerRFM.objects.all().delete()
    bulk.rows_insert(
        CustomerRFM,
        ["customer", "computed_on", "recency_days", "frequency", "monetary", "r", "f", "m", "segment"],
        [
            (s.customer_id, business_date, s.recency_days, s.frequency, s.monetary, s.r, s.f, s.m, s.segment)
            for s in scored
        ],
    )
    counts = dict.fromkeys(rfm.SEGMENTS, 0)
    for s in scored:
        counts[s.segment] += 1
    return {"customers": len(scored), "replaced": removed, "window_days": window, "segments": counts}


# -- settings -------------------------------------------------------------------------------------------

SETTINGS_PERMISSION = "marketing.change_marketingsettings"
SETTINGS_FIELDS = ("rfm_window_days", "winback_days", "points_per_yuan", "points_value", "points_expire_days")


@transaction.atomic
def marketing_settings_update(*, data: dict) -> MarketingSettings:
    """Change the shop's marketing settings (the one row, created on first save). `data` holds cleaned
    values of SETTINGS_FIELDS; others are refused. They apply from the next nightly run."""
    unknown = set(data) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({field: [_("This field cannot be changed here.")] for field in sorted(unknown)})
    settings = MarketingSettings.objects.select_for_update().order_by("pk").first() or MarketingSettings()
    for field, value in data.items():
        setattr(settings, field, value)
    settings.full_clean()
    settings.save()
    return settings


# -- membership tiers -------------------------------------------------------------------------------------


def membership_tiers_ensure() -> list[MembershipTierRule]:
    """The default tiers (membership.DEFAULT_TIERS) when the table is empty; the table as it is otherwise.
    Idempotent."""
    with transaction.atomic():
        if not MembershipTierRule.objects.exists():
            for rule in membership.DEFAULT_TIERS:
                MembershipTierRule.objects.get_or_create(
                    code=rule.code,
                    defaults={
                        "name": rule.name,
                        "rank": rule.rank,
                        "min_spend": rule.min_spend,
                        "min_orders": rule.min_orders,
                        "points_multiplier": rule.points_multiplier,
                    },
                )
        return list(MembershipTierRule.objects.order_by("rank"))


TIER_MESSAGES = {
    membership.TOO_FEW_OR_MANY: gettext_lazy("There must be 3 to 5 tiers."),
    membership.NOT_DISTINCT: gettext_lazy("Tier codes and ranks must be distinct."),
    membership.NEGATIVE: gettext_lazy("Thresholds cannot be negative."),
    membership.MULTIPLIER_BELOW_ONE: gettext_lazy("The points multiplier must be at least 1."),
    membership.ASKS_LESS: gettext_lazy(
        "A tier cannot ask less spend or fewer orders than the tier below it."
    ),
    membership.ASKS_SAME: gettext_lazy("A tier must ask more spend or more orders than the tier below it."),
    membership.MULTIPLIER_LOWER: gettext_lazy(
        "The points multiplier cannot be lower than the tier below it."
    ),
}


@transaction.atomic
def membership_tiers_update(*, changes: dict[str, dict], user=None) -> list[MembershipTierRule]:
    """Change tiers' name, min_spend, min_orders and points_multiplier: `changes` is {tier code: {field:
    value}}. The whole table is checked (membership.tier_rules_check) before anything is saved: a
    ValidationError keyed by tier code, nothing written. Members move to their new tier in the next
    nightly assignment."""
    allowed = {"name", "min_spend", "min_orders", "points_multiplier"}
    rules = {rule.code: rule for rule in MembershipTierRule.objects.select_for_update().order_by("rank")}
    unknown = set(changes) - set(rules)
    if unknown:
        raise ValidationError({code: [_("No such tier.")] for code in sorted(unknown)})
    for code, values in changes.items():
        for field, value in values.items():
            if field not in allowed:
                raise ValidationError({code: [_("This field cannot be changed here.")]})
            setattr(rules[code], field, value)
    plain = [
        membership.TierRule(
            r.code, r.name, r.rank, Decimal(r.min_spend), int(r.min_orders), Decimal(r.points_multiplier)
        )
        for r in rules.values()
    ]
    errors = membership.tier_rules_check(plain)
    if errors:
        raise ValidationError(
            {key: [str(TIER_MESSAGES[code]) for code in codes] for key, codes in errors.items()}
        )
    for code in changes:
        rules[code].full_clean()
        rules[code].save()
    return list(rules.values())


@transaction.atomic
def membership_assign(*, business_date: date) -> dict:
    """Every membership gets the tier its last 12 months earn (membership.tier_for): customers with a
    counted order up to `business_date` and no membership get one in that tier, members without a counted
    order in the data fall to the lowest tier. `tier_since` is set to the date when the tier changes.
    Idempotent. Returns how many were created, how many existing members changed tier, members per tier."""
    rules = [
        membership.TierRule(r.code, r.name, r.rank, r.min_spend, r.min_orders, r.points_multiplier)
        for r in membership_tiers_ensure()
    ]
    lowest = rules[0].code
    facts = selectors.customer_order_facts(
        business_date=business_date, window_days=membership.TIER_WINDOW_DAYS
    )
    tiers = [
        (row.customer_id, membership.tier_for(spend=row.spend, orders=row.orders, rules=rules))
        for row in facts
    ]
    current = dict(Membership.objects.values_list("customer_id", "tier"))
    created = _memberships_create([pair for pair in tiers if pair[0] not in current], since=business_date)
    changed = _tiers_set(
        [pair for pair in tiers if current.get(pair[0], pair[1]) != pair[1]], since=business_date
    )
    by_tier: dict[str, int] = defaultdict(int)
    for _customer, code in tiers:
        by_tier[code] += 1
    orders = selectors.customers_with_counted_orders(business_date=business_date).filter(
        customer_id=OuterRef("customer_id")
    )
    changed += (
        Membership.objects.exclude(tier=lowest)
        .filter(~Exists(orders))
        .update(tier=lowest, tier_since=business_date)
    )
    return {"created": created, "changed": changed, "tiers": dict(sorted(by_tier.items()))}


def _memberships_create(tiers: list[tuple[int, str]], *, since: date) -> int:
    """Memberships (points 0) for customers that have none: [(customer id, tier code)]. Returns how many
    were created (a membership created meanwhile is left as it is)."""
    now = timezone.now()
    bulk.rows_insert(
        Membership,
        ["customer", "tier", "tier_since", "points", "created_at", "updated_at"],
        [(customer_id, tier, since, 0, now, now) for customer_id, tier in tiers],
        ignore_conflicts=True,
    )
    return len(tiers)


def _tiers_set(tiers: list[tuple[int, str]], *, since: date) -> int:
    """Set members' tiers [(customer id, tier code)] where they differ (tier_since = `since`); returns how
    many changed."""
    if not tiers:
        return 0
    now = timezone.now()
    if connection.vendor == "postgresql":
        changed = bulk.pg_execute(
            "UPDATE marketing_membership AS t SET tier = v.tier, tier_since = %s, updated_at = %s "
            "FROM unnest(%s::bigint[], %s::varchar[]) AS v(customer_id, tier) "
            "WHERE t.customer_id = v.customer_id AND t.tier <> v.tier RETURNING t.id",
            [since, now, [c for c, _t in tiers], [t for _c, t in tiers]],
        )
        return len(changed or [])
    by_tier: dict[str, list[int]] = defaultdict(list)
    for customer_id, code in tiers:
        by_tier[code].append(customer_id)
    changed = 0
    for code, ids in by_tier.items():
        for chunk in _chunks(ids):
            changed += (
                Membership.objects.filter(customer_id__in=chunk)
                .exclude(tier=code)
                .update(tier=code, tier_since=since, updated_at=now)
            )
    return changed


# -- points -----------------------------------------------------------------------------------------------


def _balances_add(deltas: dict[int, int]) -> None:
    """Add points to memberships' balances (customer id -> points, negative to take), one statement per
    batch on PostgreSQL."""
    items = sorted((c, d) for c, d in deltas.items() if d)
    if connection.vendor == "postgresql":
        for chunk in _chunks(items):
            bulk.pg_execute(
                "UPDATE marketing_membership AS t SET points = t.points + v.delta "
                "FROM unnest(%s::bigint[], %s::integer[]) AS v(customer_id, delta) "
                "WHERE t.customer_id = v.customer_id",
                [[c for c, _d in chunk], [d for _c, d in chunk]],
            )
        return
    for customer_id, delta in items:
        Membership.objects.filter(customer_id=customer_id).update(points=F("points") + delta)


def _members_lock(customer_ids) -> None:
    """Lock the customers' memberships in id order before their ledger entries: the order redemption
    locks in, so the nightly and a redemption cannot deadlock."""
    ids = sorted(set(customer_ids))
    for chunk in _chunks(ids):
        list(
            Membership.objects.select_for_update()
            .filter(customer_id__in=chunk)
            .order_by("id")
            .values_list("id")
        )


ENTRY_FIELDS = ["customer", "kind", "points", "remaining", "order", "expires_on", "note", "created_at"]


@transaction.atomic
def points_earn(*, start: date, end: date) -> dict:
    """Earn entries for orders delivered on the days [start, end] (still delivered, not earned yet):
    membership.points_earned of the order total with the member's tier multiplier; they expire
    points_expire_days after the delivery day. Customers without a membership get one (lowest tier).
    Idempotent: an order earns once (a unique constraint backs the check)."""
    settings = MarketingSettings.current()
    orders = selectors.orders_delivered(start=start, end=end)
    if not orders:
        return {"orders": 0, "points": 0}
    rules = membership_tiers_ensure()
    multipliers = {rule.code: rule.points_multiplier for rule in rules}
    customer_ids = sorted({o["customer_id"] for o in orders})
    members = set(
        Membership.objects.filter(customer_id__in=customer_ids).values_list("customer_id", flat=True)
    )
    _memberships_create([(c, rules[0].code) for c in customer_ids if c not in members], since=end)
    tiers = dict(Membership.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "tier"))
    entries, deltas, now = [], defaultdict(int), timezone.now()
    note = ""  # system entries carry no text: the pages describe them in the reader's language
    for order in orders:
        points = membership.points_earned(
            amount=order["total_shop"],
            points_per_yuan=settings.points_per_yuan,
            multiplier=multipliers.get(tiers.get(order["customer_id"]), Decimal("1")),
        )
        if points <= 0:
            continue
        expires_on = order["delivered_on"] + timedelta(days=settings.points_expire_days)
        entries.append((order["customer_id"], "earn", points, points, order["id"], expires_on, note, now))
        deltas[order["customer_id"]] += points
    bulk.rows_insert(PointsEntry, ENTRY_FIELDS, entries)
    _balances_add(deltas)
    return {"orders": len(entries), "points": sum(deltas.values())}


@transaction.atomic
def points_clawback(*, start: date, end: date) -> dict:
    """Orders returned or refunded on the days [start, end] give back the unused points they earned
    (membership.points_clawback): an adjust entry with the negative points, the earn entry's remaining and
    the balance reduced. Once per order (an adjust entry of the order marks it)."""
    orders = selectors.orders_closed_with_points(start=start, end=end)
    _members_lock(
        PointsEntry.objects.filter(order_id__in=[o["id"] for o in orders]).values_list(
            "customer_id", flat=True
        )
    )
    earns = {
        entry.order_id: entry
        for entry in PointsEntry.objects.select_for_update()
        .filter(order_id__in=[o["id"] for o in orders], kind=PointsEntry.Kind.EARN)
        .order_by("id")
    }
    entries, changed, deltas = [], [], defaultdict(int)
    for order in orders:
        earn = earns.get(order["id"])
        if earn is None:
            continue
        points = membership.points_clawback(
            earned=earn.points,
            remaining=earn.remaining,
            total=order["total_shop"],
            refund=order["refund_shop"] or Decimal("0"),
            returned=order["status"] == "returned",
        )
        if points <= 0:
            continue
        earn.remaining -= points
        changed.append(earn)
        entries.append(
            PointsEntry(
                customer_id=earn.customer_id,
                kind=PointsEntry.Kind.ADJUST,
                points=-points,
                order_id=order["id"],
                note="",
            )
        )
        deltas[earn.customer_id] -= points
    PointsEntry.objects.bulk_update(changed, ["remaining"], batch_size=BATCH)
    PointsEntry.objects.bulk_create(entries, batch_size=BATCH)
    _balances_add(deltas)
    return {"orders": len(entries), "points": -sum(deltas.values())}


@transaction.atomic
def points_expire(*, business_date: date) -> dict:
    """Earn entries whose expiry day is `business_date` or earlier and that still hold points: an expire
    entry with the negative remainder (and the earn entry's expiry day), the remainder set to zero, the
    balance reduced. Idempotent."""
    due = PointsEntry.objects.filter(
        kind=PointsEntry.Kind.EARN, remaining__gt=0, expires_on__lte=business_date
    )
    _members_lock(due.values_list("customer_id", flat=True))
    earns = list(due.select_for_update().order_by("id"))
    entries, deltas, now = [], defaultdict(int), timezone.now()
    for earn in earns:
        entry = (earn.customer_id, "expire", -earn.remaining, 0, earn.order_id, earn.expires_on, "", now)
        entries.append(entry)
        deltas[earn.customer_id] -= earn.remaining
    bulk.rows_insert(PointsEntry, ENTRY_FIELDS, entries)
    for chunk in _chunks([e.pk for e in earns]):
        PointsEntry.objects.filter(pk__in=chunk).update(remaining=0)
    _balances_add(deltas)
    return {"entries": len(entries), "points": -sum(deltas.values())}


def points_build(*, business_date: date) -> dict:
    """The nightly points step for `business_date`: earn (orders delivered that day), claw back (orders
    returned or refunded that day), expire (entries expiring that day or before). Each part is idempotent."""
    return {
        "earned": points_earn(start=business_date, end=business_date),
        "clawed_back": points_clawback(start=business_date, end=business_date),
        "expired": points_expire(business_date=business_date),
    }


def points_redeem(
    *, customer, points: int, note: str = "", today: date | None = None, user=None
) -> PointsEntry:
    """Redeem `points` of `customer` (an orders.Customer): the oldest unused, unexpired points first
    (membership.fifo_take over earn entries by expiry, then age), with the membership and those entries
    locked, so two redemptions at once cannot spend the same points. A ValidationError on "points" when the
    customer has fewer available (nothing written). Returns the redeem entry (negative points)."""
    if user is not None and not user.has_perm(POINTS_PERMISSION):
        raise PermissionDenied
    if not isinstance(points, int) or points <= 0:
        raise ValidationError({"points": [_("Redeem at least 1 point.")]})
    today = today or shop_today()
    with transaction.atomic():
        member = Membership.objects.select_for_update().filter(customer_id=customer.pk).first()
        earns = list(
            PointsEntry.objects.select_for_update()
            .filter(
                customer_id=customer.pk, kind=PointsEntry.Kind.EARN, remaining__gt=0, expires_on__gte=today
            )
            .order_by("expires_on", "created_at", "id")
            .values_list("id", "remaining")
        )
        try:
            if member is None:
                raise membership.NotEnoughPoints
            taken = membership.fifo_take(earns, points)
        except membership.NotEnoughPoints:
            available = sum(remaining for _id, remaining in earns)
            raise ValidationError(
                {
                    "points": [
                        _("Only %(available)s points can be redeemed; %(points)s were asked for.")
                        % {"available": available, "points": points}
                    ]
                }
            ) from None
        for entry_id, take in taken:
            PointsEntry.objects.filter(pk=entry_id).update(remaining=F("remaining") - take)
        Membership.objects.filter(pk=member.pk).update(points=F("points") - points)
        return PointsEntry.objects.create(
            customer_id=customer.pk,
            kind=PointsEntry.Kind.REDEEM,
            points=-points,
            note=note[:200],
        )
