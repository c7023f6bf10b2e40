"""The daily working-capital snapshot on a small hand-built business, to the cent and the tenth of a day."""

from datetime import date, datetime
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest

from catalog.tests.factories import SKUFactory
from finance.models import CashAccount, CashTransaction, MetricSnapshot
from finance.selectors.positions import PayableDue, Receivable
from finance.services import metrics as service
from inventory.kpis import Turnover
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
DAY = date(2024, 10, 5)


def _receivable(outstanding: str, days_overdue: int) -> Receivable:
    return Receivable(
        order_id=1,
        channel_code="tm",
        channel_name="Tmall",
        external_id="x",
        placed_on=DAY,
        delivered_on=None,
        net=D(outstanding),
        settled=D("0.00"),
        outstanding=D(outstanding),
        expected_on=DAY,
        days_overdue=days_overdue,
    )


def _payable(code: str, name: str, outstanding: str) -> PayableDue:
    return PayableDue(
        purchase_order_id=1,
        number="PO",
        supplier_code=code,
        supplier_name=name,
        status="sent",
        amount=D(outstanding),
        paid=D("0.00"),
        outstanding=D(outstanding),
        due_on=DAY,
        days_overdue=0,
    )


@pytest.fixture
def business(monkeypatch):
    channel = ChannelFactory(code="tm", commission_rate=D("0.0500"), payment_fee_rate=D("0.0060"))
    sku40, sku20 = SKUFactory(unit_cost=D("40.00")), SKUFactory(unit_cost=D("20.00"))
    recent = order_with_lines(
        channel=channel,
        placed_at=datetime(2024, 10, 1, 10, tzinfo=SH),
        lines=[(sku40, 1, D("100.00"), D("0"))],
    )
    recent.refund_amount = D("10.00")
    recent.save()
    # Net 33.33 - 1.67 - 0.20 = 31.46; in the 28 days before the last 28.
    order_with_lines(
        channel=channel,
        placed_at=datetime(2024, 8, 20, 10, tzinfo=SH),
        lines=[(sku20, 1, D("33.33"), D("0"))],
    )
    order_with_lines(
        channel=channel,
        placed_at=datetime(2024, 10, 2, 10, tzinfo=SH),
        status=Order.Status.CANCELLED,
        lines=[(sku40, 5, D("100.00"), D("0"))],
    )
    order_with_lines(  # before the 90 days (D - 89 = 2024-07-08)
        channel=channel,
        placed_at=datetime(2024, 7, 7, 23, tzinfo=SH),
        lines=[(sku40, 1, D("100.00"), D("0"))],
    )
    account = CashAccount.objects.create(code="bank", name="Bank", opening_on=date(2024, 1, 1))
    for day, amount, category in [
        (date(2024, 8, 10), "-1000.00", "payroll"),  # before the 8 weeks (D - 55 = 2024-08-11)
        (date(2024, 8, 11), "-12000.00", "payroll"),
        (date(2024, 9, 15), "4000.00", "settlement"),
        (date(2024, 9, 20), "20000.00", "financing"),
        (date(2024, 9, 21), "-5000.00", "transfer"),
        (date(2024, 10, 6), "-7000.00", "rent"),  # after D
    ]:
        CashTransaction.objects.create(account=account, booked_on=day, amount=D(amount), category=category)

    positions = service.positions
    monkeypatch.setattr(positions, "cash_balance", lambda *, as_of: D("50000.00"))
    monkeypatch.setattr(positions, "monthly_fixed_costs", lambda *, as_of: D("10000.00"))
    monkeypatch.setattr(
        positions,
        "receivables_outstanding",
        lambda *, as_of: [_receivable("57.93", 0), _receivable("10.00", 3)],
    )
    monkeypatch.setattr(
        positions,
        "payables_outstanding",
        lambda *, as_of: [
            _payable("s1", "Alpha", "300.00"),
            _payable("s2", "Beta", "100.00"),
            _payable("s1", "Alpha", "100.00"),
        ],
    )
    monkeypatch.setattr(
        service.inventory_kpis,
        "turnover_get",
        lambda as_of=None: Turnover(D("1000"), 365, D("1234.56"), 13, D("0.81"), D("45.5")),
    )


def test_snapshot_figures_exact(business):
    assert service.receivable_net_sales(start=date(2024, 7, 8), end=DAY) == D("115.86")  # 84.40 + 31.46
    snap = service.metrics_snapshot_build(business_date=DAY)
    assert (snap.cash, snap.receivables, snap.payables) == (D("50000.00"), D("67.93"), D("500.00"))
    assert snap.overdue_receivables == D("10.00")
    assert snap.inventory_value == D("1234.56")
    assert snap.dso == D("52.8")  # 67.93 / 115.86 x 90 = 52.77
    assert snap.dpo == D("750.0")  # 500.00 / (40.00 + 20.00) x 90
    assert snap.dio == D("45.5")
    assert snap.ccc == D("-651.7")
    assert snap.weekly_net_burn == D("1000.00")  # -(-12,000 + 4,000) / 8
    assert snap.runway_months == D("11.5")  # 50,000 / (1,000 x 52 / 12)
    assert (snap.monthly_fixed_costs, snap.cushion_months) == (D("10000.00"), D("5.0"))
    assert snap.gross_margin == D("0.6000")  # (100 - 40) / 100
    assert snap.gross_margin_prev == D("0.3999")  # (33.33 - 20) / 33.33
    assert (snap.top_supplier, snap.top_supplier_share) == ("Alpha", D("0.8000"))


def test_snapshot_is_replaced_per_date(business, monkeypatch):
    service.metrics_snapshot_build(business_date=DAY)
    monkeypatch.setattr(service.positions, "cash_balance", lambda *, as_of: D("-1.00"))
    snap = service.metrics_snapshot_build(business_date=DAY)
    assert MetricSnapshot.objects.count() == 1
    assert snap.cash == D("-1.00")
    assert snap.runway_months == D("0.0")  # burning with no cash left


def test_snapshot_of_an_empty_shop():
    snap = service.metrics_snapshot_build(business_date=DAY)
    assert (snap.cash, snap.receivables, snap.payables, snap.weekly_net_burn) == (
        D("0"),
        D("0"),
        D("0"),
        D("0"),
    )
    assert (snap.dso, snap.dpo, snap.dio, snap.ccc, snap.runway_months, snap.cushion_months) == (None,) * 6
    assert (snap.gross_margin, snap.top_supplier_share, snap.top_supplier) == (None, None, "")
