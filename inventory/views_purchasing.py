"""Suppliers and purchase orders: lists, the supplier page with its scorecard, the PO page with its actions.

Everyone in the inventory area reads these pages; writing (supplier upkeep, creating and moving POs,
receiving) needs `inventory.change_supplier` / `inventory.change_purchaseorder` (inventory planner, admin).
Pages that only write (supplier create/edit, PO create) are 403 without it; on read pages a POST is.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inventory import charts, purchasing
from inventory import selectors as inventory_selectors
from inventory.models import PurchaseOrder, Supplier, Warehouse
from shopops.common import roles
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.forms import errors_to_form
from shopops.common.pagination import paginate, querystring_without_page

Status = PurchaseOrder.Status
SHORTFALL_SHOWN = 50
LINE_ROWS_EXTRA = 5


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# ---------------------------------------------------------------------------------------------------------
# Forms (shape only; the services validate the business rules)


def _bootstrap(form) -> None:
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select form-select-sm")
        else:
            widget.attrs.setdefault("class", "form-control form-control-sm")


class SupplierForm(forms.ModelForm):
    class Meta:
        model = Supplier
        fields = list(purchasing.SUPPLIER_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class _Styled:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)


class SupplierSKUForm(_Styled, forms.Form):
    sku_code = forms.CharField(label=gettext_lazy("SKU code"), max_length=64)
    unit_cost = forms.DecimalField(
        label=gettext_lazy("Unit cost"), max_digits=14, decimal_places=2, min_value=0
    )
    min_order_qty = forms.IntegerField(label=gettext_lazy("Minimum order quantity"), min_value=1, initial=1)
    case_pack = forms.IntegerField(label=gettext_lazy("Case pack"), min_value=1, initial=1)


class POHeaderForm(_Styled, forms.Form):
    supplier = forms.ModelChoiceField(
        label=gettext_lazy("Supplier"), queryset=Supplier.objects.filter(active=True), to_field_name="code"
    )
    warehouse = forms.ModelChoiceField(
        label=gettext_lazy("Warehouse"), queryset=Warehouse.objects.filter(active=True), to_field_name="code"
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=300, required=False)


class POLineForm(_Styled, forms.Form):
    sku_code = forms.CharField(label=gettext_lazy("SKU code"), max_length=64, required=False)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, required=False)
    unit_cost = forms.DecimalField(
        label=gettext_lazy("Unit cost"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=gettext_lazy("Blank: the supplier's cost."),
    )

    def clean(self):
        data = super().clean()
        if data.get("sku_code") and not data.get("quantity"):
            self.add_error("quantity", _("Enter a quantity."))
        return data


POLineFormSet = forms.formset_factory(POLineForm, extra=LINE_ROWS_EXTRA)


def _line_inputs(formset) -> list[purchasing.LineInput]:
    return [
        purchasing.LineInput(
            sku_code=f.cleaned_data["sku_code"].strip(),
            quantity=f.cleaned_data["quantity"],
            unit_cost=f.cleaned_data.get("unit_cost"),
        )
        for f in formset.forms
        if f.cleaned_data.get("sku_code")
    ]


def _receive_form(lines, data=None):
    """A receipt form: the date, and per open line the units that arrived and how many are defective."""
    fields = {
        "received_on": forms.DateField(
            label=gettext_lazy("Received on"), widget=forms.DateInput(attrs={"type": "date"})
        )
    }
    for line in lines:
        fields[f"qty_{line.pk}"] = forms.IntegerField(min_value=0, required=False, initial=0)
        fields[f"def_{line.pk}"] = forms.IntegerField(min_value=0, required=False, initial=0)
    form_class = type("ReceiveForm", (forms.Form,), fields)
    return form_class(data, initial={"received_on": timezone.localdate()}, prefix="rcv")


def _date_value(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else (value or "")


# ---------------------------------------------------------------------------------------------------------
# Suppliers


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def supplier_list(request):
    params = request.GET
    suppliers = purchasing.supplier_list(search=params.get("q", "").strip(), tier=params.get("tier", ""))
    shortfall = purchasing.sku_supplier_shortfall_list()
    return render(
        request,
        "inventory/supplier_list.html",
        {
            "page_obj": paginate(request, suppliers),
            "query": querystring_without_page(request),
            "filters": params,
            "tiers": Supplier.Tier.choices,
            "shortfall": list(shortfall[:SHORTFALL_SHOWN]),
            "shortfall_count": shortfall.count(),
            "minimum": purchasing.MIN_QUALIFIED_SUPPLIERS,
            "can_edit": request.user.has_perm(purchasing.SUPPLIER_EDIT_PERMISSION),
        },
    )


@roles.area_required(roles.INVENTORY)
def supplier_detail(request, code: str):
    supplier = get_object_or_404(Supplier, code=code)
    roles.post_requires(request, purchasing.SUPPLIER_EDIT_PERMISSION)
    sku_form = SupplierSKUForm()
    if request.method == "POST":
        if request.POST.get("action") == "remove":
            purchasing.supplier_sku_delete(supplier=supplier, sku_id=int(request.POST.get("sku_id") or 0))
            messages.success(request, _("Removed the SKU from the supplier."))
            return redirect("inventory:supplier-detail", code=supplier.code)
        sku_form = SupplierSKUForm(request.POST)
        if sku_form.is_valid():
            try:
                purchasing.supplier_sku_save(supplier=supplier, **sku_form.cleaned_data)
            except ValidationError as exc:
                errors_to_form(sku_form, exc)
            else:
                messages.success(
                    request,
                    _("Saved %(code)s for this supplier.") % {"code": sku_form.cleaned_data["sku_code"]},
                )
                return redirect("inventory:supplier-detail", code=supplier.code)
    scorecard = purchasing.supplier_scorecard(supplier)
    names = {
        "on_time_rate": _("On-time rate"),
        "fill_rate": _("Fill rate"),
        "defect_rate": _("Defect rate"),
    }
    return render(
        request,
        "inventory/supplier_detail.html",
        {
            "supplier": supplier,
            "page_obj": paginate(request, purchasing.supplier_sku_list(supplier=supplier)),
            "query": querystring_without_page(request),
            "scorecard": scorecard,
            "trend": [(names[key], scorecard.trend[key], key) for key in purchasing.SCORE_RATES],
            "chart": charts.scorecard_figure(
                scorecard.quarters, names=names, title=_("Scorecard by quarter")
            ),
            "recent_orders": purchasing.purchase_order_list(supplier=supplier.code)[:10],
            "sku_form": sku_form,
            "can_edit": request.user.has_perm(purchasing.SUPPLIER_EDIT_PERMISSION),
        },
        status=400 if sku_form.errors else 200,
    )


@roles.permission_required(roles.INVENTORY, purchasing.SUPPLIER_EDIT_PERMISSION)
def supplier_edit(request, code: str | None = None):
    supplier = get_object_or_404(Supplier, code=code) if code else None
    form = SupplierForm(request.POST or None, instance=supplier)
    if request.method == "POST" and form.is_valid():
        try:
            saved = purchasing.supplier_save(supplier=supplier, data=form.cleaned_data, user=request.user)
        except ValidationError as exc:
            errors_to_form(form, exc)
        else:
            messages.success(request, _("Saved supplier %(name)s.") % {"name": saved.name})
            return redirect("inventory:supplier-detail", code=saved.code)
    return render(
        request,
        "inventory/supplier_form.html",
        {"form": form, "supplier": supplier},
        status=400 if form.errors else 200,
    )


# ---------------------------------------------------------------------------------------------------------
# Purchase orders


@roles.area_required(roles.INVENTORY)
@roles.reading_page
def po_list(request):
    params = request.GET
    orders = purchasing.purchase_order_list(
        status=params.get("status", ""),
        supplier=params.get("supplier", ""),
        warehouse=params.get("warehouse", ""),
        late=params.get("late") == "1",
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="purchase-orders",
            fmt=fmt,
            headers=[
                _("Number"),
                _("Supplier"),
                _("Warehouse"),
                _("Status"),
                _("Ordered on"),
                _("Expected"),
                _("First received"),
                _("Currency"),
                _("Amount"),
            ],
            rows=(
                (
                    po.number,
                    po.supplier.code,
                    po.warehouse.code,
                    po.get_status_display(),
                    po.ordered_on,
                    po.expected_on,
                    po.received_on,
                    po.currency,
                    po.amount,
                )
                for po in orders.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "inventory/po_list.html",
        {
            "page_obj": paginate(request, orders),
            "query": querystring_without_page(request),
            "filters": params,
            "statuses": Status.choices,
            "suppliers": Supplier.objects.order_by("code"),
            "warehouses": inventory_selectors.warehouse_list(),
            "today": timezone.localdate(),
            "late_statuses": [Status.SENT, Status.PARTIAL],
            "can_edit": request.user.has_perm(purchasing.EDIT_PERMISSION),
        },
    )


@roles.permission_required(roles.INVENTORY, purchasing.EDIT_PERMISSION)
def po_create(request):
    header = POHeaderForm(request.POST or None, initial={"supplier": request.GET.get("supplier")})
    formset = POLineFormSet(request.POST or None, prefix="lines")
    errors: list[str] = []
    if request.method == "POST" and header.is_valid() and formset.is_valid():
        lines = _line_inputs(formset)
        try:
            order = purchasing.po_create(
                supplier=header.cleaned_data["supplier"],
                warehouse=header.cleaned_data["warehouse"],
                lines=lines,
                note=header.cleaned_data["note"],
                user=request.user,
            )
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, _("Created purchase order %(number)s.") % {"number": order.number})
            return redirect("inventory:po-detail", number=order.number)
    bad = request.method == "POST"
    return render(
        request,
        "inventory/po_create.html",
        {"header": header, "formset": formset, "errors": errors},
        status=400 if bad else 200,
    )


ACTIONS = {
    "approve": lambda order, request: purchasing.po_approve(order=order, user=request.user),
    "send": lambda order, request: purchasing.po_send(order=order, user=request.user),
    "close": lambda order, request: purchasing.po_close(order=order, user=request.user),
    "cancel": lambda order, request: purchasing.po_cancel(order=order, user=request.user),
}
DONE = {
    "approve": gettext_lazy("Approved %(number)s."),
    "send": gettext_lazy("Sent %(number)s to the supplier."),
    "close": gettext_lazy("Closed %(number)s."),
    "cancel": gettext_lazy("Cancelled %(number)s."),
    "receive": gettext_lazy("Received goods on %(number)s."),
    "lines": gettext_lazy("Saved the lines of %(number)s."),
}


@roles.area_required(roles.INVENTORY)
def po_detail(request, number: str):
    try:
        order = purchasing.po_get(number=number)
    except PurchaseOrder.DoesNotExist as exc:
        raise Http404 from exc
    roles.post_requires(request, purchasing.EDIT_PERMISSION)
    lines = list(purchasing.po_line_list(order=order))
    open_lines = [line for line in lines if line.open_qty > 0]
    receive_form = _receive_form(open_lines)
    line_formset = POLineFormSet(
        prefix="lines",
        initial=[
            {"sku_code": ln.sku.code, "quantity": ln.quantity, "unit_cost": ln.unit_cost} for ln in lines
        ],
    )
    errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ACTIONS:
                ACTIONS[action](order, request)
            elif action == "receive":
                receive_form = _receive_form(open_lines, request.POST)
                if not receive_form.is_valid():
                    raise ValidationError(_("Check the quantities and the date."))
                data = receive_form.cleaned_data
                purchasing.po_receive(
                    order=order,
                    receipts=[
                        purchasing.ReceiptInput(
                            line_id=line.pk,
                            quantity=data.get(f"qty_{line.pk}") or 0,
                            defective=data.get(f"def_{line.pk}") or 0,
                        )
                        for line in open_lines
                    ],
                    received_on=data["received_on"],
                    user=request.user,
                )
            elif action == "lines":
                line_formset = POLineFormSet(request.POST, prefix="lines")
                if not line_formset.is_valid():
                    raise ValidationError(_("Check the lines."))
                purchasing.po_update_lines(order=order, lines=_line_inputs(line_formset), user=request.user)
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as exc:
            errors = _errors(exc)
        else:
            messages.success(request, DONE[action] % {"number": order.number})
            return redirect("inventory:po-detail", number=order.number)
    can_edit = request.user.has_perm(purchasing.EDIT_PERMISSION)
    return render(
        request,
        "inventory/po_detail.html",
        {
            "order": order,
            "lines": lines,
            "line_rows": [
                (line, receive_form[f"qty_{line.pk}"], receive_form[f"def_{line.pk}"])
                if line.open_qty > 0
                else (line, None, None)
                for line in lines
            ],
            "received_on_value": _date_value(receive_form["received_on"].value()),
            "receive_form": receive_form,
            "line_formset": line_formset,
            "receipts": purchasing.po_receipt_list(order=order),
            "problems": purchasing.po_line_problems(order) if order.status == Status.DRAFT else [],
            "errors": errors,
            "can_edit": can_edit,
            "can": {
                "approve": can_edit and order.status == Status.DRAFT,
                "edit": can_edit and order.status == Status.DRAFT,
                "send": can_edit and order.status == Status.APPROVED,
                "receive": can_edit and order.status in (Status.SENT, Status.PARTIAL) and bool(open_lines),
                "close": can_edit and order.status in (Status.RECEIVED, Status.PARTIAL),
                "cancel": can_edit and order.status in (Status.DRAFT, Status.APPROVED, Status.SENT),
            },
        },
        status=400 if errors else 200,
    )
