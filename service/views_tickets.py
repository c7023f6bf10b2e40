"""Ticket pages: the agents' queue (filters, search, sort, CSV/XLSX export, SLA due column), the keyboard-
friendly ticket page (conversation, reply / note, status and assignment, customer and order, SLA clocks,
suggested answers, compensation), opening a ticket by hand, and the reply and update posts.

Reading is the service area's (service_agent, manager, admin); writing needs `service.change_ticket`.
The ticket page includes the SLA clocks, knowledge-base suggestions and compensation panels, each from its
own partial template and selector.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders import selectors as order_selectors
from service.forms_tickets import TicketCreateForm, TicketReplyForm, TicketUpdateForm
from service.models import Team, Ticket, TicketEvent, TicketMessage
from service.selectors import tickets as selectors
from service.selectors.compensation import ticket_compensation_panel
from service.selectors.sla import ticket_clocks
from service.services import tickets as services
from service.services.knowledge import kb_suggest
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

logger = logging.getLogger(__name__)

WRITE_PERMISSION = "service.change_ticket"
QUEUE_PAGE_SIZE = 50
CUSTOMER_TICKETS_SHOWN = 5
SORT_LABELS = {
    "due": gettext_lazy("SLA due, soonest first"),
    "-due": gettext_lazy("SLA due, latest first"),
    "-priority": gettext_lazy("Priority, highest first"),
    "-opened": gettext_lazy("Newest first"),
    "opened": gettext_lazy("Oldest first"),
    "-updated": gettext_lazy("Recently updated"),
}


# ---------------------------------------------------------------------------------------------
# The queue
# ---------------------------------------------------------------------------------------------
@roles.area_required(roles.SERVICE)
@roles.reading_page
def ticket_list(request):
    """The agents' queue: open tickets by default, soonest SLA due first; filters (status, priority, type,
    channel, team, assignee: mine / unassigned / a person), search, sort, overdue only; export."""
    params = request.GET
    status = params.get("status", selectors.ACTIVE)
    if status not in (selectors.ACTIVE, "all", *Ticket.Status.values):
        status = selectors.ACTIVE
    assignee = params.get("assignee", "")
    mine_user = request.user if assignee == "mine" else None
    if assignee not in ("mine", selectors.UNASSIGNED) and not assignee.isdigit():
        assignee = ""
    sort = params.get("sort", selectors.DEFAULT_SORT)
    if sort not in selectors.SORTS:
        sort = selectors.DEFAULT_SORT
    tickets = selectors.ticket_list(
        status="" if status == "all" else status,
        assignee=assignee if assignee != "mine" else None,
        mine_user=mine_user,
        team=params.get("team", ""),
        priority=params.get("priority", "") if params.get("priority") in Ticket.Priority.values else "",
        type=params.get("type", "") if params.get("type") in Ticket.Type.values else "",
        channel=params.get("channel", "") if params.get("channel") in Ticket.Channel.values else "",
        q=params.get("q", ""),
        overdue_only=params.get("overdue") == "1",
        sort=sort,
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return _tickets_export(tickets, fmt)
    page_obj = paginate(request, tickets, per_page=QUEUE_PAGE_SIZE)
    return render(
        request,
        "service/tickets/ticket_list.html",
        {
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "status": status,
            "assignee": assignee if not mine_user else "mine",
            "sort": sort,
            "sorts": list(SORT_LABELS.items()),
            "statuses": Ticket.Status.choices,
            "priorities": Ticket.Priority.choices,
            "types": Ticket.Type.choices,
            "channels": Ticket.Channel.choices,
            "teams": Team.objects.all(),
            "agents": TicketUpdateForm().fields["assignee"].queryset,
            "status_tabs": [
                (value, Ticket.Status(value).label, n)
                for value, n in selectors.ticket_status_counts().items()
            ],
            "mine_total": sum(selectors.ticket_status_counts(user=request.user).values()),
            "now": timezone.now(),
            "can_write": request.user.has_perm(WRITE_PERMISSION),
        },
    )


def _tickets_export(tickets, fmt: str):
    def when(value):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""

    return export_response(
        filename="tickets",
        fmt=fmt,
        headers=[
            _("Number"),
            _("Opened at"),
            _("Subject"),
            _("Channel"),
            _("Type"),
            _("Priority"),
            _("Status"),
            _("Customer"),
            _("Order"),
            _("Assignee"),
            _("Team"),
            _("Tags"),
            _("SLA due"),
            _("First response at"),
            _("Resolved at"),
        ],
        rows=(
            (
                t.number,
                when(t.opened_at),
                t.subject,
                t.get_channel_display(),
                t.get_type_display(),
                t.get_priority_display(),
                t.get_status_display(),
                (t.customer.name or t.customer.external_id) if t.customer else "",
                t.order.external_id if t.order else "",
                t.assignee.get_username() if t.assignee else "",
                t.team.name if t.team else "",
                ", ".join(tag.name for tag in t.tags.all()),
                when(t.sla_due),
                when(t.first_response_at),
                when(t.resolved_at),
            )
            for t in tickets.prefetch_related("tags").iterator(chunk_size=2000)
        ),
    )


# ---------------------------------------------------------------------------------------------
# The ticket page
# ---------------------------------------------------------------------------------------------
def _ticket_or_404(number) -> Ticket:
    ticket = selectors.ticket_get(number=number)
    if ticket is None:
        raise Http404
    return ticket


def _event_label(event: TicketEvent) -> str:
    labels = {
        TicketEvent.Kind.STATUS: dict(Ticket.Status.choices),
        TicketEvent.Kind.PRIORITY: dict(Ticket.Priority.choices),
        TicketEvent.Kind.TYPE: dict(Ticket.Type.choices),
    }.get(event.kind, {})

    def show(value):
        if not value:
            return "—"
        if value.startswith("team:"):
            return _("team %(code)s") % {"code": value[5:]}
        return str(labels.get(value, value))

    if event.kind == TicketEvent.Kind.CREATED:
        return event.get_kind_display()
    if event.from_value or event.to_value:
        return f"{event.get_kind_display()}: {show(event.from_value)} → {show(event.to_value)}"
    return event.get_kind_display()


def _detail_context(request, ticket: Ticket, *, reply_form=None, update_form=None) -> dict:
    prefetch_related_objects([ticket], "tags")
    conversation = list(selectors.ticket_messages(ticket=ticket))
    last_customer = next((m for m in reversed(conversation) if m.kind == TicketMessage.Kind.CUSTOMER), None)
    events = list(selectors.ticket_events(ticket=ticket))
    for event in events:
        event.label = _event_label(event)
    suggest_text = last_customer.body if last_customer else ticket.subject
    customer = ticket.customer
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "events": events,
        "reply_form": reply_form or TicketReplyForm(),
        "update_form": update_form or TicketUpdateForm.for_ticket(ticket),
        "can_write": request.user.has_perm(WRITE_PERMISSION),
        "customer_summary": order_selectors.customer_summary(customer=customer) if customer else None,
        "customer_tickets": (
            list(selectors.customer_tickets(customer=customer).exclude(pk=ticket.pk)[:CUSTOMER_TICKETS_SHOWN])
            if customer
            else []
        ),
        "order_lines": list(order_selectors.order_lines(order=ticket.order)) if ticket.order else [],
        "clocks": ticket_clocks(ticket=ticket),
        "suggestions": kb_suggest(text=suggest_text) if suggest_text else [],
        "suggest_text": suggest_text,
        "compensation": ticket_compensation_panel(ticket=ticket),
        "kinds": TicketMessage.Kind,
    }
    return context


@roles.area_required(roles.SERVICE)
@roles.reading_page
def ticket_detail(request, number):
    """One ticket: the conversation (customer messages, public replies, internal notes and auto-replies
    told apart), the reply box (r: reply, n: note, Ctrl+Enter sends), status / priority / assignee / team /
    tags, the customer and order, SLA clocks, suggested answers and compensation."""
    ticket = _ticket_or_404(number)
    return render(request, "service/tickets/ticket_detail.html", _detail_context(request, ticket))


@roles.permission_required(roles.SERVICE, WRITE_PERMISSION)
@require_POST
def ticket_reply(request, number):
    """Post a public reply or an internal note, optionally changing the status after it."""
    ticket = _ticket_or_404(number)
    form = TicketReplyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_message_add(
                ticket=ticket, kind=data["kind"], body=data["body"], author=request.user
            )
            if data["then_status"]:
                services.ticket_update(ticket=ticket, user=request.user, status=data["then_status"])
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            if data["kind"] == TicketMessage.Kind.NOTE:
                messages.success(request, _("Note added to %(number)s.") % {"number": ticket.number})
            else:
                messages.success(request, _("Reply sent on %(number)s.") % {"number": ticket.number})
            return redirect("service:ticket-detail", number=ticket.number)
    ticket = _ticket_or_404(ticket.pk)
    return render(
        request,
        "service/tickets/ticket_detail.html",
        _detail_context(request, ticket, reply_form=form),
        status=400,
    )


@roles.permission_required(roles.SERVICE, WRITE_PERMISSION)
@require_POST
def ticket_update(request, number):
    """Change status, priority, type, team, assignee and tags (each change recorded in the history)."""
    ticket = _ticket_or_404(number)
    form = TicketUpdateForm.for_ticket(ticket, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.ticket_update(
                ticket=ticket,
                user=request.user,
                status=data["status"],
                priority=data["priority"],
                type=data["type"],
                team=data["team"],
                assignee=data["assignee"],
                tags=data["tags"],
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("%(number)s updated.") % {"number": ticket.number})
            return redirect("service:ticket-detail", number=ticket.number)
    ticket = _ticket_or_404(ticket.pk)
    return render(
        request,
        "service/tickets/ticket_detail.html",
        _detail_context(request, ticket, update_form=form),
        status=400,
    )


@roles.permission_required(roles.SERVICE, WRITE_PERMISSION)
def ticket_create(request):
    """An agent opens a ticket: a phone call, an email, a message seen elsewhere. `?order=<id>` or
    `?customer=<id>` fills in the store, the customer and the order."""
    channels = order_selectors.channel_list()
    initial = _create_initial(request.GET)
    form = TicketCreateForm(request.POST or None, initial=initial, channels=channels)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_create(
                channel=data["channel"],
                type=data["type"],
                priority=data["priority"],
                subject=data["subject"],
                body=data["body"],
                author_name=data["author_name"],
                customer=data["customer"],
                order=data["order"],
                sku=data["sku_obj"],
                sales_channel=data["sales_channel"],
                team=data["team"],
                assignee=data["assignee"],
                tags=data["tags"],
                source=Ticket.Source.AGENT,
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Ticket %(number)s opened.") % {"number": ticket.number})
            return redirect("service:ticket-detail", number=ticket.number)
    return render(
        request,
        "service/tickets/ticket_form.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


def _create_initial(params) -> dict:
    initial: dict = {"assignee": None}
    order_id, customer_id = params.get("order", ""), params.get("customer", "")
    try:
        if order_id.isdigit():
            order = order_selectors.order_get(pk=int(order_id))
            initial.update(
                store=order.channel.code,
                order_ref=order.external_id,
                customer_ref=order.customer.external_id if order.customer else "",
                author_name=order.customer.name if order.customer else "",
                type=Ticket.Type.ORDER_ISSUE,
            )
        elif customer_id.isdigit():
            customer = order_selectors.customer_get(pk=int(customer_id))
            initial.update(
                store=customer.channel.code, customer_ref=customer.external_id, author_name=customer.name
            )
    except ObjectDoesNotExist as exc:  # a stale link just opens an empty form
        logger.info("Ticket form: prefill ignored (%s)", exc.__class__.__name__)
    return initial
