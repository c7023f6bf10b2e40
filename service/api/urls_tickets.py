from django.urls import path

from service.api import tickets

urlpatterns = [
    path("tickets", tickets.TicketListView.as_view(), name="api-ticket-list"),
    path("tickets/<str:number>", tickets.TicketDetailView.as_view(), name="api-ticket-detail"),
    path(
        "tickets/<str:number>/messages",
        tickets.TicketMessageCreateView.as_view(),
        name="api-ticket-message-create",
    ),
]
