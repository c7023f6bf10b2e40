from django.urls import path

from orders import views, views_rates

app_name = "orders"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("rates/", views_rates.rate_list, name="rate-list"),
    path("rates/import/", views_rates.rate_import, name="rate-import"),
]
