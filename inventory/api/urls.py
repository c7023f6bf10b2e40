from django.urls import path

from inventory.api import views

urlpatterns = [
    path("stock", views.StockListView.as_view(), name="api-stock-list"),
    path("inventory/forecasts", views.ForecastView.as_view(), name="api-inventory-forecasts"),
    path("inventory/suggestions", views.SuggestionListView.as_view(), name="api-inventory-suggestions"),
    path("inventory/levels", views.LevelListView.as_view(), name="api-inventory-levels"),
]
