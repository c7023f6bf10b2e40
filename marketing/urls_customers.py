from django.urls import path

from marketing import views_customers

urlpatterns = [
    path("customers/segments/", views_customers.segment_grid, name="segment-grid"),
    path("customers/segments/<str:segment>/", views_customers.segment_customers, name="segment-customers"),
    path("customers/membership/", views_customers.membership_page, name="membership"),
    path("customers/win-back/", views_customers.winback_list, name="winback-list"),
    path("customers/birthdays/", views_customers.birthday_list, name="birthday-list"),
    path("customers/<int:customer_id>/points/", views_customers.customer_points, name="customer-points"),
]
