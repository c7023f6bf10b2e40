"""Redemptions: what synced orders used — a coupon (``Order.coupon_code``) or flash-sale claims (a line's
``flash_claim``) — recorded once per (promotion, order), with limits that hold under concurrency.

Called by the task ``marketing.order_promotions_record`` with the ids of orders that ``order_sync`` just
created or updated (``settings.ORDER_SYNC_FOLLOWUP_TASKS``). Each order is handled in its own short
transaction, its row locked (``FOR NO KEY UPDATE``) so that a later sync of the same order (a
cancellation) is handled after this one, never half-way.

Coupons. The code is stripped and upper-cased and looked up in ``Coupon``; failing that, a promotion that
requires a coupon and whose own ``code`` is the code (a "public" code such as ``WELCOME20``) — valid only
while that promotion has no generated codes, as ``promotion_quote`` has it; else refused. Any other code
(e.g. a referral code) is not a coupon and is left alone. The ``Redemption`` row is inserted first
(``ON CONFLICT DO NOTHING`` on the unique (promotion, order)), so recording the same order twice — even
concurrently — counts once. Then the limits are taken with conditional updates, in a fixed order
(coupon, promotion, customer counter), each ``SET used = used + 1 WHERE used < limit``:

- the coupon's ``usage_limit`` (``Coupon.used``) and its ``per_customer_limit`` (accepted redemptions of the
  coupon by the customer, counted while the coupon row is locked by the update above);
- the promotion's ``usage_limit`` (``Promotion.used``) and ``per_customer_limit``
  (``PromotionCustomerUsage.used``, upserted).

When one fails, the counters taken so far are rolled back (a savepoint) and the redemption is recorded
``refused`` with the reason: the order exists at the channel, ShopOps says it should not have had the
discount. Also refused: an inactive coupon or promotion, an order placed outside the promotion's window.
The discount recorded is the order's ``order_discount`` plus the discounts of its lines that are not
flash-sale lines (what the customer got on the order; the channel does not say which promotion gave what).

Flash-sale claims. A held claim (even past its ``expires_at``, as long as it was not released) for the
line's SKU and the order's customer is converted: ``status = converted``, ``order`` set; its units stay
counted in the pool. A claim that was already released (expired) is converted only if its units can be
taken again (the same conditional updates as a new claim); otherwise refused. One redemption per flash
sale and order, accepted when at least one of its claims converted, with the claimed lines' discounts.
``Promotion.used`` counts converted orders (the pool is the flash sale's limit).

Cancellation (decided): an order that is cancelled gives its uses back — its accepted redemptions
become ``refused`` with the reason "order cancelled", the coupon, promotion and customer counters go down
by one, and its converted claims are closed as expired with their units returned to the pool and to the
customer's cap. Returned and refunded orders keep their redemptions (the goods were sold; the coupon was
used). An order first seen already cancelled consumes nothing; it is recorded refused for the record.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_noop

from marketing.models import Coupon, FlashSaleClaim, Promotion, PromotionCustomerUsage, Redemption
from marketing.services.coupons import code_normalize
from marketing.services.flash import units_give_back, units_take
from orders.models import Order, OrderLine

logger = logging.getLogger(__name__)

# Reasons are stored in English and shown translated ({% translate redemption.reason %}).
REASON_COUPON_INACTIVE = gettext_noop("Coupon is inactive.")
REASON_PUBLIC_CODE = gettext_noop("The promotion's own code is not valid: it has generated coupon codes.")
REASON_COUPON_LIMIT = gettext_noop("Coupon usage limit reached.")
REASON_COUPON_OTHER_CUSTOMER = gettext_noop("Coupon was issued to another customer.")
REASON_COUPON_CUSTOMER_LIMIT = gettext_noop("Coupon per-customer limit reached.")
REASON_PROMOTION_INACTIVE = gettext_noop("Promotion is inactive.")
REASON_OUTSIDE_WINDOW = gettext_noop("Order placed outside the promotion's window.")
REASON_PROMOTION_LIMIT = gettext_noop("Promotion usage limit reached.")
REASON_PROMOTION_CUSTOMER_LIMIT = gettext_noop("Promotion per-customer limit reached.")
REASON_CANCELLED = gettext_noop("Order cancelled: the use was given back.")
REASON_CANCELLED_FIRST = gettext_noop("Order cancelled before it was recorded.")
REASON_CLAIM_UNKNOWN = gettext_noop("Flash-sale claim not found.")
REASON_CLAIM_SKU = gettext_noop("Flash-sale claim is for another SKU.")
REASON_CLAIM_CUSTOMER = gettext_noop("Flash-sale claim belongs to another customer.")
REASON_CLAIM_TAKEN = gettext_noop("Flash-sale claim already converted by another order.")
REASON_CLAIM_SOLD_OUT = gettext_noop("Flash-sale claim expired and the sale is sold out.")

_RETRYABLE = {"40P01", "40001"}
_ZERO = Decimal("0.00")


@dataclass
class RecordResult:
    """What one call recorded (counts of redemptions and claims)."""

    accepted: int = 0
    refused: int = 0
    given_back: int = 0
    converted: int = 0
    unchanged: int = 0
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "accepted": self.accepted,
            "refused": self.refused,
            "given_back": self.given_back,
            "converted": self.converted,
            "unchanged": self.unchanged,
        }


class _Refused(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def order_promotions_record(*, order_ids: list[int]) -> RecordResult:
    """Record coupon redemptions and flash-claim conversions of the given orders (see the module
    docstring). Idempotent: running it again for the same orders changes nothing. One transaction per
    order (retried on a deadlock / serialization failure)."""
    result = RecordResult()
    for order_id in sorted(set(order_ids)):
        for attempt in range(1, 4):
            partial = RecordResult()
            try:
                with transaction.atomic():
                    _order_record(order_id, partial)
            except OperationalError as exc:
                if getattr(exc.__cause__, "sqlstate", None) not in _RETRYABLE or attempt == 3:
                    raise
                continue
            for name in ("accepted", "refused", "given_back", "converted", "unchanged"):
                setattr(result, name, getattr(result, name) + getattr(partial, name))
            result.reasons += partial.reasons
            break
    return result


def _order_record(order_id: int, result: RecordResult) -> None:
    order = (
        Order.objects.select_for_update(no_key=True, of=("self",))
        .select_related("customer")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        return
    lines = list(
        OrderLine.objects.filter(order_id=order_id).values(
            "id", "sku_id", "quantity", "unit_price", "discount", "flash_claim"
        )
    )
    cancelled = order.status == Order.Status.CANCELLED
    if cancelled:
        _uses_give_back(order, result)
    code = code_normalize(order.coupon_code)
    if code:
        _coupon_record(order, code, lines, cancelled, result)
    claim_lines = [line for line in lines if line["flash_claim"]]
    if claim_lines:
        _claims_record(order, claim_lines, cancelled, result)


# ---------------------------------------------------------------------------------------------
# Coupons
# ---------------------------------------------------------------------------------------------
def _coupon_find(code: str) -> tuple[Coupon | None, Promotion | None]:
    coupon = Coupon.objects.select_related("promotion").filter(code=code).first()
    if coupon is not None:
        return coupon, coupon.promotion
    promotion = (
        Promotion.objects.annotate(upper_code=Upper("code"))
        .filter(upper_code=code, coupon_required=True)
        .order_by("pk")
        .first()
    )
    return None, promotion


def _public_code_valid(promotion: Promotion) -> bool:
    """A promotion's own code is a coupon code only while it has no generated codes (as the quote says)."""
    return not Coupon.objects.filter(promotion=promotion).exists()


def _redemption_insert(
    *, promotion_id, coupon_id, order: Order, status: str, reason: str, discount
) -> int | None:
    """Insert the (promotion, order) redemption unless it exists; its id, or None when it existed."""
    if connection.vendor != "postgresql":  # SQLite (demo): one writer at a time, the ORM is enough
        redemption, created = Redemption.objects.get_or_create(
            promotion_id=promotion_id,
            order=order,
            defaults={
                "coupon_id": coupon_id,
                "customer_id": order.customer_id,
                "status": status,
                "reason": reason,
                "discount": discount,
            },
        )
        return redemption.pk if created else None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketing_redemption
                (promotion_id, coupon_id, order_id, customer_id, status, reason, discount, created_at)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
            ON CONFLICT (promotion_id, order_id) DO NOTHING
            RETURNING id
            """,
            [promotion_id, coupon_id, order.pk, order.customer_id, status, reason, discount, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _coupon_record(order: Order, code: str, lines: list[dict], cancelled: bool, result: RecordResult) -> None:
    coupon, promotion = _coupon_find(code)
    if promotion is None:
        return  # not a coupon (a referral code, a channel's own voucher...)
    discount = order.order_discount + sum(
        (line["discount"] for line in lines if not line["flash_claim"]), _ZERO
    )
    if cancelled:
        if _redemption_insert(
            promotion_id=promotion.pk,
            coupon_id=coupon.pk if coupon else None,
            order=order,
            status=Redemption.Status.REFUSED,
            reason=REASON_CANCELLED_FIRST,
            discount=discount,
        ):
            result.refused += 1
            result.reasons.append(REASON_CANCELLED_FIRST)
        else:
            result.unchanged += 1
        return
    redemption_id = _redemption_insert(
        promotion_id=promotion.pk,
        coupon_id=coupon.pk if coupon else None,
        order=order,
        status=Redemption.Status.ACCEPTED,
        reason="",
        discount=discount,
    )
    if redemption_id is None:
        result.unchanged += 1
        return
    try:
        with transaction.atomic():
            _limits_take(order, promotion, coupon)
    except _Refused as refused:
        Redemption.objects.filter(pk=redemption_id).update(
            status=Redemption.Status.REFUSED, reason=refused.reason
        )
        result.refused += 1
        result.reasons.append(refused.reason)
        return
    result.accepted += 1


def _limits_take(order: Order, promotion: Promotion, coupon: Coupon | None) -> None:
    """Take one use of the coupon, the promotion and the customer's counter, or raise _Refused (the caller's
    savepoint undoes what was taken). Lock order: coupon, promotion, customer counter."""
    if coupon is None and not _public_code_valid(promotion):
        raise _Refused(REASON_PUBLIC_CODE)
    if coupon is not None:
        if not coupon.active:
            raise _Refused(REASON_COUPON_INACTIVE)
        if coupon.customer_id is not None and coupon.customer_id != order.customer_id:
            raise _Refused(REASON_COUPON_OTHER_CUSTOMER)
        taken = (
            Coupon.objects.filter(pk=coupon.pk)
            .filter(Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit")))
            .update(used=F("used") + 1)
        )
        if not taken:
            raise _Refused(REASON_COUPON_LIMIT)
        if coupon.per_customer_limit is not None and order.customer_id is not None:
            # The coupon row is locked by the update above: concurrent uses of it wait here.
            uses = (
                Redemption.objects.filter(
                    coupon=coupon, customer_id=order.customer_id, status=Redemption.Status.ACCEPTED
                )
                .exclude(order=order)
                .count()
            )
            if uses >= coupon.per_customer_limit:
                raise _Refused(REASON_COUPON_CUSTOMER_LIMIT)
    if not promotion.active:
        raise _Refused(REASON_PROMOTION_INACTIVE)
    if (promotion.starts_at and order.placed_at < promotion.starts_at) or (
        promotion.ends_at and order.placed_at >= promotion.ends_at
    ):
        raise _Refused(REASON_OUTSIDE_WINDOW)
    taken = (
        Promotion.objects.filter(pk=promotion.pk)
        .filter(Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit")))
        .update(used=F("used") + 1)
    )
    if not taken:
        raise _Refused(REASON_PROMOTION_LIMIT)
    if order.customer_id is not None and not _customer_usage_take(promotion, order.customer_id):
        raise _Refused(REASON_PROMOTION_CUSTOMER_LIMIT)


def _customer_usage_take(promotion: Promotion, customer_id: int) -> bool:
    cap = promotion.per_customer_limit
    if connection.vendor != "postgresql":  # SQLite (demo): the same upsert, one writer at a time
        if cap is not None and cap < 1:
            return False
        usage, created = PromotionCustomerUsage.objects.get_or_create(
            promotion=promotion, customer_id=customer_id, defaults={"used": 1}
        )
        if created:
            return True
        usage_qs = PromotionCustomerUsage.objects.filter(pk=usage.pk)
        if cap is not None:
            usage_qs = usage_qs.filter(used__lt=cap)
        return usage_qs.update(used=F("used") + 1) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketing_promotioncustomerusage (promotion_id, customer_id, used)
            SELECT %(pid)s, %(cid)s, 1 WHERE %(cap)s::integer IS NULL OR %(cap)s::integer >= 1
            ON CONFLICT (promotion_id, customer_id) DO UPDATE
            SET used = marketing_promotioncustomerusage.used + 1
            WHERE %(cap)s::integer IS NULL OR marketing_promotioncustomerusage.used < %(cap)s::integer
            RETURNING id
            """,
            {"pid": promotion.pk, "cid": customer_id, "cap": cap},
        )
        return cursor.fetchone() is not None


# ---------------------------------------------------------------------------------------------
# Cancellation
# ---------------------------------------------------------------------------------------------
def _uses_give_back(order: Order, result: RecordResult) -> None:
    """A cancelled order gives back what its accepted redemptions took (see the module docstring)."""
    accepted = list(
        Redemption.objects.select_for_update()
        .filter(order=order, status=Redemption.Status.ACCEPTED)
        .select_related("promotion")
        .order_by("pk")
    )
    if not accepted:
        return
    now = timezone.now()
    for redemption in accepted:
        if redemption.coupon_id is not None:
            Coupon.objects.filter(pk=redemption.coupon_id, used__gt=0).update(used=F("used") - 1)
        Promotion.objects.filter(pk=redemption.promotion_id, used__gt=0).update(used=F("used") - 1)
        if order.customer_id is not None and redemption.promotion.kind != Promotion.Kind.FLASH_SALE:
            with connection.cursor() as cursor:
                cursor.execute(
                    "UPDATE marketing_promotioncustomerusage SET used = used - 1 "
                    "WHERE promotion_id = %s AND customer_id = %s AND used > 0",
                    [redemption.promotion_id, order.customer_id],
                )
        if redemption.promotion.kind == Promotion.Kind.FLASH_SALE:
            _claims_return(order, redemption.promotion_id, now)
        redemption.status = Redemption.Status.REFUSED
        redemption.reason = REASON_CANCELLED
        redemption.save(update_fields=["status", "reason"])
        result.given_back += 1


def _claims_return(order: Order, promotion_id: int, now) -> None:
    """Close the order's converted claims of one flash sale and return their units (claim rows first,
    then the customer counts, then the pool: the lock order of claims and expiry)."""
    if connection.vendor != "postgresql":  # SQLite (demo): no GREATEST; one writer at a time
        claims = FlashSaleClaim.objects.filter(
            order=order, promotion_id=promotion_id, status=FlashSaleClaim.Status.CONVERTED
        )
        rows = list(claims.values_list("promotion_id", "customer_ref", "quantity"))
        claims.update(status=FlashSaleClaim.Status.EXPIRED, closed_at=now)
        units_give_back(rows)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE marketing_flashsaleclaim SET status = 'expired', closed_at = %s
            WHERE order_id = %s AND promotion_id = %s AND status = 'converted'
            RETURNING customer_ref, quantity
            """,
            [now, order.pk, promotion_id],
        )
        rows = cursor.fetchall()
        per_customer: dict[str, int] = {}
        for ref, quantity in rows:
            per_customer[ref] = per_customer.get(ref, 0) + quantity
        for ref, quantity in sorted(per_customer.items()):
            cursor.execute(
                "UPDATE marketing_flashsalecustomercount SET claimed = GREATEST(claimed - %s, 0) "
                "WHERE promotion_id = %s AND customer_ref = %s",
                [quantity, promotion_id, ref],
            )
        units = sum(per_customer.values())
        if units:
            cursor.execute(
                "UPDATE marketing_flashsalepool SET claimed = GREATEST(claimed - %s, 0) "
                "WHERE promotion_id = %s",
                [units, promotion_id],
            )


# ---------------------------------------------------------------------------------------------
# Flash-sale claims
# ---------------------------------------------------------------------------------------------
def _claim_id(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text.strip())
    except (ValueError, AttributeError):
        return None


def _claims_record(order: Order, claim_lines: list[dict], cancelled: bool, result: RecordResult) -> None:
    ids = {line["id"]: _claim_id(line["flash_claim"]) for line in claim_lines}
    claims = {
        claim.pk: claim
        for claim in FlashSaleClaim.objects.select_for_update()
        .select_related("promotion")
        .filter(pk__in=[pk for pk in ids.values() if pk])
        .order_by("pk")
    }
    by_promotion: dict[int, list[tuple[dict, FlashSaleClaim]]] = {}
    for line in claim_lines:
        claim = claims.get(ids[line["id"]])
        if claim is None:
            logger.info("order %s line %s: unknown flash claim %r", order.pk, line["id"], line["flash_claim"])
            result.reasons.append(REASON_CLAIM_UNKNOWN)
            continue
        by_promotion.setdefault(claim.promotion_id, []).append((line, claim))
    customer_ref = order.customer.external_id if order.customer_id else None
    now = timezone.now()
    for promotion_id, pairs in sorted(by_promotion.items()):
        discount = sum((line["discount"] for line, _claim in pairs), _ZERO)
        if cancelled:
            if _redemption_insert(
                promotion_id=promotion_id,
                coupon_id=None,
                order=order,
                status=Redemption.Status.REFUSED,
                reason=REASON_CANCELLED_FIRST,
                discount=discount,
            ):
                result.refused += 1
            else:
                result.unchanged += 1
            continue
        redemption_id = _redemption_insert(
            promotion_id=promotion_id,
            coupon_id=None,
            order=order,
            status=Redemption.Status.ACCEPTED,
            reason="",
            discount=discount,
        )
        if redemption_id is None:
            result.unchanged += 1
            continue
        converted, reasons, converted_discount = 0, [], _ZERO
        for line, claim in pairs:
            reason = _claim_convert(order, line, claim, customer_ref, now)
            if reason:
                reasons.append(reason)
            else:
                converted += 1
                converted_discount += line["discount"]
        if converted:
            Redemption.objects.filter(pk=redemption_id).update(
                discount=converted_discount, reason="; ".join(reasons)[:200]
            )
            Promotion.objects.filter(pk=promotion_id).filter(
                Q(usage_limit__isnull=True) | Q(used__lt=F("usage_limit"))
            ).update(used=F("used") + 1)
            result.accepted += 1
            result.converted += converted
        else:
            Redemption.objects.filter(pk=redemption_id).update(
                status=Redemption.Status.REFUSED, reason="; ".join(reasons)[:200], discount=discount
            )
            result.refused += 1
        result.reasons += reasons


def _claim_convert(order: Order, line: dict, claim: FlashSaleClaim, customer_ref: str | None, now) -> str:
    """Convert one claim for one order line; the refusal reason, or "" when converted."""
    if claim.status == FlashSaleClaim.Status.CONVERTED:
        return "" if claim.order_id == order.pk else REASON_CLAIM_TAKEN
    if claim.sku_id != line["sku_id"]:
        return REASON_CLAIM_SKU
    if customer_ref is not None and claim.customer_ref != customer_ref:
        return REASON_CLAIM_CUSTOMER
    if claim.status == FlashSaleClaim.Status.EXPIRED and not _claim_retake(claim):
        return REASON_CLAIM_SOLD_OUT
    FlashSaleClaim.objects.filter(pk=claim.pk).update(
        status=FlashSaleClaim.Status.CONVERTED, order=order, closed_at=now
    )
    claim.status = FlashSaleClaim.Status.CONVERTED
    claim.order_id = order.pk
    return ""


def _claim_retake(claim: FlashSaleClaim) -> bool:
    """Take a released claim's units again (customer cap, then pool), inside a savepoint."""
    per_customer = (claim.promotion.params or {}).get("per_customer")
    cap = int(per_customer) if per_customer not in (None, "") else 2_000_000_000
    values = {"pid": claim.promotion_id, "customer": claim.customer_ref, "q": claim.quantity, "cap": cap}
    if connection.vendor != "postgresql":  # SQLite (demo): the same conditional updates with the ORM
        with transaction.atomic():
            if units_take(claim.promotion_id, claim.customer_ref, claim.quantity, cap) != "taken":
                transaction.set_rollback(True)
                return False
        return True
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO marketing_flashsalecustomercount (promotion_id, customer_ref, claimed)
            SELECT %(pid)s, %(customer)s, %(q)s WHERE %(q)s <= %(cap)s
            ON CONFLICT (promotion_id, customer_ref) DO UPDATE
            SET claimed = marketing_flashsalecustomercount.claimed + EXCLUDED.claimed
            WHERE marketing_flashsalecustomercount.claimed + EXCLUDED.claimed <= %(cap)s
            RETURNING id
            """,
            values,
        )
        if cursor.fetchone() is None:
            transaction.set_rollback(True)
            return False
        cursor.execute(
            "UPDATE marketing_flashsalepool SET claimed = claimed + %(q)s "
            "WHERE promotion_id = %(pid)s AND claimed + %(q)s <= quantity RETURNING id",
            values,
        )
        if cursor.fetchone() is None:
            transaction.set_rollback(True)
            return False
    return True
