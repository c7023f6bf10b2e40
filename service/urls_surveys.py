from django.urls import path

from service import views_customers, views_surveys

urlpatterns = [
    path("satisfaction/", views_surveys.satisfaction, name="satisfaction"),
    path("customers/<int:pk>/", views_customers.customer_detail, name="customer-detail"),
]
