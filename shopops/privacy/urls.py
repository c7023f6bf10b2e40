from django.urls import path

from shopops.privacy import views

app_name = "privacy"
urlpatterns = [
    path("", views.request_list, name="request-list"),
    path("customers/<int:pk>/", views.customer, name="customer"),
    path("customers/<int:pk>/export/", views.customer_export, name="customer-export"),
    path("customers/<int:pk>/erase/", views.customer_erase, name="customer-erase"),
]
