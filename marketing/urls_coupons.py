from django.urls import path

from marketing import views_coupons as views

urlpatterns = [
    path("coupons/", views.coupon_list, name="coupon-list"),
    path("coupons/new/", views.coupon_create, name="coupon-create"),
    path("coupons/batches/new/", views.coupon_batch_create, name="coupon-batch-create"),
    path("coupons/batches/<int:pk>/export/", views.coupon_batch_export, name="coupon-batch-export"),
    path("redemptions/", views.redemption_list, name="redemption-list"),
    path("flash-sales/", views.flash_sale_list, name="flash-sale-list"),
]
