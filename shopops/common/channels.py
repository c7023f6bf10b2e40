"""The shop's sales channels, for apps below `orders` (which owns them).

Catalog and inventory sit below orders and must not import it. The composition root names the selector
in settings.SHOPOPS_CHANNEL_LIST_SELECTOR (a callable returning the active channels: objects with `code`,
`name`, `commission_rate`, `payment_fee_rate`, `settlement_days`).
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


def channel_list() -> list:
    path = getattr(settings, "SHOPOPS_CHANNEL_LIST_SELECTOR", "")
    if not path:
        raise ImproperlyConfigured(
            "Set SHOPOPS_CHANNEL_LIST_SELECTOR to the dotted path of the active-channel selector, "
            'e.g. "orders.selectors.channel_list".'
        )
    return list(import_string(path)())
