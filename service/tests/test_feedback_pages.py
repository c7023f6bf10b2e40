"""The feedback pages: the stream (filters, bar, badge, ticket link, export), the CSV import (preview,
apply), the complaint keyword report (chart, SKUs, suppliers, rebuild); who may open and write them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.tests.factories import SKUFactory
from inventory.models import Supplier, SupplierSKU
from orders.tests.factories import ChannelFactory
from service.models import ComplaintKeyword, ComplaintKeywordSKU, Feedback, Ticket
from service.tests.factories_feedback import FeedbackFactory, shop_time
from shopops.common import roles

pytestmark = pytest.mark.django_db
LIST = reverse("service:feedback-list")
IMPORT = reverse("service:feedback-import")
REPORT = reverse("service:keyword-report")


@pytest.fixture
def stream(db):
    channel = ChannelFactory(code="tmall")
    sku = SKUFactory(code="SKU-0001")
    ticket = Ticket.objects.create(
        number="T-000042",
        subject="起球",
        channel="review",
        type="complaint",
        opened_at=shop_time(2026, 10, 15),
    )
    bad = FeedbackFactory(
        text="起球严重，差评",
        sentiment=Decimal("-0.9000"),
        urgency="high",
        rating=1,
        sku=sku,
        channel=channel,
        ticket=ticket,
        keywords=["起球", "差评"],
        occurred_at=shop_time(2026, 10, 15, 9),
    )
    good = FeedbackFactory(
        text="Great jacket",
        language="en",
        sentiment=Decimal("0.8000"),
        urgency="low",
        rating=5,
        source="social",
        occurred_at=shop_time(2026, 10, 16, 9),
    )
    return bad, good


@pytest.mark.parametrize("role", [roles.SERVICE_AGENT, roles.MANAGER, roles.ADMIN])
@pytest.mark.parametrize("url", [LIST, IMPORT, REPORT])
def test_service_roles_open_the_pages(client_for, role, url):
    assert client_for(role).get(url).status_code == 200


@pytest.mark.parametrize("role", [roles.OPERATIONS, roles.MARKETING, roles.FINANCE])
@pytest.mark.parametrize("url", [LIST, IMPORT, REPORT])
def test_other_roles_are_refused(client_for, role, url):
    assert client_for(role).get(url).status_code == 403


def test_the_stream_shows_bar_badge_and_ticket_newest_first(client_for, stream):
    bad, good = stream
    response = client_for(roles.SERVICE_AGENT).get(LIST)
    html = response.content.decode()
    assert [f.pk for f in response.context["page_obj"]] == [good.pk, bad.pk]
    bar = next(f for f in response.context["page_obj"] if f.pk == bad.pk)
    assert (bar.band, bar.bar_color, bar.bar_left, bar.bar_width, bar.badge) == (
        "negative",
        "bg-danger",
        5.0,
        45.0,
        "text-bg-warning",
    )
    assert '<rect class="bg-danger" x="5.0" width="45.0"' in html  # the bar: SVG, no inline style (CSP)
    assert f'href="{reverse("service:ticket-detail", args=["T-000042"])}"' in html
    assert response.context["counts"] == {"low": 1, "normal": 0, "high": 1, "critical": 0}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"sentiment": "negative"}, ["起球严重，差评"]),
        ({"sentiment": "positive"}, ["Great jacket"]),
        ({"sentiment": "neutral"}, []),
        ({"urgency": "high"}, ["起球严重，差评"]),
        ({"source": "social"}, ["Great jacket"]),
        ({"channel": "tmall"}, ["起球严重，差评"]),
        ({"sku": "SKU-0001"}, ["起球严重，差评"]),
        ({"ticket": "yes"}, ["起球严重，差评"]),
        ({"from": "2026-10-16", "to": "2026-10-16"}, ["Great jacket"]),
        ({"q": "jacket"}, ["Great jacket"]),
    ],
)
def test_the_stream_filters(client_for, stream, params, expected):
    response = client_for(roles.SERVICE_AGENT).get(LIST, params)
    assert [f.text for f in response.context["page_obj"]] == expected


def test_the_stream_exports_csv_and_xlsx(client_for, stream):
    client = client_for(roles.SERVICE_AGENT)
    response = client.get(LIST, {"sentiment": "negative", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Written at,Source,Channel,External id,SKU")
    assert len(lines) == 2
    assert "起球严重，差评" in lines[1] and "-0.9000" in lines[1] and "T-000042" in lines[1]
    xlsx = client.get(LIST, {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def _upload(text: str, name: str = "feedback.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


CSV = (
    "source,channel,external_id,sku,order,rating,text,occurred_at,author\n"
    "review,tmall,RV-1,SKU-0001,,1,"
    "衣服洗了一次就起球了，质量太差了，非常失望，再也不买了,2026-11-20 21:14,王芳\n"
    "review,tmall,RV-2,SKU-0001,,5,非常满意，推荐,2026-11-20 22:00,\n"
)


def test_import_preview_then_apply(client_for, stream):
    client = client_for(roles.SERVICE_AGENT)
    preview = client.post(IMPORT, {"file": _upload(CSV)})
    assert preview.status_code == 200
    result = preview.context["result"]
    assert (result.rows, result.created, result.tickets) == (2, 2, 1)
    assert Feedback.objects.filter(external_id__in=["RV-1", "RV-2"]).count() == 0
    payload = preview.context["confirm"].initial["payload"]
    applied = client.post(IMPORT, {"payload": payload})
    assert applied.status_code == 302 and applied.url == LIST
    assert Feedback.objects.filter(external_id__in=["RV-1", "RV-2"]).count() == 2
    assert Ticket.objects.filter(source="feedback").count() == 1


def test_import_errors_and_a_forged_payload(client_for, stream):
    client = client_for(roles.SERVICE_AGENT)
    bad = client.post(IMPORT, {"file": _upload(CSV.replace("SKU-0001,,5", "SKU-404,,5"))})
    assert bad.status_code == 400
    assert [(e.line, e.column) for e in bad.context["result"].errors] == [(3, "sku")]
    assert bad.context["confirm"] is None
    forged = client.post(IMPORT, {"payload": "not-signed"})
    assert forged.status_code == 400
    assert Feedback.objects.count() == 2


def test_import_template_download(client_for):
    response = client_for(roles.SERVICE_AGENT).get(IMPORT, {"template": "csv"})
    assert response.content.decode("utf-8-sig").startswith(
        "source,channel,external_id,sku,order,rating,text,occurred_at,author"
    )


def test_import_is_refused_without_the_permission(client_for):
    assert client_for(roles.OPERATIONS).post(IMPORT, {"file": _upload(CSV)}).status_code == 403


@pytest.fixture
def keywords(db):
    sku = SKUFactory(code="SKU-SWEATER", name="羊毛衫")
    supplier = Supplier.objects.create(code="knit-co", name="杭州针织厂")
    SupplierSKU.objects.create(supplier=supplier, sku=sku, unit_cost=Decimal("50.00"))
    for month, mentions in [(date(2026, 9, 1), 2), (date(2026, 10, 1), 4)]:
        ComplaintKeyword.objects.create(
            month=month, keyword="起球", rank=1, weight=Decimal("0.8750"), mentions=mentions
        )
        ComplaintKeywordSKU.objects.create(month=month, keyword="起球", sku=sku, mentions=mentions)
    return sku


def test_the_keyword_report_links_skus_and_suppliers(client_for, keywords):
    response = client_for(roles.SERVICE_AGENT).get(REPORT, {"month": "2026-10"})
    html = response.content.decode()
    assert response.status_code == 200
    assert response.context["report"].month == date(2026, 10, 1)
    assert reverse("catalog:sku-detail", args=["SKU-SWEATER"]) in html
    assert reverse("inventory:supplier-detail", args=["knit-co"]) in html
    assert 'data-trend="up"' in html
    chart = response.context["chart"]
    assert [trace["name"] for trace in chart["data"]] == ["起球"]
    assert list(chart["data"][0]["y"]) == [None, None, None, None, 2, 4]
    assert "plotly.min.js" in html


def test_the_keyword_report_exports(client_for, keywords):
    response = client_for(roles.SERVICE_AGENT).get(REPORT, {"month": "2026-10", "export": "csv"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[1] == "2026-10,1,起球,0.8750,4,2,up,SKU-SWEATER(4),knit-co"


def test_rebuilding_a_month(client_for, keywords):
    FeedbackFactory(
        text="起球严重", sku=keywords, sentiment=Decimal("-0.9000"), occurred_at=shop_time(2026, 10, 3)
    )
    response = client_for(roles.SERVICE_AGENT).post(REPORT, {"month": "2026-10"})
    assert response.status_code == 302
    assert response.url == f"{REPORT}?month=2026-10"
    assert list(
        ComplaintKeyword.objects.filter(month=date(2026, 10, 1)).values_list("keyword", "mentions")
    ) == [
        ("起球", 1),
        ("起球严重", 1),
        ("严重", 1),
    ]


def test_rebuilding_is_refused_without_the_permission(client_for, keywords):
    assert client_for(roles.OPERATIONS).post(REPORT, {"month": "2026-10"}).status_code == 403
    assert (
        ComplaintKeyword.objects.filter(month=date(2026, 10, 1)).values_list("mentions", flat=True).get() == 4
    )


@pytest.mark.parametrize("url", [LIST, IMPORT, REPORT])
def test_pages_render_in_chinese(client_for, stream, keywords, url):
    client = client_for(roles.SERVICE_AGENT)
    response = client.get(url, {"month": "2026-10"} if url == REPORT else {}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
