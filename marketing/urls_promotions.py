from django.urls import path

from marketing import views_promotions

urlpatterns = [
    path("promotions/", views_promotions.promotion_list, name="promotion-list"),
    path("promotions/new/", views_promotions.promotion_create, name="promotion-create"),
    path("promotions/simulate/", views_promotions.promotion_simulate, name="promotion-simulate"),
    path("promotions/<str:code>/", views_promotions.promotion_detail, name="promotion-detail"),
    path("promotions/<str:code>/edit/", views_promotions.promotion_edit, name="promotion-edit"),
]
