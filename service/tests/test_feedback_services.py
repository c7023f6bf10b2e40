"""feedback_record: sentiment on the right side in Chinese and English, urgency, keywords, exactly one
complaint ticket for strongly negative feedback, idempotency, validation."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from catalog.tests.factories import SKUFactory
from orders.tests.factories import ChannelFactory, OrderFactory
from service.models import Feedback, ServiceSettings, Ticket
from service.services.feedback import feedback_record
from service.tests.factories_feedback import shop_time

pytestmark = pytest.mark.django_db

NEGATIVE_ZH = "衣服洗了一次就起球了，质量太差了，非常失望，再也不买了"
NEGATIVE_EN = "Terrible quality, it broke after two days. Very disappointed, worst purchase ever."
POSITIVE_ZH = "非常满意，质量很好，物流很快，推荐购买"
POSITIVE_EN = "Love it! Great quality and fast delivery, highly recommend."


def record(text, **kwargs):
    kwargs.setdefault("source", Feedback.Source.REVIEW)
    kwargs.setdefault("occurred_at", shop_time(2026, 11, 20, 21, 14))
    return feedback_record(text=text, **kwargs)


@pytest.mark.parametrize(
    ("text", "language", "side"),
    [(NEGATIVE_ZH, "zh", -1), (NEGATIVE_EN, "en", -1), (POSITIVE_ZH, "zh", 1), (POSITIVE_EN, "en", 1)],
)
def test_clear_feedback_lands_on_the_right_side(text, language, side):
    feedback, created = record(text)
    settings = ServiceSettings.load()
    assert created is True
    assert feedback.language == language
    if side < 0:
        assert feedback.sentiment < settings.ticket_sentiment
        assert feedback.urgency == Feedback.Urgency.HIGH
        assert feedback.ticket is not None
    else:
        assert feedback.sentiment > -settings.negative_sentiment
        assert feedback.urgency == Feedback.Urgency.LOW
        assert feedback.ticket is None


def test_negative_feedback_opens_exactly_one_complaint_ticket():
    channel = ChannelFactory(code="tmall")
    sku = SKUFactory(code="SKU-0101")
    order = OrderFactory(channel=channel, external_id="TB001")
    kwargs = {
        "channel": channel,
        "external_id": "RV-1",
        "sku": sku,
        "order": order,
        "rating": 1,
        "author": "王芳",
    }

    feedback, created = record(NEGATIVE_ZH, **kwargs)
    again, created_again = record(NEGATIVE_ZH, **kwargs)

    assert (created, created_again) == (True, False)
    assert again.pk == feedback.pk
    assert Feedback.objects.count() == 1
    assert Ticket.objects.count() == 1
    ticket = Ticket.objects.get()
    assert feedback.ticket_id == ticket.pk
    assert ticket.number == f"T-{ticket.pk:06d}"
    assert (ticket.channel, ticket.type, ticket.priority, ticket.source) == (
        "review",
        "complaint",
        "urgent",
        "feedback",
    )
    assert ticket.external_id == f"feedback-{feedback.pk}"
    assert (ticket.customer_id, ticket.order_id, ticket.sku_id, ticket.sales_channel_id) == (
        order.customer_id,
        order.pk,
        sku.pk,
        channel.pk,
    )
    assert ticket.subject.startswith("Negative review 1★ · SKU-0101: 衣服洗了一次就起球了")
    assert list(ticket.messages.values_list("kind", "body")) == [("customer", NEGATIVE_ZH)]
    assert feedback.customer_id == order.customer_id


def test_critical_feedback_opens_a_major_ticket_on_the_social_channel():
    feedback, _ = record("The charger caught fire and my son got burned.", source=Feedback.Source.SOCIAL)
    assert feedback.urgency == Feedback.Urgency.CRITICAL
    assert feedback.sentiment > ServiceSettings.load().ticket_sentiment  # the words decide, not the score
    assert (feedback.ticket.channel, feedback.ticket.priority) == ("social", "major")


def test_mildly_negative_feedback_opens_no_ticket():
    feedback, _ = record("包装有点破，不过东西还行", rating=3)
    assert feedback.sentiment > ServiceSettings.load().ticket_sentiment
    assert feedback.ticket is None
    assert Ticket.objects.count() == 0


def test_the_ticket_threshold_comes_from_the_settings():
    settings = ServiceSettings.load()
    settings.ticket_sentiment = Decimal("-1.0000")
    settings.save()
    feedback, _ = record(NEGATIVE_EN)
    assert feedback.urgency == Feedback.Urgency.NORMAL  # "strongly negative" is the same threshold
    assert feedback.ticket is None


def test_feedback_from_a_ticket_opens_no_other_ticket():
    feedback, _ = record(NEGATIVE_EN, source=Feedback.Source.TICKET)
    assert feedback.ticket is None


def test_keywords_are_stored_per_item():
    feedback, _ = record("衣服洗了一次就起球，太差了")
    assert feedback.keywords == ["起球", "太差", "衣服"]
    english, _ = record("The zipper broke and the zipper pull fell off", external_id="x")
    assert english.keywords[:3] == ["zipper", "broke", "pull"]


def test_without_external_id_every_call_records():
    record(POSITIVE_ZH)
    record(POSITIVE_ZH)
    assert Feedback.objects.count() == 2


def test_the_same_external_id_on_another_source_or_channel_is_another_item():
    tmall, jd = ChannelFactory(code="tmall"), ChannelFactory(code="jd", name="JD")
    record(POSITIVE_ZH, channel=tmall, external_id="1")
    record(POSITIVE_ZH, channel=jd, external_id="1")
    record(POSITIVE_ZH, channel=tmall, external_id="1", source=Feedback.Source.SOCIAL)
    assert Feedback.objects.count() == 3


def test_the_order_gives_the_channel():
    order = OrderFactory(channel=ChannelFactory(code="tmall"))
    feedback, _ = record(POSITIVE_ZH, order=order)
    assert feedback.channel_id == order.channel_id


def test_bad_input_is_refused_by_field():
    tmall, jd = ChannelFactory(code="tmall"), ChannelFactory(code="jd", name="JD")
    order = OrderFactory(channel=jd)
    with pytest.raises(ValidationError) as caught:
        feedback_record(
            source="blog",
            text="  ",
            occurred_at="2026-11-20",
            rating=6,
            channel=tmall,
            order=order,
        )
    assert set(caught.value.message_dict) == {"source", "text", "occurred_at", "rating", "order"}
    assert Feedback.objects.count() == 0
