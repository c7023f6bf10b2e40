"""Cash pages: who may open and write them, the import flows (upload, preview, confirm), receivables and
payables figures on a fixed day, the expenses with the cushion, and the exports."""

from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from conftest import login_verified
from finance import cashflow
from finance.models import CashTransaction, Commitment, Settlement, SupplierPayment
from finance.tests.factories_cash import (
    CashAccountFactory,
    CashTransactionFactory,
    CommitmentFactory,
    PurchaseOrderFactory,
    SupplierFactory,
    delivered_order,
)
from orders.tests.factories import ChannelFactory
from shopops.common import roles

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def on_today():
    moment = timezone.make_aware(datetime.combine(TODAY, time(12)), timezone.get_current_timezone())
    with time_machine.travel(moment, tick=False):
        yield


@pytest.fixture
def book(db):
    account = CashAccountFactory(code="icbc", name="ICBC", opening_balance=Decimal("10000.00"))
    CashTransactionFactory(
        account=account, amount=Decimal("-2500.00"), category="rent", booked_on=date(2026, 3, 2)
    )
    po = PurchaseOrderFactory(number="PO-1", amount=Decimal("5000.00"))
    commitment = CommitmentFactory(name="Office rent")
    return {"account": account, "po": po, "commitment": commitment}


def _reading_urls(book) -> list[str]:
    return [
        reverse("finance:account-list"),
        reverse("finance:account-create"),
        reverse("finance:account-detail", args=["icbc"]),
        reverse("finance:account-edit", args=["icbc"]),
        reverse("finance:transaction-create", args=["icbc"]),
        reverse("finance:statement-import", args=["icbc"]),
        reverse("finance:settlement-import"),
        reverse("finance:settlement-list"),
        reverse("finance:receivables"),
        reverse("finance:payables"),
        reverse("finance:payment-create", args=["PO-1"]),
        reverse("finance:expense-list"),
        reverse("finance:expense-create"),
        reverse("finance:expense-edit", args=[book["commitment"].pk]),
    ]


@pytest.mark.parametrize("role", [roles.FINANCE, roles.MANAGER, roles.ADMIN])
def test_finance_roles_open_every_page(client_for, role, book):
    client = client_for(role)
    for url in _reading_urls(book):
        assert client.get(url).status_code == 200, url


def test_other_roles_are_refused(client_for, book):
    client = client_for(roles.SERVICE_AGENT)
    for url in _reading_urls(book):
        assert client.get(url).status_code == 403, url
    delete = reverse("finance:expense-delete", args=[book["commitment"].pk])
    assert client.get(delete).status_code == 403 and client.post(delete).status_code == 403


def test_manager_posts_are_refused(client_for, book):
    client = client_for(roles.MANAGER)
    pk = book["commitment"].pk
    for url in _reading_urls(book) + [reverse("finance:expense-delete", args=[pk])]:
        assert client.post(url, {"amount": "1"}).status_code == 403, url
    assert Commitment.objects.get(pk=pk).active is True


def test_manager_sees_read_only_forms_without_buttons(client_for, book):
    html = (
        client_for(roles.MANAGER).get(reverse("finance:expense-edit", args=[book["commitment"].pk])).content
    )
    assert b"Read-only" in html and b'data-testid="expense-delete"' not in html


def test_account_create_edit_and_manual_transaction(client_for):
    client = client_for(roles.FINANCE)
    response = client.post(
        reverse("finance:account-create"),
        {
            "code": "cmb",
            "name": "招商银行",
            "kind": "bank",
            "currency": "CNY",
            "opening_balance": "1000.00",
            "opening_on": "2026-01-01",
            "active": "on",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "finance:account-detail", args=["cmb"]
    )
    response = client.post(
        reverse("finance:transaction-create", args=["cmb"]),
        {"booked_on": "2026-02-01", "amount": "-300.50", "category": "ads", "description": "直通车"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("finance:transaction-create", args=["cmb"]),
        {"booked_on": "2025-12-31", "amount": "5", "category": "other"},
    )
    assert response.status_code == 400
    assert response.context["form"].errors["booked_on"]
    tx = CashTransaction.objects.get()
    assert (tx.amount, tx.category, tx.source, tx.created_by.username) == (
        Decimal("-300.50"),
        "ads",
        "manual",
        "user-finance",
    )
    response = client.post(
        reverse("finance:account-edit", args=["cmb"]),
        {
            "code": "cmb",
            "name": "CMB",
            "kind": "bank",
            "currency": "CNY",
            "opening_balance": "1000",
            "opening_on": "2026-03-01",
        },
    )
    assert response.status_code == 400 and response.context["form"].errors["opening_on"]


def test_account_list_and_detail_balances_and_exports(client_for, book, on_today):
    CashAccountFactory(
        code="alipay", name="Alipay", opening_balance=Decimal("500.00"), opening_on=date(2026, 3, 1)
    )
    client = client_for(roles.FINANCE)
    response = client.get(reverse("finance:account-list"))
    assert response.context["total"] == Decimal("8000.00")
    assert [(r["account"].code, r["balance"]) for r in response.context["page_obj"]] == [
        ("alipay", Decimal("500.00")),
        ("icbc", Decimal("7500.00")),
    ]
    CashTransactionFactory(
        account=book["account"], amount=Decimal("300.00"), category="settlement", booked_on=date(2026, 3, 5)
    )
    url = reverse("finance:account-detail", args=["icbc"])
    response = client.get(url, {"category": "rent"})
    assert [t.amount for t in response.context["page_obj"]] == [Decimal("-2500.00")]
    assert response.context["balance"] == Decimal("7800.00")
    export = client.get(url, {"from": "2026-03-03", "export": "csv"})
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["2026-03-05,300.00,Channel settlements,,,,Entered"]
    export = client.get(reverse("finance:account-list"), {"export": "xlsx"})
    sheet = load_workbook(BytesIO(export.content)).active
    assert [row[5] for row in sheet.iter_rows(min_row=2, values_only=True)] == [500, 7800]


def _upload(name: str, text: str, encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def test_statement_import_preview_then_confirm_gbk(client_for, book):
    SupplierFactory(code="hn", name="华南纺织")
    CashTransactionFactory(account=book["account"], reference="BK1", amount=Decimal("-1.00"))
    client = client_for(roles.FINANCE)
    url = reverse("finance:statement-import", args=["icbc"])
    text = (
        "日期,金额,摘要,对方户名,流水号\n"
        "2026-03-02,-25000,3月工资,,BK1\n"
        "2026-03-03,18650.40,天猫结算,支付宝,BK2\n"
        "2026-03-04,-5000,货款,华南纺织,BK3\n"
    )
    response = client.post(url, {"file": _upload("statement.csv", text, "gbk")})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.duplicates, report.guessed) == (2, 1, 2)
    assert [(line.row.category, line.duplicate) for line in report.lines] == [
        ("payroll", True),
        ("settlement", False),
        ("supplier", False),
    ]
    assert CashTransaction.objects.count() == 2  # nothing written by the preview
    payload = response.context["confirm"]["payload"].value()
    response = client.post(url, {"payload": payload})
    assert response.status_code == 302
    assert sorted(book["account"].transactions.values_list("reference", "category")) == [
        ("", "rent"),
        ("BK1", "other_income"),
        ("BK2", "settlement"),
        ("BK3", "supplier"),
    ]
    # the same confirm again adds nothing (all duplicates now)
    response = client.post(url, {"payload": payload})
    assert response.status_code == 200 and response.context["report"].created == 0
    assert CashTransaction.objects.count() == 4


def test_statement_import_row_errors_and_tampered_confirm(client_for, book):
    client = client_for(roles.FINANCE)
    url = reverse("finance:statement-import", args=["icbc"])
    text = "date,amount,description\n2026-03-02,-1,ok\n2026-13-02,-1,bad date\n2026-03-03,x,bad amount\n"
    response = client.post(url, {"file": _upload("s.csv", "\ufeff" + text)})
    assert response.status_code == 400
    assert [(e.line, e.column) for e in response.context["report"].errors] == [(3, "date"), (4, "amount")]
    assert response.context["confirm"] is None
    assert client.post(url, {"payload": "forged"}).status_code == 400
    assert CashTransaction.objects.count() == 1
    assert client.get(url, {"template": "csv"})["Content-Type"].startswith("text/csv")


def test_settlement_import_page_preview_confirm_and_list(client_for, on_today):
    channel = ChannelFactory(code="tmall")
    order = delivered_order(channel=channel, total="200.00", delivered_on=date(2026, 3, 1), external_id="T1")
    delivered_order(channel=channel, total="100.00", delivered_on=date(2026, 3, 1), external_id="T2")
    client = client_for(roles.FINANCE)
    url = reverse("finance:settlement-import")
    text = (
        "订单号,结算金额,结算日期,流水号\n"
        "T1,188.80,2026-03-11,S1\n"
        "T2,90.00,2026-03-11,S2\n"
        "T9,5.00,2026-03-11,S3\n"
    )
    response = client.post(url, {"channel": "tmall", "file": _upload("tmall.csv", text)})
    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.matched, report.unmatched, len(report.short_paid)) == (3, 2, 1, 1)
    response = client.post(url, {"payload": response.context["confirm"]["payload"].value()})
    assert response.status_code == 302
    assert Settlement.objects.get(reference="S1").order_id == order.pk
    listing = client.get(reverse("finance:settlement-list"), {"matched": "no"})
    assert [s.reference for s in listing.context["page_obj"]] == ["S3"]
    assert listing.context["totals"]["amount"] == Decimal("5.00")
    export = client.get(reverse("finance:settlement-list"), {"export": "xlsx"})
    sheet = load_workbook(BytesIO(export.content)).active
    assert sorted(row[2] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["S1", "S2", "S3"]


def test_receivables_page(client_for, on_today):
    channel = ChannelFactory(code="tmall")  # 5 % + 0.6 %, settled 10 days after delivery; grace 3 days
    overdue = delivered_order(
        channel=channel, total="200.00", delivered_on=date(2026, 3, 1), external_id="T1"
    )
    delivered_order(channel=channel, total="100.00", delivered_on=date(2026, 3, 15), external_id="T2")
    response = client_for(roles.FINANCE).get(reverse("finance:receivables"))
    report = response.context["report"]
    [row] = report.channels
    assert (
        row.outstanding,
        row.due_7,
        row.due_30,
        row.overdue,
        row.overdue_count,
        row.oldest_overdue_days,
    ) == (
        Decimal("283.20"),
        Decimal("94.40"),
        Decimal("94.40"),
        Decimal("188.80"),
        1,
        6,
    )
    starts = cashflow.week_starts(TODAY)
    assert report.starts == starts and starts[0].weekday() == 0
    weeks = report.schedule[0].weeks
    assert weeks[0] == Decimal("188.80")  # already due: the first week
    assert weeks[(date(2026, 3, 25) - starts[0]).days // 7] == Decimal("94.40")
    assert report.schedule_total.total == Decimal("283.20")
    assert [(r.order_id, r.days_overdue) for r in response.context["page_obj"]] == [(overdue.pk, 6)]
    assert reverse("orders:order-detail", args=[overdue.pk]).encode() in response.content
    export = client_for(roles.MANAGER).get(reverse("finance:receivables"), {"export": "csv"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["tmall,T1,2026-03-01,2026-03-01,2026-03-11,6,188.80,0.00,188.80"]


def test_payables_page_and_payment(client_for, on_today):
    a = SupplierFactory(code="a", name="Supplier A")
    b = SupplierFactory(code="b", name="Supplier B")
    po1 = PurchaseOrderFactory(
        number="PO-1", supplier=a, amount=Decimal("5000.00"), ordered_on=date(2026, 2, 1)
    )
    PurchaseOrderFactory(number="PO-2", supplier=b, amount=Decimal("3000.00"), ordered_on=date(2026, 3, 10))
    account = CashAccountFactory(code="icbc")
    client = client_for(roles.FINANCE)
    url = reverse("finance:payment-create", args=["PO-1"])
    response = client.post(url, {"amount": "5000.01", "paid_on": "2026-03-18"})
    assert response.status_code == 400 and response.context["form"].errors["amount"]
    response = client.post(
        url, {"amount": "1000", "paid_on": "2026-03-18", "reference": "P1", "account": "icbc"}
    )
    assert response.status_code == 302
    assert SupplierPayment.objects.get().purchase_order_id == po1.pk
    assert account.transactions.get().amount == Decimal("-1000.00")

    response = client.get(reverse("finance:payables"))
    report = response.context["report"]
    assert [(s.code, s.outstanding, s.overdue, s.due_4_weeks, s.share) for s in report.suppliers] == [
        ("a", Decimal("4000.00"), Decimal("4000.00"), Decimal("0.00"), Decimal("0.5714")),
        ("b", Decimal("3000.00"), Decimal("0.00"), Decimal("3000.00"), Decimal("0.4286")),
    ]
    assert [(p.number, p.days_overdue) for p in response.context["page_obj"]] == [("PO-1", 17), ("PO-2", 0)]
    assert reverse("inventory:po-detail", args=["PO-1"]).encode() in response.content
    assert report.schedule_total.total == Decimal("7000.00")
    overdue_only = client.get(reverse("finance:payables"), {"overdue": "1"})
    assert [p.number for p in overdue_only.context["page_obj"]] == ["PO-1"]
    export = client.get(reverse("finance:payables"), {"export": "csv", "supplier": "b"})
    lines = b"".join(export.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[1:] == ["PO-2,b,sent,3000.00,0.00,3000.00,2026-04-09,0"]


def test_booking_a_payment_on_an_account_needs_the_transaction_permission(make_user, client):
    from django.contrib.auth.models import Permission

    PurchaseOrderFactory(number="PO-1")
    CashAccountFactory(code="icbc")
    user = make_user(roles.MANAGER, "payer")  # reads finance; may record payments, not book transactions
    user.user_permissions.add(Permission.objects.get(codename="add_supplierpayment"))
    login_verified(client, user)
    url = reverse("finance:payment-create", args=["PO-1"])
    assert client.post(url, {"amount": "1", "paid_on": "2026-03-18", "account": "icbc"}).status_code == 403
    assert client.post(url, {"amount": "1", "paid_on": "2026-03-18"}).status_code == 302
    assert not CashTransaction.objects.exists() and SupplierPayment.objects.count() == 1


def test_expenses_page_cushion_edit_and_deactivate(client_for, on_today):
    rent = CommitmentFactory(name="Office rent", category="rent", amount=Decimal("12000.00"))
    CommitmentFactory(
        name="Warehouse staff", category="payroll", frequency="weekly", amount=Decimal("1200.00")
    )
    CommitmentFactory(
        name="Booth", category="other", frequency="once", fixed=False, starts_on=date(2026, 4, 1)
    )
    CashAccountFactory(code="icbc", opening_balance=Decimal("60000.00"))
    client = client_for(roles.FINANCE)
    response = client.get(reverse("finance:expense-list"))
    cushion = response.context["cushion"]
    assert (cushion.monthly_fixed_costs, cushion.cushion, cushion.target, cushion.months_covered) == (
        Decimal("17200.00"),
        Decimal("51600.00"),
        Decimal("103200.00"),
        Decimal("3.5"),
    )
    rows = {c.name: (c.monthly, c.next_on) for c in response.context["page_obj"]}
    assert rows == {
        "Booth": (None, date(2026, 4, 1)),
        "Office rent": (Decimal("12000.00"), date(2026, 4, 5)),
        "Warehouse staff": (Decimal("5200.00"), date(2026, 3, 23)),
    }
    edit = reverse("finance:expense-edit", args=[rent.pk])
    data = {
        "name": "Office rent",
        "category": "rent",
        "direction": "out",
        "amount": "13000",
        "frequency": "monthly",
        "starts_on": "2026-01-05",
        "fixed": "on",
        "active": "on",
    }
    assert client.post(edit, data).status_code == 302
    assert Commitment.objects.get(pk=rent.pk).amount == Decimal("13000.00")
    assert client.post(edit, {**data, "ends_on": "2025-01-01"}).status_code == 400
    assert client.get(reverse("finance:expense-delete", args=[rent.pk])).status_code == 405
    assert client.post(reverse("finance:expense-delete", args=[rent.pk])).status_code == 302
    assert Commitment.objects.get(pk=rent.pk).active is False
    inactive = client.get(reverse("finance:expense-list"), {"active": "no"})
    assert [c.name for c in inactive.context["page_obj"]] == ["Office rent"]
    export = client.get(reverse("finance:expense-list"), {"export": "xlsx", "active": "all"})
    sheet = load_workbook(BytesIO(export.content)).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Booth",
        "Warehouse staff",
        "Office rent",
    ]
    created = client.post(
        reverse("finance:expense-create"), {**data, "name": "SaaS", "category": "software", "amount": "99"}
    )
    assert created.status_code == 302 and Commitment.objects.filter(name="SaaS", active=True).exists()
