from django.urls import path

from service import views_returns as views

urlpatterns = [
    path("returns/", views.return_list, name="return-list"),
    path("returns/new/", views.return_create, name="return-create"),
    path("returns/<str:number>/", views.return_detail, name="return-detail"),
    path("returns/<str:number>/<slug:action>/", views.return_action, name="return-action"),
]
