"""Writes of cash and commitments: accounts, manual transactions, bank statement imports, settlement
imports (matched to orders), supplier payments and commitments. Keyword-only, one transaction each,
ValidationError with field errors.

The imports take rows already parsed by finance.imports (pure); `dry_run=True` computes the same report
without writing, for the preview. Applying writes everything or nothing: a report with errors raises."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from finance.imports import SettlementRow, StatementRow
from finance.models import CashAccount, CashCategory, CashTransaction, Commitment, Settlement, SupplierPayment
from finance.selectors import cash as selectors
from inventory.models import PurchaseOrder
from orders.models import Channel
from shopops.common.csv_import import RowError
from shopops.common.money import ZERO, to_money

ACCOUNT_FIELDS = ("code", "name", "kind", "currency", "opening_balance", "opening_on", "active")
COMMITMENT_FIELDS = (
    "name",
    "category",
    "direction",
    "amount",
    "frequency",
    "starts_on",
    "ends_on",
    "fixed",
    "active",
    "note",
)


def _full_clean(instance, *, exclude=()) -> None:
    """Model validation as field errors (the unique code of an account among them)."""
    instance.full_clean(exclude=list(exclude))


# --- accounts and transactions ------------------------------------------------------------------------------


@transaction.atomic
def account_save(*, account: CashAccount | None = None, data: dict, user=None) -> CashAccount:
    """Create an account or change one. The code of an account with transactions cannot change."""
    account = account or CashAccount()
    if account.pk and "code" in data and data["code"] != account.code and account.transactions.exists():
        raise ValidationError({"code": _("An account with transactions keeps its code.")})
    for name in ACCOUNT_FIELDS:
        if name in data:
            setattr(account, name, data[name])
    if account.opening_balance is not None:
        account.opening_balance = to_money(account.opening_balance)
    if account.pk and account.opening_on:
        first = account.transactions.order_by("booked_on").values_list("booked_on", flat=True).first()
        if first and first < account.opening_on:
            raise ValidationError(
                {
                    "opening_on": _("Transactions are booked from %(day)s: the opening day cannot be later.")
                    % {"day": first.isoformat()}
                }
            )
    _full_clean(account)
    account.save()
    return account


def _transaction_errors(*, account: CashAccount, booked_on: date, amount: Decimal) -> dict:
    errors = {}
    if not account.active:
        errors["account"] = _("The account is closed.")
    if booked_on < account.opening_on:
        errors["booked_on"] = _("Before the account's opening balance (%(day)s).") % {
            "day": account.opening_on.isoformat()
        }
    if not amount:
        errors["amount"] = _("The amount must not be zero.")
    return errors


@transaction.atomic
def transaction_add(
    *,
    account: CashAccount,
    booked_on: date,
    amount: Decimal,
    category: str,
    description: str = "",
    counterparty: str = "",
    reference: str = "",
    user=None,
) -> CashTransaction:
    """Book one movement by hand: positive money in, negative money out."""
    account = CashAccount.objects.select_for_update().get(pk=account.pk)
    amount = to_money(amount)
    errors = _transaction_errors(account=account, booked_on=booked_on, amount=amount)
    if category not in CashCategory.values:
        errors["category"] = _("Unknown category.")
    reference = (reference or "").strip()
    if reference and CashTransaction.objects.filter(account=account, reference=reference).exists():
        errors["reference"] = _("The account already has a transaction with this reference.")
    if errors:
        raise ValidationError(errors)
    tx = CashTransaction(
        account=account,
        booked_on=booked_on,
        amount=amount,
        category=category,
        description=description,
        counterparty=counterparty,
        reference=reference,
        source=CashTransaction.Source.MANUAL,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    _full_clean(tx, exclude=("created_by",))
    tx.save()
    return tx


# --- bank statement import ----------------------------------------------------------------------------------


@dataclass
class StatementLine:
    row: StatementRow
    duplicate: bool


@dataclass
class StatementReport:
    lines: list[StatementLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    duplicates: int = 0
    inflow: Decimal = ZERO
    outflow: Decimal = ZERO
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def guessed(self) -> int:
        return sum(1 for line in self.lines if not line.duplicate and line.row.category_guessed)

    @property
    def by_category(self) -> list[tuple[str, int, Decimal]]:
        """(category, rows, net amount) of the rows to be created."""
        groups: dict[str, list] = defaultdict(lambda: [0, ZERO])
        for line in self.lines:
            if not line.duplicate:
                groups[line.row.category][0] += 1
                groups[line.row.category][1] += line.row.amount
        return sorted((code, n, amount) for code, (n, amount) in groups.items())


@transaction.atomic
def statement_import(
    *, account: CashAccount, rows: list[StatementRow], dry_run: bool = False, user=None
) -> StatementReport:
    """Book a bank statement's rows on `account`. Rows whose reference the account already has (or an
    earlier row of the file has) are skipped and counted as duplicates; rows before the account's opening
    day are errors. With errors nothing is written (ValidationError when not a dry run)."""
    account = CashAccount.objects.select_for_update().get(pk=account.pk)
    report = StatementReport()
    if not account.active:
        report.errors.append(RowError(0, "", _("The account is closed.")))
    known = selectors.account_references(account=account, references=[r.reference for r in rows])
    for row in rows:
        if row.booked_on < account.opening_on:
            report.errors.append(
                RowError(
                    row.line,
                    "date",
                    _("Before the account's opening balance (%(day)s).")
                    % {"day": account.opening_on.isoformat()},
                )
            )
            continue
        duplicate = bool(row.reference) and row.reference in known
        if row.reference:
            known.add(row.reference)
        report.lines.append(StatementLine(row=row, duplicate=duplicate))
        if duplicate:
            report.duplicates += 1
            continue
        report.created += 1
        if row.amount > 0:
            report.inflow += row.amount
        else:
            report.outflow -= row.amount
    if dry_run:
        return report
    if report.errors:
        raise ValidationError([f"{e.line}: {e.message}" for e in report.errors])
    created_by = user if user is not None and user.is_authenticated else None
    CashTransaction.objects.bulk_create(
        [
            CashTransaction(
                account=account,
                booked_on=line.row.booked_on,
                amount=line.row.amount,
                category=line.row.category,
                description=line.row.description,
                counterparty=line.row.counterparty,
                reference=line.row.reference,
                source=CashTransaction.Source.IMPORT,
                created_by=created_by,
            )
            for line in report.lines
            if not line.duplicate
        ],
        batch_size=1000,
    )
    report.applied = True
    return report


# --- settlement import --------------------------------------------------------------------------------------


@dataclass
class SettlementLine:
    row: SettlementRow
    channel: Channel | None
    order_id: int | None = None
    duplicate: bool = False
    short_paid: bool = False


@dataclass
class ShortPaid:
    """An order its settlements (the earlier ones and this file's) pay less than its expected net."""

    order_id: int
    channel_code: str
    external_id: str
    expected: Decimal
    settled: Decimal
    lines: list[int]

    @property
    def shortfall(self) -> Decimal:
        return self.expected - self.settled


@dataclass
class SettlementReport:
    lines: list[SettlementLine] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    duplicates: int = 0
    matched: int = 0
    unmatched: int = 0
    amount: Decimal = ZERO
    short_paid: list[ShortPaid] = field(default_factory=list)
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def unmatched_lines(self) -> list[SettlementLine]:
        return [line for line in self.lines if not line.duplicate and line.order_id is None]


@transaction.atomic
def settlement_import(
    *, channel: Channel | None, rows: list[SettlementRow], dry_run: bool = False, user=None
) -> SettlementReport:
    """Record a settlement report's lines. Each line is matched to its order by (channel, order external
    id); unmatched lines are kept (order empty) and reported. Lines whose (channel, reference) is already
    imported (or earlier in the file) are skipped as duplicates. An order paid less than its expected net
    (total - commission - payment fee - refunds) by its settlements so far and this file's is reported as
    short-paid. With errors (an unknown channel, a row for another channel) nothing is written."""
    report = SettlementReport()
    codes = {row.channel for row in rows if row.channel}
    channels = {c.code: c for c in Channel.objects.filter(code__in=codes)}
    if channel is not None:
        channels[channel.code] = channel
    # One import per channel at a time: the duplicate check and the insert must not interleave.
    locked = list(
        Channel.objects.select_for_update().filter(pk__in=[c.pk for c in channels.values()]).order_by("pk")
    )
    channels = {c.code: c for c in locked}
    resolved: list[SettlementLine] = []
    for row in rows:
        code = row.channel or (channel.code if channel else "")
        if channel is not None and row.channel and row.channel != channel.code:
            report.errors.append(
                RowError(
                    row.line,
                    "channel",
                    _("The row is for channel %(row)s, the import for %(chosen)s.")
                    % {"row": row.channel, "chosen": channel.code},
                )
            )
            continue
        row_channel = channels.get(code)
        if row_channel is None:
            report.errors.append(
                RowError(row.line, "channel", _("Unknown channel %(code)s.") % {"code": code})
            )
            continue
        resolved.append(SettlementLine(row=row, channel=row_channel))
    known = selectors.settlement_references(
        channel_ids={line.channel.pk for line in resolved},
        references=[line.row.reference for line in resolved],
    )
    orders = selectors.orders_by_external_id(
        keys={(line.channel.pk, line.row.order_external_id) for line in resolved}
    )
    new_by_order: dict[int, list[SettlementLine]] = defaultdict(list)
    for line in resolved:
        key = (line.channel.pk, line.row.reference)
        line.duplicate = key in known
        known.add(key)
        report.lines.append(line)
        if line.duplicate:
            report.duplicates += 1
            continue
        report.created += 1
        report.amount += line.row.amount
        order = orders.get((line.channel.pk, line.row.order_external_id))
        if order is None:
            report.unmatched += 1
            continue
        line.order_id = order.pk
        report.matched += 1
        new_by_order[order.pk].append(line)
    earlier = selectors.settled_by_order(order_ids=set(new_by_order))
    by_pk = {order.pk: order for order in orders.values()}
    for order_id, lines in new_by_order.items():
        order = by_pk[order_id]
        expected = selectors.order_expected_net(order)
        settled = earlier.get(order_id, ZERO) + sum((line.row.amount for line in lines), ZERO)
        if settled < expected:
            for line in lines:
                line.short_paid = True
            report.short_paid.append(
                ShortPaid(
                    order_id=order_id,
                    channel_code=order.channel.code,
                    external_id=order.external_id,
                    expected=expected,
                    settled=settled,
                    lines=[line.row.line for line in lines],
                )
            )
    report.short_paid.sort(key=lambda s: (s.channel_code, s.external_id))
    if dry_run:
        return report
    if report.errors:
        raise ValidationError([f"{e.line}: {e.message}" for e in report.errors])
    Settlement.objects.bulk_create(
        [
            Settlement(
                channel=line.channel,
                reference=line.row.reference,
                order_external_id=line.row.order_external_id,
                order_id=line.order_id,
                amount=line.row.amount,
                settled_on=line.row.settled_on,
            )
            for line in report.lines
            if not line.duplicate
        ],
        batch_size=1000,
    )
    report.applied = True
    return report


# --- supplier payments --------------------------------------------------------------------------------------


@transaction.atomic
def supplier_payment_record(
    *,
    purchase_order: PurchaseOrder,
    amount: Decimal,
    paid_on: date,
    reference: str = "",
    note: str = "",
    account: CashAccount | None = None,
    user=None,
) -> SupplierPayment:
    """Record money paid to a supplier against a PO: more than zero and at most what is left to pay. With
    an account, the payment is also booked there (-amount, category supplier) in the same transaction."""
    po = PurchaseOrder.objects.select_for_update().select_related("supplier").get(pk=purchase_order.pk)
    amount = to_money(amount)
    reference = (reference or "").strip()
    errors: dict[str, str] = {}
    if po.status not in selectors.PAYABLE_STATUSES:
        errors["amount"] = _("A %(status)s purchase order cannot be paid.") % {
            "status": po.get_status_display()
        }
    outstanding = to_money(po.amount) - selectors.po_paid(purchase_order_id=po.pk)
    if amount <= 0:
        errors["amount"] = _("The amount must be more than zero.")
    elif amount > outstanding:
        errors["amount"] = _("At most the outstanding %(outstanding)s.") % {"outstanding": outstanding}
    if account is not None:
        account = CashAccount.objects.select_for_update().get(pk=account.pk)
        for name, message in _transaction_errors(
            account=account, booked_on=paid_on, amount=amount or ZERO
        ).items():
            errors.setdefault("paid_on" if name == "booked_on" else name, message)
        if reference and CashTransaction.objects.filter(account=account, reference=reference).exists():
            errors["reference"] = _("The account already has a transaction with this reference.")
    if errors:
        raise ValidationError(errors)
    created_by = user if user is not None and user.is_authenticated else None
    payment = SupplierPayment.objects.create(
        purchase_order=po,
        amount=amount,
        paid_on=paid_on,
        reference=reference,
        note=note,
        created_by=created_by,
    )
    if account is not None:
        CashTransaction.objects.create(
            account=account,
            booked_on=paid_on,
            amount=-amount,
            category=CashCategory.SUPPLIER,
            description=(_("Payment of %(number)s") % {"number": po.number})[:300],
            counterparty=po.supplier.name[:200],
            reference=reference,
            source=CashTransaction.Source.MANUAL,
            created_by=created_by,
        )
    return payment


# --- commitments --------------------------------------------------------------------------------------------


@transaction.atomic
def commitment_save(*, commitment: Commitment | None = None, data: dict, user=None) -> Commitment:
    """Create or change a commitment (a recurring expense or a one-off item)."""
    commitment = commitment or Commitment()
    for name in COMMITMENT_FIELDS:
        if name in data:
            setattr(commitment, name, data[name])
    errors = {}
    if commitment.amount is not None:
        commitment.amount = to_money(commitment.amount)
        if commitment.amount <= 0:
            errors["amount"] = _("The amount must be more than zero.")
    if commitment.ends_on and commitment.starts_on and commitment.ends_on < commitment.starts_on:
        errors["ends_on"] = _("The last payment cannot be before the first.")
    if errors:
        raise ValidationError(errors)
    _full_clean(commitment)
    commitment.save()
    return commitment


@transaction.atomic
def commitment_deactivate(*, commitment: Commitment, user=None) -> Commitment:
    """Stop a commitment: it is kept (history, forecast drill-downs) but no longer scheduled."""
    commitment = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if commitment.active:
        commitment.active = False
        commitment.save(update_fields=["active", "updated_at"])
    return commitment
