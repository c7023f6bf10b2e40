"""The feedback CSV import: preview (a dry run), apply (all or nothing), row errors."""

import pytest

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory, OrderFactory
from service.feedback_import import RowError, feedback_csv_import
from service.models import Feedback, Ticket

pytestmark = pytest.mark.django_db

HEADER = "source,channel,external_id,sku,order,rating,text,occurred_at,author\n"
GOOD = (
    HEADER
    + "review,tmall,RV-1,SKU-0001,TB001,1,"
    + "衣服洗了一次就起球了，质量太差了，非常失望，再也不买了,2026-11-20 21:14,王芳\n"
    + 'social,,WB-2,,,,"Love it! Great quality, fast delivery.",2026-11-21T09:30:00+08:00,@li\n'
    + "评价,tmall,RV-3,SKU-0001,,4 星,还不错,2026/11/22 08:05,\n"
)


@pytest.fixture
def shop(db):
    channel = ChannelFactory(code="tmall")
    SKUFactory(code="SKU-0001")
    OrderFactory(channel=channel, external_id="TB001")


def test_preview_counts_and_writes_nothing(shop):
    result = feedback_csv_import(text=GOOD)
    assert result.ok and not result.applied
    assert (result.rows, result.created, result.existing, result.tickets) == (3, 3, 0, 1)
    assert [(i.line, i.source, i.urgency, bool(i.ticket)) for i in result.items] == [
        (2, "review", "high", True),
        (3, "social", "low", False),
        (4, "review", "low", False),
    ]
    assert (Feedback.objects.count(), Ticket.objects.count()) == (0, 0)


def test_apply_writes_everything_and_a_second_apply_adds_nothing(shop):
    result = feedback_csv_import(text=GOOD, apply=True)
    assert result.applied
    assert (Feedback.objects.count(), Ticket.objects.count()) == (3, 1)
    first = Feedback.objects.get(external_id="RV-1")
    assert (first.channel.code, first.sku.code, first.order.external_id, first.rating, first.author) == (
        "tmall",
        "SKU-0001",
        "TB001",
        1,
        "王芳",
    )
    assert first.occurred_at.isoformat() == "2026-11-20T13:14:00+00:00"
    assert Feedback.objects.get(external_id="RV-3").rating == 4

    again = feedback_csv_import(text=GOOD, apply=True)
    assert (again.created, again.existing, again.tickets) == (0, 3, 0)
    assert (Feedback.objects.count(), Ticket.objects.count()) == (3, 1)


def test_row_errors_name_line_and_column_and_nothing_is_applied(shop):
    text = (
        HEADER
        + "review,tmall,RV-1,SKU-0001,TB001,1,很差,2026-11-20 21:14,\n"
        + "blog,tmall,RV-2,SKU-9999,,6,,yesterday,\n"
        + "review,jd,RV-3,,,,还行,2026-11-20 21:14,\n"
        + "review,tmall,RV-4,,TB404,,还行,2026-11-20 21:14,\n"
        + "review,,RV-5,,TB001,,还行,2026-11-20 21:14,\n"
        + "review,tmall,RV-1,,,,重复,2026-11-20 21:14,\n"
    )
    result = feedback_csv_import(text=text, apply=True)
    assert not result.applied
    assert result.errors == [
        RowError(3, "source", "Unknown source blog: use review, rating, social, survey, ticket."),
        RowError(3, "rating", "Not a rating of 1 to 5 stars: 6"),
        RowError(3, "text", "Required."),
        RowError(3, "occurred_at", "Not a date and time such as 2026-06-18 10:21: yesterday"),
        RowError(4, "channel", "Unknown channel jd."),
        RowError(5, "order", "No order TB404 on channel tmall."),
        RowError(6, "channel", "An order needs its channel."),
        RowError(7, "external_id", "RV-1 is already on line 2."),
    ]
    assert result.invalid_rows == 5
    assert (Feedback.objects.count(), Ticket.objects.count()) == (0, 0)


def test_unknown_sku_and_header_errors(shop):
    result = feedback_csv_import(text=HEADER + "review,tmall,,SKU-9999,,,还行,2026-11-20 21:14,\n")
    assert result.errors == [RowError(2, "sku", "Unknown SKU SKU-9999.")]
    missing = feedback_csv_import(text="source,channel\nreview,tmall\n")
    assert missing.errors == [
        RowError(
            1,
            "",
            "The header must name the columns source, text, occurred_at; missing: text, occurred_at.",
        )
    ]
    assert feedback_csv_import(text="").errors == [
        RowError(1, "", "The file is empty: the first line must be the header.")
    ]


def test_chinese_headers_are_accepted(shop):
    text = (
        "来源,渠道,评价ID,商家编码,评分,评价内容,评价时间\n"
        "评价,tmall,RV-9,SKU-0001,5,非常满意,2026-11-20 10:00\n"
    )
    result = feedback_csv_import(text=text, apply=True)
    assert result.applied
    assert Feedback.objects.get().external_id == "RV-9"
