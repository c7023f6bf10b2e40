"""Writes to the catalogue, split by subject; everything public is importable from `catalog.services`."""

from catalog.services.bundles import bundle_create, bundle_list, bundle_quote, bundle_quote_of, sku_available  # noqa: F401,E402,E501
from catalog.services.competitors import MAX_PRICES_PER_REQUEST, competitor_prices_record  # noqa: F401,E402
from catalog.services.prices import *  # noqa: F403
from catalog.services.prices import (  # noqa: F401
    EDIT_PERMISSION,
    OVERRIDE_PERMISSION,
    MarginFloorError,
    PlannedPrice,
    PreviewRow,
    costs_of,
    floor_of,
    prices_apply,
    prices_preview,
    sku_costs,
    sku_costs_set,
    sku_loss_leader_set,
)
from catalog.services.recommendations import (  # noqa: F401,E402  # noqa: F401,E402  # noqa: F401,E402
    price_recommendations_build,
    pricing_inputs,
    recommendation_accept,
    recommendation_reason,
    recommendation_reject,
    recommendations_accept,
)
from catalog.services.skus import MAX_SKUS_PER_REQUEST, sku_row_parse, sku_upsert  # noqa: F401,E402
from catalog.services.stats import sku_stats_store  # noqa: F401,E402
from catalog.services.tools import channel_adjustments_set  # noqa: F401,E402
