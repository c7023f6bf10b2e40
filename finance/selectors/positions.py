"""Where the money stands on a day: cash by account, receivables (each order's net amount awaiting its
channel's settlement) and payables (each PO's amount not yet paid, by payment terms), and the monthly
fixed costs. Read by the forecast, the metrics, the alerts and the pages.

Everything is "as of" a business date D: only what was known at the end of D counts (settlements,
payments, deliveries and receipts after D have not happened yet), so the demo can replay past dates."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Round
from django.utils import timezone

from finance.cashflow import monthly_equivalent
from finance.models import (
    CashAccount,
    Commitment,
    FinanceSettings,
    Settlement,
    SupplierPayment,
)
from inventory.models import PurchaseOrder
from orders import selectors as order_selectors
from shopops.common.dates import day_start
from shopops.common.money import ZERO, to_money

MONEY_FIELD = DecimalField(max_digits=14, decimal_places=2)
# The net amount is rounded in SQL to leave out the fully settled orders (exact on PostgreSQL; on SQLite
# float arithmetic may round a half cent the other way), then computed exactly in Python.

PAYABLE_STATUSES = (
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIAL,
    PurchaseOrder.Status.RECEIVED,
    PurchaseOrder.Status.CLOSED,
)


@dataclass(frozen=True)
class Receivable:
    order_id: int
    channel_code: str
    channel_name: str
    external_id: str
    placed_on: date
    delivered_on: date | None
    net: Decimal  # total (shop currency) - commission - payment fee - refunds
    settled: Decimal  # matched settlements so far
    outstanding: Decimal  # net - settled (> 0)
    expected_on: date  # delivery (or placed + delivery days) + the channel's settlement days
    days_overdue: int  # days past expected_on + grace, 0 if not overdue


@dataclass(frozen=True)
class PayableDue:
    purchase_order_id: int
    number: str
    supplier_code: str
    supplier_name: str
    status: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal  # amount - paid (> 0)
    due_on: date  # first receipt (or order date) + the PO's payment terms
    days_overdue: int


def _account_balances(as_of: date):
    return (
        CashAccount.objects.filter(active=True, opening_on__lte=as_of)
        .annotate(
            moved=Coalesce(
                Sum(
                    "transactions__amount",
                    filter=Q(
                        transactions__booked_on__gte=F("opening_on"),
                        transactions__booked_on__lte=as_of,
                    ),
                ),
                Value(ZERO),
                output_field=MONEY_FIELD,
            )
        )
        .order_by("code")
    )


def cash_by_account(*, as_of: date) -> list[dict]:
    """Active accounts with their balance at the end of `as_of`: [{"account": CashAccount, "balance"}].
    An account opened after `as_of` did not exist yet and is left out."""
    return [
        {"account": account, "balance": to_money(account.opening_balance + account.moved)}
        for account in _account_balances(as_of)
    ]


def cash_balance(*, as_of: date) -> Decimal:
    """Total cash at the end of `as_of` over active accounts."""
    return sum((row["balance"] for row in cash_by_account(as_of=as_of)), ZERO)


def _settled_subquery(as_of: date):
    return Coalesce(
        Subquery(
            Settlement.objects.filter(order=OuterRef("pk"), settled_on__lte=as_of)
            .order_by()
            .values("order")
            .annotate(total=Sum("amount"))
            .values("total")[:1],
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )


def receivables_outstanding(*, as_of: date) -> list[Receivable]:
    """Orders counted as sales (not pending/cancelled), placed on or before `as_of`, delivered on or after
    the books' opening day (or not delivered yet), whose net amount is not fully settled by `as_of`.
    Sorted by expected day, then order id."""
    settings = FinanceSettings.get()
    end = day_start(as_of + timedelta(days=1))
    not_delivered = Q(delivered_at__isnull=True) | Q(delivered_at__gte=end)
    orders = order_selectors.counted_orders().filter(placed_at__lt=end)
    if settings.books_open_on:
        orders = orders.filter(not_delivered | Q(delivered_at__gte=day_start(settings.books_open_on)))
    commission = Round(F("total_shop") * F("channel__commission_rate"), 2, output_field=MONEY_FIELD)
    payment_fee = Round(F("total_shop") * F("channel__payment_fee_rate"), 2, output_field=MONEY_FIELD)
    rows = (
        orders.annotate(settled=_settled_subquery(as_of))
        .annotate(
            sql_net=ExpressionWrapper(
                F("total_shop") - commission - payment_fee - F("refund_amount"), output_field=MONEY_FIELD
            )
        )
        .filter(settled__lt=F("sql_net"))
        .values(
            "id",
            "external_id",
            "placed_at",
            "delivered_at",
            "total_shop",
            "refund_amount",
            "settled",
            "channel__code",
            "channel__name",
            "channel__commission_rate",
            "channel__payment_fee_rate",
            "channel__settlement_days",
        )
    )
    delivery = timedelta(days=settings.delivery_days)
    grace = timedelta(days=settings.overdue_grace_days)
    out = []
    for row in rows:
        total = row["total_shop"]
        net = (
            to_money(total)
            - to_money(total * row["channel__commission_rate"])
            - to_money(total * row["channel__payment_fee_rate"])
            - to_money(row["refund_amount"])
        )
        settled = to_money(row["settled"])
        outstanding = net - settled
        if outstanding <= 0:
            continue
        placed_on = timezone.localtime(row["placed_at"]).date()
        delivered_at = row["delivered_at"]
        delivered_on = None
        if delivered_at is not None and delivered_at < end:
            delivered_on = timezone.localtime(delivered_at).date()
        expected_on = (delivered_on or placed_on + delivery) + timedelta(days=row["channel__settlement_days"])
        overdue = (as_of - (expected_on + grace)).days
        out.append(
            Receivable(
                order_id=row["id"],
                channel_code=row["channel__code"],
                channel_name=row["channel__name"],
                external_id=row["external_id"],
                placed_on=placed_on,
                delivered_on=delivered_on,
                net=net,
                settled=settled,
                outstanding=outstanding,
                expected_on=expected_on,
                days_overdue=max(overdue, 0),
            )
        )
    out.sort(key=lambda r: (r.expected_on, r.order_id))
    return out


def payables_outstanding(*, as_of: date) -> list[PayableDue]:
    """POs sent or later (not drafts, approvals not yet sent, or cancelled) with an amount left to pay after
    the supplier payments made on or before `as_of`. Sorted by due day, then PO id."""
    paid = Coalesce(
        Subquery(
            SupplierPayment.objects.filter(purchase_order=OuterRef("pk"), paid_on__lte=as_of)
            .order_by()
            .values("purchase_order")
            .annotate(total=Sum("amount"))
            .values("total")[:1],
            output_field=MONEY_FIELD,
        ),
        Value(ZERO),
        output_field=MONEY_FIELD,
    )
    rows = (
        PurchaseOrder.objects.filter(status__in=PAYABLE_STATUSES, ordered_on__lte=as_of)
        .annotate(paid=paid)
        .filter(paid__lt=F("amount"))
        .values(
            "id",
            "number",
            "status",
            "amount",
            "paid",
            "ordered_on",
            "received_on",
            "payment_terms_days",
            "supplier__code",
            "supplier__name",
        )
    )
    out = []
    for row in rows:
        amount = to_money(row["amount"])
        paid_sum = to_money(row["paid"])
        outstanding = amount - paid_sum
        if outstanding <= 0:
            continue
        received_on = row["received_on"]
        base = received_on if received_on is not None and received_on <= as_of else row["ordered_on"]
        due_on = base + timedelta(days=row["payment_terms_days"])
        out.append(
            PayableDue(
                purchase_order_id=row["id"],
                number=row["number"],
                supplier_code=row["supplier__code"],
                supplier_name=row["supplier__name"],
                status=row["status"],
                amount=amount,
                paid=paid_sum,
                outstanding=outstanding,
                due_on=due_on,
                days_overdue=max((as_of - due_on).days, 0),
            )
        )
    out.sort(key=lambda p: (p.due_on, p.purchase_order_id))
    return out


def monthly_fixed_costs(*, as_of: date) -> Decimal:
    """Monthly equivalent of the active fixed outgoing commitments running on `as_of` (weekly x 52/12,
    quarterly / 3, yearly / 12; one-off items excluded), rounded to the cent once, on the total."""
    rows = (
        Commitment.objects.filter(
            active=True, fixed=True, direction=Commitment.Direction.OUT, starts_on__lte=as_of
        )
        .exclude(frequency=Commitment.Frequency.ONCE)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=as_of))
        .values_list("frequency", "amount")
    )
    total = sum((monthly_equivalent(frequency=f, amount=a) for f, a in rows), Decimal("0"))
    return to_money(total)
