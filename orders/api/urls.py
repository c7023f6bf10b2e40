from django.urls import path

from orders.api import views

urlpatterns = [
    path("orders/sync", views.OrderSyncView.as_view(), name="api-order-sync"),
    path("orders", views.OrderListView.as_view(), name="api-order-list"),
    path("orders/<slug:channel>/<str:external_id>", views.OrderDetailView.as_view(), name="api-order-detail"),
]
