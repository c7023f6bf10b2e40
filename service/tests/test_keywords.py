"""The monthly complaint keywords: a defect keyword said about one SKU ranks first and leads to that SKU
and its supplier; the build is idempotent; the report shows the trend against the month before."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.tests.factories import SKUFactory
from inventory.models import Supplier, SupplierSKU
from service.models import ComplaintKeyword, ComplaintKeywordSKU, Ticket, TicketMessage
from service.selectors.feedback import complaint_keyword_report
from service.services.keywords import complaint_keywords_build, text_keywords
from service.tasks.feedback import complaint_keywords_build as complaint_keywords_task
from service.tests.factories_feedback import FeedbackFactory, shop_time

pytestmark = pytest.mark.django_db
NEG = Decimal("-0.8000")


@pytest.fixture
def month():
    """October 2026: four complaints about the sweater pilling, others about delivery, size and a zipper,
    praise that must not count, a complaint ticket, and noise outside the month."""
    sweater = SKUFactory(code="SKU-SWEATER", name="羊毛衫")
    shoes = SKUFactory(code="SKU-SHOES", name="跑鞋")
    jacket = SKUFactory(code="SKU-JACKET", name="Jacket")
    supplier = Supplier.objects.create(code="knit-co", name="杭州针织厂")
    other = Supplier.objects.create(code="wool-2", name="Wool Two")
    SupplierSKU.objects.create(supplier=supplier, sku=sweater, unit_cost=Decimal("50.00"))
    SupplierSKU.objects.create(supplier=other, sku=sweater, unit_cost=Decimal("55.00"))
    for day, text in [
        (3, "毛衣穿了一次就起球了，太失望了"),
        (8, "起球严重，洗了一次全是球"),
        (12, "才穿两天就起球，质量不行"),
        (20, "这件毛衣起球太厉害了，差评"),
    ]:
        FeedbackFactory(text=text, sku=sweater, sentiment=NEG, rating=1, occurred_at=shop_time(2026, 10, day))
    FeedbackFactory(
        text="快递太慢了，等了一个星期", sku=shoes, sentiment=NEG, occurred_at=shop_time(2026, 10, 5)
    )
    FeedbackFactory(
        text="尺码偏小，穿不上",
        sku=shoes,
        sentiment=Decimal("0.1000"),
        rating=2,
        occurred_at=shop_time(2026, 10, 6),
    )
    FeedbackFactory(
        text="The zipper broke after one week, terrible zipper",
        sku=jacket,
        language="en",
        sentiment=NEG,
        occurred_at=shop_time(2026, 10, 7),
    )
    # praise and mild remarks are not complaints
    FeedbackFactory(
        text="毛衣很暖和，非常满意，没有起球",
        sku=sweater,
        sentiment=Decimal("0.9000"),
        rating=5,
        occurred_at=shop_time(2026, 10, 9),
    )
    FeedbackFactory(
        text="The zipper is smooth, great jacket",
        sku=jacket,
        language="en",
        sentiment=Decimal("0.9000"),
        occurred_at=shop_time(2026, 10, 9),
    )
    # outside the month (shop time): 1 November 00:30 in Shanghai is still 31 October in UTC
    FeedbackFactory(
        text="起球起球起球", sku=sweater, sentiment=NEG, occurred_at=shop_time(2026, 11, 1, 0, 30)
    )
    # a complaint ticket's customer message counts; one opened from feedback does not (its text is the
    # feedback's)
    complaint = Ticket.objects.create(
        number="T-000001",
        subject="态度",
        channel="chat",
        type="complaint",
        sku=shoes,
        opened_at=shop_time(2026, 10, 10),
    )
    TicketMessage.objects.create(
        ticket=complaint, kind="customer", body="客服态度差，一直不回复", created_at=shop_time(2026, 10, 10)
    )
    TicketMessage.objects.create(
        ticket=complaint, kind="reply", body="起球的问题我们会处理", created_at=shop_time(2026, 10, 10, 13)
    )
    copied = Ticket.objects.create(
        number="T-000002",
        subject="x",
        channel="review",
        type="complaint",
        source="feedback",
        sku=sweater,
        opened_at=shop_time(2026, 10, 3),
    )
    TicketMessage.objects.create(
        ticket=copied,
        kind="customer",
        body="毛衣穿了一次就起球了，太失望了",
        created_at=shop_time(2026, 10, 3),
    )
    return {"sweater": sweater, "shoes": shoes, "jacket": jacket, "supplier": supplier, "other": other}


def rows(month_start):
    return list(
        ComplaintKeyword.objects.filter(month=month_start)
        .order_by("rank")
        .values_list("keyword", "rank", "weight", "mentions")
    )


def test_the_defect_keyword_ranks_first_and_leads_to_its_sku(month):
    count = complaint_keywords_build(month=date(2026, 10, 17))
    keywords = rows(date(2026, 10, 1))
    assert count == len(keywords) > 5
    assert keywords[0][0] == "起球"
    assert keywords[0][1:] == (1, Decimal("0.8750"), 4)  # the best Chinese word: 7 of 8 complaints
    assert list(
        ComplaintKeywordSKU.objects.filter(month=date(2026, 10, 1), keyword="起球").values_list(
            "sku__code", "mentions"
        )
    ) == [("SKU-SWEATER", 4)]
    found = {keyword: mentions for keyword, _rank, _weight, mentions in keywords}
    assert found["毛衣"] == 2
    assert found["zipper"] == 1  # the English complaint is read too
    assert found["态度"] == 1  # the complaint ticket's message
    assert "商品" not in found and "一次" not in found and "非常" not in found
    assert all(mentions <= 8 for mentions in found.values())
    assert found.get("起球起球") is None  # November's review is not October's


def test_rebuilding_the_month_changes_nothing(month):
    complaint_keywords_build(month=date(2026, 10, 1))
    first = rows(date(2026, 10, 1))
    by_sku = sorted(ComplaintKeywordSKU.objects.values_list("keyword", "sku_id", "mentions"))
    assert complaint_keywords_task("2026-10-31") == len(first)
    assert rows(date(2026, 10, 1)) == first
    assert sorted(ComplaintKeywordSKU.objects.values_list("keyword", "sku_id", "mentions")) == by_sku


def test_the_report_traces_keywords_to_skus_and_suppliers_with_a_trend(month):
    FeedbackFactory(text="有点起球", sku=month["sweater"], sentiment=NEG, occurred_at=shop_time(2026, 9, 20))
    FeedbackFactory(
        text="有点起球，不好", sku=month["sweater"], sentiment=NEG, occurred_at=shop_time(2026, 9, 21)
    )
    FeedbackFactory(
        text="尺码偏小，穿不上，尺码不对，尺码太小",
        sku=month["shoes"],
        sentiment=NEG,
        occurred_at=shop_time(2026, 9, 22),
    )
    FeedbackFactory(text="尺码偏小", sku=month["shoes"], sentiment=NEG, occurred_at=shop_time(2026, 9, 23))
    complaint_keywords_build(month=date(2026, 9, 1))
    complaint_keywords_build(month=date(2026, 10, 1))

    report = complaint_keyword_report(months=6)
    assert report.month == date(2026, 10, 1)
    assert report.months == [date(2026, m, 1) for m in range(5, 11)]
    top = report.rows[0]
    assert (top.keyword, top.mentions, top.previous, top.trend) == ("起球", 4, 2, "up")
    assert top.series == [None, None, None, None, 2, 4]
    assert [(s.code, s.mentions, [x.code for x in s.suppliers]) for s in top.skus] == [
        ("SKU-SWEATER", 4, ["knit-co", "wool-2"])
    ]
    size = next(row for row in report.rows if row.keyword == "尺码")
    assert (size.mentions, size.previous, size.trend) == (1, 2, "down")
    zipper = next(row for row in report.rows if row.keyword == "zipper")
    assert (zipper.previous, zipper.trend) == (None, "new")
    assert report.chart_keywords == [row.keyword for row in report.rows[:10]]


def test_an_empty_month_builds_nothing(db):
    assert complaint_keywords_build(month=date(2026, 1, 1)) == 0
    report = complaint_keyword_report(month=date(2026, 1, 1))
    assert report.rows == [] and report.chart_keywords == []


def test_item_keywords_skip_generic_words():
    assert text_keywords("这个商品感觉非常一般，东西起球") == ["起球"]
    assert text_keywords("The product is a really bad fake") == ["fake"]
    assert text_keywords("") == []
    assert timezone.is_aware(shop_time(2026, 1, 1))


@pytest.mark.django_db
def test_a_keyword_said_of_many_skus_names_the_top_five():
    from datetime import date as _date

    from catalog.tests.factories import SKUFactory
    from service.models import ComplaintKeyword, ComplaintKeywordSKU
    from service.selectors.feedback import complaint_keyword_report

    month = _date(2026, 10, 1)
    ComplaintKeyword.objects.create(month=month, keyword="物流", rank=1, weight="0.9000", mentions=28)
    skus = [SKUFactory(code=f"KW-{n}") for n in range(7)]
    for n, sku in enumerate(skus):
        ComplaintKeywordSKU.objects.create(month=month, keyword="物流", sku=sku, mentions=7 - n)
    row = complaint_keyword_report(month=month).rows[0]
    assert [s.code for s in row.skus] == ["KW-0", "KW-1", "KW-2", "KW-3", "KW-4"]
    assert row.skus_more == 2
