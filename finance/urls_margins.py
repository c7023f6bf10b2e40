from django.urls import path

from finance import views_budget, views_margins

urlpatterns = [
    path("margins/", views_margins.margin_list, name="margins"),
    path("margins/export/", views_margins.margin_export, name="margins-export"),
    path("margins/sku/<int:sku_id>/", views_margins.margin_sku, name="margins-sku"),
    path("budget/", views_budget.budget, name="budget"),
    path("budget/edit/", views_budget.budget_edit, name="budget-edit"),
]
