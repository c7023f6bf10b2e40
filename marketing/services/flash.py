"""Flash sales (秒杀): the pool of units, claims that hold units for a while, expiry.

Oversell-proof by conditional updates, never by reading then writing:

- ``FlashSalePool.claimed`` counts the units of held and converted claims. A claim raises it with
  ``UPDATE ... SET claimed = claimed + q WHERE claimed + q <= quantity``; a CHECK constraint says the
  same again. ``FlashSaleCustomerCount.claimed`` is raised the same way (an upsert whose update only
  happens while ``claimed + q <= per_customer``). Both run in one short transaction, customer row first,
  pool row second (the hot row is locked for as little time as possible, and always in the same order,
  so claims and expiry cannot deadlock).
- A claim holds its units for ``CLAIM_HOLD`` (10 minutes). An order synced with the claim id on a line
  converts it (``marketing.services.redemptions``). A held claim past its ``expires_at`` gives its units
  back: the task ``marketing.flash_claims_expire`` (every minute) releases them, and so does a claim that
  finds the pool (or the customer's cap) full: it releases the expired holds of that sale (or that
  customer) and tries once more. So a customer is never told "sold out" while expired holds could serve
  them, and readers use ``flash_remaining`` which counts expired holds as available already.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import psycopg
from django.core.exceptions import ValidationError
from django.db import DataError, OperationalError, connection, transaction
from django.db.models import F, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import SKU
from marketing.models import FlashSaleClaim, FlashSaleCustomerCount, FlashSalePool, Promotion

CLAIM_HOLD = timedelta(minutes=10)


def _params_quantity(promotion: Promotion) -> int:
    raw = (promotion.params or {}).get("quantity")
    try:
        quantity = int(Decimal(str(raw)))
    except Exception:  # noqa: BLE001 - anything not a number is a field error
        quantity = -1
    if quantity < 0:
        raise ValidationError({"params.quantity": [_("Enter a whole number of units, 0 or more.")]})
    return quantity


@transaction.atomic
def flash_pool_sync(*, promotion: Promotion) -> FlashSalePool:
    """Create or resize the FlashSalePool of a flash_sale promotion from ``promotion.params["quantity"]``.

    Call it inside the transaction that saves the promotion (``promotion_create`` / ``promotion_update``
    do). The pool row is locked while it is resized; the new quantity may never be below the units
    already claimed (held or converted): then a ``ValidationError`` with the field error
    ``{"params.quantity": [...]}`` is raised and nothing changes. Returns the pool.
    """
    if promotion.kind != Promotion.Kind.FLASH_SALE:
        raise ValidationError({"kind": [_("Only a flash sale has a pool of units.")]})
    quantity = _params_quantity(promotion)
    _SALES.pop(promotion.code, None)  # this process re-reads the sale at its next claim
    current = FlashSalePool.objects.filter(promotion=promotion).values_list("claimed", flat=True).first()
    if current is not None and quantity < current:
        # Expired holds still counted in the pool are given back first (before the pool row is locked:
        # the release locks customer rows before the pool row, like a claim does).
        _expired_release(promotion_id=promotion.pk)
    pool = FlashSalePool.objects.select_for_update().filter(promotion=promotion).first()
    if pool is None:
        return FlashSalePool.objects.create(promotion=promotion, quantity=quantity, claimed=0)
    if quantity < pool.claimed:
        raise ValidationError(
            {
                "params.quantity": [
                    _("%(claimed)s units are already claimed: the quantity cannot be lower.")
                    % {"claimed": pool.claimed}
                ]
            }
        )
    if pool.quantity != quantity:
        pool.quantity = quantity
        pool.save(update_fields=["quantity"])
    return pool


# ---------------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------------
class ClaimRefused(Exception):
    """A claim that cannot be granted: ``code`` is "sold_out" or "customer_limit"."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class ClaimResult:
    id: uuid.UUID
    promotion: str
    sku: str
    quantity: int
    price: Decimal
    expires_at: datetime


def _money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def flash_sale_for_claim(code: str):
    """The flash sale promotion ``code`` with what a claim needs, or None when there is none.
    Returns ``(promotion_id, sku_code, sku_id, price, per_customer, starts_at, ends_at, active)``."""
    if connection.vendor != "postgresql":  # SQLite (demo): no jsonb ->>, and raw SQL reads naive datetimes
        row = (
            Promotion.objects.filter(code=code, kind=Promotion.Kind.FLASH_SALE)
            .values_list("id", "params", "starts_at", "ends_at", "active")
            .first()
        )
        if row is None:
            return None
        raw = (row[1] or {}).get("sku")
        sku_code = raw if isinstance(raw, str) or raw is None else json.dumps(raw)  # as ->> gives it
        row = (*row, *(SKU.objects.filter(code=sku_code).values_list("id", "code").first() or (None, None)))
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT p.id, p.params, p.starts_at, p.ends_at, p.active, s.id, s.code
                FROM marketing_promotion p
                LEFT JOIN catalog_sku s ON s.code = p.params ->> 'sku'
                WHERE p.code = %s AND p.kind = 'flash_sale'
                """,
                [code],
            )
            row = cursor.fetchone()
    if row is None:
        return None
    pid, params, starts_at, ends_at, active, sku_id, sku_code = row
    if isinstance(params, str):  # psycopg returns jsonb decoded; be safe with text
        params = json.loads(params)
    per_customer = params.get("per_customer")
    return {
        "promotion_id": pid,
        "code": code,
        "sku_id": sku_id,
        "sku": sku_code,
        "price": _money(params.get("price", "0")),
        "per_customer": int(per_customer) if per_customer not in (None, "") else None,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "active": active,
    }


# One statement, one round trip, its own transaction (autocommit; inside an outer transaction, in a
# savepoint), prepared on the server (psycopg prepares a statement a connection runs repeatedly):
# 1. ``sale``: the sale's row, active and inside its window, with its per-customer cap (the sale read from
#    the in-process cache is re-checked here, authoritatively);
# 2. ``room``: the pool has room for the units in this snapshot (a plain read: when sold out, nothing is
#    written and nothing is locked);
# 3. ``customer``: the customer's count raised if it stays within the cap (upsert; no contention between
#    customers);
# 4. ``pool``: the hot pool row raised if it stays within the quantity — the conditional update re-checks
#    the row's latest version under its lock;
# 5. ``claim``: the hold.
# Each step only if the one before succeeded. If the customer step succeeded but the pool step did not
# (the pool filled between the snapshot and the lock: rare), a division by zero aborts the statement, so
# the customer's count is never raised without units. The pool row is locked from its update to the
# statement's commit only. ``synchronous_commit`` is off for this transaction alone: the commit does not
# wait for the WAL flush, so the hot row is not held through an fsync. The trade (PostgreSQL's documented
# one): after a database crash the last fraction of a second of claims may be lost — claim, pool count and
# customer count together, never one without the others, so nothing is ever oversold; a lost hold is one
# the store claims again. Conversions and everything else commit synchronously.
_CLAIM_TAKE = """
WITH sale AS (
    SELECT COALESCE(NULLIF(params ->> 'per_customer', '')::numeric::integer, 2000000000) AS cap
    FROM marketing_promotion
    WHERE id = %(pid)s::bigint AND active AND kind = 'flash_sale'
      AND (starts_at IS NULL OR starts_at <= %(now)s::timestamptz)
      AND (ends_at IS NULL OR ends_at > %(now)s::timestamptz)
), room AS (
    SELECT 1 FROM marketing_flashsalepool
    WHERE promotion_id = %(pid)s::bigint AND claimed + %(q)s::integer <= quantity
), customer AS (
    INSERT INTO marketing_flashsalecustomercount AS c (promotion_id, customer_ref, claimed)
    SELECT %(pid)s::bigint, %(customer)s::varchar, %(q)s::integer FROM sale
    WHERE %(q)s::integer <= sale.cap AND EXISTS (SELECT 1 FROM room)
    ON CONFLICT (promotion_id, customer_ref) DO UPDATE
    SET claimed = c.claimed + EXCLUDED.claimed
    WHERE c.claimed + EXCLUDED.claimed <= (SELECT cap FROM sale)
    RETURNING 1
), pool AS (
    UPDATE marketing_flashsalepool SET claimed = claimed + %(q)s::integer
    WHERE promotion_id = %(pid)s::bigint AND claimed + %(q)s::integer <= quantity
      AND EXISTS (SELECT 1 FROM customer)
    RETURNING 1
), claim AS (
    INSERT INTO marketing_flashsaleclaim
        (id, promotion_id, customer_ref, sku_id, quantity, status, created_at, expires_at,
         closed_at, order_id)
    SELECT %(id)s::uuid, %(pid)s::bigint, %(customer)s::varchar, %(sku_id)s::bigint, %(q)s::integer, 'held',
           %(now)s::timestamptz, %(expires)s::timestamptz, NULL, NULL
    WHERE EXISTS (SELECT 1 FROM pool)
    RETURNING 1
)
SELECT EXISTS (SELECT 1 FROM sale), EXISTS (SELECT 1 FROM room), EXISTS (SELECT 1 FROM claim),
       set_config('synchronous_commit', 'off', true),
       1 / ((EXISTS (SELECT 1 FROM pool))::integer + (NOT EXISTS (SELECT 1 FROM customer))::integer),
       CASE WHEN EXISTS (SELECT 1 FROM pool) THEN false ELSE EXISTS (
           SELECT 1 FROM marketing_flashsaleclaim
           WHERE status = 'held' AND expires_at <= %(now)s::timestamptz AND promotion_id = %(pid)s::bigint
             AND (NOT EXISTS (SELECT 1 FROM room) OR customer_ref = %(customer)s::varchar)
       ) END
"""
_DIVISION_BY_ZERO = "22012"
_RETRYABLE = ("40P01", "40001")


def _claim_execute(values: dict):
    """The claim statement with server-side binding, prepared once per connection (Django leaves
    psycopg's automatic preparation off; the statement is planned once instead of on every claim).
    Prepared statements need a direct connection or a pooler that keeps them (pgbouncer >= 1.21)."""
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_CLAIM_TAKE, values, prepare=True)
        return cursor.fetchone()


def _sale_cap(params) -> int:
    """The per-customer cap as the claim statement reads it (a number rounded to an integer; none: no cap)."""
    raw = (params or {}).get("per_customer")
    if raw in (None, ""):
        return 2_000_000_000
    return int(Decimal(str(raw)).to_integral_value(ROUND_HALF_UP))


def units_take(promotion_id: int, customer: str, quantity: int, cap: int) -> str:
    """Portable (non-PostgreSQL) take of units: the customer's count raised within ``cap``, then the pool
    within its quantity, by conditional updates. "taken", else "customer_limit" or "sold_out" (then the
    customer's count may be raised: the caller rolls its transaction or savepoint back)."""
    if quantity > cap:
        return "customer_limit"
    counts = FlashSaleCustomerCount.objects.filter(promotion_id=promotion_id, customer_ref=customer)
    if not counts.filter(claimed__lte=cap - quantity).update(claimed=F("claimed") + quantity):
        _count, created = FlashSaleCustomerCount.objects.get_or_create(
            promotion_id=promotion_id, customer_ref=customer, defaults={"claimed": quantity}
        )
        if not created:
            return "customer_limit"
    pool = FlashSalePool.objects.filter(promotion_id=promotion_id, quantity__gte=F("claimed") + quantity)
    if not pool.update(claimed=F("claimed") + quantity):
        return "sold_out"
    return "taken"


def units_give_back(rows) -> int:
    """Portable (non-PostgreSQL) return of units: rows of (promotion id, customer ref, quantity) taken off
    the customers' counts, then the pools (never below 0). Returns the units."""
    per_customer: dict[tuple[int, str], int] = {}
    per_pool: dict[int, int] = {}
    for pid, ref, q in rows:
        per_customer[(pid, ref)] = per_customer.get((pid, ref), 0) + q
        per_pool[pid] = per_pool.get(pid, 0) + q
    for (pid, ref), q in sorted(per_customer.items()):
        FlashSaleCustomerCount.objects.filter(promotion_id=pid, customer_ref=ref).update(
            claimed=Greatest(F("claimed") - q, 0, output_field=IntegerField())
        )
    for pid, q in sorted(per_pool.items()):
        FlashSalePool.objects.filter(promotion_id=pid).update(
            claimed=Greatest(F("claimed") - q, 0, output_field=IntegerField())
        )
    return sum(per_pool.values())


def _claim_take_portable(values: dict):
    """``_CLAIM_TAKE``'s steps with the ORM, in one transaction (savepoint), same row of answers. For SQLite
    (the demo): it serialises writers, so the steps cannot interleave with another claim's."""
    pid, customer, q, now = values["pid"], values["customer"], values["q"], values["now"]
    with transaction.atomic():
        sale = (
            Promotion.objects.filter(pk=pid, active=True, kind=Promotion.Kind.FLASH_SALE)
            .filter(Q(starts_at__isnull=True) | Q(starts_at__lte=now))
            .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .values_list("id", "params")
            .first()
        )
        room = FlashSalePool.objects.filter(promotion_id=pid, quantity__gte=F("claimed") + q).exists()
        taken = units_take(pid, customer, q, _sale_cap(sale[1])) if sale is not None and room else None
        if taken == "taken":
            FlashSaleClaim.objects.create(
                id=values["id"],
                promotion_id=pid,
                customer_ref=customer,
                sku_id=values["sku_id"],
                quantity=q,
                status=FlashSaleClaim.Status.HELD,
                expires_at=values["expires"],
            )
            FlashSaleClaim.objects.filter(pk=values["id"]).update(created_at=now)  # as the statement sets it
            return True, True, True, None, 1, False
        held = FlashSaleClaim.objects.filter(
            status=FlashSaleClaim.Status.HELD, expires_at__lte=now, promotion_id=pid
        )
        expired = (held.filter(customer_ref=customer) if room else held).exists()
        transaction.set_rollback(True)  # a customer count raised without units is undone
    if taken == "sold_out":  # the pool filled after the room check (the statement's division by zero)
        return True, False, False, None, 1, True
    return sale is not None, room, False, None, 1, expired


def _claim_take(values: dict):
    if connection.vendor != "postgresql":  # SQLite (demo): no data-modifying CTEs, casts or prepare
        return _claim_take_portable(values)
    if connection.in_atomic_block:  # a caller's transaction: a savepoint keeps an abort local
        with transaction.atomic():
            return _claim_execute(values)
    return _claim_execute(values)  # autocommit: the statement is its own transaction


def _claim_try(sale: dict, customer: str, quantity: int, now: datetime) -> tuple[str | None, dict]:
    """One attempt, one statement. Returns (refusal or None, the row values); refusals: "unavailable"
    (the sale changed: inactive, outside its window), "customer_limit", "sold_out".
    ``values["expired"]``: on a refusal, whether held claims past their time (of the sale when sold out,
    of the customer at their cap) could be released, seen in the same snapshot as the refusal."""
    values = {
        "id": uuid.uuid4(),
        "pid": sale["promotion_id"],
        "customer": customer,
        "q": quantity,
        "sku_id": sale["sku_id"],
        "now": now,
        "expires": now + CLAIM_HOLD,
    }
    for attempt in (1, 2, 3):
        try:
            on_sale, room, claimed, _setting, _one, expired = _claim_take(values)
        except DataError as exc:  # the pool filled between the snapshot and the lock
            if getattr(exc.__cause__, "sqlstate", None) != _DIVISION_BY_ZERO:
                raise
            values["expired"] = True
            return "sold_out", values
        except OperationalError as exc:  # a deadlock victim (with the expiry task): try again
            if getattr(exc.__cause__, "sqlstate", None) not in _RETRYABLE or attempt == 3:
                raise
            continue
        values["expired"] = expired
        if claimed:
            return None, values
        if not on_sale:
            return "unavailable", values
        return ("customer_limit" if room else "sold_out"), values
    raise AssertionError("unreachable")


# The sales claims read, per process, for SALE_CACHE_SECONDS: what the request is checked against (SKU,
# window, price for the answer). The claim statement re-checks the sale's row itself (active, window, cap),
# and any refusal or field error re-reads the sale, so a change is never acted on stale.
SALE_CACHE_SECONDS = 2.0
_SALES: dict[str, tuple[float, dict]] = {}


def _sale_get(code: str, *, fresh: bool = False) -> dict:
    if not fresh:
        cached = _SALES.get(code)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
    sale = flash_sale_for_claim(code)
    if sale is None:
        _SALES.pop(code, None)
        raise Promotion.DoesNotExist(code)
    if len(_SALES) > 1000:
        _SALES.clear()
    _SALES[code] = (time.monotonic() + SALE_CACHE_SECONDS, sale)
    return sale


def _claim_errors(sale: dict, customer: str, sku: str, quantity, now: datetime) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not customer:
        errors["customer"] = [_("This field is required.")]
    elif len(customer) > 100:
        errors["customer"] = [_("At most 100 characters.")]
    if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
        errors["quantity"] = [_("Enter a whole number of units, 1 or more.")]
    if sale["sku"] is None or (sku or "").strip().upper() != sale["sku"].upper():
        errors["sku"] = [_("This SKU is not the flash sale's SKU.")]
    if not sale["active"]:
        errors.setdefault("non_field_errors", []).append(_("This flash sale is not active."))
    elif (sale["starts_at"] and now < sale["starts_at"]) or (sale["ends_at"] and now >= sale["ends_at"]):
        errors.setdefault("non_field_errors", []).append(_("The flash sale is not running at this time."))
    return errors


def flash_claim_create(*, code: str, customer: str, sku: str, quantity: int, now: datetime | None = None):
    """Hold ``quantity`` units of flash sale ``code`` for ``customer`` (an external customer id) for
    ``CLAIM_HOLD``. Returns a ``ClaimResult``.

    Raises ``Promotion.DoesNotExist`` for an unknown flash sale, ``ValidationError`` with field errors
    (``sku`` not the sale's, ``quantity`` < 1, ``customer`` empty, outside the sale's window or inactive
    → ``non_field_errors``) and ``ClaimRefused`` ("sold_out" / "customer_limit") when the units are not
    there. One short transaction per attempt; when full, expired holds are released and the claim is
    tried once more.
    """
    now = now or timezone.now()
    customer = (customer or "").strip()
    sale = _sale_get(code)
    errors = _claim_errors(sale, customer, sku, quantity, now)
    if errors:
        sale = _sale_get(code, fresh=True)
        errors = _claim_errors(sale, customer, sku, quantity, now)
        if errors:
            raise ValidationError(errors)

    refused, values = _claim_try(sale, customer, quantity, now)
    if refused == "unavailable":  # the cached sale is stale: check the request against the sale as it is
        sale = _sale_get(code, fresh=True)
        errors = _claim_errors(sale, customer, sku, quantity, now)
        if errors:
            raise ValidationError(errors)
        refused, values = _claim_try(sale, customer, quantity, now)
    if refused in ("sold_out", "customer_limit") and values["expired"]:
        # Before refusing, expired holds are given back (the sale's, or the customer's) and the claim is
        # tried once more. The release waits for a concurrent one instead of skipping its rows, so the
        # retry sees the units another request has just returned.
        only = customer if refused == "customer_limit" else None
        _expired_release(promotion_id=sale["promotion_id"], customer=only, now=now)
        refused, values = _claim_try(sale, customer, quantity, now)
    if refused == "sold_out":
        raise ClaimRefused("sold_out", _("Sold out: no units left in this flash sale."))
    if refused == "customer_limit":
        raise ClaimRefused(
            "customer_limit",
            _("Limit reached: at most %(cap)s units per customer in this flash sale.")
            % {"cap": sale["per_customer"]},
        )
    if refused == "unavailable":
        raise ValidationError({"non_field_errors": [_("The flash sale is not running at this time.")]})
    return ClaimResult(
        id=values["id"],
        promotion=code,
        sku=sale["sku"],
        quantity=quantity,
        price=sale["price"],
        expires_at=values["expires"],
    )


# ---------------------------------------------------------------------------------------------
# Expiry
# ---------------------------------------------------------------------------------------------
_EXPIRED_RELEASE = """
UPDATE marketing_flashsaleclaim SET status = 'expired', closed_at = %(now)s
WHERE id IN (
    SELECT id FROM marketing_flashsaleclaim
    WHERE status = 'held' AND expires_at <= %(now)s
      AND (%(pid)s::bigint IS NULL OR promotion_id = %(pid)s::bigint)
      AND (%(customer)s::text IS NULL OR customer_ref = %(customer)s::text)
    ORDER BY id FOR UPDATE
)
RETURNING promotion_id, customer_ref, quantity
"""


def _expired_release(*, promotion_id: int | None = None, customer: str | None = None, now=None) -> int:
    """Mark held claims past ``expires_at`` expired and give their units back to the pool and to the
    customers' counts, in one transaction. Optionally only one sale / one customer of it. Returns the
    units released. Customer rows are updated before pool rows (the claim's lock order)."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":  # SQLite (demo): no FOR UPDATE, casts or GREATEST; one writer
        with transaction.atomic():
            claims = FlashSaleClaim.objects.filter(status=FlashSaleClaim.Status.HELD, expires_at__lte=now)
            if promotion_id is not None:
                claims = claims.filter(promotion_id=promotion_id)
            if customer is not None:
                claims = claims.filter(customer_ref=customer)
            rows = list(claims.order_by("pk").values_list("promotion_id", "customer_ref", "quantity"))
            claims.update(status=FlashSaleClaim.Status.EXPIRED, closed_at=now)
            return units_give_back(rows)
    values = {"now": now, "pid": promotion_id, "customer": customer}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_EXPIRED_RELEASE, values)
        rows = cursor.fetchall()
        if not rows:
            return 0
        per_customer: dict[tuple[int, str], int] = {}
        per_pool: dict[int, int] = {}
        for pid, ref, q in rows:
            per_customer[(pid, ref)] = per_customer.get((pid, ref), 0) + q
            per_pool[pid] = per_pool.get(pid, 0) + q
        for (pid, ref), q in sorted(per_customer.items()):
            cursor.execute(
                "UPDATE marketing_flashsalecustomercount SET claimed = GREATEST(claimed - %s, 0) "
                "WHERE promotion_id = %s AND customer_ref = %s",
                [q, pid, ref],
            )
        for pid, q in sorted(per_pool.items()):
            cursor.execute(
                "UPDATE marketing_flashsalepool SET claimed = GREATEST(claimed - %s, 0) "
                "WHERE promotion_id = %s",
                [q, pid],
            )
    return sum(per_pool.values())


def flash_claims_expire(*, now: datetime | None = None) -> int:
    """Release every held claim past its ``expires_at`` (task ``marketing.flash_claims_expire``, every
    minute). Idempotent. Returns the units given back."""
    return _expired_release(now=now)


def flash_remaining(*, promotion_ids: list[int] | None = None, now: datetime | None = None) -> dict[int, int]:
    """Units still available per flash-sale promotion id: ``quantity - claimed`` plus the units of held
    claims already past their ``expires_at`` (not yet released by the task, but already free: the next
    claim releases them). One query."""
    now = now or timezone.now()
    if connection.vendor != "postgresql":  # SQLite (demo): no arrays (= ANY); the same sum with the ORM
        expired = (
            FlashSaleClaim.objects.filter(
                promotion_id=OuterRef("promotion_id"), status=FlashSaleClaim.Status.HELD, expires_at__lte=now
            )
            .values("promotion_id")
            .annotate(units=Sum("quantity"))
            .values("units")
        )
        pools = FlashSalePool.objects.all()
        if promotion_ids is not None:
            pools = pools.filter(promotion_id__in=promotion_ids)
        pools = pools.annotate(
            left=F("quantity") - F("claimed") + Coalesce(Subquery(expired), 0, output_field=IntegerField())
        )
        return {pid: int(left) for pid, left in pools.values_list("promotion_id", "left")}
    sql = """
        SELECT p.promotion_id, p.quantity - p.claimed + COALESCE((
            SELECT SUM(c.quantity) FROM marketing_flashsaleclaim c
            WHERE c.promotion_id = p.promotion_id AND c.status = 'held' AND c.expires_at <= %s), 0)
        FROM marketing_flashsalepool p
    """
    params: list = [now]
    if promotion_ids is not None:
        if not promotion_ids:
            return {}
        sql += " WHERE p.promotion_id = ANY(%s)"
        params.append(list(promotion_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {pid: int(left) for pid, left in cursor.fetchall()}


__all__ = [
    "CLAIM_HOLD",
    "ClaimRefused",
    "ClaimResult",
    "FlashSaleClaim",
    "FlashSaleCustomerCount",
    "flash_claim_create",
    "flash_claims_expire",
    "flash_pool_sync",
    "flash_remaining",
]
