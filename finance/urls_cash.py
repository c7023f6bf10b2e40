from django.urls import path

from finance import views_cash

urlpatterns = [
    path("accounts/", views_cash.account_list, name="account-list"),
    path("accounts/new/", views_cash.account_create, name="account-create"),
    path("accounts/<slug:code>/", views_cash.account_detail, name="account-detail"),
    path("accounts/<slug:code>/edit/", views_cash.account_edit, name="account-edit"),
    path("accounts/<slug:code>/transactions/new/", views_cash.transaction_create, name="transaction-create"),
    path("accounts/<slug:code>/import/", views_cash.statement_import, name="statement-import"),
    path("settlements/", views_cash.settlement_list, name="settlement-list"),
    path("settlements/import/", views_cash.settlement_import, name="settlement-import"),
    path("receivables/", views_cash.receivables, name="receivables"),
    path("payables/", views_cash.payables, name="payables"),
    path("payables/<str:number>/pay/", views_cash.payment_create, name="payment-create"),
    path("expenses/", views_cash.expense_list, name="expense-list"),
    path("expenses/new/", views_cash.expense_create, name="expense-create"),
    path("expenses/<int:pk>/", views_cash.expense_edit, name="expense-edit"),
    path("expenses/<int:pk>/delete/", views_cash.expense_delete, name="expense-delete"),
]
