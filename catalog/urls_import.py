from django.urls import path

from catalog import views_import

urlpatterns = [
    path("import/", views_import.catalog_import, name="import"),
    path("competitors/import/", views_import.competitor_import, name="competitor-import"),
    path("export/", views_import.catalog_export, name="export"),
]
