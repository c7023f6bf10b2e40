"""Campaign pages: list (filters, export, channel ROI), detail (metrics, bands, charts, checklist), create /
edit, calendar; who may open and write each."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from marketing.models import AdMetricDay, Campaign, Promotion
from orders.tests.factories import ChannelFactory

pytestmark = pytest.mark.django_db
NOW = "2026-11-05T10:00:00+08:00"


@pytest.fixture
def data(time_machine):
    time_machine.move_to(NOW, tick=False)
    douyin = ChannelFactory(code="douyin", name="Douyin")
    tmall = ChannelFactory(code="tmall", name="Tmall")
    d11 = Campaign.objects.create(
        code="D11-2026",
        name="双11 Double 11 2026",
        kind=Campaign.Kind.FESTIVAL,
        starts_on=date(2026, 10, 20),
        ends_on=date(2026, 11, 11),
        planning_lead_days=60,
        budget=Decimal("10000.00"),
        checklist=[
            {"key": "budget", "item": "x", "owner": "marketing", "done": False},
            {"item": "直播", "done": True},
        ],
    )
    ads = Campaign.objects.create(
        code="ADS-DY",
        name="Douyin ads",
        kind=Campaign.Kind.ADS,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
    )
    # In band: CTR 3 %, CPC 1.00, CVR 5 %, ROI 4.
    AdMetricDay.objects.create(
        campaign=d11,
        channel=douyin,
        day=date(2026, 11, 1),
        impressions=10000,
        clicks=300,
        spend=Decimal("300.00"),
        orders=15,
        revenue=Decimal("1200.00"),
        new_customers=6,
    )
    # Out of band: CTR 0.5 %, CPC 4.00, CVR 2 %, ROI 2.
    AdMetricDay.objects.create(
        campaign=d11,
        channel=tmall,
        day=date(2026, 11, 2),
        impressions=10000,
        clicks=50,
        spend=Decimal("200.00"),
        orders=1,
        revenue=Decimal("400.00"),
    )
    return {"d11": d11, "ads": ads}


def test_list_filters_and_roi_table(data, client_for):
    client = client_for("marketing")
    html = client.get(reverse("marketing:campaign-list")).content.decode()
    assert 'data-campaign="D11-2026"' in html and 'data-campaign="ADS-DY"' in html
    html = client.get(reverse("marketing:campaign-list"), {"kind": "ads"}).content.decode()
    assert 'data-campaign="D11-2026"' not in html and 'data-campaign="ADS-DY"' in html
    html = client.get(reverse("marketing:campaign-list"), {"status": "upcoming"}).content.decode()
    assert "data-campaign=" not in html.split('data-testid="campaign-table"')[1].split("</table>")[0]
    html = client.get(reverse("marketing:campaign-list"), {"q": "double"}).content.decode()
    assert 'data-campaign="D11-2026"' in html and 'data-campaign="ADS-DY"' not in html
    # Channel ROI over the last 30 days: tmall out of band on all four
    html = client.get(reverse("marketing:campaign-list")).content.decode()
    roi = html.split('data-testid="channel-roi"')[1].split("</table>")[0]
    tmall = roi.split('data-channel="tmall"')[1].split("</tr>")[0]
    assert 'data-metric="ctr" data-flag="low"' in tmall and "0.50%" in tmall
    assert 'data-metric="cpc" data-flag="high"' in tmall and "¥4.00" in tmall
    douyin = roi.split('data-channel="douyin"')[1].split("</tr>")[0]
    assert "data-flag" not in douyin


def test_list_export_csv(data, client_for):
    response = client_for("manager").get(reverse("marketing:campaign-list"), {"export": "csv"})
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("Code,Name,Kind")
    assert "D11-2026,双11 Double 11 2026,Festival,,2026-10-20,2026-11-11,10000.00,0.00,500.00" in lines


def test_detail_shows_metrics_bands_burn_and_charts(data, client_for):
    html = client_for("manager").get(reverse("marketing:campaign-detail", args=["D11-2026"])).content.decode()
    assert 'data-figure="campaign-money"' in html and 'data-figure="campaign-rates"' in html
    day2 = html.split('data-day="2026-11-02"')[1].split("</tr>")[0]
    assert 'data-metric="roi" data-flag="low"' in day2
    totals = html.split('data-testid="totals"')[1].split("</tr>")[0]
    # 20,000 impressions, 350 clicks, ¥500 spend, 16 orders, ¥1,600 revenue: CTR 1.75 %, CPC 1.43, ROI 3.2
    assert "1.75%" in totals and "¥1.43" in totals and ">3.20<" in totals.replace(" ", "")
    # burn: 500 of 10,000 spent (5 %) by day 17 of 23 (73.9 %)
    assert "5.0%" in html and "73.9%" in html
    assert "Set the budget and the sales target" in html and "直播" in html
    assert 'data-testid="campaign-edit"' not in html  # the manager reads only


def test_checklist_tick_by_marketing_not_by_manager(data, client_for):
    url = reverse("marketing:campaign-detail", args=["D11-2026"])
    assert client_for("manager").post(url, {"action": "tick", "index": "0", "done": "1"}).status_code == 403
    client = client_for("marketing")
    response = client.post(url, {"action": "tick", "index": "0", "done": "1"})
    assert response.status_code == 302
    data["d11"].refresh_from_db()
    assert [i["done"] for i in data["d11"].checklist] == [True, True]
    client.post(url, {"action": "add_item", "item": "Book the livestream", "owner": "marketing"})
    data["d11"].refresh_from_db()
    assert data["d11"].checklist[-1] == {"item": "Book the livestream", "owner": "marketing", "done": False}


def test_create_and_edit(data, client_for):
    sku = SKUFactory(code="SKU-0001")
    client = client_for("marketing")
    form = {
        "code": "anniv-2026",
        "name": "店庆",
        "kind": "shop_event",
        "channel": "",
        "starts_on": "2026-12-20",
        "ends_on": "2026-12-22",
        "planning_lead_days": "30",
        "budget": "5000.00",
        "other_cost": "800.50",
        "expected_lift": "1.8",
        "skus": "SKU-0001",
        "notes": "",
    }
    response = client.post(reverse("marketing:campaign-create"), form)
    assert response.status_code == 302
    c = Campaign.objects.get(code="ANNIV-2026")
    assert (c.kind, c.budget, c.other_cost, c.expected_lift, c.sku_ids) == (
        "shop_event",
        Decimal("5000.00"),
        Decimal("800.50"),
        Decimal("1.800"),
        [sku.id],
    )
    assert len(c.checklist) == 8  # the default checklist
    bad = client.post(
        reverse("marketing:campaign-create"), {**form, "code": "x2", "ends_on": "2026-12-01", "skus": "NOPE"}
    )
    assert bad.status_code == 400
    html = bad.content.decode()
    assert "Unknown SKU codes: NOPE" in html and "cannot end before it starts" in html
    response = client.post(
        reverse("marketing:campaign-edit", args=["ANNIV-2026"]), {**form, "code": "ignored", "budget": "6000"}
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.code, c.budget) == ("ANNIV-2026", Decimal("6000.00"))


def test_calendar_page_ensure_and_tick(data, client_for):
    Promotion.objects.create(
        code="P-D11",
        name="满199减20",
        kind="threshold_amount",
        starts_at=timezone.make_aware(datetime(2026, 11, 10)),
        ends_at=timezone.make_aware(datetime(2026, 11, 12)),
    )
    client = client_for("marketing")
    url = reverse("marketing:calendar")
    html = client.get(url).content.decode()
    assert (
        'data-code="D11-2026" data-state="running"' in html
        and 'data-code="P-D11" data-state="upcoming"' in html
    )
    assert 'data-figure="calendar-timeline"' in html
    assert client.post(url, {"action": "ensure"}).status_code == 302
    assert set(Campaign.objects.filter(kind="festival").values_list("code", flat=True)) >= {
        "D12-2026",
        "NYGF-2027",
        "618-2027",
        "D11-2027",
        "D12-2027",
    }
    html = client.get(url).content.decode()
    # Double 12 starts on 8 December (33 days ahead) with a 30-day lead: planning from 8 November.
    assert 'data-code="D12-2026" data-state="upcoming"' in html
    assert 'data-code="NYGF-2027" data-state="upcoming"' in html
    client.post(url, {"action": "tick", "code": "D11-2026", "index": "0", "done": "1"})
    data["d11"].refresh_from_db()
    assert data["d11"].checklist[0]["done"] is True
    assert client_for("manager").post(url, {"action": "ensure"}).status_code == 403


PAGES = [
    ("marketing:campaign-list", []),
    ("marketing:campaign-detail", ["D11-2026"]),
    ("marketing:calendar", []),
]
WRITE_PAGES = [("marketing:campaign-create", []), ("marketing:campaign-edit", ["D11-2026"])]


@pytest.mark.parametrize(("name", "args"), PAGES)
@pytest.mark.parametrize(
    ("role", "status"), [("marketing", 200), ("manager", 200), ("admin", 200), ("finance", 403)]
)
def test_read_pages_roles(data, client_for, name, args, role, status):
    assert client_for(role).get(reverse(name, args=args)).status_code == status


@pytest.mark.parametrize(("name", "args"), WRITE_PAGES)
@pytest.mark.parametrize(
    ("role", "status"), [("marketing", 200), ("admin", 200), ("manager", 403), ("operations", 403)]
)
def test_write_pages_roles(data, client_for, name, args, role, status):
    assert client_for(role).get(reverse(name, args=args)).status_code == status


def test_pages_render_in_chinese(data, client_for):
    client = client_for("marketing")
    client.cookies["django_language"] = "zh-hans"
    for name, args in [
        *PAGES,
        *WRITE_PAGES,
        ("marketing:ad-import", []),
        ("marketing:promotion-results", []),
        ("marketing:referral-list", []),
        ("marketing:referral-create", []),
    ]:
        response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, name
        assert response.headers["Content-Language"] == "zh-hans", name
