"""Pages of the stock ledger: the ledger list, adjustments, transfers and stocktakes.

Every inventory role reads them; writing (the forms and the POST actions) needs the change permission of
what is written (inventory planner, admin), else 403. Each action calls one service of inventory.ledger;
a refusal is shown as a message and writes nothing.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog import selectors as catalog_selectors
from inventory import ledger, selectors
from inventory.models import StockMovement, Stocktake, Transfer
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

ADJUST_PERMISSION = "inventory.change_stocklevel"
TRANSFER_PERMISSION = "inventory.change_transfer"
STOCKTAKE_PERMISSION = "inventory.change_stocktake"
SHEET_PAGE_SIZE = 100


def _warehouse_field(label):
    return forms.ModelChoiceField(
        label=label, queryset=selectors.warehouse_list(), to_field_name="code", empty_label=None
    )


def _sku_id(code: str) -> int | None:
    found = catalog_selectors.sku_ids_and_costs(codes=[code])
    return found[code][0] if code in found else None


# --- ledger -----------------------------------------------------------------------------------------------


class LedgerFilterForm(forms.Form):
    sku = forms.CharField(label=gettext_lazy("SKU code"), required=False)
    warehouse = forms.CharField(label=gettext_lazy("Warehouse"), required=False)
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"),
        required=False,
        choices=[("", gettext_lazy("All"))] + list(StockMovement.Kind.choices),
    )
    date_from = forms.DateField(label=gettext_lazy("From"), required=False)
    date_to = forms.DateField(label=gettext_lazy("To"), required=False)
    reference = forms.CharField(label=gettext_lazy("Reference"), required=False)


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def ledger_list(request):
    """The stock ledger, newest first, filtered by SKU, warehouse, kind, dates and reference."""
    form = LedgerFilterForm(request.GET)
    data = form.cleaned_data if form.is_valid() else {}
    movements = ledger.movement_list(
        sku=(data.get("sku") or "").strip(),
        warehouse=data.get("warehouse") or "",
        kind=data.get("kind") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        reference=(data.get("reference") or "").strip(),
    )
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="stock-ledger",
            fmt=fmt,
            headers=[
                _("At"),
                _("SKU"),
                _("Warehouse"),
                _("Kind"),
                _("On-hand change"),
                _("Reserved change"),
                _("Reference"),
                _("Reason"),
                _("By"),
            ],
            rows=(
                (
                    m.created_at,
                    m.sku.code,
                    m.warehouse.code,
                    m.kind,
                    m.on_hand_delta,
                    m.reserved_delta,
                    m.reference,
                    m.reason,
                    m.created_by.username if m.created_by else "",
                )
                for m in movements.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "inventory/ledger.html",
        {
            "form": form,
            "filters": request.GET,
            "kinds": StockMovement.Kind.choices,
            "warehouse_choices": selectors.warehouse_list(),
            "page_obj": paginate(request, movements),
            "query": querystring_without_page(request),
            "can_adjust": request.user.has_perm(ADJUST_PERMISSION),
        },
    )


# --- adjustment -------------------------------------------------------------------------------------------


class _SkuInWarehouseForm(forms.Form):
    """One SKU (by code) in one warehouse: the start of the single-movement forms."""

    warehouse = _warehouse_field(gettext_lazy("Warehouse"))
    sku = forms.CharField(label=gettext_lazy("SKU code"), max_length=64)

    def clean_sku(self):
        code = self.cleaned_data["sku"].strip()
        if _sku_id(code) is None:
            raise ValidationError(_("No SKU has this code."))
        return code


class AdjustForm(_SkuInWarehouseForm):
    delta = forms.IntegerField(
        label=gettext_lazy("Change in units"), help_text=gettext_lazy("Negative to take units off.")
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)


@roles.permission_required(roles.INVENTORY, ADJUST_PERMISSION)
def adjust(request):
    """Adjust one SKU's on hand in one warehouse, with a reason (damage, found, write-off...)."""
    form = AdjustForm(request.POST or None, initial={"sku": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ledger.stock_adjust(
                sku_id=_sku_id(data["sku"]),
                warehouse=data["warehouse"],
                delta=data["delta"],
                reason=data["reason"].strip(),
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("Adjusted %(sku)s in %(warehouse)s by %(delta)+d.")
                % {"sku": data["sku"], "warehouse": data["warehouse"].name, "delta": data["delta"]},
            )
            return redirect(f"{reverse('inventory:ledger')}?sku={data['sku']}")
    return render(request, "inventory/adjust.html", {"form": form})


# --- returns to stock -------------------------------------------------------------------------------------


class ReturnForm(_SkuInWarehouseForm):
    quantity = forms.IntegerField(label=gettext_lazy("Units back on the shelf"), min_value=1)
    reference = forms.CharField(
        label=gettext_lazy("Order or return number"),
        max_length=100,
        help_text=gettext_lazy("e.g. order tmall:T100023 or RMA-0042"),
    )
    reason = forms.CharField(
        label=gettext_lazy("Condition or reason"),
        max_length=200,
        required=False,
        help_text=gettext_lazy(
            "Only resaleable units go back to stock; write off the rest as an adjustment."
        ),
    )


@roles.permission_required(roles.INVENTORY, ADJUST_PERMISSION)
def return_create(request):
    """Put units a customer sent back on the shelf (a return movement in the ledger)."""
    form = ReturnForm(request.POST or None, initial={"sku": request.GET.get("sku", "")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ledger.stock_return(
                sku_id=_sku_id(data["sku"]),
                warehouse=data["warehouse"],
                quantity=data["quantity"],
                reference=data["reference"],
                reason=data["reason"],
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request,
                _("%(quantity)d units of %(sku)s are back in stock in %(warehouse)s.")
                % {"quantity": data["quantity"], "sku": data["sku"], "warehouse": data["warehouse"].name},
            )
            return redirect(f"{reverse('inventory:ledger')}?sku={data['sku']}&kind=return")
    return render(request, "inventory/return.html", {"form": form})


# --- transfers --------------------------------------------------------------------------------------------


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def transfer_list(request):
    transfers = ledger.transfer_list(
        status=request.GET.get("status", ""), warehouse=request.GET.get("warehouse", "")
    )
    return render(
        request,
        "inventory/transfers.html",
        {
            "page_obj": paginate(request, transfers),
            "query": querystring_without_page(request),
            "filters": request.GET,
            "statuses": Transfer.Status.choices,
            "warehouse_choices": selectors.warehouse_list(),
            "can_edit": request.user.has_perm(TRANSFER_PERMISSION),
        },
    )


LINE_RE = re.compile(r"^\s*(?P<code>[^\s,;]+)[\s,;]+(?P<qty>-?\d+)\s*$")


class TransferForm(forms.Form):
    source = _warehouse_field(gettext_lazy("From"))
    destination = _warehouse_field(gettext_lazy("To"))
    expected_on = forms.DateField(
        label=gettext_lazy("Expected arrival"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    lines = forms.CharField(
        label=gettext_lazy("Lines"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("One line per SKU: the SKU code and the quantity, e.g. “SKU-0001 12”."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)

    def clean_lines(self):
        parsed = []
        errors = []
        codes = []
        for number, text in enumerate(self.cleaned_data["lines"].splitlines(), start=1):
            if not text.strip():
                continue
            match = LINE_RE.match(text)
            if not match:
                errors.append(_("Line %(n)s: write a SKU code and a quantity.") % {"n": number})
                continue
            codes.append(match["code"])
            parsed.append((number, match["code"], int(match["qty"])))
        found = catalog_selectors.sku_ids_and_costs(codes=codes) if codes else {}
        lines = []
        for number, code, qty in parsed:
            if code not in found:
                errors.append(_("Line %(n)s: no SKU has the code %(code)s.") % {"n": number, "code": code})
            else:
                lines.append((found[code][0], qty))
        if errors:
            raise ValidationError(errors)
        if not lines:
            raise ValidationError(_("A transfer needs at least one line."))
        return lines


@roles.permission_required(roles.INVENTORY, TRANSFER_PERMISSION)
def transfer_create(request):
    form = TransferForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = ledger.transfer_create(
                source=data["source"],
                destination=data["destination"],
                lines=data["lines"],
                expected_on=data["expected_on"],
                note=data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Transfer %(number)s drafted.") % {"number": transfer.number})
            return redirect("inventory:transfer-detail", number=transfer.number)
    return render(request, "inventory/transfers_create.html", {"form": form})


@roles.area_required(roles.INVENTORY)
def transfer_detail(request, number: str):
    """A transfer; planners ship it (draft), receive it (in transit, partly or wholly) or cancel it."""
    transfer = get_object_or_404(Transfer.objects.select_related("source", "destination"), number=number)
    can_edit = request.user.has_perm(TRANSFER_PERMISSION)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action == "ship":
                expected = forms.DateField(required=False).clean(request.POST.get("expected_on") or None)
                ledger.transfer_ship(transfer=transfer, expected_on=expected, user=request.user)
                messages.success(request, _("Transfer shipped: the goods are in transit."))
            elif action == "receive":
                ledger.transfer_receive(
                    transfer=transfer,
                    quantities=_line_quantities(request.POST, "receive-"),
                    user=request.user,
                )
                messages.success(request, _("Receipt recorded."))
            elif action == "close_short":
                ledger.transfer_close_short(
                    transfer=transfer, reason=request.POST.get("reason", ""), user=request.user
                )
                messages.success(request, _("Transfer closed; the missing units are no longer in transit."))
            elif action == "cancel":
                ledger.transfer_cancel(transfer=transfer, user=request.user)
                messages.success(request, _("Transfer cancelled."))
            else:
                return HttpResponseBadRequest(_("Unknown action."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("inventory:transfer-detail", number=transfer.number)
    lines = transfer.lines.select_related("sku").order_by("sku__code")
    for line in lines:
        line.outstanding = line.quantity - line.received
    return render(
        request,
        "inventory/transfers_detail.html",
        {
            "transfer": transfer,
            "lines": lines,
            "can_edit": can_edit,
            "movements": ledger.movement_list(reference=transfer.number)[:200],
        },
    )


def _line_quantities(post, prefix: str, *, blank_is_none: bool = False) -> dict[int, int | None]:
    """{line id: integer} from fields named prefix<line id>; a non-integer value is refused."""
    values = {}
    for key, raw in post.items():
        if not key.startswith(prefix):
            continue
        try:
            line_id = int(key[len(prefix) :])
        except ValueError:
            continue
        raw = raw.strip()
        if raw == "":
            if blank_is_none:
                values[line_id] = None
            continue
        try:
            values[line_id] = int(raw)
        except ValueError as exc:
            raise ValidationError(_("Quantities must be whole numbers.")) from exc
    return values


# --- stocktakes -------------------------------------------------------------------------------------------


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def stocktake_list(request):
    stocktakes = ledger.stocktake_list(
        status=request.GET.get("status", ""), warehouse=request.GET.get("warehouse", "")
    )
    return render(
        request,
        "inventory/stocktakes.html",
        {
            "page_obj": paginate(request, stocktakes),
            "query": querystring_without_page(request),
            "filters": request.GET,
            "statuses": Stocktake.Status.choices,
            "warehouse_choices": selectors.warehouse_list(),
            "can_edit": request.user.has_perm(STOCKTAKE_PERMISSION),
        },
    )


class StocktakeForm(forms.Form):
    warehouse = _warehouse_field(gettext_lazy("Warehouse"))
    zone = forms.CharField(
        label=gettext_lazy("Zone"),
        max_length=60,
        required=False,
        help_text=gettext_lazy(
            "A category code prefix (e.g. “kitchen”): only SKUs of those categories are counted. "
            "Blank: the whole warehouse."
        ),
    )


@roles.permission_required(roles.INVENTORY, STOCKTAKE_PERMISSION)
def stocktake_create(request):
    form = StocktakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            stocktake = ledger.stocktake_create(
                warehouse=form.cleaned_data["warehouse"], zone=form.cleaned_data["zone"], user=request.user
            )
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(
                request, _("Count sheet %(number)s made: count the goods.") % {"number": stocktake.number}
            )
            return redirect("inventory:stocktake-detail", number=stocktake.number)
    return render(request, "inventory/stocktake_create.html", {"form": form})


@roles.area_required(roles.INVENTORY)
def stocktake_detail(request, number: str):
    """The count sheet (counting), the variances (review) and the adjustments made (approved)."""
    stocktake = get_object_or_404(Stocktake.objects.select_related("warehouse", "approved_by"), number=number)
    can_edit = request.user.has_perm(STOCKTAKE_PERMISSION)
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied
        action = request.POST.get("action")
        try:
            if action in ("count", "submit"):
                counts = _line_quantities(request.POST, "count-", blank_is_none=True)
                if counts:
                    ledger.stocktake_count(stocktake=stocktake, counts=counts, user=request.user)
                if action == "submit":
                    ledger.stocktake_submit(stocktake=stocktake, user=request.user)
                    messages.success(request, _("Counts submitted for variance review."))
                else:
                    messages.success(request, _("Counts saved."))
            elif action == "add_line":
                code = request.POST.get("sku", "").strip()
                sku_id = _sku_id(code) if code else None
                if sku_id is None:
                    raise ValidationError(_("No SKU has this code."))
                counted = forms.IntegerField(min_value=0).clean(request.POST.get("counted"))
                ledger.stocktake_line_add(
                    stocktake=stocktake, sku_id=sku_id, counted=counted, user=request.user
                )
                messages.success(request, _("%(sku)s added to the sheet.") % {"sku": code})
            elif action == "approve":
                written = ledger.stocktake_approve(stocktake=stocktake, user=request.user)
                messages.success(
                    request, _("Approved: %(count)s adjustments written.") % {"count": len(written)}
                )
            elif action == "cancel":
                ledger.stocktake_cancel(stocktake=stocktake, user=request.user)
                messages.success(request, _("Stocktake cancelled."))
            else:
                return HttpResponseBadRequest(_("Unknown action."))
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        page = request.POST.get("page", "")
        url = reverse("inventory:stocktake-detail", kwargs={"number": stocktake.number})
        return redirect(f"{url}?page={page}" if page.isdigit() else url)
    review = stocktake.status != Stocktake.Status.COUNTING
    only_variances = review and request.GET.get("all") != "1"
    lines = ledger.stocktake_line_list(stocktake=stocktake, only_variances=only_variances)
    return render(
        request,
        "inventory/stocktake_detail.html",
        {
            "stocktake": stocktake,
            "page_obj": paginate(request, lines, per_page=SHEET_PAGE_SIZE),
            "query": querystring_without_page(request),
            "only_variances": only_variances,
            "summary": ledger.stocktake_variance_summary(stocktake=stocktake),
            "can_edit": can_edit,
            "counting": stocktake.status == Stocktake.Status.COUNTING,
            "in_review": stocktake.status == Stocktake.Status.REVIEW,
        },
    )
