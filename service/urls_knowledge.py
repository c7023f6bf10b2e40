from django.urls import path

from service import views_knowledge as views

urlpatterns = [
    path("kb/", views.kb_list, name="kb-list"),
    path("kb/suggest/", views.kb_suggest, name="kb-suggest"),
    path("kb/new/", views.kb_create, name="kb-create"),
    path("kb/coverage/", views.kb_coverage, name="kb-coverage"),
    path("kb/<slug:code>/", views.kb_detail, name="kb-detail"),
    path("kb/<slug:code>/edit/", views.kb_edit, name="kb-edit"),
    path("tickets/<str:number>/kb/<slug:code>/insert/", views.kb_insert, name="kb-insert"),
]
