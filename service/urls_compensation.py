from django.urls import path

from service import views_compensation as views

urlpatterns = [
    path("compensation/", views.compensation_list, name="compensation-list"),
    path("compensation/new/", views.compensation_create, name="compensation-create"),
    path("compensation/standard/", views.compensation_standard, name="compensation-standard"),
    path("compensation/<int:pk>/decide/", views.compensation_decide, name="compensation-decide"),
]
