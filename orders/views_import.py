"""The marketplace order import page: upload a CSV export → preview (counts, row errors) → confirm.

Nothing is stored between the steps: the preview carries the file, signed, in its confirm form; the confirm
step reads and checks it again before applying, all or nothing.
"""

import csv

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders import imports
from orders.forms import ORDER_IMPORT_MAX_BYTES, OrderImportConfirmForm, OrderImportForm, order_import_sign
from orders.views_rates import roles_required
from shopops.common import roles

ORDER_IMPORTERS = frozenset({roles.OPERATIONS, roles.ADMIN})
PREVIEW_ROWS_SHOWN = 200
TEMPLATE = "orders/order_import.html"

# The page's format table: (column, required, aliases, what it holds)
COLUMN_HELP = (
    (
        "order_id",
        True,
        gettext_lazy("The marketplace's order number. Rows with the same number are one order."),
    ),
    (
        "placed_at",
        True,
        gettext_lazy("When the order was placed: 2026-06-18 10:21:00 (shop time) or ISO 8601."),
    ),
    (
        "status",
        True,
        gettext_lazy("pending, paid, shipped, delivered, cancelled, returned, refunded, or Chinese."),
    ),
    (
        "customer_id",
        False,
        gettext_lazy("The buyer's id on the marketplace; when blank, the phone number is used."),
    ),
    ("customer_name", False, gettext_lazy("The recipient's name.")),
    ("phone", False, gettext_lazy("The recipient's phone.")),
    ("province", False, gettext_lazy("The shipping province, such as 上海 or 广东省.")),
    ("sku", True, gettext_lazy("Our SKU code (the merchant code in the marketplace).")),
    ("quantity", True, gettext_lazy("Units, a whole number of at least 1.")),
    ("unit_price", True, gettext_lazy("Price of one unit before discounts.")),
    ("line_discount", False, gettext_lazy("Discount on this line, as an amount (default 0).")),
    ("order_discount", False, gettext_lazy("Discount on the whole order, as an amount (default 0).")),
    ("shipping_fee", False, gettext_lazy("Shipping charged to the buyer (default 0).")),
    ("total", True, gettext_lazy("What the buyer paid for the whole order.")),
)
TEMPLATE_ROWS = (
    ("TB20260618001", "2026-06-18 10:21:00", "已付款", "tb_wangfang", "王芳", "13800000000", "上海")
    + ("SKU-0001", "2", "129.00", "20.00", "0.00", "0.00", "297.00"),
    ("TB20260618001", "", "", "", "", "", "", "SKU-0002", "1", "59.00", "0.00", "", "", ""),
)


def _template_csv() -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="order-import-template.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 with a BOM correctly
    writer = csv.writer(response)
    writer.writerow(imports.IMPORT_COLUMNS)
    writer.writerows(TEMPLATE_ROWS)
    return response


def _page(request, context: dict, status: int = 200):
    context = {
        "form": OrderImportForm(),
        "columns": [
            (column, required, imports.HEADER_ALIASES.get(column, ()), text)
            for column, required, text in COLUMN_HELP
        ],
        "status_aliases": imports.STATUS_ALIASES.items(),
        "max_mb": ORDER_IMPORT_MAX_BYTES // (1024 * 1024),
        **context,
    }
    return render(request, TEMPLATE, context, status=status)


@roles_required(read=ORDER_IMPORTERS, write=ORDER_IMPORTERS)
def order_import(request):
    """Import a marketplace's CSV export of orders (see orders.imports for the rules)."""
    if request.method != "POST":
        if request.GET.get("template") == "csv":
            return _template_csv()
        return _page(request, {})

    if "payload" in request.POST:
        confirm = OrderImportConfirmForm(request.POST, user=request.user)
        if not confirm.is_valid():
            return _page(request, {"confirm_errors": confirm.errors["payload"]}, status=400)
        payload = confirm.cleaned_data["payload"]
        include = confirm.cleaned_data["include_mismatched"]
        result = imports.order_csv_import(
            channel_code=payload["channel"], text=payload["text"], apply=True, include_mismatched=include
        )
        if not result.applied:  # the data changed since the preview (an order moved on, a SKU went away)
            return _preview(
                request, channel=payload["channel"], name=payload["name"], text=payload["text"], result=result
            )
        _message_applied(request, payload["name"], result)
        return redirect(f"{reverse('orders:overview')}?{urlencode({'channel': payload['channel']})}")

    form = OrderImportForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, {"form": form})
    channel = form.cleaned_data["channel"]
    name = form.cleaned_data["file"].name
    result = imports.order_csv_import(channel_code=channel, text=form.text, apply=False)
    return _preview(request, channel=channel, name=name, text=form.text, result=result)


def _message_applied(request, name: str, result: imports.OrderImportResult) -> None:
    counts = {
        "name": name,
        "created": result.regular.created + result.flagged.created,
        "updated": result.regular.updated + result.flagged.updated,
        "unchanged": result.regular.unchanged + result.flagged.unchanged,
    }
    text = (
        _("Imported %(name)s. New orders: %(created)s, updated: %(updated)s, unchanged: %(unchanged)s.")
        % counts
    )
    if result.include_mismatched and result.mismatches:
        text += " " + _("%(count)s order(s) with totals that do not add up are in the exceptions queue.") % {
            "count": len(result.mismatches)
        }
    elif result.skipped:
        text += " " + _("%(count)s order(s) with totals that do not add up were left out.") % {
            "count": result.skipped
        }
    messages.success(request, text)


def _preview(request, *, channel: str, name: str, text: str, result: imports.OrderImportResult):
    can_apply = result.ok and (result.to_write + result.mismatched_to_write) > 0
    confirm = None
    if can_apply:
        confirm = OrderImportConfirmForm(
            initial={"payload": order_import_sign(user=request.user, channel=channel, name=name, text=text)},
            user=request.user,
        )
    return _page(
        request,
        {
            "name": name,
            "channel": channel,
            "result": result,
            "errors": result.errors[:PREVIEW_ROWS_SHOWN],
            "errors_hidden": max(len(result.errors) - PREVIEW_ROWS_SHOWN, 0),
            "mismatches": result.mismatches[:PREVIEW_ROWS_SHOWN],
            "mismatches_hidden": max(len(result.mismatches) - PREVIEW_ROWS_SHOWN, 0),
            "confirm": confirm,
            "form": OrderImportForm(initial={"channel": channel}),
        },
    )
