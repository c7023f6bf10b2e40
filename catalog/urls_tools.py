from django.urls import path

from catalog import views_tools

urlpatterns = [
    path("skus/<str:code>/price/", views_tools.sku_price, name="sku-price"),
    path("skus/<str:code>/costs/", views_tools.sku_costs, name="sku-costs"),
    path("tools/bulk/", views_tools.bulk_price, name="bulk-price"),
    path("tools/channels/", views_tools.channel_prices, name="channel-prices"),
    path("tools/tiers/", views_tools.tier_prices, name="tier-prices"),
    path("tools/bundles/", views_tools.bundles, name="bundles"),
    path("tools/bundles/new/", views_tools.bundle_create, name="bundle-create"),
]
