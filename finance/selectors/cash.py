"""Reads of the cash pages: accounts and their transactions, settlements, receivables by channel, payables
by supplier and the expenses (commitments). The positions themselves (balances, what is receivable or
payable on a day, the monthly fixed costs) come from finance.selectors.positions; this module groups and
schedules them for the pages."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from finance import cashflow
from finance.models import (
    CashAccount,
    CashTransaction,
    Commitment,
    FinanceSettings,
    Settlement,
    SupplierPayment,
)
from finance.selectors import positions
from inventory import purchasing
from inventory.models import PurchaseOrder
from orders import selectors as order_selectors
from orders.models import Order
from shopops.common.money import ZERO, to_money

SCHEDULE_WEEKS = cashflow.WEEKS
# Statuses a supplier payment may be recorded against: not a draft, not cancelled.
PAYABLE_STATUSES = (
    PurchaseOrder.Status.APPROVED,
    PurchaseOrder.Status.SENT,
    PurchaseOrder.Status.PARTIAL,
    PurchaseOrder.Status.RECEIVED,
    PurchaseOrder.Status.CLOSED,
)
NEXT_DATE_HORIZON_DAYS = 370  # a yearly commitment pays once within this window


# --- accounts -----------------------------------------------------------------------------------------------


def account_list(*, include_inactive: bool = True) -> QuerySet[CashAccount]:
    qs = CashAccount.objects.all()
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("-active", "code")


def account_get(*, code: str) -> CashAccount:
    return CashAccount.objects.get(code=code)


def accounts_with_balances(*, as_of: date) -> tuple[list[dict], Decimal]:
    """Every account with its balance at the end of `as_of` (inactive ones from their transactions too,
    shown apart) and the total over active accounts (positions.cash_by_account)."""
    balances = {row["account"].pk: row["balance"] for row in positions.cash_by_account(as_of=as_of)}
    rows = []
    for account in account_list():
        balance = balances.get(account.pk)
        if balance is None:
            balance = account_balance(account=account, as_of=as_of)
        rows.append({"account": account, "balance": balance})
    total = sum((balances.values()), ZERO)
    return rows, to_money(total)


def account_balance(*, account: CashAccount, as_of: date) -> Decimal:
    """The balance of one account at the end of `as_of`: its opening balance plus its transactions booked
    from the opening day to `as_of` (for an inactive account, which positions leaves out)."""
    if as_of < account.opening_on:
        return ZERO
    moved = account.transactions.filter(booked_on__gte=account.opening_on, booked_on__lte=as_of).aggregate(
        total=Sum("amount")
    )["total"]
    return to_money(account.opening_balance + (moved or ZERO))


def transaction_list(
    *,
    account: CashAccount | None = None,
    category: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[CashTransaction]:
    qs = CashTransaction.objects.select_related("account", "created_by")
    if account is not None:
        qs = qs.filter(account=account)
    if category:
        qs = qs.filter(category=category)
    if date_from:
        qs = qs.filter(booked_on__gte=date_from)
    if date_to:
        qs = qs.filter(booked_on__lte=date_to)
    return qs.order_by("-booked_on", "-id")


def transaction_totals(qs: QuerySet[CashTransaction]) -> dict:
    totals = qs.aggregate(
        inflow=Sum("amount", filter=Q(amount__gt=0)), outflow=Sum("amount", filter=Q(amount__lt=0))
    )
    inflow = to_money(totals["inflow"] or ZERO)
    outflow = to_money(-(totals["outflow"] or ZERO))
    return {"inflow": inflow, "outflow": outflow, "net": inflow - outflow}


def account_references(*, account: CashAccount, references: list[str]) -> set[str]:
    """Which of `references` the account already has."""
    wanted = [ref for ref in set(references) if ref]
    found: set[str] = set()
    for start in range(0, len(wanted), 1000):
        found.update(
            CashTransaction.objects.filter(
                account=account, reference__in=wanted[start : start + 1000]
            ).values_list("reference", flat=True)
        )
    return found


def supplier_names() -> frozenset[str]:
    """The names of every supplier: a statement row paying one of them is a supplier payment."""
    return frozenset(
        name.strip() for name in purchasing.supplier_list().values_list("name", flat=True) if name
    )


# --- settlements --------------------------------------------------------------------------------------------


def settlement_list(
    *,
    channel: str = "",
    matched: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[Settlement]:
    """Settlements, newest first. `matched`: "yes" (matched to an order) or "no"."""
    qs = Settlement.objects.select_related("channel", "order")
    if channel:
        qs = qs.filter(channel__code=channel)
    if matched == "yes":
        qs = qs.filter(order__isnull=False)
    elif matched == "no":
        qs = qs.filter(order__isnull=True)
    if date_from:
        qs = qs.filter(settled_on__gte=date_from)
    if date_to:
        qs = qs.filter(settled_on__lte=date_to)
    return qs.order_by("-settled_on", "-id")


def settlement_totals(qs: QuerySet[Settlement]) -> dict:
    totals = qs.aggregate(
        total=Sum("amount"),
        matched=Sum("amount", filter=Q(order__isnull=False)),
        unmatched=Sum("amount", filter=Q(order__isnull=True)),
    )
    totals["amount"] = totals.pop("total")
    return {key: to_money(value or ZERO) for key, value in totals.items()}


def settlement_references(*, channel_ids: set[int], references: list[str]) -> set[tuple[int, str]]:
    """Which (channel id, reference) pairs are already imported."""
    found: set[tuple[int, str]] = set()
    wanted = sorted(set(references))
    for start in range(0, len(wanted), 1000):
        found.update(
            Settlement.objects.filter(
                channel_id__in=channel_ids, reference__in=wanted[start : start + 1000]
            ).values_list("channel_id", "reference")
        )
    return found


def orders_by_external_id(*, keys: set[tuple[int, str]]) -> dict[tuple[int, str], Order]:
    """The orders of (channel id, external id) pairs, with their channel."""
    out: dict[tuple[int, str], Order] = {}
    by_channel: dict[int, list[str]] = defaultdict(list)
    for channel_id, external_id in keys:
        by_channel[channel_id].append(external_id)
    for channel_id, external_ids in by_channel.items():
        for start in range(0, len(external_ids), 1000):
            for order in Order.objects.select_related("channel").filter(
                channel_id=channel_id, external_id__in=external_ids[start : start + 1000]
            ):
                out[(channel_id, order.external_id)] = order
    return out


def settled_by_order(*, order_ids: set[int]) -> dict[int, Decimal]:
    """What was already settled per order (every matched settlement, whatever its date)."""
    rows = (
        Settlement.objects.filter(order_id__in=order_ids).values("order_id").annotate(total=Sum("amount"))
        if order_ids
        else []
    )
    return {row["order_id"]: to_money(row["total"]) for row in rows}


def order_expected_net(order: Order) -> Decimal:
    """What the channel should pay for an order (the brief's receivable): total (shop currency) - commission
    - payment fee - refunds, each rounded to the cent."""
    total = to_money(order.total_shop)
    commission = to_money(total * order.channel.commission_rate)
    fee = to_money(total * order.channel.payment_fee_rate)
    return total - commission - fee - to_money(order.refund_amount)


# --- schedules ----------------------------------------------------------------------------------------------


def schedule_weeks(as_of: date) -> list[date]:
    """The Mondays of the 13 weeks the pages schedule over: the forecast's weeks (week 0 holds as_of + 1)."""
    return cashflow.week_starts(as_of, SCHEDULE_WEEKS)


@dataclass
class ScheduleRow:
    key: str
    label: str
    weeks: list[Decimal]
    later: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum(self.weeks, ZERO) + self.later


def _schedule(items, starts: list[date], labels: dict[str, str]) -> tuple[list[ScheduleRow], ScheduleRow]:
    """items: (key, due day, amount) -> one row per key with the amount per week, and the total row."""
    rows: dict[str, ScheduleRow] = {}
    total = ScheduleRow(key="", label="", weeks=[ZERO] * len(starts))
    for key, day, amount in items:
        row = rows.setdefault(
            key, ScheduleRow(key=key, label=labels.get(key, key), weeks=[ZERO] * len(starts))
        )
        index = cashflow.week_index(day, starts)
        if index is None:
            row.later += amount
            total.later += amount
        else:
            row.weeks[index] += amount
            total.weeks[index] += amount
    return sorted(rows.values(), key=lambda r: r.label), total


# --- receivables --------------------------------------------------------------------------------------------


@dataclass
class ChannelReceivables:
    code: str
    name: str
    outstanding: Decimal = ZERO
    due_7: Decimal = ZERO
    due_30: Decimal = ZERO
    overdue: Decimal = ZERO
    overdue_count: int = 0
    oldest_overdue_days: int = 0
    orders: int = 0


@dataclass
class ReceivablesReport:
    as_of: date
    channels: list[ChannelReceivables]
    total: ChannelReceivables
    starts: list[date]
    schedule: list[ScheduleRow]
    schedule_total: ScheduleRow
    overdue: list = field(default_factory=list)  # positions.Receivable, most overdue first


def receivables_report(*, as_of: date, channel: str = "") -> ReceivablesReport:
    """Receivables by channel on `as_of`: outstanding, due within 7 and 30 days, overdue (amount, count,
    oldest), the 13-week schedule and the overdue orders."""
    items = positions.receivables_outstanding(as_of=as_of)
    if channel:
        items = [r for r in items if r.channel_code == channel]
    by_channel: dict[str, ChannelReceivables] = {}
    total = ChannelReceivables(code="", name="")
    for r in items:
        row = by_channel.setdefault(
            r.channel_code, ChannelReceivables(code=r.channel_code, name=r.channel_name)
        )
        for target in (row, total):
            target.outstanding += r.outstanding
            target.orders += 1
            if as_of < r.expected_on <= as_of + timedelta(days=7):
                target.due_7 += r.outstanding
            if as_of < r.expected_on <= as_of + timedelta(days=30):
                target.due_30 += r.outstanding
            if r.days_overdue > 0:
                target.overdue += r.outstanding
                target.overdue_count += 1
                target.oldest_overdue_days = max(target.oldest_overdue_days, r.days_overdue)
    starts = schedule_weeks(as_of)
    labels = {code: row.name for code, row in by_channel.items()}
    schedule, schedule_total = _schedule(
        ((r.channel_code, r.expected_on, r.outstanding) for r in items), starts, labels
    )
    overdue = sorted(
        (r for r in items if r.days_overdue > 0),
        key=lambda r: (-r.days_overdue, r.channel_code, r.external_id),
    )
    return ReceivablesReport(
        as_of=as_of,
        channels=sorted(by_channel.values(), key=lambda c: c.code),
        total=total,
        starts=starts,
        schedule=schedule,
        schedule_total=schedule_total,
        overdue=overdue,
    )


# --- payables -----------------------------------------------------------------------------------------------


@dataclass
class SupplierPayables:
    code: str
    name: str
    outstanding: Decimal = ZERO
    overdue: Decimal = ZERO
    due_4_weeks: Decimal = ZERO
    orders: int = 0
    share: Decimal | None = None


@dataclass
class PayablesReport:
    as_of: date
    suppliers: list[SupplierPayables]
    total: SupplierPayables
    starts: list[date]
    schedule: list[ScheduleRow]
    schedule_total: ScheduleRow
    rows: list = field(default_factory=list)  # positions.PayableDue, by due date


def payables_report(*, as_of: date, supplier: str = "", overdue_only: bool = False) -> PayablesReport:
    """Payables by supplier on `as_of`: outstanding, overdue, due within 4 weeks, share of the total, the
    13-week due schedule and the PO rows (filtered by supplier / overdue for the rows only)."""
    items = positions.payables_outstanding(as_of=as_of)
    by_supplier: dict[str, SupplierPayables] = {}
    total = SupplierPayables(code="", name="")
    for p in items:
        row = by_supplier.setdefault(
            p.supplier_code, SupplierPayables(code=p.supplier_code, name=p.supplier_name)
        )
        for target in (row, total):
            target.outstanding += p.outstanding
            target.orders += 1
            if p.days_overdue > 0:
                target.overdue += p.outstanding
            if as_of < p.due_on <= as_of + timedelta(days=28):
                target.due_4_weeks += p.outstanding
    for row in by_supplier.values():
        row.share = (
            (row.outstanding / total.outstanding).quantize(Decimal("0.0001")) if total.outstanding else None
        )
    total.share = Decimal("1.0000") if total.outstanding else None
    starts = schedule_weeks(as_of)
    labels = {code: row.name for code, row in by_supplier.items()}
    schedule, schedule_total = _schedule(
        ((p.supplier_code, p.due_on, p.outstanding) for p in items), starts, labels
    )
    rows = [
        p
        for p in items
        if (not supplier or p.supplier_code == supplier) and (not overdue_only or p.days_overdue > 0)
    ]
    rows.sort(key=lambda p: (p.due_on, p.number))
    return PayablesReport(
        as_of=as_of,
        suppliers=sorted(by_supplier.values(), key=lambda s: (-s.outstanding, s.code)),
        total=total,
        starts=starts,
        schedule=schedule,
        schedule_total=schedule_total,
        rows=rows,
    )


def purchase_order_for_payment(*, number: str) -> PurchaseOrder | None:
    try:
        return purchasing.po_get(number=number)
    except PurchaseOrder.DoesNotExist:
        return None


def po_paid(*, purchase_order_id: int) -> Decimal:
    paid = SupplierPayment.objects.filter(purchase_order_id=purchase_order_id).aggregate(total=Sum("amount"))[
        "total"
    ]
    return to_money(paid or ZERO)


def po_payment_list(*, purchase_order_id: int) -> QuerySet[SupplierPayment]:
    return SupplierPayment.objects.filter(purchase_order_id=purchase_order_id).select_related("created_by")


def po_due_on(po: PurchaseOrder) -> date | None:
    start = po.received_on or po.ordered_on
    return start + timedelta(days=po.payment_terms_days) if start else None


# --- expenses -----------------------------------------------------------------------------------------------


def commitment_list(*, active: str = "yes", category: str = "") -> QuerySet[Commitment]:
    """Commitments by category and name. `active`: "yes" (default), "no" or "" (all)."""
    qs = Commitment.objects.all()
    if active == "yes":
        qs = qs.filter(active=True)
    elif active == "no":
        qs = qs.filter(active=False)
    if category:
        qs = qs.filter(category=category)
    return qs.order_by("category", "name", "id")


def commitment_get(*, pk: int) -> Commitment:
    return Commitment.objects.get(pk=pk)


def commitment_monthly(commitment: Commitment) -> Decimal | None:
    """The monthly equivalent of a recurring commitment (weekly x 52/12, quarterly / 3, yearly / 12); None
    for a one-off item."""
    if commitment.frequency == Commitment.Frequency.ONCE:
        return None
    return to_money(cashflow.monthly_equivalent(frequency=commitment.frequency, amount=commitment.amount))


def commitment_next_date(commitment: Commitment, *, today: date) -> date | None:
    """The next payment on or after `today` (cashflow.commitment_dates), None when there is none."""
    if not commitment.active:
        return None
    dates = cashflow.commitment_dates(
        frequency=commitment.frequency,
        starts_on=commitment.starts_on,
        ends_on=commitment.ends_on,
        start=today,
        end=today + timedelta(days=NEXT_DATE_HORIZON_DAYS),
    )
    return min(dates) if dates else None


@dataclass
class CushionSummary:
    monthly_fixed_costs: Decimal
    cushion_months: Decimal
    target_months: Decimal
    cushion: Decimal  # monthly fixed costs x cushion months
    target: Decimal  # monthly fixed costs x target months
    cash: Decimal
    months_covered: Decimal | None  # cash / monthly fixed costs
    gap: Decimal  # cash - cushion (negative: below the cushion)


def cushion_summary(*, as_of: date) -> CushionSummary:
    settings = FinanceSettings.get()
    monthly = to_money(positions.monthly_fixed_costs(as_of=as_of))
    cash = to_money(positions.cash_balance(as_of=as_of))
    return CushionSummary(
        monthly_fixed_costs=monthly,
        cushion_months=settings.cushion_months,
        target_months=settings.cushion_target_months,
        cushion=to_money(monthly * settings.cushion_months),
        target=to_money(monthly * settings.cushion_target_months),
        cash=cash,
        months_covered=(cash / monthly).quantize(Decimal("0.1")) if monthly else None,
        gap=cash - to_money(monthly * settings.cushion_months),
    )


def channel_list():
    return order_selectors.channel_list()


def channel_all():
    return order_selectors.channel_all()
