"""Reads of the catalogue, split by subject; everything public is importable from `catalog.selectors`."""

from catalog.selectors.pages import *  # noqa: F403, E402
from catalog.selectors.recs import recommendation_counts, recommendation_list, sku_ids_active  # noqa: F401,E402
from catalog.selectors.skus import *  # noqa: F403
from catalog.selectors.skus import category_list, sku_client_list, sku_ids_and_costs, sku_list  # noqa: F401
