from django.urls import path

from inventory import views, views_ledger, views_planning, views_purchasing

app_name = "inventory"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("kpis/", views_planning.inventory_kpis, name="kpis"),
    path("replenishment/", views_planning.replenishment, name="replenishment"),
    path("skus/<str:code>/", views_planning.sku_stock, name="sku-stock"),
    path("forecast-accuracy/", views_planning.forecast_accuracy, name="forecast-accuracy"),
    path("ledger/", views_ledger.ledger_list, name="ledger"),
    path("adjust/", views_ledger.adjust, name="adjust"),
    path("returns/new/", views_ledger.return_create, name="return-create"),
    path("transfers/", views_ledger.transfer_list, name="transfer-list"),
    path("transfers/new/", views_ledger.transfer_create, name="transfer-create"),
    path("transfers/<str:number>/", views_ledger.transfer_detail, name="transfer-detail"),
    path("stocktakes/", views_ledger.stocktake_list, name="stocktake-list"),
    path("stocktakes/new/", views_ledger.stocktake_create, name="stocktake-create"),
    path("stocktakes/<str:number>/", views_ledger.stocktake_detail, name="stocktake-detail"),
    path("suppliers/", views_purchasing.supplier_list, name="supplier-list"),
    path("suppliers/new/", views_purchasing.supplier_edit, name="supplier-create"),
    path("suppliers/<str:code>/", views_purchasing.supplier_detail, name="supplier-detail"),
    path("suppliers/<str:code>/edit/", views_purchasing.supplier_edit, name="supplier-edit"),
    path("purchase-orders/", views_purchasing.po_list, name="po-list"),
    path("purchase-orders/new/", views_purchasing.po_create, name="po-create"),
    path("purchase-orders/<str:number>/", views_purchasing.po_detail, name="po-detail"),
]
