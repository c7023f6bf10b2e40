from django.urls import path

from orders import views

app_name = "orders"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("<int:pk>/", views.order_detail, name="order-detail"),
]
