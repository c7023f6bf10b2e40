"""The order desk: the order list and detail, the exception queue, customers and channels.

Everyone in the orders area reads these pages. Resolving exceptions and scanning for late orders are
operations' work (and admin's); the channel list is for the roles that work with channel fees and
settlements, and only admins change a channel or its webhook secret.
"""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from orders import channel_settings, selectors, services
from orders.forms import ChannelForm, ExceptionResolveForm
from orders.models import Channel, Customer, Order, OrderException
from shopops.common import roles
from shopops.common.dates import parse_iso_date
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page
from shopops.common.privacy import can_see_personal_data, mask_address, mask_email, mask_phone

# Who may act on the desk (POST): resolve exceptions, scan for late orders.
DESK_WRITERS = frozenset({roles.OPERATIONS, roles.ADMIN})
# Channel fees and settlement terms: not service agents' business.
CHANNEL_READERS = frozenset({roles.OPERATIONS, roles.FINANCE, roles.MANAGER, roles.ADMIN})
CHANNEL_EDITORS = frozenset({roles.ADMIN})

# Sortable columns: the `sort` parameter's name -> the field it orders by.
ORDER_SORTS = {
    "placed_at": "placed_at",
    "external_id": "external_id",
    "channel": "channel__code",
    "status": "status",
    "customer": "customer__external_id",  # names are encrypted at rest: they cannot be sorted in SQL
    "province": "province",
    "total": "total_shop",  # totals in different currencies compare in the shop currency
}
ORDER_DEFAULT_SORT = "-placed_at"
DESCENDING_FIRST = {"placed_at", "total"}

EXCEPTION_BADGES = {
    OrderException.Kind.LATE: ("text-bg-warning", gettext_lazy("Late")),
    OrderException.Kind.BACKORDER: ("text-bg-danger", gettext_lazy("Backorder")),
    OrderException.Kind.ADDRESS: ("text-bg-info", gettext_lazy("Address")),
    OrderException.Kind.TOTALS: ("text-bg-secondary", gettext_lazy("Totals")),
}
EVENT_LABELS = {
    "created": gettext_lazy("Order received"),
    "status": gettext_lazy("Status changed"),
    "lines": gettext_lazy("Lines replaced"),
    "exception_resolved": gettext_lazy("Exception resolved"),
    "exception_raised": gettext_lazy("Exception raised"),
    "exception_closed": gettext_lazy("Exception closed by the system"),
    "hold": gettext_lazy("Put on hold for risk review"),
    "hold_released": gettext_lazy("Hold released"),
}
EXCEPTION_PAGE_SIZE = 25
CUSTOMER_ORDERS_PAGE_SIZE = 20


def roles_required(allowed: frozenset[str]):
    """View decorator: the user must hold one of `allowed`, else 403 (for every method)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not roles.user_roles(request.user) & allowed:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _holds(user, allowed: frozenset[str]) -> bool:
    return bool(roles.user_roles(user) & allowed)


def _desk(request, tab: str) -> dict:
    """What every desk page's tabs need."""
    return {
        "desk_tab": tab,
        "can_resolve": _holds(request.user, DESK_WRITERS),
        "can_view_channels": _holds(request.user, CHANNEL_READERS),
    }


def _badge(kind: str) -> dict:
    css, short = EXCEPTION_BADGES.get(kind, ("text-bg-secondary", kind))
    return {"kind": kind, "css": css, "short": short, "label": OrderException.Kind(kind).label}


def _sort_columns(request, current: str, sorts: dict) -> dict:
    """Per sortable column: the link that sorts by it (toggling when it is the current one) and its arrow."""
    params = request.GET.copy()
    for key in ("page", "sort", "export"):
        params.pop(key, None)
    current_key, descending = current.lstrip("-"), current.startswith("-")
    columns = {}
    for key in sorts:
        if key == current_key:
            target = key if descending else f"-{key}"
            arrow, aria = ("▼", "descending") if descending else ("▲", "ascending")
        else:
            target = f"-{key}" if key in DESCENDING_FIRST else key
            arrow, aria = "", "none"
        params["sort"] = target
        columns[key] = {"query": params.urlencode(), "arrow": arrow, "aria": aria}
    return columns


def _safe_next(request, url: str | None, default: str) -> str:
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=False):
        return url
    return default


# --- orders ---------------------------------------------------------------------------------------------


@roles.area_required(roles.ORDERS)
@roles.reading_page
def overview(request):
    """The order desk list: filters (incl. open exceptions), search, sort, export, pages."""
    params = request.GET
    sort = params.get("sort", ORDER_DEFAULT_SORT)
    if sort.lstrip("-") not in ORDER_SORTS:
        sort = ORDER_DEFAULT_SORT
    exception = params.get("exception", "")
    orders = selectors.order_list(
        channel=params.get("channel", ""),
        status=params.get("status", ""),
        placed_from=parse_iso_date(params.get("placed_from")),
        placed_to=parse_iso_date(params.get("placed_to")),
        province=params.get("province", "").strip(),
        search=params.get("q", "").strip(),
        exception=exception,
        ordering=("-" if sort.startswith("-") else "") + ORDER_SORTS[sort.lstrip("-")],
    )
    show_personal = can_see_personal_data(request.user)
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="orders",
            fmt=fmt,
            headers=[
                _("Channel"),
                _("External id"),
                _("Placed at"),
                _("Status"),
                _("Customer"),
                _("Phone"),
                _("Province"),
                _("Total"),
                _("Currency"),
                _("Total (shop currency)"),
                _("Open exceptions"),
            ],
            rows=(
                (
                    o.channel.code,
                    o.external_id,
                    o.placed_at,
                    o.status,
                    o.customer.name if o.customer else "",
                    (o.customer.phone if show_personal else mask_phone(o.customer.phone))
                    if o.customer
                    else "",
                    o.province,
                    o.total,
                    o.currency,
                    o.total_shop,
                    " ".join(e.kind for e in o.open_exceptions),
                )
                for o in orders.iterator(chunk_size=2000)
            ),
        )
    page_obj = paginate(request, orders)
    page_obj.object_list = list(page_obj.object_list)
    for order in page_obj.object_list:
        order.badges = [_badge(e.kind) for e in order.open_exceptions]
    return render(
        request,
        "orders/overview.html",
        {
            **_desk(request, "orders"),
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "channels": selectors.channel_list(),
            "statuses": Order.Status.choices,
            "exception_kinds": [(kind, EXCEPTION_BADGES[kind][1]) for kind in OrderException.Kind.values],
            "exception_any": selectors.EXCEPTION_ANY,
            "filters": params,
            "columns": _sort_columns(request, sort, ORDER_SORTS),
            "show_personal": show_personal,
        },
    )


@roles.area_required(roles.ORDERS)
@roles.reading_page
def order_detail(request, pk: int):
    """One order: lines and where their units are held, totals, customer, timeline, exceptions."""
    try:
        order = selectors.order_get(pk=pk)
    except Order.DoesNotExist as exc:
        raise Http404 from exc
    lines = list(selectors.order_lines(order=order))
    lines_net = sum((line.net_amount for line in lines), start=0)
    exceptions = selectors.order_exception_list_for_order(order=order)
    for exception in exceptions:
        exception.badge = _badge(exception.kind)
    show_personal = can_see_personal_data(request.user)
    here = request.get_full_path()
    return render(
        request,
        "orders/detail.html",
        {
            **_desk(request, "orders"),
            "order": order,
            "lines": lines,
            "lines_net": lines_net,
            "backordered": sum(line.backordered for line in lines),
            "computed_total": lines_net - order.order_discount + order.shipping_fee + order.tax,
            "timeline": _timeline_rows(selectors.order_timeline(order=order)),
            "exceptions": exceptions,
            "open_exceptions": sum(1 for e in exceptions if e.resolved_at is None),
            "here": here,
            "show_personal": show_personal,
            "phone": (order.customer.phone if show_personal else mask_phone(order.customer.phone))
            if order.customer
            else "",
            "address": order.address if show_personal else mask_address(order.address),
        },
    )


def _timeline_rows(entries) -> list[dict]:
    statuses = dict(Order.Status.choices)
    rows = []
    for entry in entries:
        what = entry.kind_label if entry.source == "stock" else EVENT_LABELS.get(entry.kind, entry.kind)
        rows.append(
            {
                "entry": entry,
                "what": what,
                "from_status": statuses.get(entry.from_status, entry.from_status),
                "to_status": statuses.get(entry.to_status, entry.to_status),
            }
        )
    return rows


# --- exceptions -----------------------------------------------------------------------------------------


@roles.area_required(roles.ORDERS)
def exception_list(request):
    """What needs attention: open exceptions by kind, oldest first; resolve inline; scan for late orders.

    POST (operations, admin) runs the late-order scan and comes back to the same filters."""
    can_resolve = _holds(request.user, DESK_WRITERS)
    if request.method == "POST":
        if not can_resolve:
            raise PermissionDenied
        if request.POST.get("action") == "scan":
            raised = services.order_exceptions_scan()
            if raised:
                text = ngettext(
                    "Scan done: %(count)d order paid over 2 hours ago and not shipped is now late.",
                    "Scan done: %(count)d orders paid over 2 hours ago and not shipped are now late.",
                    raised,
                ) % {"count": raised}
                messages.warning(request, text)
            else:
                messages.success(request, _("Scan done: no new late orders."))
        return redirect(request.get_full_path())

    params = request.GET
    kind = params.get("kind", "") if params.get("kind") in OrderException.Kind.values else ""
    channel = params.get("channel", "")
    resolved = params.get("state") == "resolved"
    exceptions = selectors.order_exception_list(kind=kind, channel=channel, resolved=resolved)

    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="order-exceptions",
            fmt=fmt,
            headers=[
                _("Raised at"),
                _("Kind"),
                _("Channel"),
                _("Order"),
                _("Order status"),
                _("Detail"),
                _("Resolved at"),
                _("Resolved by"),
                _("Resolution note"),
            ],
            rows=(
                (
                    e.created_at,
                    e.kind,
                    e.order.channel.code,
                    e.order.external_id,
                    e.order.status,
                    e.detail,
                    e.resolved_at or "",
                    e.resolved_by.get_username() if e.resolved_by else "",
                    e.resolution_note,
                )
                for e in exceptions.iterator(chunk_size=2000)
            ),
        )

    page_obj = paginate(request, exceptions, per_page=EXCEPTION_PAGE_SIZE)
    page_obj.object_list = list(page_obj.object_list)
    for exception in page_obj.object_list:
        exception.badge = _badge(exception.kind)
    counts = selectors.order_exception_counts(channel=channel)
    kind_cards = [
        {**_badge(value), "count": counts[value], "active": value == kind}
        for value in OrderException.Kind.values
    ]
    return render(
        request,
        "orders/exceptions.html",
        {
            **_desk(request, "exceptions"),
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "filters": params,
            "kind": kind,
            "channel": channel,
            "resolved": resolved,
            "kind_cards": kind_cards,
            "open_total": sum(counts.values()),
            "channels": selectors.channel_list(),
            "exception_kinds": OrderException.Kind.choices,
            "here": request.get_full_path(),
        },
    )


@roles_required(DESK_WRITERS)
def exception_resolve(request, pk: int):
    """Resolve one exception with a note (POST), then go back to `next`. GET shows the form on its own,
    and a note left out comes back here with the error, nothing written."""
    try:
        exception = selectors.order_exception_get(pk=pk)
    except OrderException.DoesNotExist as exc:
        raise Http404 from exc
    default_next = reverse("orders:order-detail", args=[exception.order_id])
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"), default_next)
    status = 200
    if request.method == "POST":
        form = ExceptionResolveForm(request.POST)
        if exception.resolved_at is not None:
            messages.info(request, _("This exception was already resolved."))
            return redirect(next_url)
        if form.is_valid():
            note = form.cleaned_data["note"]
            try:
                exception = services.order_exception_resolve(
                    exception=exception, note=note, user=request.user
                )
            except ValidationError as exc:
                for message in exc.message_dict.get("note", exc.messages):
                    form.add_error("note", message)
            else:
                if exception.resolved_by_id == request.user.pk and exception.resolution_note == note:
                    messages.success(
                        request,
                        _("Resolved %(kind)s on order %(order)s.")
                        % {"kind": exception.get_kind_display(), "order": exception.order.external_id},
                    )
                else:  # someone else resolved it a moment before
                    messages.info(request, _("This exception was already resolved."))
                return redirect(next_url)
        status = 400
    else:
        form = ExceptionResolveForm(initial={"next": next_url})
    exception.badge = _badge(exception.kind)
    return render(
        request,
        "orders/exception_resolve.html",
        {**_desk(request, "exceptions"), "exception": exception, "form": form, "next_url": next_url},
        status=status,
    )


# --- customers ------------------------------------------------------------------------------------------


@roles.area_required(roles.ORDERS)
@roles.reading_page
def customer_detail(request, pk: int):
    """A customer: lifetime value, order count, first and last order, and their orders."""
    try:
        customer = selectors.customer_get(pk=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    show_personal = can_see_personal_data(request.user)
    page_obj = paginate(
        request, selectors.customer_orders(customer=customer), per_page=CUSTOMER_ORDERS_PAGE_SIZE
    )
    page_obj.object_list = list(page_obj.object_list)
    for order in page_obj.object_list:
        order.badges = [_badge(e.kind) for e in order.open_exceptions]
    return render(
        request,
        "orders/customer.html",
        {
            **_desk(request, "orders"),
            "customer": customer,
            "summary": selectors.customer_summary(customer=customer),
            "page_obj": page_obj,
            "query": querystring_without_page(request),
            "phone": customer.phone if show_personal else mask_phone(customer.phone),
            "email": customer.email if show_personal else mask_email(customer.email),
            "show_personal": show_personal,
            # Personal-data requests (export, erasure) are the admin's (shopops.privacy).
            "privacy_url": reverse("privacy:customer", args=[customer.pk])
            if roles.ADMIN in roles.user_roles(request.user)
            else "",
        },
    )


# --- channels -------------------------------------------------------------------------------------------


@roles_required(CHANNEL_READERS)
@roles.reading_page
def channel_list(request):
    """Channels with their fee rates and settlement terms; whether a webhook secret is set, not its value."""
    return render(
        request,
        "orders/channels.html",
        {
            **_desk(request, "channels"),
            "channels": selectors.channel_all(),
            "can_edit": _holds(request.user, CHANNEL_EDITORS),
        },
    )


@roles_required(CHANNEL_EDITORS)
def channel_edit(request, code: str):
    """Change a channel's settings and set, replace or remove its webhook secret (admin only)."""
    try:
        channel = selectors.channel_get(code=code)
    except Channel.DoesNotExist as exc:
        raise Http404 from exc
    if request.method == "POST":
        form = ChannelForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                channel_settings.channel_update(
                    channel=channel,
                    name=data["name"],
                    commission_rate=data["commission_rate"],
                    payment_fee_rate=data["payment_fee_rate"],
                    settlement_days=data["settlement_days"],
                    active=data["active"],
                    webhook_secret=data["webhook_secret"],
                    clear_secret=data["clear_secret"],
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        for message in errors:
                            form.add_error(field if field in form.fields else None, message)
                else:
                    for message in exc.messages:
                        form.add_error(None, message)
            else:
                if data["webhook_secret"]:
                    messages.success(
                        request,
                        _("Saved %(channel)s; the new webhook secret is set.") % {"channel": channel.name},
                    )
                elif data["clear_secret"]:
                    messages.success(
                        request,
                        _("Saved %(channel)s; the webhook secret was removed.") % {"channel": channel.name},
                    )
                else:
                    messages.success(request, _("Saved %(channel)s.") % {"channel": channel.name})
                return redirect("orders:channel-edit", code=channel.code)
    else:
        form = ChannelForm(
            initial={
                "name": channel.name,
                "commission_rate": channel.commission_rate,
                "payment_fee_rate": channel.payment_fee_rate,
                "settlement_days": channel.settlement_days,
                "active": channel.active,
            }
        )
    return render(
        request,
        "orders/channel_edit.html",
        {
            **_desk(request, "channels"),
            "channel": channel,
            "form": form,
            "secret_set": bool(channel.webhook_secret),
        },
        status=200 if request.method == "GET" or form.is_valid() else 400,
    )
