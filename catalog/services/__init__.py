"""Writes to the catalogue, split by subject; everything public is importable from `catalog.services`."""

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
