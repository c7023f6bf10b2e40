from django.urls import path

from inventory.api import views

urlpatterns = [
    path("stock", views.StockListView.as_view(), name="api-stock-list"),
]
