from django.urls import path

from catalog import views_pages

urlpatterns = [
    path("", views_pages.overview, name="overview"),
    path("skus/", views_pages.sku_list, name="sku-list"),
    path("skus/<str:code>/", views_pages.sku_detail, name="sku-detail"),
]
