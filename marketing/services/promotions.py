"""Writing promotions: create and update from data cleaned by ``marketing.promotion_params.promotion_clean``.

Every write bumps the promotions version stamp in the Django cache once the transaction commits, so
every process's cached ``PromotionIndex`` (``marketing.services.quote``) is rebuilt on its next quote.
A flash sale's pool of units (``FlashSalePool``) is created or resized in the same transaction.
"""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from marketing.models import Promotion
from marketing.promotion_params import SCOPE_KEYS, params_as_json

__all__ = [
    "PROMOTIONS_VERSION_KEY",
    "promotion_create",
    "promotion_update",
    "promotions_version_bump",
    "promotions_version_get",
]

PROMOTIONS_VERSION_KEY = "marketing:promotions:version"

_FIELDS = (
    "name",
    "kind",
    "starts_at",
    "ends_at",
    "priority",
    "exclusive",
    "coupon_required",
    "usage_limit",
    "per_customer_limit",
    "loss_leader",
    "active",
)


def promotions_version_get() -> str:
    """The current promotions version stamp (created when the cache has none)."""
    version = cache.get(PROMOTIONS_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(PROMOTIONS_VERSION_KEY, version, None)
        version = cache.get(PROMOTIONS_VERSION_KEY) or version
    return version


def promotions_version_bump() -> None:
    """Give the promotions a new version stamp: every process rebuilds its index on its next quote.
    Call it on commit (``transaction.on_commit(promotions_version_bump)``) after changing promotions
    outside ``promotion_create`` / ``promotion_update``."""
    cache.set(PROMOTIONS_VERSION_KEY, uuid.uuid4().hex, None)


def _apply(promotion: Promotion, data: dict) -> None:
    for field in _FIELDS:
        setattr(promotion, field, data[field])
    promotion.params = params_as_json(data["params"])
    scope = data.get("scope") or {}
    promotion.scope = {key: list(scope.get(key) or []) for key in SCOPE_KEYS}
    if "campaign" in data:
        promotion.campaign = data["campaign"]


def _save(promotion: Promotion) -> Promotion:
    try:
        with transaction.atomic():
            promotion.save()
    except IntegrityError as error:
        if Promotion.objects.filter(code__iexact=promotion.code).exclude(pk=promotion.pk).exists():
            duplicate = ValidationError(_("A promotion with this code already exists."), code="duplicate")
            raise ValidationError({"code": [duplicate]}) from error
        raise
    if promotion.kind == Promotion.Kind.FLASH_SALE:
        from marketing.services.flash import flash_pool_sync  # helper B's service

        flash_pool_sync(promotion=promotion)
    transaction.on_commit(promotions_version_bump)
    return promotion


@transaction.atomic
def promotion_create(*, data: dict, user=None) -> Promotion:
    """Create a promotion from CLEANED data (``promotion_clean``'s first result).

    Transactional: the row, and for a flash sale its ``FlashSalePool`` (``flash_pool_sync``), or
    nothing. Raises ``ValidationError`` with field errors when the code is taken (a concurrent create)
    or the flash pool refuses. ``user`` is recorded as ``created_by``. Bumps the promotions version
    on commit."""
    promotion = Promotion(code=data["code"], created_by=user if getattr(user, "pk", None) else None)
    _apply(promotion, data)
    return _save(promotion)


@transaction.atomic
def promotion_update(*, promotion: Promotion, data: dict, user=None) -> Promotion:
    """Replace a promotion's fields with CLEANED data (``promotion_clean(data, promotion=promotion)``).

    The code may change (it must stay unique); ``used`` and ``created_by`` are kept. The row is locked
    while it is written. A flash sale's pool is resized (never below the units already claimed:
    ``ValidationError {"params.quantity": [...]}``). Changing the kind of a promotion that was already
    used is refused (``ValidationError {"kind": [...]}``): its redemptions were recorded under the old
    rules. Bumps the promotions version on commit."""
    locked = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if data["kind"] != locked.kind and locked.used:
        raise ValidationError({"kind": [_("This promotion was already used: its kind cannot change.")]})
    if data["usage_limit"] is not None and data["usage_limit"] < locked.used:
        raise ValidationError(
            {
                "usage_limit": [
                    _("Already used %(used)s times: the limit cannot be lower.") % {"used": locked.used}
                ]
            }
        )
    locked.code = data["code"]
    _apply(locked, data)
    _save(locked)
    promotion.refresh_from_db()
    return locked
