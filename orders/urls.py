from django.urls import path

from orders import views, views_import, views_rates

app_name = "orders"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("import/", views_import.order_import, name="order-import"),
    path("rates/", views_rates.rate_list, name="rate-list"),
    path("rates/import/", views_rates.rate_import, name="rate-import"),
]
