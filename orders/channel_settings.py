"""Writes of a channel's settings: the order desk's channel page and `manage.py set_channel_secret`.

The webhook secret is write-only for people: it is set, replaced or removed here and never read back
by a page (the webhook endpoint is its only reader).
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import Channel

SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200  # Channel.webhook_secret's max_length


def _secret_check(secret: str) -> str:
    secret = (secret or "").strip()
    if len(secret) < SECRET_MIN_LENGTH:
        raise ValidationError(
            {
                "webhook_secret": _("A webhook secret needs at least %(n)d characters.")
                % {"n": SECRET_MIN_LENGTH}
            }
        )
    if len(secret) > SECRET_MAX_LENGTH:
        raise ValidationError(
            {"webhook_secret": _("A webhook secret has at most %(n)d characters.") % {"n": SECRET_MAX_LENGTH}}
        )
    if any(ch.isspace() for ch in secret):
        raise ValidationError({"webhook_secret": _("A webhook secret has no spaces or line breaks.")})
    return secret


@transaction.atomic
def channel_secret_set(*, code: str, secret: str) -> Channel:
    """Set or replace the webhook secret of the channel `code` (Channel.DoesNotExist if there is none)."""
    secret = _secret_check(secret)
    channel = Channel.objects.select_for_update().get(code=code)
    channel.webhook_secret = secret
    channel.save(update_fields=["webhook_secret", "updated_at"])
    return channel


@transaction.atomic
def channel_update(
    *,
    channel: Channel,
    name: str,
    commission_rate: Decimal,
    payment_fee_rate: Decimal,
    settlement_days: int,
    active: bool,
    webhook_secret: str = "",
    clear_secret: bool = False,
) -> Channel:
    """Change a channel's settings. A blank `webhook_secret` keeps the stored one; `clear_secret`
    removes it."""
    if webhook_secret and clear_secret:
        raise ValidationError(_("Either set a new secret or remove it, not both."))
    for field, rate in (("commission_rate", commission_rate), ("payment_fee_rate", payment_fee_rate)):
        if not Decimal(0) <= rate < 1:
            raise ValidationError({field: _("A rate is a fraction from 0 up to (not including) 1.")})
    changes = {
        "name": name.strip(),
        "commission_rate": commission_rate,
        "payment_fee_rate": payment_fee_rate,
        "settlement_days": settlement_days,
        "active": active,
        "updated_at": timezone.now(),
    }
    if webhook_secret:
        changes["webhook_secret"] = _secret_check(webhook_secret)
    elif clear_secret:
        changes["webhook_secret"] = ""
    # A save (not a queryset update) so that the audit trail records the change, before and after.
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    for name, value in changes.items():
        setattr(channel, name, value)
    channel.save(update_fields=list(changes))
    return channel
