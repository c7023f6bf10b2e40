"""Ad metrics import: the service (row checks, all or nothing, upsert), the API POST /api/v1/ad-metrics and
the CSV import page."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketing.models import AdMetricDay, Campaign
from marketing.services import ads
from orders.tests.factories import ChannelFactory
from shopops.common.models import ApiClient

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 20)
URL = "/api/v1/ad-metrics"


@pytest.fixture(autouse=True)
def _cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup():
    ChannelFactory(code="douyin", name="Douyin")
    ChannelFactory(code="tmall", name="Tmall")
    return Campaign.objects.create(
        code="D11-2026",
        name="双11",
        kind=Campaign.Kind.ADS,
        starts_on=date(2026, 10, 20),
        ends_on=date(2026, 11, 11),
    )


def row(**kw):
    base = {
        "campaign": "D11-2026",
        "channel": "douyin",
        "day": "2026-11-10",
        "impressions": 120000,
        "clicks": 3600,
        "spend": "4320.00",
        "orders": 180,
        "revenue": "21600.00",
        "new_customers": 95,
        "brand_value": "800.00",
    }
    return {**base, **kw}


def test_import_creates_then_updates(setup):
    result = ads.ad_metrics_import([row(), row(channel="tmall")], today=TODAY)
    assert (result.ok, result.created, result.updated, result.applied) == (True, 2, 0, True)
    day = AdMetricDay.objects.get(channel__code="douyin")
    assert (
        day.impressions,
        day.clicks,
        day.spend,
        day.orders,
        day.revenue,
        day.new_customers,
        day.brand_value,
    ) == (
        120000,
        3600,
        Decimal("4320.00"),
        180,
        Decimal("21600.00"),
        95,
        Decimal("800.00"),
    )
    result = ads.ad_metrics_import([row(spend="5000.50"), row(day="2026-11-09")], today=TODAY)
    assert (result.created, result.updated) == (1, 1)
    assert AdMetricDay.objects.count() == 3
    assert AdMetricDay.objects.get(channel__code="douyin", day=date(2026, 11, 10)).spend == Decimal("5000.50")


def test_dry_run_counts_and_writes_nothing(setup):
    ads.ad_metrics_import([row()], today=TODAY)
    result = ads.ad_metrics_import([row(spend="1.00"), row(channel="tmall")], dry_run=True, today=TODAY)
    assert (result.ok, result.created, result.updated, result.applied) == (True, 1, 1, False)
    assert AdMetricDay.objects.count() == 1
    assert AdMetricDay.objects.get().spend == Decimal("4320.00")


def test_one_bad_row_rejects_everything_with_every_error(setup):
    rows = [
        row(),
        row(channel="tmall", clicks=200000),  # more clicks than impressions
        row(campaign="NOPE", spend="1.234", day="2026-13-01"),
        row(channel="", impressions=-1),
        row(day="2026-11-12"),  # after the campaign
        row(day="2026-11-21"),  # in the future
        row(),  # duplicate of row 0
    ]
    result = ads.ad_metrics_import(rows, today=TODAY)
    assert result.ok is False and result.applied is False
    assert AdMetricDay.objects.count() == 0
    assert result.errors_by_row() == [
        {"index": 1, "errors": {"clicks": ["More clicks than impressions."]}},
        {
            "index": 2,
            "errors": {
                "campaign": ["Unknown campaign: NOPE"],
                "day": ["Not a date: 2026-13-01 (use 2026-11-11)."],
                "spend": ["Not an amount >= 0 with at most 2 decimals: 1.234"],
            },
        },
        {
            "index": 3,
            "errors": {
                "channel": ["This field is required."],
                "impressions": ["Not a whole number >= 0: -1"],
            },
        },
        {
            "index": 4,
            "errors": {"day": ["2026-11-12 is outside the campaign's dates (2026-10-20 to 2026-11-11)."]},
        },
        {"index": 5, "errors": {"day": ["A day in the future has no metrics yet."]}},
        {"index": 6, "errors": {"non_field_errors": ["The same campaign, channel and day as row 0."]}},
    ]


def test_csv_with_chinese_headers_gb18030_and_line_numbers(setup):
    text = (
        "活动,渠道,日期,展现量,点击量,花费,成交订单数,成交金额,新客数\n"
        'D11-2026,douyin,2026/11/10,"12,000",360,¥432.00,18,"2,160.00",9\n'
        "\n"
        "D11-2026,tmall,2026-11-10,100,500,1,1,1,0\n"
    )
    rows, errors = ads.ad_csv_read(text.encode("gb18030"))
    assert errors == []
    assert [r["_line"] for r in rows] == [2, 4]
    result = ads.ad_metrics_import(rows, today=TODAY)
    assert [(e.row, e.field) for e in result.errors] == [(4, "clicks")]
    rows[1]["clicks"] = "50"
    result = ads.ad_metrics_import(rows, today=TODAY)
    assert result.ok and result.created == 2
    day = AdMetricDay.objects.get(channel__code="douyin")
    assert (day.impressions, day.spend, day.revenue, day.day) == (
        12000,
        Decimal("432.00"),
        Decimal("2160.00"),
        date(2026, 11, 10),
    )


def test_csv_header_errors():
    rows, errors = ads.ad_csv_read(b"campaign,channel,day,foo\n")
    assert rows == []
    assert [(e.row, e.field) for e in errors] == [
        (1, "foo"),
        (1, "impressions"),
        (1, "clicks"),
        (1, "spend"),
        (1, "orders"),
        (1, "revenue"),
    ]


# --- API ---------------------------------------------------------------------------------------------


@pytest.fixture
def post(client):
    _c, key = ApiClient.objects.create_key(name="ads", scopes=["marketing:write"])

    def send(body, *, api_key=key):
        headers = {"HTTP_AUTHORIZATION": f"Api-Key {api_key}"} if api_key else {}
        data = body if isinstance(body, (bytes, str)) else json.dumps(body)
        return client.post(URL, data=data, content_type="application/json", **headers)

    return send


def test_api_imports_and_upserts(setup, post, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00")
    response = post({"rows": [row(), row(channel="tmall", spend=100)]})
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 2, "created": 2, "updated": 0}
    assert AdMetricDay.objects.get(channel__code="tmall").spend == Decimal("100.00")
    response = post({"rows": [row(spend="1.10")]})
    assert response.json() == {"rows": 1, "created": 0, "updated": 1}
    assert AdMetricDay.objects.get(channel__code="douyin").spend == Decimal("1.10")


def test_api_400_with_row_errors_writes_nothing(setup, post, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00")
    response = post({"rows": [row(), row(channel="jd")]})
    assert response.status_code == 400
    assert response.json() == {"rows": [{"index": 1, "errors": {"channel": ["Unknown channel: jd"]}}]}
    assert AdMetricDay.objects.count() == 0
    assert post({"rows": []}).status_code == 400
    assert post(b"{not json").status_code == 400
    assert post({"rows": [1]}).json() == {
        "rows": [{"index": 0, "errors": {"non_field_errors": ["Expected an object with the row's fields."]}}]
    }


def test_api_needs_the_write_scope(setup, post):
    _c, read_key = ApiClient.objects.create_key(name="bi", scopes=["marketing:read"])
    assert post({"rows": [row()]}, api_key=read_key).status_code == 403
    assert post({"rows": [row()]}, api_key=None).status_code == 401


def test_api_413_over_the_limit(setup, post, monkeypatch):
    monkeypatch.setattr(ads, "MAX_ROWS", 2)
    assert post({"rows": [row(), row(), row()]}).status_code == 413


# --- page ----------------------------------------------------------------------------------------------


def upload(text: str):
    return SimpleUploadedFile("ads.csv", text.encode("utf-8"), content_type="text/csv")


CSV = (
    "channel,day,impressions,clicks,spend,orders,revenue\n"
    "douyin,2026-11-10,1000,30,45.00,2,300.00\n"
    "tmall,2026-11-10,1000,30,45.00,2,300.00\n"
)


def test_import_page_dry_run_then_apply(setup, client_for, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00")
    client = client_for("marketing")
    url = reverse("marketing:ad-import")
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": upload(CSV), "campaign": "D11-2026", "dry_run": "on"})
    assert response.status_code == 200
    assert "Dry run: nothing written" in response.content.decode()
    assert AdMetricDay.objects.count() == 0
    response = client.post(url, {"file": upload(CSV), "campaign": "D11-2026"})
    assert response.status_code == 200
    assert AdMetricDay.objects.filter(campaign=setup).count() == 2


def test_import_page_reports_rows_and_writes_nothing(setup, client_for, time_machine):
    time_machine.move_to("2026-11-20T10:00:00+08:00")
    client = client_for("marketing")
    bad = CSV + "jd,2026-11-10,1,1,1,1,1\n"
    response = client.post(reverse("marketing:ad-import"), {"file": upload(bad), "campaign": "D11-2026"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-line="4"' in html and "Unknown channel: jd" in html
    assert AdMetricDay.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"), [("marketing", 200), ("admin", 200), ("manager", 403), ("finance", 403)]
)
def test_import_page_roles(role, status, client_for):
    assert client_for(role).get(reverse("marketing:ad-import")).status_code == status
