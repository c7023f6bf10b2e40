"""Referral and KOC codes: creation, attribution of new customers' first orders, rewards.

Attribution (`referrals_attribute`, run as an order-sync follow-up with the ids of synced orders that carry
a coupon code): an order is attributed to the referral code in its `coupon_code` (compared upper-case)
when
- the code exists and is active;
- the order is counted (not pending, not cancelled: a pending order is attributed when it syncs again as
  paid) and has a customer;
- it is that customer's first order: no earlier counted order of the customer (customers are per
  channel, so "new" means new on the order's channel);
- the customer is not the code's referrer (no self-referral);
- the customer was not attributed before (ReferralAttribution is one per customer).
Idempotent: running again for the same orders changes nothing. An attributed order that is later
cancelled or refunded keeps its attribution (and any reward already given): rewards are coupons handed out
at once and cannot be taken back.

Rewards: every `reward_invites` attributions of a code not yet counted for a reward earn the referrer one
coupon of `reward_promotion` (helper B's `coupon_issue`, single use); the code row is locked meanwhile so
that concurrent attributions never give two rewards for the same invites. A code without a reward
promotion or a referrer (a KOC code) records the reward without a coupon.
"""

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketing.models import Coupon, Promotion, ReferralAttribution, ReferralCode, ReferralReward
from marketing.services.coupons import coupon_issue
from orders.models import Order

REWARD_PREFIX = "REF"
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{2,49}$")


def referral_code_normalize(code: str) -> str:
    return (code or "").strip().upper()


@transaction.atomic
def referral_code_create(
    *,
    code: str,
    kind: str = ReferralCode.Kind.REFERRAL,
    referrer=None,
    owner_name: str = "",
    campaign=None,
    offer: Promotion | None = None,
    reward_invites: int = 3,
    reward_promotion: Promotion | None = None,
) -> ReferralCode:
    """A new referral (a customer's) or KOC code. Codes are stored upper-case (3-50 letters, digits, - and
    _) and must not clash with a coupon code (an order's coupon_code would be ambiguous). A customer
    referral needs its referrer; a KOC code needs the KOC's name. The reward promotion must require a
    coupon (the reward is one of its coupons)."""
    code = referral_code_normalize(code)
    errors: dict[str, list[str]] = {}
    if not _CODE_RE.match(code):
        errors["code"] = [_("Use 3 to 50 letters, digits, '-' and '_'.")]
    elif ReferralCode.objects.filter(code=code).exists() or Coupon.objects.filter(code=code).exists():
        errors["code"] = [_("This code is in use already (a referral code or a coupon).")]
    if kind == ReferralCode.Kind.REFERRAL and referrer is None:
        errors["referrer"] = [_("A customer referral code needs its referrer.")]
    if kind == ReferralCode.Kind.KOC and not (owner_name or "").strip():
        errors["owner_name"] = [_("Give the KOC's name.")]
    if reward_invites < 1:
        errors["reward_invites"] = [_("At least 1.")]
    if reward_promotion is not None and not reward_promotion.coupon_required:
        errors["reward_promotion"] = [_("The reward must be a promotion that requires a coupon.")]
    if errors:
        raise ValidationError(errors)
    return ReferralCode.objects.create(
        code=code,
        kind=kind,
        referrer=referrer,
        owner_name=(owner_name or "").strip(),
        campaign=campaign,
        offer=offer,
        reward_invites=reward_invites,
        reward_promotion=reward_promotion,
    )


def _first_order_ids(orders: list[Order]) -> set[int]:
    """Ids of the orders that are their customer's first counted order."""
    customer_ids = {o.customer_id for o in orders}
    first: dict[int, tuple] = {}
    for cid, placed, oid in (
        Order.objects.filter(customer_id__in=customer_ids)
        .exclude(status__in=Order.NOT_COUNTED)
        .values_list("customer_id", "placed_at", "id")
    ):
        if cid not in first or (placed, oid) < first[cid]:
            first[cid] = (placed, oid)
    return {oid for _placed, oid in first.values()}


def referrals_attribute(*, order_ids: list[int]) -> dict[str, int]:
    """Attribute the given orders to referral codes and hand out the rewards due (module docstring).
    Returns {"attributed": n, "rewards": m}."""
    orders = list(
        Order.objects.filter(pk__in=list(order_ids), customer__isnull=False)
        .exclude(coupon_code="")
        .exclude(status__in=Order.NOT_COUNTED)
    )
    if not orders:
        return {"attributed": 0, "rewards": 0}
    codes = {
        c.code: c
        for c in ReferralCode.objects.filter(
            code__in={referral_code_normalize(o.coupon_code) for o in orders}, active=True
        )
    }
    orders = [o for o in orders if referral_code_normalize(o.coupon_code) in codes]
    if not orders:
        return {"attributed": 0, "rewards": 0}
    firsts = _first_order_ids(orders)
    attributed = 0
    touched = set()
    for order in sorted(orders, key=lambda o: (o.placed_at, o.pk)):
        code = codes[referral_code_normalize(order.coupon_code)]
        if order.pk not in firsts or order.customer_id == code.referrer_id:
            continue
        try:
            with transaction.atomic():
                _obj, created = ReferralAttribution.objects.get_or_create(
                    customer_id=order.customer_id, defaults={"code": code, "order": order}
                )
        except IntegrityError:  # a concurrent run attributed this customer first
            created = False
        if created:
            attributed += 1
            touched.add(code.pk)
    rewards = sum(referral_rewards_grant(code=code) for code in _codes(touched))
    return {"attributed": attributed, "rewards": rewards}


def _codes(pks: set[int]) -> list[ReferralCode]:
    return list(ReferralCode.objects.filter(pk__in=pks).order_by("pk"))


@transaction.atomic
def referral_rewards_grant(*, code: ReferralCode) -> int:
    """Give the rewards a code has earned: one per `reward_invites` attributions not yet counted (oldest
    first). Returns the number of rewards given. Safe to run again and concurrently (row lock)."""
    code = ReferralCode.objects.select_for_update().get(pk=code.pk)
    pending = list(
        ReferralAttribution.objects.filter(code=code, rewarded=False).order_by("attributed_at", "pk")
    )
    given = 0
    step = max(code.reward_invites, 1)
    while len(pending) >= step:
        batch, pending = pending[:step], pending[step:]
        coupon = None
        if code.reward_promotion_id and code.referrer_id:
            coupon = coupon_issue(
                promotion=code.reward_promotion, customer=code.referrer, usage_limit=1, prefix=REWARD_PREFIX
            )
        ReferralReward.objects.create(code=code, coupon=coupon, invites=len(batch))
        ReferralAttribution.objects.filter(pk__in=[a.pk for a in batch]).update(rewarded=True)
        given += 1
    return given
