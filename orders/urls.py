from django.urls import path

from orders import views, views_import, views_rates

app_name = "orders"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
    path("exceptions/", views.exception_list, name="exception-list"),
    path("exceptions/<int:pk>/resolve/", views.exception_resolve, name="exception-resolve"),
    path("customers/<int:pk>/", views.customer_detail, name="customer-detail"),
    path("channels/", views.channel_list, name="channel-list"),
    path("channels/<slug:code>/", views.channel_edit, name="channel-edit"),
    path("import/", views_import.order_import, name="order-import"),
    path("rates/", views_rates.rate_list, name="rate-list"),
    path("rates/import/", views_rates.rate_import, name="rate-import"),
]
