"""Cash and commitments pages: cash accounts (balances, transactions, manual entries, bank statement
import), channel settlements (import, list), receivables by channel, payables by supplier (and supplier
payments), and the expenses (commitments) with the safety cushion.

Reading pages are open to the finance area (finance, manager, admin); every write needs the finance
model permission, so a manager's POST answers 403."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from finance import imports
from finance.forms_cash import (
    IMPORT_MAX_BYTES,
    CashAccountForm,
    CashTransactionForm,
    CommitmentForm,
    ImportConfirmForm,
    SettlementImportForm,
    StatementImportForm,
    SupplierPaymentForm,
)
from finance.models import CashAccount, CashCategory, Commitment
from finance.selectors import cash as selectors
from finance.services import cash as services
from shopops.common import roles
from shopops.common.dates import parse_iso_date, shop_today
from shopops.common.export import EXPORT_FORMATS, export_response
from shopops.common.pagination import paginate, querystring_without_page

AREA = roles.FINANCE_AREA
PREVIEW_ROWS_SHOWN = 200
STATEMENT_SALT = "finance.statement-import-preview"
SETTLEMENT_SALT = "finance.settlement-import-preview"

ADD_ACCOUNT = "finance.add_cashaccount"
CHANGE_ACCOUNT = "finance.change_cashaccount"
ADD_TRANSACTION = "finance.add_cashtransaction"
ADD_SETTLEMENT = "finance.add_settlement"
ADD_PAYMENT = "finance.add_supplierpayment"
ADD_COMMITMENT = "finance.add_commitment"
CHANGE_COMMITMENT = "finance.change_commitment"


def _form_errors(form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: field errors where the form has the field."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _category_labels() -> dict[str, str]:
    return {code: str(label) for code, label in CashCategory.choices}


def _read_only(request, permission: str):
    """A reading page takes no POST: 403 without the area's write permission (a manager), else 405."""
    roles.post_requires(request, permission)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return None


def _get_account(code: str) -> CashAccount:
    try:
        return selectors.account_get(code=code)
    except CashAccount.DoesNotExist as exc:
        raise Http404 from exc


def _date_filters(params) -> tuple:
    return parse_iso_date(params.get("from")), parse_iso_date(params.get("to"))


# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------
@roles.area_required(AREA)
def account_list(request):
    """Every cash account with its balance today, and the total cash over active accounts."""
    refused = _read_only(request, CHANGE_ACCOUNT)
    if refused:
        return refused
    today = shop_today()
    rows, total = selectors.accounts_with_balances(as_of=today)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"cash-accounts-{today.isoformat()}",
            fmt=fmt,
            headers=[_("Code"), _("Name"), _("Kind"), _("Currency"), _("Active"), _("Balance"), _("As of")],
            rows=(
                (
                    r["account"].code,
                    r["account"].name,
                    r["account"].get_kind_display(),
                    r["account"].currency,
                    _("yes") if r["account"].active else _("no"),
                    r["balance"],
                    today,
                )
                for r in rows
            ),
        )
    return render(
        request,
        "finance/cash/account_list.html",
        {
            "page_obj": paginate(request, rows),
            "query": querystring_without_page(request),
            "total": total,
            "today": today,
            "can_add": request.user.has_perm(ADD_ACCOUNT),
        },
    )


def _account_form_page(request, *, account: CashAccount | None, permission: str):
    roles.post_requires(request, permission)
    form = CashAccountForm(request.POST or None, instance=account)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.account_save(account=account, data=form.cleaned_data, user=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Account %(code)s saved.") % {"code": saved.code})
            return redirect("finance:account-detail", code=saved.code)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "finance/cash/account_form.html",
        {"form": form, "account": account, "can_write": request.user.has_perm(permission)},
        status=status,
    )


@roles.area_required(AREA)
def account_create(request):
    return _account_form_page(request, account=None, permission=ADD_ACCOUNT)


@roles.area_required(AREA)
def account_edit(request, code: str):
    account = _get_account(code)
    return _account_form_page(request, account=account, permission=CHANGE_ACCOUNT)


@roles.area_required(AREA)
def account_detail(request, code: str):
    """An account's transactions, newest first: category and date filters, totals, export."""
    refused = _read_only(request, CHANGE_ACCOUNT)
    if refused:
        return refused
    account = _get_account(code)
    params = request.GET
    category = params.get("category", "") if params.get("category", "") in CashCategory.values else ""
    date_from, date_to = _date_filters(params)
    items = selectors.transaction_list(
        account=account, category=category, date_from=date_from, date_to=date_to
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        labels = _category_labels()
        return export_response(
            filename=f"transactions-{account.code}",
            fmt=fmt,
            headers=[
                _("Date"),
                _("Amount"),
                _("Category"),
                _("Description"),
                _("Counterparty"),
                _("Reference"),
                _("Source"),
            ],
            rows=(
                (
                    t.booked_on,
                    t.amount,
                    labels.get(t.category, t.category),
                    t.description,
                    t.counterparty,
                    t.reference,
                    t.get_source_display(),
                )
                for t in items.iterator(chunk_size=2000)
            ),
        )
    today = shop_today()
    return render(
        request,
        "finance/cash/account_detail.html",
        {
            "account": account,
            "balance": selectors.account_balance(account=account, as_of=today),
            "today": today,
            "page_obj": paginate(request, items),
            "query": querystring_without_page(request),
            "totals": selectors.transaction_totals(items),
            "filters": params,
            "categories": CashCategory.choices,
            "can_add": request.user.has_perm(ADD_TRANSACTION),
            "can_edit": request.user.has_perm(CHANGE_ACCOUNT),
        },
    )


@roles.area_required(AREA)
def transaction_create(request, code: str):
    """Book one movement on the account by hand."""
    account = _get_account(code)
    roles.post_requires(request, ADD_TRANSACTION)
    form = CashTransactionForm(request.POST or None, initial={"booked_on": shop_today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.transaction_add(account=account, user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("Transaction booked."))
            return redirect("finance:account-detail", code=account.code)
    return render(
        request,
        "finance/cash/transaction_form.html",
        {"form": form, "account": account, "can_write": request.user.has_perm(ADD_TRANSACTION)},
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------
# Imports: upload -> preview (a dry run) -> confirm (all or nothing)
# ---------------------------------------------------------------------------------------------
STATEMENT_HELP = (
    ("date", True, gettext_lazy("The booking date: 2026-03-05, 2026/3/5 or 2026年3月5日.")),
    (
        "amount",
        False,
        gettext_lazy("Signed: positive money in, negative money out. Or use debit and credit."),
    ),
    ("debit", False, gettext_lazy("Money out (a positive number), with credit instead of amount.")),
    ("credit", False, gettext_lazy("Money in (a positive number), with debit instead of amount.")),
    ("description", False, gettext_lazy("What the bank wrote.")),
    ("counterparty", False, gettext_lazy("Who paid or was paid.")),
    ("reference", False, gettext_lazy("The bank's id: a row already imported with it is skipped.")),
    (
        "category",
        False,
        gettext_lazy("A category code or name; blank: guessed from the counterparty and description."),
    ),
)
SETTLEMENT_HELP = (
    ("order_id", True, gettext_lazy("The order's number on the channel.")),
    ("amount", True, gettext_lazy("What the channel paid for the order, net of its fees.")),
    ("settled_on", True, gettext_lazy("The day the money was paid.")),
    ("reference", True, gettext_lazy("The channel's payout line id: a line already imported is skipped.")),
    ("channel", False, gettext_lazy("The channel code, when no channel is chosen for the whole file.")),
)
STATEMENT_TEMPLATE_ROWS = (
    ("date", "amount", "description", "counterparty", "reference", "category"),
    ("2026-03-02", "-25000.00", "3月工资", "", "BK0001", ""),
    ("2026-03-03", "18650.40", "天猫结算", "支付宝", "BK0002", ""),
    ("2026-03-05", "-12000.00", "房租", "上海某物业公司", "BK0003", "rent"),
)
SETTLEMENT_TEMPLATE_ROWS = (
    ("order_id", "amount", "settled_on", "reference", "channel"),
    ("T000123", "182.90", "2026-03-05", "ST-0001", "tmall"),
)


def _template_csv(filename: str, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerows(rows)
    return response


def _columns(help_rows, aliases) -> list:
    return [(column, required, aliases.get(column, ()), text) for column, required, text in help_rows]


def _sorted_errors(errors) -> list:
    return sorted(errors, key=lambda e: (e.line, e.column))


def _csv_import(
    request,
    page,
    *,
    form_class,
    salt: str,
    parse,
    run,
    applied,
    target_uploaded,
    target_signed,
    target_confirmed,
    target_context=lambda target: {},
):
    """The upload → preview (a dry run) → confirm flow shared by the CSV imports.

    `page(context, status)` renders the import page; `parse(target, text)` → (rows, errors);
    `run(target, rows, dry_run=...)` → the import's report; `applied(name, report)` → the response once
    the import is written. The target (what the file is imported into) comes from the upload form
    (`target_uploaded(form)`) or from the signed preview: `target_signed(target)` → what the payload
    carries, `target_confirmed(payload)` → (target, None) or (None, errors); `target_context(target)` adds
    to the preview page's context."""

    def preview(name: str, text: str, target, *, apply: bool):
        rows, errors = parse(target, text)
        report = run(target, rows, dry_run=True)
        report.errors = _sorted_errors(errors + report.errors)
        if apply and report.ok and report.created:
            return applied(name, run(target, rows, dry_run=False))
        confirm = None
        if report.ok and report.created:
            confirm = ImportConfirmForm(
                initial={
                    "payload": ImportConfirmForm.sign(
                        user=request.user,
                        salt=salt,
                        data={**target_signed(target), "name": name, "text": text},
                    )
                },
                user=request.user,
                salt=salt,
            )
        return page(
            {
                "name": name,
                **target_context(target),
                "report": report,
                "errors": report.errors[:PREVIEW_ROWS_SHOWN],
                "errors_hidden": max(len(report.errors) - PREVIEW_ROWS_SHOWN, 0),
                "lines": report.lines[:PREVIEW_ROWS_SHOWN],
                "lines_hidden": max(len(report.lines) - PREVIEW_ROWS_SHOWN, 0),
                "confirm": confirm,
            },
            status=200 if report.ok else 400,
        )

    if request.method != "POST":
        return page({})
    if "payload" in request.POST:
        confirm = ImportConfirmForm(request.POST, user=request.user, salt=salt)
        if not confirm.is_valid():
            return page({"confirm_errors": confirm.errors["payload"]}, status=400)
        payload = confirm.cleaned_data["payload"]
        target, errors = target_confirmed(payload)
        if errors:
            return page({"confirm_errors": errors}, status=400)
        return preview(payload["name"], payload["text"], target, apply=True)
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return page({"form": form}, status=400)
    return preview(form.cleaned_data["file"].name, form.text, target_uploaded(form), apply=False)


@roles.area_required(AREA)
def statement_import(request, code: str):
    """Import a bank statement CSV onto the account: preview (a dry run), then confirm."""
    account = _get_account(code)
    roles.post_requires(request, ADD_TRANSACTION)
    if request.method != "POST" and request.GET.get("template") == "csv":
        return _template_csv("bank-statement-template.csv", STATEMENT_TEMPLATE_ROWS)

    def page(context: dict, status: int = 200):
        return render(
            request,
            "finance/cash/statement_import.html",
            {
                "account": account,
                "form": StatementImportForm(),
                "columns": _columns(STATEMENT_HELP, imports.STATEMENT_ALIASES),
                "max_mb": IMPORT_MAX_BYTES // (1024 * 1024),
                "can_write": request.user.has_perm(ADD_TRANSACTION),
                "category_labels": _category_labels(),
                **context,
            },
            status=status,
        )

    def applied(name: str, report):
        messages.success(
            request,
            _("Imported %(name)s: %(created)s transactions booked, %(duplicates)s duplicates skipped.")
            % {"name": name, "created": report.created, "duplicates": report.duplicates},
        )
        return redirect("finance:account-detail", code=account.code)

    def confirmed(payload):
        if payload.get("account") != account.code:
            return None, [_("The preview could not be verified: upload the file again.")]
        return account, None

    return _csv_import(
        request,
        page,
        form_class=StatementImportForm,
        salt=STATEMENT_SALT,
        parse=lambda account, text: imports.statement_parse(text, supplier_names=selectors.supplier_names()),
        run=lambda account, rows, dry_run: services.statement_import(
            account=account, rows=rows, dry_run=dry_run, user=request.user
        ),
        applied=applied,
        target_uploaded=lambda form: account,
        target_signed=lambda account: {"account": account.code},
        target_confirmed=confirmed,
    )


@roles.area_required(AREA)
def settlement_import(request):
    """Import a channel settlement report CSV: preview (matched, unmatched, duplicates, short-paid), then
    confirm."""
    roles.post_requires(request, ADD_SETTLEMENT)
    if request.method != "POST" and request.GET.get("template") == "csv":
        return _template_csv("settlement-template.csv", SETTLEMENT_TEMPLATE_ROWS)

    def page(context: dict, status: int = 200):
        return render(
            request,
            "finance/cash/settlement_import.html",
            {
                "form": SettlementImportForm(),
                "columns": _columns(SETTLEMENT_HELP, imports.SETTLEMENT_ALIASES),
                "max_mb": IMPORT_MAX_BYTES // (1024 * 1024),
                "can_write": request.user.has_perm(ADD_SETTLEMENT),
                **context,
            },
            status=status,
        )

    def applied(name: str, report):
        messages.success(
            request,
            _(
                "Imported %(name)s: %(created)s settlements (%(matched)s matched, "
                "%(unmatched)s unmatched), %(duplicates)s duplicates skipped, "
                "%(short)s orders short-paid."
            )
            % {
                "name": name,
                "created": report.created,
                "matched": report.matched,
                "unmatched": report.unmatched,
                "duplicates": report.duplicates,
                "short": len(report.short_paid),
            },
        )
        return redirect("finance:settlement-list")

    def confirmed(payload):
        if not payload.get("channel"):
            return None, None
        channel = selectors.channel_all().filter(code=payload["channel"]).first()
        if channel is None:
            return None, [_("The channel no longer exists.")]
        return channel, None

    return _csv_import(
        request,
        page,
        form_class=SettlementImportForm,
        salt=SETTLEMENT_SALT,
        parse=lambda channel, text: imports.settlement_parse(text, channel_given=channel is not None),
        run=lambda channel, rows, dry_run: services.settlement_import(
            channel=channel, rows=rows, dry_run=dry_run, user=request.user
        ),
        applied=applied,
        target_uploaded=lambda form: form.cleaned_data["channel"],
        target_signed=lambda channel: {"channel": channel.code if channel else ""},
        target_confirmed=confirmed,
        target_context=lambda channel: {"channel": channel},
    )


@roles.area_required(AREA)
def settlement_list(request):
    """Imported settlements, newest first: channel, matched/unmatched and date filters, export."""
    refused = _read_only(request, ADD_SETTLEMENT)
    if refused:
        return refused
    params = request.GET
    matched = params.get("matched", "") if params.get("matched", "") in ("yes", "no") else ""
    date_from, date_to = _date_filters(params)
    items = selectors.settlement_list(
        channel=params.get("channel", ""), matched=matched, date_from=date_from, date_to=date_to
    )
    fmt = params.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="settlements",
            fmt=fmt,
            headers=[_("Settled on"), _("Channel"), _("Reference"), _("Order"), _("Matched"), _("Amount")],
            rows=(
                (
                    s.settled_on,
                    s.channel.code,
                    s.reference,
                    s.order_external_id,
                    _("yes") if s.order_id else _("no"),
                    s.amount,
                )
                for s in items.iterator(chunk_size=2000)
            ),
        )
    return render(
        request,
        "finance/cash/settlement_list.html",
        {
            "page_obj": paginate(request, items),
            "query": querystring_without_page(request),
            "filters": params,
            "channels": selectors.channel_all(),
            "totals": selectors.settlement_totals(items),
            "can_import": request.user.has_perm(ADD_SETTLEMENT),
        },
    )


# ---------------------------------------------------------------------------------------------
# Receivables and payables
# ---------------------------------------------------------------------------------------------
@roles.area_required(AREA)
def receivables(request):
    """Receivables by channel: outstanding, due soon, overdue; the 13-week schedule; the overdue orders."""
    refused = _read_only(request, ADD_SETTLEMENT)
    if refused:
        return refused
    today = shop_today()
    report = selectors.receivables_report(as_of=today)
    channel = request.GET.get("channel", "")
    overdue = [r for r in report.overdue if not channel or r.channel_code == channel]
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"overdue-receivables-{today.isoformat()}",
            fmt=fmt,
            headers=[
                _("Channel"),
                _("Order"),
                _("Placed on"),
                _("Delivered on"),
                _("Expected on"),
                _("Days overdue"),
                _("Net"),
                _("Settled"),
                _("Outstanding"),
            ],
            rows=(
                (
                    r.channel_code,
                    r.external_id,
                    r.placed_on,
                    r.delivered_on or "",
                    r.expected_on,
                    r.days_overdue,
                    r.net,
                    r.settled,
                    r.outstanding,
                )
                for r in overdue
            ),
        )
    return render(
        request,
        "finance/cash/receivables.html",
        {
            "report": report,
            "page_obj": paginate(request, overdue),
            "query": querystring_without_page(request),
            "filters": request.GET,
            "today": today,
            "can_import": request.user.has_perm(ADD_SETTLEMENT),
        },
    )


@roles.area_required(AREA)
def payables(request):
    """Payables by supplier: outstanding, overdue, due within 4 weeks, share; the 13-week due schedule; the
    purchase orders left to pay."""
    refused = _read_only(request, ADD_PAYMENT)
    if refused:
        return refused
    today = shop_today()
    supplier = request.GET.get("supplier", "")
    overdue_only = request.GET.get("overdue") == "1"
    report = selectors.payables_report(as_of=today, supplier=supplier, overdue_only=overdue_only)
    fmt = request.GET.get("export")
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename=f"payables-{today.isoformat()}",
            fmt=fmt,
            headers=[
                _("Purchase order"),
                _("Supplier"),
                _("Status"),
                _("Amount"),
                _("Paid"),
                _("Outstanding"),
                _("Due on"),
                _("Days overdue"),
            ],
            rows=(
                (
                    p.number,
                    p.supplier_code,
                    p.status,
                    p.amount,
                    p.paid,
                    p.outstanding,
                    p.due_on,
                    p.days_overdue,
                )
                for p in report.rows
            ),
        )
    return render(
        request,
        "finance/cash/payables.html",
        {
            "report": report,
            "page_obj": paginate(request, report.rows),
            "query": querystring_without_page(request),
            "filters": request.GET,
            "today": today,
            "can_pay": request.user.has_perm(ADD_PAYMENT),
        },
    )


@roles.area_required(AREA)
def payment_create(request, number: str):
    """Record a supplier payment against a purchase order (and book it on an account when one is chosen)."""
    po = selectors.purchase_order_for_payment(number=number)
    if po is None:
        raise Http404
    roles.post_requires(request, ADD_PAYMENT)
    paid = selectors.po_paid(purchase_order_id=po.pk)
    outstanding = po.amount - paid
    form = SupplierPaymentForm(
        request.POST or None,
        initial={"paid_on": shop_today(), "amount": outstanding if outstanding > 0 else None},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if data["account"] is not None and not request.user.has_perm(ADD_TRANSACTION):
            raise PermissionDenied
        try:
            services.supplier_payment_record(
                purchase_order=po,
                amount=data["amount"],
                paid_on=data["paid_on"],
                reference=data["reference"],
                note=data["note"],
                account=data["account"],
                user=request.user,
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("Payment of %(amount)s to %(po)s recorded.") % {"amount": data["amount"], "po": po.number},
            )
            return redirect("finance:payables")
    return render(
        request,
        "finance/cash/payment_form.html",
        {
            "form": form,
            "po": po,
            "paid": paid,
            "outstanding": outstanding,
            "due_on": selectors.po_due_on(po),
            "payments": selectors.po_payment_list(purchase_order_id=po.pk)[:50],
            "can_write": request.user.has_perm(ADD_PAYMENT),
        },
        status=400 if request.method == "POST" else 200,
    )


# ---------------------------------------------------------------------------------------------
# Expenses (commitments)
# ---------------------------------------------------------------------------------------------
@roles.area_required(AREA)
def expense_list(request):
    """Commitments by category (amount, frequency, monthly equivalent, next payment, fixed), the monthly
    fixed costs and the safety cushion against its target."""
    refused = _read_only(request, CHANGE_COMMITMENT)
    if refused:
        return refused
    today = shop_today()
    params = request.GET
    active = params.get("active", "yes")
    active = active if active in ("yes", "no", "all") else "yes"
    category = params.get("category", "") if params.get("category", "") in CashCategory.values else ""
    items = list(selectors.commitment_list(active="" if active == "all" else active, category=category))
    for item in items:
        item.monthly = selectors.commitment_monthly(item)
        item.next_on = selectors.commitment_next_date(item, today=today)
    fmt = params.get("export")
    labels = _category_labels()
    if fmt in EXPORT_FORMATS:
        return export_response(
            filename="expenses",
            fmt=fmt,
            headers=[
                _("Name"),
                _("Category"),
                _("Direction"),
                _("Amount"),
                _("Frequency"),
                _("Monthly equivalent"),
                _("Next payment"),
                _("First payment"),
                _("Last payment"),
                _("Fixed cost"),
                _("Active"),
                _("Note"),
            ],
            rows=(
                (
                    c.name,
                    labels.get(c.category, c.category),
                    c.get_direction_display(),
                    c.amount,
                    c.get_frequency_display(),
                    "" if c.monthly is None else c.monthly,
                    c.next_on or "",
                    c.starts_on,
                    c.ends_on or "",
                    _("yes") if c.fixed else _("no"),
                    _("yes") if c.active else _("no"),
                    c.note,
                )
                for c in items
            ),
        )
    by_category: dict[str, dict] = {}
    for item in items:
        group = by_category.setdefault(
            item.category, {"label": labels.get(item.category), "count": 0, "monthly": 0}
        )
        group["count"] += 1
        if item.monthly is not None and item.active:
            sign = 1 if item.direction == Commitment.Direction.OUT else -1
            group["monthly"] += sign * item.monthly
    return render(
        request,
        "finance/cash/expense_list.html",
        {
            "page_obj": paginate(request, items),
            "query": querystring_without_page(request),
            "filters": {"active": active, "category": category},
            "categories": CashCategory.choices,
            "category_totals": sorted(by_category.items(), key=lambda kv: kv[0]),
            "cushion": selectors.cushion_summary(as_of=today),
            "today": today,
            "can_add": request.user.has_perm(ADD_COMMITMENT),
            "can_change": request.user.has_perm(CHANGE_COMMITMENT),
        },
    )


def _commitment_form_page(request, *, commitment: Commitment | None, permission: str):
    roles.post_requires(request, permission)
    form = CommitmentForm(
        request.POST or None, instance=commitment, initial={} if commitment else {"starts_on": shop_today()}
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.commitment_save(commitment=commitment, data=form.cleaned_data, user=request.user)
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": saved.name})
            return redirect("finance:expense-list")
    return render(
        request,
        "finance/cash/expense_form.html",
        {
            "form": form,
            "commitment": commitment,
            "can_write": request.user.has_perm(permission),
            "can_deactivate": commitment is not None
            and commitment.active
            and request.user.has_perm(CHANGE_COMMITMENT),
        },
        status=400 if request.method == "POST" else 200,
    )


def _get_commitment(pk: int) -> Commitment:
    try:
        return selectors.commitment_get(pk=pk)
    except Commitment.DoesNotExist as exc:
        raise Http404 from exc


@roles.area_required(AREA)
def expense_create(request):
    return _commitment_form_page(request, commitment=None, permission=ADD_COMMITMENT)


@roles.area_required(AREA)
def expense_edit(request, pk: int):
    return _commitment_form_page(request, commitment=_get_commitment(pk), permission=CHANGE_COMMITMENT)


@roles.permission_required(AREA, CHANGE_COMMITMENT)
@require_POST
def expense_delete(request, pk: int):
    """Deactivate a commitment (it is kept for history and the forecast's past drill-downs)."""
    commitment = services.commitment_deactivate(commitment=_get_commitment(pk), user=request.user)
    messages.success(request, _("%(name)s is no longer scheduled.") % {"name": commitment.name})
    return redirect(reverse("finance:expense-list"))
