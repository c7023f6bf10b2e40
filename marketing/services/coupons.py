"""Coupons: single codes and generated batches of codes for a coupon promotion.

Codes are stored upper-case. Generated codes are ``prefix`` + 10 characters drawn with ``secrets``
from an alphabet without look-alikes (no 0/O, 1/I/L), so a code cannot be guessed from another one
(32^10 ≈ 10^15 codes). Redemption (using a code) lives in ``marketing.services.redemptions``.
"""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketing.models import Coupon, CouponBatch, Promotion

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_RANDOM_LENGTH = 10
CODE_MAX_LENGTH = 50
PREFIX_MAX_LENGTH = 20
BATCH_MAX = 50_000
_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]*$")


def code_normalize(code: str) -> str:
    """A code as stored and compared: stripped and upper-cased."""
    return (code or "").strip().upper()


def _code_random(prefix: str, rng=None) -> str:
    choice = rng.choice if rng is not None else secrets.choice
    return prefix + "".join(choice(CODE_ALPHABET) for _i in range(CODE_RANDOM_LENGTH))


def _prefix_clean(prefix: str, errors: dict) -> str:
    prefix = code_normalize(prefix)
    if len(prefix) > PREFIX_MAX_LENGTH:
        errors.setdefault("prefix", []).append(_("At most %(n)s characters.") % {"n": PREFIX_MAX_LENGTH})
    elif prefix and not _CODE_RE.match(prefix):
        errors.setdefault("prefix", []).append(_("Use letters, digits, '-' and '_' only."))
    return prefix


def _limits_check(usage_limit, per_customer_limit, errors: dict) -> None:
    for field, value in (("usage_limit", usage_limit), ("per_customer_limit", per_customer_limit)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            errors.setdefault(field, []).append(_("Enter a whole number, 1 or more, or leave it empty."))


def _promotion_check(promotion: Promotion, errors: dict) -> None:
    if not promotion.coupon_required:
        errors.setdefault("promotion", []).append(
            _("This promotion does not require a coupon: a code would change nothing.")
        )


@transaction.atomic
def coupon_issue(
    *,
    promotion: Promotion,
    customer=None,
    usage_limit: int | None = 1,
    prefix: str = "",
    per_customer_limit: int | None = None,
) -> Coupon:
    """Create one coupon with a generated code (``prefix`` + 10 random characters) for ``promotion``.

    ``customer`` (an ``orders.Customer``, optional) makes the coupon personal, e.g. a referral reward:
    only that customer may use it (a quote for anyone else rejects it, an order of anyone else is
    refused), within ``usage_limit`` (default 1: single use) and ``per_customer_limit`` (default:
    ``usage_limit`` when a customer is given, else none). The promotion must require a
    coupon (``coupon_required``), else ``ValidationError({"promotion": [...]})``. Returns the Coupon.
    """
    errors: dict[str, list[str]] = {}
    _promotion_check(promotion, errors)
    prefix = _prefix_clean(prefix, errors)
    if per_customer_limit is None and customer is not None:
        per_customer_limit = usage_limit
    _limits_check(usage_limit, per_customer_limit, errors)
    if errors:
        raise ValidationError(errors)
    for _attempt in range(5):
        code = _code_random(prefix)
        try:
            with transaction.atomic():
                return Coupon.objects.create(
                    code=code,
                    promotion=promotion,
                    customer=customer,
                    usage_limit=usage_limit,
                    per_customer_limit=per_customer_limit,
                )
        except IntegrityError:  # the one-in-10^15 collision
            continue
    raise ValidationError({"prefix": [_("Could not generate a free code; try another prefix.")]})


@transaction.atomic
def coupon_create(
    *,
    promotion: Promotion,
    code: str,
    usage_limit: int | None = None,
    per_customer_limit: int | None = None,
    active: bool = True,
) -> Coupon:
    """Create one coupon with a chosen code (e.g. "D11VIP"), stored upper-case. A code already used by
    another coupon is a field error (``code``)."""
    errors: dict[str, list[str]] = {}
    _promotion_check(promotion, errors)
    code = code_normalize(code)
    if not code:
        errors.setdefault("code", []).append(_("This field is required."))
    elif len(code) > CODE_MAX_LENGTH or not _CODE_RE.match(code):
        errors.setdefault("code", []).append(
            _("Use at most %(n)s letters, digits, '-' and '_'.") % {"n": CODE_MAX_LENGTH}
        )
    elif Coupon.objects.filter(code=code).exists():
        errors.setdefault("code", []).append(_("This code is already used."))
    _limits_check(usage_limit, per_customer_limit, errors)
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            return Coupon.objects.create(
                code=code,
                promotion=promotion,
                usage_limit=usage_limit,
                per_customer_limit=per_customer_limit,
                active=active,
            )
    except IntegrityError as exc:  # created concurrently
        raise ValidationError({"code": [_("This code is already used.")]}) from exc


@transaction.atomic
def coupon_batch_create(
    *,
    promotion: Promotion,
    count: int,
    prefix: str = "",
    name: str = "",
    usage_limit: int | None = 1,
    per_customer_limit: int | None = 1,
    user=None,
    rng=None,
) -> CouponBatch:
    """Generate ``count`` codes (1 to 50,000) for a coupon promotion as one CouponBatch, all or nothing.
    Codes are inserted in bulk; the few that collide with existing codes are drawn again. ``rng`` (a
    ``random.Random``) replaces the ``secrets`` source for reproducible demo data only: such codes are
    guessable from the seed."""
    errors: dict[str, list[str]] = {}
    _promotion_check(promotion, errors)
    prefix = _prefix_clean(prefix, errors)
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= BATCH_MAX:
        errors.setdefault("count", []).append(
            _("Enter a number of codes from 1 to %(max)s.") % {"max": f"{BATCH_MAX:,}"}
        )
    _limits_check(usage_limit, per_customer_limit, errors)
    if len(name) > 200:
        errors.setdefault("name", []).append(_("At most 200 characters."))
    if errors:
        raise ValidationError(errors)
    batch = CouponBatch.objects.create(
        promotion=promotion, name=name, prefix=prefix, count=count, created_by=user
    )
    missing = count
    for _attempt in range(10):
        codes = set()
        while len(codes) < missing:
            codes.add(_code_random(prefix, rng))
        created = Coupon.objects.bulk_create(
            [
                Coupon(
                    code=code,
                    promotion=promotion,
                    batch=batch,
                    usage_limit=usage_limit,
                    per_customer_limit=per_customer_limit,
                )
                for code in codes
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
        del created  # ignore_conflicts: no ids; count what is there
        missing = count - Coupon.objects.filter(batch=batch).count()
        if missing == 0:
            return batch
    raise ValidationError({"prefix": [_("Could not generate enough free codes; try another prefix.")]})


@transaction.atomic
def coupon_active_set(*, coupon: Coupon, active: bool) -> Coupon:
    """Switch a coupon on or off (an inactive coupon is refused at the checkout and at redemption)."""
    Coupon.objects.filter(pk=coupon.pk).update(active=active)
    coupon.active = active
    return coupon
