"""Positions as of a business date: cash, receivables, payables, monthly fixed costs."""

from datetime import date
from decimal import Decimal

import pytest

from finance.models import FinanceSettings
from finance.selectors import positions
from finance.tests.factories_forecast import (
    CashAccountFactory,
    CashTransactionFactory,
    CommitmentFactory,
    PurchaseOrderFactory,
    SettlementFactory,
    SupplierPaymentFactory,
    make_order,
)
from inventory.models import PurchaseOrder
from orders.models import Order
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
D = Decimal


def test_cash_as_of_counts_transactions_from_opening_to_the_day():
    acct = CashAccountFactory(code="bank", opening_balance=D("1000.00"), opening_on=date(2024, 10, 1))
    CashTransactionFactory(account=acct, booked_on=date(2024, 9, 30), amount=D("999.00"))  # before opening
    CashTransactionFactory(account=acct, booked_on=date(2024, 10, 1), amount=D("50.25"))
    CashTransactionFactory(account=acct, booked_on=date(2024, 10, 5), amount=D("-20.10"))
    CashTransactionFactory(account=acct, booked_on=date(2024, 10, 6), amount=D("300.00"))  # after D
    CashAccountFactory(code="old", opening_balance=D("5.00"), active=False)
    CashAccountFactory(code="later", opening_balance=D("7.00"), opening_on=date(2024, 11, 1))
    rows = positions.cash_by_account(as_of=date(2024, 10, 5))
    assert [(r["account"].code, r["balance"]) for r in rows] == [("bank", D("1030.15"))]
    assert positions.cash_balance(as_of=date(2024, 10, 5)) == D("1030.15")
    assert positions.cash_balance(as_of=date(2024, 10, 6)) == D("1330.15")


def test_receivables_net_expected_and_as_of_settlement():
    channel = ChannelFactory(
        code="tm", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060"), settlement_days=10
    )
    delivered = make_order(
        channel=channel, placed_on=date(2024, 9, 20), delivered_on=date(2024, 9, 23), total="100.00"
    )
    delivered.refund_amount = D("10.00")
    delivered.save()
    open_order = make_order(channel=channel, placed_on=date(2024, 10, 4), total="33.33")
    # Delivered after D: not delivered as of D.
    late = make_order(
        channel=channel, placed_on=date(2024, 10, 2), delivered_on=date(2024, 10, 8), total="50.00"
    )
    make_order(channel=channel, placed_on=date(2024, 10, 6), total="70.00")  # placed after D
    make_order(channel=channel, placed_on=date(2024, 10, 1), total="80.00", status=Order.Status.CANCELLED)
    # A settlement after D does not count at D.
    SettlementFactory(channel=channel, order=delivered, amount=D("84.40"), settled_on=date(2024, 10, 10))
    as_of = date(2024, 10, 5)
    got = {r.order_id: r for r in positions.receivables_outstanding(as_of=as_of)}
    assert set(got) == {delivered.pk, open_order.pk, late.pk}
    r = got[delivered.pk]
    assert r.net == D("84.40")  # 100 - 5.00 - 0.60 - 10
    assert r.settled == D("0.00")
    assert r.outstanding == D("84.40")
    assert r.delivered_on == date(2024, 9, 23)
    assert r.expected_on == date(2024, 10, 3)
    assert r.days_overdue == 0  # 10-05 is not past 10-03 + 3 days of grace
    o = got[open_order.pk]
    assert o.net == D("31.46")  # 33.33 - 1.67 - 0.20
    assert o.expected_on == date(2024, 10, 17)  # placed + 3 delivery + 10
    assert got[late.pk].delivered_on is None
    assert got[late.pk].expected_on == date(2024, 10, 15)
    # After the settlement the order is no longer outstanding.
    ids = {r.order_id for r in positions.receivables_outstanding(as_of=date(2024, 10, 10))}
    assert delivered.pk not in ids
    overdue = {r.order_id: r for r in positions.receivables_outstanding(as_of=date(2024, 10, 9))}
    assert overdue[delivered.pk].days_overdue == 3


def test_receivables_partial_settlement_and_books_open():
    channel = ChannelFactory(code="jd", commission_rate=D("0"), payment_fee_rate=D("0"), settlement_days=7)
    old = make_order(
        channel=channel, placed_on=date(2024, 8, 1), delivered_on=date(2024, 8, 3), total="40.00"
    )
    part = make_order(
        channel=channel, placed_on=date(2024, 9, 28), delivered_on=date(2024, 9, 30), total="40.00"
    )
    SettlementFactory(channel=channel, order=part, amount=D("15.50"), settled_on=date(2024, 10, 2))
    settings = FinanceSettings.get()
    settings.books_open_on = date(2024, 9, 1)
    settings.save()
    got = {r.order_id: r for r in positions.receivables_outstanding(as_of=date(2024, 10, 5))}
    assert old.pk not in got
    assert got[part.pk].settled == D("15.50")
    assert got[part.pk].outstanding == D("24.50")


def test_payables_as_of_payments_and_receipt():
    po = PurchaseOrderFactory(ordered_on=date(2024, 9, 1), received_on=date(2024, 9, 20), amount=D("1000.00"))
    SupplierPaymentFactory(purchase_order=po, amount=D("300.00"), paid_on=date(2024, 9, 10))
    SupplierPaymentFactory(purchase_order=po, amount=D("700.00"), paid_on=date(2024, 10, 20))
    PurchaseOrderFactory(status=PurchaseOrder.Status.DRAFT, ordered_on=None)
    later = PurchaseOrderFactory(status=PurchaseOrder.Status.SENT, ordered_on=date(2024, 10, 20))
    # Before the receipt: due from the order date.
    before = positions.payables_outstanding(as_of=date(2024, 9, 15))
    assert [(p.purchase_order_id, p.outstanding, p.due_on) for p in before] == [
        (po.pk, D("700.00"), date(2024, 10, 1))
    ]
    after = positions.payables_outstanding(as_of=date(2024, 10, 5))
    assert after[0].due_on == date(2024, 10, 20)
    assert after[0].paid == D("300.00")
    assert after[0].days_overdue == 0
    assert [p.purchase_order_id for p in positions.payables_outstanding(as_of=date(2024, 10, 20))] == [
        later.pk
    ]


def test_monthly_fixed_costs():
    CommitmentFactory(amount=D("1200.00"), frequency="weekly")  # 5200
    CommitmentFactory(amount=D("3000.00"), frequency="quarterly")  # 1000
    CommitmentFactory(amount=D("1200.00"), frequency="yearly")  # 100
    CommitmentFactory(amount=D("500.00"), frequency="monthly")  # 500
    CommitmentFactory(amount=D("999.00"), frequency="once")
    CommitmentFactory(amount=D("999.00"), fixed=False)
    CommitmentFactory(amount=D("999.00"), direction="in")
    CommitmentFactory(amount=D("999.00"), active=False)
    CommitmentFactory(amount=D("999.00"), ends_on=date(2024, 3, 1))
    CommitmentFactory(amount=D("999.00"), starts_on=date(2024, 12, 1))
    assert positions.monthly_fixed_costs(as_of=date(2024, 10, 5)) == D("6800.00")
