from django.urls import path

from catalog.api import views

urlpatterns = [
    path("skus", views.SKUListView.as_view(), name="api-sku-list"),
    path("competitor-prices", views.CompetitorPriceView.as_view(), name="api-competitor-prices"),
]
