from django.urls import path

from catalog import views_pages

urlpatterns = [
    path("", views_pages.overview, name="overview"),
]
