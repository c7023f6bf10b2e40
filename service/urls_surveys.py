from django.urls import path

from service import views_customers, views_surveys

urlpatterns = [
    path("satisfaction/", views_surveys.satisfaction, name="satisfaction"),
    # The customer 360 lives with the satisfaction pages' routes: one URL module per helper.
    path("customers/<int:pk>/", views_customers.customer_detail, name="customer-detail"),
]
