"""The KPI explorer and anomalies pages: who may open them, the values they show, the exports."""

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from reports import kpis
from reports.tests.test_anomalies_db import SPIKE, build_sales
from shopops.common.money import format_money

pytestmark = pytest.mark.django_db
PERIOD = {"start": "2026-02-02", "end": "2026-03-03"}  # 29 days, the 4 Mondays before SPIKE and SPIKE
ALLOWED = ["operations", "finance", "manager", "admin"]
REFUSED = ["marketing", "service_agent", "inventory_planner"]
PAGES = ["reports:explorer", "reports:anomalies"]


@pytest.mark.parametrize("role", ALLOWED)
def test_pages_open_for_reports_roles(client_for, role):
    build_sales()
    client = client_for(role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 200
        assert client.get(reverse(name), PERIOD).status_code == 200
        assert client.get(reverse(name), {**PERIOD, "export": "csv"}).status_code == 200


@pytest.mark.parametrize("role", REFUSED)
def test_pages_refused_to_other_roles(client_for, role):
    client = client_for(role)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == 403
        assert client.get(reverse(name), {"export": "csv"}).status_code == 403


def test_anonymous_goes_to_login_and_post_is_refused(client, client_for):
    for name in PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("login") in response["Location"]
    manager = client_for("manager")
    for name in PAGES:
        assert manager.post(reverse(name), PERIOD).status_code == 405


def test_default_period_is_the_last_28_complete_days(client_for):
    response = client_for("operations").get(reverse("reports:explorer"))
    filters = response.context["filters"]
    assert filters["end"] - filters["start"] == timedelta(days=28)
    assert filters["granularity"] == "day" and filters["channel"] is None and filters["category"] is None
    assert len(response.context["page_obj"].object_list) == 28


def test_cards_show_kpi_totals_with_changes_and_definitions(client_for):
    build_sales()
    response = client_for("manager").get(reverse("reports:explorer"), PERIOD)
    html = response.content.decode()
    totals = kpis.kpi_totals(start=date(2026, 2, 2), end=date(2026, 3, 3))
    # 6 orders: 5 x 100.00 tea on Tmall, 1 x 3 x 100.00 cups on JD
    assert (totals["orders"], totals["units"], totals["gmv"], totals["aov"]) == (
        6,
        8,
        Decimal("800.00"),
        Decimal("133.33"),
    )
    cards = {c["key"]: c for c in response.context["cards"]}
    assert list(cards) == list(kpis.ORDER_KPIS)
    for key in kpis.ORDER_KPIS:
        assert cards[key]["value"] == totals[key]
        assert f'data-kpi="{key}"' in html
        assert escape(str(kpis.KPI_DEFINITIONS[key])) in html
    assert 'data-testid="kpi-value">¥800.00<' in html
    assert 'data-testid="kpi-value">¥133.33<' in html
    assert 'data-testid="kpi-value">6<' in html
    # the 29 days before (3-31 Jan) hold nothing, nor the same dates of 2025: no change to show
    assert cards["gmv"]["previous"] == Decimal("0.00") and cards["gmv"]["change_previous"] is None
    assert cards["gmv"]["last_year"] == Decimal("0.00") and cards["gmv"]["change_last_year"] is None
    # the spike Monday is flagged on the cards, the list, the table and the chart
    assert cards["gmv"]["anomalies"] == 1 and cards["orders"]["anomalies"] == 1
    assert cards["units"]["anomalies"] == 0
    assert 'data-anomaly="2026-03-02:gmv"' in html
    assert 'data-contribution="channel:JD"' in html
    assert 'data-period="2026-03-02" data-flagged="1"' in html
    assert 'data-period="2026-02-23"' in html and 'data-period="2026-02-23" data-flagged' not in html
    for chart_id in ("kpi-gmv-orders", "kpi-customers", "kpi-aov", "kpi-gross_margin", "kpi-return_rate"):
        assert f'data-figure="{chart_id}"' in html
    figure = {c: f for c, _label, f in response.context["figures"]}["kpi-gmv-orders"]
    markers = [t for t in figure["data"] if t.get("mode") == "markers"]
    assert [m["x"] for m in markers] == [["2026-03-02"], ["2026-03-02"]]


def test_changes_against_previous_period_and_last_year(client_for):
    build_sales()
    # 2 Mar vs 1 Mar (nothing) and vs 23 Feb (previous for a 7-day window)
    response = client_for("finance").get(
        reverse("reports:explorer"), {"start": "2026-02-24", "end": "2026-03-03"}
    )
    cards = {c["key"]: c for c in response.context["cards"]}
    assert cards["gmv"]["value"] == Decimal("400.00")
    assert cards["gmv"]["previous"] == Decimal("100.00")
    assert cards["gmv"]["change_previous"] == Decimal("3.0000")
    assert cards["orders"]["change_previous"] == Decimal("1.0000")
    assert 'data-testid="kpi-change-previous">+300.0%<' in response.content.decode()


def test_week_granularity_and_channel(client_for):
    data = build_sales()
    client = client_for("operations")
    response = client.get(
        reverse("reports:explorer"), {**PERIOD, "granularity": "week", "channel": data["jd"].pk}
    )
    rows = response.context["page_obj"].object_list
    assert [r["period_start"] for r in rows] == [date(2026, 2, 2) + timedelta(weeks=k) for k in range(5)]
    cards = {c["key"]: c for c in response.context["cards"]}
    assert (cards["orders"]["value"], cards["gmv"]["value"]) == (1, Decimal("300.00"))


def test_category_section(client_for):
    data = build_sales()
    response = client_for("manager").get(
        reverse("reports:explorer"), {**PERIOD, "category": data["tea"].product.category_id}
    )
    html = response.content.decode()
    category = response.context["category"]
    assert category["name"] == "Tea"
    assert [(r["units"], r["revenue"], r["cost_of_goods"], r["gross_margin"]) for r in category["sales"]] == [
        (5, Decimal("500.00"), Decimal("200.00"), Decimal("0.6000"))
    ]
    assert sum(d["revenue"] for d in category["days"]) == Decimal("500.00")
    assert {d["day"]: d["units"] for d in category["days"] if d["units"]}[SPIKE] == 1
    assert 'data-testid="category-note"' in html and 'data-figure="kpi-category"' in html
    # the order KPIs stay those of the whole shop
    assert {c["key"]: c["value"] for c in response.context["cards"]}["gmv"] == Decimal("800.00")


def test_bad_period_is_a_400_with_the_error(client_for):
    client = client_for("manager")
    response = client.get(reverse("reports:explorer"), {"start": "2026-03-03", "end": "2026-02-02"})
    assert response.status_code == 400
    assert 'data-field-error="end"' in response.content.decode()
    response = client.get(reverse("reports:explorer"), {"granularity": "year"})
    assert response.status_code == 400


def test_export_csv_has_every_series_row_and_kpi(client_for):
    build_sales()
    response = client_for("operations").get(reverse("reports:explorer"), {**PERIOD, "export": "csv"})
    assert response["Content-Disposition"] == 'attachment; filename="kpis-20260202-20260303-day.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Period start", *[str(kpis.KPI_LABELS[k]) for k in kpis.ORDER_KPIS]]
    assert len(rows) == 1 + 29
    spike = dict(zip(rows[0], next(r for r in rows if r[0] == "2026-03-02"), strict=True))
    assert (spike["Orders"], spike["Units"], spike["GMV"], spike["Average order value"]) == (
        "2",
        "4",
        "400.00",
        "200.00",
    )
    assert spike["Net sales"] == "400.00" and spike["Customers"] == "2" and spike["Cancel rate"] == "0.0000"
    quiet = dict(zip(rows[0], next(r for r in rows if r[0] == "2026-02-03"), strict=True))
    assert (quiet["Orders"], quiet["GMV"], quiet["Average order value"], quiet["Gross margin"]) == (
        "0",
        "0.00",
        "",
        "",
    )


def test_export_xlsx_weeks(client_for):
    build_sales()
    response = client_for("manager").get(
        reverse("reports:explorer"), {**PERIOD, "granularity": "week", "export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 5
    assert rows[1][:4] == ("2026-02-02", 1, 1, 100)
    assert rows[5][:4] == ("2026-03-02", 2, 4, 400)


def test_anomalies_page_lists_and_exports(client_for):
    build_sales()
    client = client_for("finance")
    html = client.get(reverse("reports:anomalies"), PERIOD).content.decode()
    for metric in ("gmv", "orders", "aov", "net_sales"):
        assert f'data-anomaly="2026-03-02:{metric}"' in html
    assert format_money(Decimal("400.00")) in html and "+300.0%" in html
    assert 'data-contribution="category:Cups"' in html
    html = client.get(reverse("reports:anomalies"), {**PERIOD, "metric": "orders"}).content.decode()
    assert 'data-anomaly="2026-03-02:orders"' in html and 'data-anomaly="2026-03-02:gmv"' not in html
    response = client.get(reverse("reports:anomalies"), {**PERIOD, "export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Day", "Figure", "Value"]
    assert rows[1][:8] == ["2026-03-02", "GMV", "400.00", "100.00", "75.00", "125.00", "3.0000", "up"]
    assert rows[1][8].startswith("category Cups: +300.00; channel JD: +300.00")


def test_the_other_areas_kpis_come_from_their_areas(client_for):
    from reports import areas

    build_sales()
    response = client_for("operations").get(reverse("reports:explorer"), PERIOD)
    assert response.context["areas"] == areas.area_kpis(
        start=date(2026, 2, 2), end=date(2026, 3, 3), as_of=date(2026, 3, 2)
    )
    html = response.content.decode()
    for testid in (
        "area-sla",
        "area-csat",
        "area-nps",
        "area-stockout",
        "area-turnover",
        "area-ad-roi",
        "area-runway",
        "area-ccc",
    ):
        assert f'data-testid="{testid}"' in html
