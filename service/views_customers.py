"""The customer 360: one customer as service sees them — identity (masked for roles without access to
personal data), segment and tier, orders, tickets, returns, compensation, feedback and surveys."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from orders import selectors as order_selectors
from orders.models import Customer
from service.selectors import customers as selectors
from shopops.common import roles
from shopops.common.pagination import paginate, querystring_without_page
from shopops.common.privacy import can_see_personal_data, mask_email, mask_name, mask_phone

ORDERS_PAGE_SIZE = 20
RECENT_ROWS = selectors.RECENT_ROWS


@roles.area_required(roles.SERVICE)
@roles.reading_page
def customer_detail(request, pk: int):
    """The orders are paginated; the service lists show the latest 20 each with their totals."""
    try:
        customer = order_selectors.customer_get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    show_personal = can_see_personal_data(request.user)
    orders = paginate(request, order_selectors.customer_orders(customer=customer), per_page=ORDERS_PAGE_SIZE)
    tickets = list(selectors.customer_tickets(customer=customer)[:RECENT_ROWS])
    for ticket in tickets:
        ticket.url = reverse("service:ticket-detail", args=[ticket.number])
    returns = list(selectors.customer_returns(customer=customer)[:RECENT_ROWS])
    for request_ in returns:
        request_.url = reverse("service:return-detail", args=[request_.number])
    return render(
        request,
        "service/customers/customer_detail.html",
        {
            "customer": customer,
            "name": customer.name if show_personal else mask_name(customer.name),
            "phone": customer.phone if show_personal else mask_phone(customer.phone),
            "email": customer.email if show_personal else mask_email(customer.email),
            "show_personal": show_personal,
            "profile": selectors.customer_marketing_profile(customer=customer) or selectors.PROFILE_BLANK,
            "summary": order_selectors.customer_summary(customer=customer),
            "service": selectors.customer_service_summary(customer=customer),
            "page_obj": orders,
            "query": querystring_without_page(request),
            "tickets": tickets,
            "returns": returns,
            "compensations": selectors.customer_compensations(customer=customer)[:RECENT_ROWS],
            "feedback": selectors.customer_feedback(customer=customer)[:RECENT_ROWS],
            "surveys": selectors.customer_surveys(customer=customer)[:RECENT_ROWS],
            "recent_rows": RECENT_ROWS,
            "orders_url": reverse("orders:customer-detail", args=[customer.pk]),
            "privacy_url": reverse("privacy:customer", args=[customer.pk])
            if roles.ADMIN in roles.user_roles(request.user)
            else "",
        },
    )
