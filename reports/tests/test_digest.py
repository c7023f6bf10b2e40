"""The daily operations digest: yesterday against the same weekday a week earlier, what waits now, one
generation and one email per day to the daily subscribers only, downloads and pages."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from catalog.tests.factories import SKUFactory
from finance.models import OrderRisk
from finance.tests.factories_risk import OrderRiskFactory
from orders import services as order_services
from orders.models import Order, OrderException
from orders.tests.factories import ChannelFactory, order_with_lines
from reports import rendering, report_content, services_reports, tasks_reports
from reports.models import ManagerReport, ReportKind, ReportSubscription
from shopops.common.dates import shop_today

TODAY = shop_today()
DAY = TODAY - timedelta(days=1)
WEEK_BEFORE = DAY - timedelta(days=7)


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def ops(db):
    """Yesterday: two Tmall orders (120 + 80); the same weekday a week before: one of 100. Now: a late
    order exception and a backorder (plus a resolved one), and one order held for risk review."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    sku = SKUFactory(unit_cost=Decimal("30.00"))
    paid = Order.Status.PAID
    first = order_with_lines(
        channel=tmall, placed_at=at(DAY, 9), status=paid, lines=[(sku, 1, Decimal("120.00"), 0)]
    )
    order_with_lines(channel=tmall, placed_at=at(DAY, 20), status=paid, lines=[(sku, 1, Decimal("80.00"), 0)])
    before = order_with_lines(
        channel=tmall, placed_at=at(WEEK_BEFORE, 9), status=paid, lines=[(sku, 1, Decimal("100.00"), 0)]
    )
    order_services.order_facts_rebuild(start=WEEK_BEFORE, end=TODAY)
    OrderException.objects.create(order=first, kind=OrderException.Kind.LATE)
    OrderException.objects.create(order=first, kind=OrderException.Kind.BACKORDER)
    OrderException.objects.create(order=before, kind=OrderException.Kind.ADDRESS, resolved_at=timezone.now())
    OrderRiskFactory(order=before, status=OrderRisk.Status.HELD)


def subscribe(role, username, email, kinds):
    user = User.objects.create_user(username=username, email=email, password="pw-123456789")  # noqa: S106
    user.groups.add(Group.objects.get(name=role))
    for kind in kinds:
        ReportSubscription.objects.create(user=user, kind=kind)
    return user


def kpi(content, key):
    return next(r for r in content["kpis"] if r["key"] == key)


def test_digest_content(ops):
    content = report_content.daily_content(DAY)
    assert (content["kind"], content["period_start"], content["previous_start"]) == (
        "daily",
        DAY.isoformat(),
        WEEK_BEFORE.isoformat(),
    )
    assert kpi(content, "gmv") == {
        "key": "gmv",
        "value": "200.00",
        "previous": "100.00",
        "change_previous": "1.0000",
    }
    assert kpi(content, "orders")["value"] == 2 and kpi(content, "aov")["value"] == "100.00"
    assert len(content["daily"]) == report_content.TREND_DAYS
    assert content["daily"][-1] == {
        "date": DAY.isoformat(),
        "gmv": "200.00",
        "orders": 2,
        "units": 2,
        "aov": "100.00",
        "net_sales": "200.00",
    }
    assert content["waiting"]["exceptions_total"] == 2
    assert content["waiting"]["exceptions"] == [
        {"kind": "late", "label": "Not processed within 2 hours of payment", "count": 1},
        {"kind": "backorder", "label": "Backordered lines", "count": 1},
    ]
    assert content["waiting"]["held_orders"] == 1
    assert content["waiting"]["sla_breached_total"] == 0
    assert content["anomalies"] == []
    assert content["inventory"]["projected_stockouts"] == []
    assert [a["kind"] for a in content["actions"]] == ["order_exceptions", "held_orders"]
    assert content["actions"][0] == {
        "kind": "order_exceptions",
        "reason": "2 order exceptions are open.",
        "link": reverse("orders:exception-list"),
        "priority": report_content.PRIORITY["order_exceptions"],
    }


def test_digest_once_per_day_to_daily_subscribers_only(ops):
    subscribe("operations", "ops", "ops@example.com", [ReportKind.DAILY])
    subscribe("manager", "boss", "boss@example.com", [ReportKind.WEEKLY])
    tasks_reports.daily_digest_generate.delay(None)
    tasks_reports.daily_digest_generate.delay(DAY.isoformat())
    report = ManagerReport.objects.get()
    assert (report.kind, report.period_start, report.period_end, report.generations, report.recipients) == (
        ReportKind.DAILY,
        DAY,
        TODAY,
        1,
        1,
    )
    assert [m.to for m in mail.outbox] == [["ops@example.com"]]
    assert mail.outbox[0].subject == f"Daily operations digest {DAY}"
    assert mail.outbox[0].attachments[0].filename == f"daily-report-{DAY}.pdf"
    services_reports.daily_digest_generate(day=DAY, force=True)
    assert ManagerReport.objects.get().generations == 2 and len(mail.outbox) == 1


def test_digest_only_for_a_finished_day(db):
    with pytest.raises(ValidationError):
        services_reports.daily_digest_generate(day=TODAY)


def test_digest_downloads_and_pages(ops, client_for):
    report = services_reports.daily_digest_generate(day=DAY, email=False)
    workbook = load_workbook(BytesIO(rendering.report_xlsx(report)))
    assert workbook.sheetnames == [
        "Summary",
        "KPIs",
        "Channels",
        "Daily",
        "Inventory",
        "Waiting",
        "Anomalies",
    ]
    kpis = {row[1]: row for row in workbook["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kpis["gmv"] == ("GMV", "gmv", 200, 100, 1)
    waiting = dict(workbook["Waiting"].iter_rows(min_row=2, max_row=4, values_only=True))
    assert waiting == {
        "Open order exceptions": 2,
        "Orders held for risk review": 1,
        "Open tickets with a breached SLA": 0,
    }
    day = DAY.isoformat()
    for role in ("operations", "finance", "manager", "admin"):
        client = client_for(role)
        assert day in client.get(reverse("reports:daily-list")).content.decode()
        page = client.get(reverse("reports:daily-detail", args=[day]))
        assert page.status_code == 200 and "Orders held for risk review" in page.content.decode()
        assert client.get(reverse("reports:daily-pdf", args=[day])).content.startswith(b"%PDF")
        assert client.get(reverse("reports:daily-xlsx", args=[day])).status_code == 200
        client.logout()
    client = client_for("service_agent")
    assert client.get(reverse("reports:daily-list")).status_code == 403
    assert client.get(reverse("reports:daily-detail", args=[day])).status_code == 403
    client.force_login(User.objects.get(username="user-operations"))
    assert client.post(reverse("reports:daily-generate"), {"period": day}).status_code == 403


def test_daily_generate_by_manager(ops, client_for):
    client = client_for("manager")
    response = client.post(reverse("reports:daily-generate"), {"period": DAY.isoformat()})
    assert response["Location"] == reverse("reports:daily-detail", args=[DAY.isoformat()])
    assert ManagerReport.objects.get(kind=ReportKind.DAILY).generations == 1
