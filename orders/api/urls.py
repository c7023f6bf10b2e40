from django.urls import path

from orders.api import views, webhook_views

urlpatterns = [
    path("orders/sync", views.OrderSyncView.as_view(), name="api-order-sync"),
    path("orders", views.OrderListView.as_view(), name="api-order-list"),
    path("orders/<slug:channel>/<str:external_id>", views.OrderDetailView.as_view(), name="api-order-detail"),
    path(
        "webhooks/shopify/<slug:channel>",
        webhook_views.ShopifyWebhookView.as_view(),
        name="api-shopify-webhook",
    ),
]
