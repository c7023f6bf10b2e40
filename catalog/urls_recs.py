from django.urls import path

from catalog import views_recs

urlpatterns = [
    path("recommendations/", views_recs.recommendations, name="recommendations"),
]
