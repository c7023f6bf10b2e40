from django.urls import path

from marketing.api import promotions

urlpatterns = [
    path("pricing/quote", promotions.QuoteView.as_view(), name="api-pricing-quote"),
    path("promotions", promotions.PromotionListView.as_view(), name="api-promotion-list"),
    path("promotions/<str:code>", promotions.PromotionDetailView.as_view(), name="api-promotion-detail"),
]
