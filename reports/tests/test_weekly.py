"""The weekly manager report: content, one generation and one email per week, the PDF and XLSX, pages."""

import threading
from datetime import datetime, time, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from catalog.tests.factories import SKUFactory
from orders import services as order_services
from orders.models import Order
from orders.tests.factories import ChannelFactory, order_with_lines
from reports import rendering, report_content, services_reports, tasks_reports
from reports.models import ManagerReport, ReportKind, ReportSubscription
from shopops.common.dates import shop_today

REPORT_ROLES = ("operations", "finance", "manager", "admin")
OTHER_ROLES = ("inventory_planner", "marketing", "service_agent")
# Read once: a run crossing midnight keeps the same week.
TODAY = shop_today()
WEEK = report_content.previous_week_start(TODAY)


def at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def sales(db):
    """The week before: Tmall 200 + 100 on Monday, JD 150 on Wednesday (cost 40 per a, 20 per b); the week
    before that: one Tmall order of 400."""
    tmall = ChannelFactory(code="tmall", name="Tmall")
    jd = ChannelFactory(code="jd", name="JD")
    a = SKUFactory(unit_cost=Decimal("40.00"))
    b = SKUFactory(unit_cost=Decimal("20.00"))
    paid = Order.Status.PAID
    order_with_lines(channel=tmall, placed_at=at(WEEK, 10), status=paid, lines=[(a, 2, Decimal("100.00"), 0)])
    order_with_lines(channel=tmall, placed_at=at(WEEK, 15), status=paid, lines=[(a, 1, Decimal("100.00"), 0)])
    order_with_lines(
        channel=jd,
        placed_at=at(WEEK + timedelta(days=2), 11),
        status=paid,
        lines=[(b, 3, Decimal("50.00"), 0)],
    )
    order_with_lines(
        channel=tmall,
        placed_at=at(WEEK - timedelta(days=6), 11),
        status=paid,
        lines=[(a, 4, Decimal("100.00"), 0)],
    )
    order_services.order_facts_rebuild(start=WEEK - timedelta(days=14), end=WEEK + timedelta(days=7))


def user_with(role, username, email="", kinds=()):
    user = User.objects.create_user(username=username, email=email, password="pw-123456789")  # noqa: S106
    if role:
        user.groups.add(Group.objects.get(name=role))
    for kind in kinds:
        ReportSubscription.objects.create(user=user, kind=kind)
    return user


@pytest.fixture
def subscribers(db):
    """Only the manager should get the weekly email: the finance user takes the daily digest, the operations
    user has no address, the marketing user may not open reports, the inactive one is inactive."""
    user_with("manager", "boss", "boss@example.com", [ReportKind.WEEKLY])
    user_with("finance", "cfo", "cfo@example.com", [ReportKind.DAILY])
    user_with("operations", "ops", "", [ReportKind.WEEKLY])
    user_with("marketing", "mkt", "mkt@example.com", [ReportKind.WEEKLY])
    gone = user_with("manager", "gone", "gone@example.com", [ReportKind.WEEKLY])
    gone.is_active = False
    gone.save()


def kpi(content, key):
    return next(r for r in content["kpis"] if r["key"] == key)


def test_weekly_content_has_every_section_with_exact_values(sales):
    content = report_content.weekly_content(WEEK)
    assert content["period_start"] == WEEK.isoformat()
    assert content["period_end"] == (WEEK + timedelta(days=7)).isoformat()
    assert content["period_last"] == (WEEK + timedelta(days=6)).isoformat()
    assert kpi(content, "gmv") == {
        "key": "gmv",
        "value": "450.00",
        "previous": "400.00",
        "change_previous": "0.1250",
        "last_year": "0.00",
        "change_last_year": None,
    }
    assert kpi(content, "orders")["value"] == 3 and kpi(content, "orders")["previous"] == 1
    assert kpi(content, "units")["value"] == 6
    assert kpi(content, "aov")["value"] == "150.00"
    assert kpi(content, "gross_margin")["value"] == "0.6000"  # (450 - 3 × 40 - 3 × 20) / 450
    assert kpi(content, "new_customers")["value"] == 3
    assert [(c["code"], c["gmv"], c["orders"], c["share"]) for c in content["channels"]] == [
        ("tmall", "300.00", 2, "0.6667"),
        ("jd", "150.00", 1, "0.3333"),
    ]
    assert [(d["date"], d["gmv"], d["orders"]) for d in content["daily"]] == [
        ((WEEK + timedelta(days=i)).isoformat(), gmv, n)
        for i, (gmv, n) in enumerate(
            [("300.00", 2), ("0.00", 0), ("150.00", 1), ("0.00", 0), ("0.00", 0), ("0.00", 0), ("0.00", 0)]
        )
    ]
    for section in ("finance", "inventory", "marketing", "service"):
        assert isinstance(content[section], dict), section
    assert content["finance"]["alerts_by_level"] == {"watch": 0, "warning": 0, "critical": 0}
    assert content["anomalies"] == []  # two weeks of history: no day is judged
    assert content["actions"] == []  # sales grew, no alert, no stockout risk


def test_weekly_content_on_an_empty_database(db):
    content = report_content.weekly_content(WEEK)
    assert kpi(content, "gmv")["value"] == "0.00"
    assert kpi(content, "aov")["value"] is None
    assert content["channels"] == []
    assert len(content["daily"]) == 7


def test_actions_are_ranked_from_concrete_signals():
    rows = report_content.kpi_rows(
        {
            **dict.fromkeys(report_content.kpis.ORDER_KPIS),
            "gmv": Decimal("800.00"),
            "gross_margin": Decimal("0.3000"),
        },
        {
            **dict.fromkeys(report_content.kpis.ORDER_KPIS),
            "gmv": Decimal("1000.00"),
            "gross_margin": Decimal("0.3500"),
        },
    )
    finance = {
        "alerts": [
            {
                "level": "watch",
                "level_label": "Watch",
                "metric_label": "DSO",
                "message": "DSO 40",
                "url": "/w/",
            },
            {
                "level": "critical",
                "level_label": "Critical",
                "metric_label": "Cash",
                "message": "Cash is low",
                "url": "/c/",
            },
        ],
        "runway_months": "2.5",
    }
    inventory = {
        "projected_stockouts": [{"sku_code": "A1", "date": "2026-01-09"}],
        "projected_stockouts_total": 4,
    }
    service = {"sla_attainment": "0.8000", "sla_met": 8, "sla_total": 10}
    anomaly = {
        "day": "2026-01-05",
        "metric": "gmv",
        "value": "10.00",
        "expected": "100.00",
        "deviation": "-0.9000",
        "direction": "down",
        "contributions": [{"name": "Tmall", "change": "-90.00"}],
    }
    start, end = WEEK, WEEK + timedelta(days=7)
    signals = (
        report_content._finance_signals(finance)
        + report_content._anomaly_signals([anomaly], start=start, end=end)
        + report_content._sales_signals(rows, start=start, end=end)
        + report_content._inventory_signals(inventory)
        + report_content._service_signals(service)
    )
    ranked = report_content.actions_rank(signals)
    assert [a["kind"] for a in ranked] == [
        "finance_critical",
        "runway",
        "anomaly_down",
        "gmv_drop",
        "stockout",
    ]
    assert ranked[0]["reason"] == "Critical finance alert — Cash is low"
    assert ranked[0]["link"] == "/c/"
    assert (
        ranked[2]["reason"]
        == "GMV on 2026-01-05 was 10.00, expected 100.00 (-90.0%). Largest change: Tmall (-90.00)."
    )
    assert ranked[2]["link"] == reverse("reports:anomalies") + f"?start={start}&end={end}"
    assert ranked[3]["reason"] == "GMV fell -20.0% vs the week before (800.00 vs 1000.00)."
    assert ranked[4]["link"] == reverse("inventory:replenishment")
    # margin (-5 points), SLA (80 % < 90 %) and the watch alert come after the five
    assert {s.kind for s in signals} - {a["kind"] for a in ranked} == {"margin", "sla", "finance_watch"}


def test_generated_once_per_week_and_emailed_once_to_subscribers(sales, subscribers):
    tasks_reports.weekly_report_generate.delay(WEEK.isoformat())
    tasks_reports.weekly_report_generate.delay(WEEK.isoformat())
    report = ManagerReport.objects.get()
    assert (report.kind, report.period_start, report.period_end) == (
        ReportKind.WEEKLY,
        WEEK,
        WEEK + timedelta(days=7),
    )
    assert report.generations == 1
    assert report.recipients == 1 and report.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    message = mail.outbox[0]
    assert message.subject == f"Weekly manager report {WEEK} – {WEEK + timedelta(days=6)}"
    html = message.alternatives[0].content
    assert f'src="cid:weekly-{WEEK}-daily@shopops"' in html and "¥450.00" in html
    mime = message.message()
    assert mime.get_content_type() == "multipart/mixed"
    related = mime.get_payload()[0]
    assert related.get_content_type() == "multipart/related"
    assert [p.get_content_type() for p in related.get_payload()] == [
        "multipart/alternative",
        "image/png",
        "image/png",
    ]
    assert related.get_payload()[1]["Content-ID"] == f"<weekly-{WEEK}-daily@shopops>"
    pdf = mime.get_payload()[1]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_payload(decode=True).startswith(b"%PDF")

    # force: a new generation, no second email; force + resend: emailed again
    first_content = report.content
    again = services_reports.weekly_report_generate(week_start=WEEK, force=True)
    assert again.generations == 2 and len(mail.outbox) == 1
    assert again.content["kpis"] == first_content["kpis"]
    services_reports.weekly_report_generate(week_start=WEEK, force=True, resend=True)
    assert ManagerReport.objects.get().generations == 3
    assert len(mail.outbox) == 2


def test_task_without_a_week_takes_the_week_before(sales):
    tasks_reports.weekly_report_generate.delay(None)
    assert ManagerReport.objects.get().period_start == WEEK


def test_only_finished_weeks_starting_on_monday(db):
    with pytest.raises(ValidationError):
        services_reports.weekly_report_generate(week_start=WEEK + timedelta(days=1))
    with pytest.raises(ValidationError):
        services_reports.weekly_report_generate(week_start=WEEK + timedelta(days=7))  # this week
    assert not ManagerReport.objects.exists()


def test_pdf_and_xlsx_open_with_the_report_figures(sales):
    report = services_reports.weekly_report_generate(week_start=WEEK)
    reader = PdfReader(BytesIO(rendering.report_pdf(report)))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Weekly manager report" in text and "450.00" in text
    workbook = load_workbook(BytesIO(rendering.report_xlsx(report)))
    assert workbook.sheetnames == [
        "Summary",
        "KPIs",
        "Channels",
        "Daily",
        "Finance",
        "Inventory",
        "Marketing",
        "Service",
        "Anomalies",
    ]
    kpis = {row[1]: row for row in workbook["KPIs"].iter_rows(min_row=2, values_only=True)}
    assert kpis["gmv"][:5] == ("GMV", "gmv", 450, 400, 0.125)
    assert kpis["orders"][2:4] == (3, 1)
    channels = list(workbook["Channels"].iter_rows(min_row=2, values_only=True))
    assert channels == [("Tmall", "tmall", 300, 2, 150, 0.6667), ("JD", "jd", 150, 1, 150, 0.3333)]


@pytest.mark.parametrize("role", REPORT_ROLES)
def test_pages_open_for_report_roles(sales, client_for, role):
    services_reports.weekly_report_generate(week_start=WEEK, email=False)
    client = client_for(role)
    week = WEEK.isoformat()
    page = client.get(reverse("reports:weekly-list"))
    assert page.status_code == 200 and week in page.content.decode()
    detail = client.get(reverse("reports:weekly-detail", args=[week]))
    assert detail.status_code == 200
    body = detail.content.decode()
    assert "¥450.00" in body and 'data-figure="report-chart-daily"' in body and "<script>" not in body
    pdf = client.get(reverse("reports:weekly-pdf", args=[week]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = client.get(reverse("reports:weekly-xlsx", args=[week]))
    assert xlsx.status_code == 200 and load_workbook(BytesIO(xlsx.content)).sheetnames[0] == "Summary"
    assert client.get(reverse("reports:weekly-detail", args=["2001-01-01"])).status_code == 404
    assert client.get(reverse("reports:subscriptions")).status_code == 200


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_pages_forbidden_to_other_roles(sales, client_for, role):
    services_reports.weekly_report_generate(week_start=WEEK, email=False)
    client = client_for(role)
    week = WEEK.isoformat()
    for url in (
        reverse("reports:weekly-list"),
        reverse("reports:weekly-detail", args=[week]),
        reverse("reports:weekly-pdf", args=[week]),
        reverse("reports:weekly-xlsx", args=[week]),
        reverse("reports:subscriptions"),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("reports:weekly-generate"), {"period": week}).status_code == 403


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get(reverse("reports:weekly-list"))
    assert response.status_code == 302 and response["Location"] == "/login/?next=/reports/weekly/"


@pytest.mark.parametrize("role", ("manager", "admin"))
def test_generate_on_demand_by_manager_and_admin(sales, subscribers, client_for, role):
    client = client_for(role)
    url = reverse("reports:weekly-generate")
    assert client.get(url).status_code == 405
    # any day of the week picks its Monday; without "email" nobody is emailed
    response = client.post(url, {"period": (WEEK + timedelta(days=3)).isoformat()})
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:weekly-detail", args=[WEEK.isoformat()])
    assert ManagerReport.objects.get().generations == 1 and mail.outbox == []
    client.post(url, {"period": WEEK.isoformat(), "email": "1"})
    report = ManagerReport.objects.get()
    assert report.generations == 2 and report.recipients == 1
    assert [m.to for m in mail.outbox] == [["boss@example.com"]]
    response = client.post(url, {"period": TODAY.isoformat()}, follow=True)
    assert "The week has not ended yet." in response.content.decode()


@pytest.mark.parametrize("role", ("operations", "finance"))
def test_generate_forbidden_to_viewers(sales, client_for, role):
    client = client_for(role)
    assert client.post(reverse("reports:weekly-generate"), {"period": WEEK.isoformat()}).status_code == 403
    assert client.get(reverse("reports:weekly-generate")).status_code == 403
    assert not ManagerReport.objects.exists()


def test_subscriptions_toggle_mine(client_for):
    client = client_for("operations")
    user = User.objects.get(username="user-operations")
    url = reverse("reports:subscriptions")
    assert client.post(url, {"kind": "weekly", "subscribed": "1"}).status_code == 302
    assert client.post(url, {"kind": "daily", "subscribed": "1"}).status_code == 302
    assert set(ReportSubscription.objects.filter(user=user).values_list("kind", flat=True)) == {
        "weekly",
        "daily",
    }
    client.post(url, {"kind": "weekly", "subscribed": "0"})
    assert list(ReportSubscription.objects.filter(user=user).values_list("kind", flat=True)) == ["daily"]
    page = client.get(url).content.decode()
    assert (
        'data-kind="daily" data-subscribed="1"' in page and 'data-kind="weekly" data-subscribed="0"' in page
    )
    assert client.post(url, {"kind": "monthly", "subscribed": "1"}).status_code == 302
    assert ReportSubscription.objects.filter(user=user).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_make_one_report_and_one_email(sales, subscribers):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            barrier.wait()
            services_reports.weekly_report_generate(week_start=WEEK)
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = ManagerReport.objects.get()
    assert report.generations == 1 and report.recipients == 1
    assert len(mail.outbox) == 1
