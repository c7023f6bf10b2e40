"""Cash services: statement import (duplicates, opening day, all or nothing), settlement import (matched,
unmatched, duplicate, short-paid), supplier payments (outstanding limit, booking on an account),
manual transactions, accounts and commitments."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from finance.imports import settlement_parse, statement_parse
from finance.models import CashTransaction, Commitment, Settlement, SupplierPayment
from finance.selectors import cash as selectors
from finance.services import cash as services
from finance.tests.factories_cash import (
    CashAccountFactory,
    CashTransactionFactory,
    CommitmentFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    delivered_order,
)
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db

STATEMENT = (
    "date,amount,description,counterparty,reference,category\n"
    "2026-03-02,-25000.00,3月工资,,BK1,\n"
    "2026-03-03,18650.40,天猫结算,支付宝,BK2,\n"
    "2026-03-04,-5000.00,货款,华南纺织,BK3,\n"
    "2026-03-05,-99.00,,,,software\n"
)


def _statement(text=STATEMENT):
    rows, errors = statement_parse(text, supplier_names=selectors.supplier_names())
    assert errors == []
    return rows


def test_statement_import_books_rows_with_guessed_categories():
    SupplierFactory(code="hn", name="华南纺织")
    account = CashAccountFactory(code="icbc")
    report = services.statement_import(account=account, rows=_statement())
    assert (report.created, report.duplicates, report.inflow, report.outflow, report.applied) == (
        4,
        0,
        Decimal("18650.40"),
        Decimal("30099.00"),
        True,
    )
    assert list(account.transactions.order_by("booked_on").values_list("category", "amount", "source")) == [
        ("payroll", Decimal("-25000.00"), "import"),
        ("settlement", Decimal("18650.40"), "import"),
        ("supplier", Decimal("-5000.00"), "import"),
        ("software", Decimal("-99.00"), "import"),
    ]
    assert selectors.account_balance(account=account, as_of=date(2026, 3, 31)) == Decimal("-1448.60")


def test_statement_import_skips_duplicates_in_the_account_and_the_file():
    account = CashAccountFactory(code="icbc")
    CashTransactionFactory(account=account, reference="BK1", amount=Decimal("-25000.00"))
    other = CashAccountFactory(code="alipay")
    CashTransactionFactory(account=other, reference="BK2")  # another account's reference is no duplicate
    text = STATEMENT + "2026-03-06,-1.00,again,,BK3,\n"
    preview = services.statement_import(account=account, rows=_statement(text), dry_run=True)
    assert (preview.created, preview.duplicates, preview.applied) == (3, 2, False)
    assert [(line.row.line, line.duplicate) for line in preview.lines] == [
        (2, True),
        (3, False),
        (4, False),
        (5, False),
        (6, True),
    ]
    assert account.transactions.count() == 1  # the preview wrote nothing
    services.statement_import(account=account, rows=_statement(text))
    assert account.transactions.count() == 4
    again = services.statement_import(account=account, rows=_statement(text))
    assert (again.created, again.duplicates) == (1, 4)  # the row without a reference is not deduplicated


def test_statement_import_refuses_rows_before_the_opening_day_and_writes_nothing():
    account = CashAccountFactory(code="icbc", opening_on=date(2026, 3, 3))
    report = services.statement_import(account=account, rows=_statement(), dry_run=True)
    assert [(e.line, e.column) for e in report.errors] == [(2, "date")]
    with pytest.raises(ValidationError):
        services.statement_import(account=account, rows=_statement())
    assert not CashTransaction.objects.exists()


@pytest.fixture
def tmall_orders():
    channel = ChannelFactory(code="tmall")  # commission 5 %, payment fee 0.6 %
    paid = delivered_order(channel=channel, total="200.00", delivered_on=date(2026, 3, 1), external_id="T1")
    short = delivered_order(channel=channel, total="100.00", delivered_on=date(2026, 3, 1), external_id="T2")
    refunded = delivered_order(
        channel=channel, total="100.00", refund="20.00", delivered_on=date(2026, 3, 1), external_id="T3"
    )
    return channel, paid, short, refunded


def test_settlement_import_matches_flags_short_paid_and_keeps_unmatched(tmall_orders):
    channel, paid, short, refunded = tmall_orders
    # nets: T1 200 - 10.00 - 1.20 = 188.80; T2 100 - 5.00 - 0.60 = 94.40; T3 94.40 - 20.00 = 74.40
    assert selectors.order_expected_net(paid) == Decimal("188.80")
    assert selectors.order_expected_net(refunded) == Decimal("74.40")
    text = (
        "order_id,amount,settled_on,reference\n"
        "T1,100.00,2026-03-11,S1\n"
        "T1,88.80,2026-03-11,S2\n"
        "T2,90.00,2026-03-11,S3\n"
        "T3,74.40,2026-03-11,S4\n"
        "T9,50.00,2026-03-11,S5\n"
    )
    rows, errors = settlement_parse(text, channel_given=True)
    assert errors == []
    report = services.settlement_import(channel=channel, rows=rows)
    assert (report.created, report.matched, report.unmatched, report.duplicates, report.amount) == (
        5,
        4,
        1,
        0,
        Decimal("403.20"),
    )
    assert [(s.external_id, s.expected, s.settled, s.shortfall, s.lines) for s in report.short_paid] == [
        ("T2", Decimal("94.40"), Decimal("90.00"), Decimal("4.40"), [4])
    ]
    assert [line.row.line for line in report.unmatched_lines] == [6]
    saved = {s.reference: s for s in Settlement.objects.all()}
    assert saved["S1"].order_id == paid.pk and saved["S3"].order_id == short.pk
    assert saved["S5"].order_id is None and saved["S5"].order_external_id == "T9"


def test_settlement_import_skips_duplicates_and_counts_earlier_settlements(tmall_orders):
    channel, paid, short, _refunded = tmall_orders
    Settlement.objects.create(
        channel=channel,
        reference="S1",
        order_external_id="T2",
        order=short,
        amount=Decimal("50.00"),
        settled_on=date(2026, 3, 10),
    )
    text = (
        "order id,amount,settled date,reference\n"
        "T2,50.00,2026-03-11,S1\n"
        "T2,44.40,2026-03-11,S2\n"
        "T1,188.80,2026-03-11,S2\n"
    )
    rows, _errors = settlement_parse(text, channel_given=True)
    report = services.settlement_import(channel=channel, rows=rows)
    assert (report.created, report.duplicates, report.matched, report.short_paid) == (1, 2, 1, [])
    assert Settlement.objects.filter(order=short).count() == 2  # 50.00 + 44.40 = 94.40: fully paid
    assert not Settlement.objects.filter(order=paid).exists()


def test_settlement_import_with_channel_codes_per_row_and_unknown_channel_writes_nothing(tmall_orders):
    ChannelFactory(code="jd", name="JD")
    text = (
        "order_id,amount,settled_on,reference,channel\n"
        "T1,188.80,2026-03-11,S1,tmall\n"
        "X1,10.00,2026-03-11,S2,nowhere\n"
    )
    rows, errors = settlement_parse(text, channel_given=False)
    assert errors == []
    report = services.settlement_import(channel=None, rows=rows, dry_run=True)
    assert [(e.line, e.column) for e in report.errors] == [(3, "channel")]
    with pytest.raises(ValidationError):
        services.settlement_import(channel=None, rows=rows)
    assert not Settlement.objects.exists()


def test_settlement_import_refuses_a_row_for_another_channel(tmall_orders):
    jd = ChannelFactory(code="jd", name="JD")
    rows, _errors = settlement_parse(
        "order_id,amount,settled_on,reference,channel\nT1,188.80,2026-03-11,S1,tmall\n", channel_given=True
    )
    report = services.settlement_import(channel=jd, rows=rows, dry_run=True)
    assert [(e.line, e.column) for e in report.errors] == [(2, "channel")]


def test_supplier_payment_over_outstanding_is_refused():
    po = PurchaseOrderFactory(amount=Decimal("5000.00"))
    services.supplier_payment_record(purchase_order=po, amount=Decimal("3000.00"), paid_on=date(2026, 3, 1))
    with pytest.raises(ValidationError) as exc:
        services.supplier_payment_record(
            purchase_order=po, amount=Decimal("2000.01"), paid_on=date(2026, 3, 2)
        )
    assert list(exc.value.message_dict) == ["amount"]
    with pytest.raises(ValidationError):
        services.supplier_payment_record(purchase_order=po, amount=Decimal("0"), paid_on=date(2026, 3, 2))
    services.supplier_payment_record(purchase_order=po, amount=Decimal("2000.00"), paid_on=date(2026, 3, 2))
    assert selectors.po_paid(purchase_order_id=po.pk) == Decimal("5000.00")


def test_supplier_payment_of_a_draft_is_refused():
    po = PurchaseOrderFactory(status="draft")
    with pytest.raises(ValidationError):
        services.supplier_payment_record(purchase_order=po, amount=Decimal("1.00"), paid_on=date(2026, 3, 1))


def test_supplier_payment_with_an_account_books_the_transaction():
    po = PurchaseOrderFactory(amount=Decimal("5000.00"), supplier=SupplierFactory(code="hn", name="华南纺织"))
    account = CashAccountFactory(code="icbc")
    payment = services.supplier_payment_record(
        purchase_order=po,
        amount=Decimal("1234.56"),
        paid_on=date(2026, 3, 1),
        reference="PAY-1",
        note="first instalment",
        account=account,
    )
    assert (payment.amount, payment.reference) == (Decimal("1234.56"), "PAY-1")
    tx = account.transactions.get()
    assert (tx.amount, tx.category, tx.booked_on, tx.counterparty, tx.reference) == (
        Decimal("-1234.56"),
        "supplier",
        date(2026, 3, 1),
        "华南纺织",
        "PAY-1",
    )
    # the same reference again on the account: refused, and the payment is not recorded either
    with pytest.raises(ValidationError) as exc:
        services.supplier_payment_record(
            purchase_order=po,
            amount=Decimal("1.00"),
            paid_on=date(2026, 3, 2),
            reference="PAY-1",
            account=account,
        )
    assert "reference" in exc.value.message_dict
    assert SupplierPayment.objects.count() == 1


def test_transaction_add_checks_reference_opening_day_and_zero():
    account = CashAccountFactory(code="icbc", opening_on=date(2026, 2, 1))
    tx = services.transaction_add(
        account=account,
        booked_on=date(2026, 2, 3),
        amount=Decimal("-12.345"),
        category="other",
        reference="R1",
    )
    assert tx.amount == Decimal("-12.35")
    with pytest.raises(ValidationError) as exc:
        services.transaction_add(
            account=account, booked_on=date(2026, 1, 3), amount=Decimal("0"), category="other", reference="R1"
        )
    assert set(exc.value.message_dict) == {"booked_on", "amount", "reference"}


def test_account_save_and_code_kept_once_used():
    account = services.account_save(
        data={
            "code": "cmb",
            "name": "招商银行",
            "kind": "bank",
            "currency": "CNY",
            "opening_balance": Decimal("500"),
            "opening_on": date(2026, 1, 1),
            "active": True,
        }
    )
    assert account.opening_balance == Decimal("500.00")
    with pytest.raises(ValidationError) as exc:
        services.account_save(data={**{"code": "cmb", "name": "x", "opening_on": date(2026, 1, 1)}})
    assert "code" in exc.value.message_dict
    CashTransactionFactory(account=account)
    with pytest.raises(ValidationError):
        services.account_save(account=account, data={"code": "cmb2"})


def test_commitment_save_and_deactivate():
    commitment = services.commitment_save(
        data={
            "name": "Office rent",
            "category": "rent",
            "direction": "out",
            "amount": Decimal("12000"),
            "frequency": "monthly",
            "starts_on": date(2026, 1, 5),
            "ends_on": None,
            "fixed": True,
            "active": True,
            "note": "",
        }
    )
    with pytest.raises(ValidationError) as exc:
        services.commitment_save(commitment=commitment, data={"ends_on": date(2025, 1, 1)})
    assert "ends_on" in exc.value.message_dict
    commitment.refresh_from_db()
    services.commitment_deactivate(commitment=commitment)
    assert Commitment.objects.get().active is False


def test_commitment_monthly_equivalent_and_next_date():
    weekly = CommitmentFactory(frequency="weekly", amount=Decimal("1200.00"), starts_on=date(2026, 1, 5))
    yearly = CommitmentFactory(frequency="yearly", amount=Decimal("1000.00"), starts_on=date(2025, 6, 1))
    once = CommitmentFactory(frequency="once", fixed=False, starts_on=date(2026, 4, 1))
    assert selectors.commitment_monthly(weekly) == Decimal("5200.00")
    assert selectors.commitment_monthly(yearly) == Decimal("83.33")
    assert selectors.commitment_monthly(once) is None
    today = date(2026, 3, 4)  # a Wednesday; the weekly one pays on Mondays
    assert selectors.commitment_next_date(weekly, today=today) == date(2026, 3, 9)
    assert selectors.commitment_next_date(yearly, today=today) == date(2026, 6, 1)
    assert selectors.commitment_next_date(once, today=today) == date(2026, 4, 1)
    assert selectors.commitment_next_date(once, today=date(2026, 4, 2)) is None
