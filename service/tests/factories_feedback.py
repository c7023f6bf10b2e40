"""Feedback rows built directly (no scoring), for selector, keyword and page tests."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import factory

from service.models import Feedback

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shop_time(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


class FeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Feedback

    source = Feedback.Source.REVIEW
    external_id = factory.Sequence(lambda n: f"RV-{n:05d}")
    text = "还可以"
    rating = 3
    occurred_at = factory.LazyFunction(lambda: shop_time(2026, 10, 15))
    language = "zh"
    sentiment = Decimal("0.0000")
    urgency = Feedback.Urgency.NORMAL
