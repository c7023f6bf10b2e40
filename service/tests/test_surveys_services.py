"""Survey services: the CSAT request per ticket, the NPS scheduling window and its idempotence, answers."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from catalog.tests.factories import CategoryFactory, ProductFactory, SKUFactory
from orders.models import Order
from orders.tests.factories import ChannelFactory, CustomerFactory, OrderFactory, order_with_lines
from service.models import Feedback, ServiceSettings, Survey
from service.services import surveys
from service.tasks import surveys as survey_tasks
from service.tests.factories_surveys import SurveyFactory, TicketFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)


def shop_time(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def delivered_order(days_ago: int, *, hour: int = 12, status=Order.Status.DELIVERED, **kwargs) -> Order:
    at = shop_time(TODAY - timedelta(days=days_ago), hour)
    return OrderFactory(status=status, placed_at=at - timedelta(days=3), delivered_at=at, **kwargs)


# --- CSAT ---------------------------------------------------------------------------------------------


def test_csat_created_once_per_ticket_with_channel_customer_and_expiry():
    channel = ChannelFactory(code="jd", name="JD")
    customer = CustomerFactory(channel=channel)
    ticket = TicketFactory(customer=customer, sales_channel=channel)
    at = timezone.now()
    first = surveys.csat_survey_create(ticket=ticket, at=at)
    again = surveys.csat_survey_create(ticket=ticket, at=at + timedelta(days=1))
    assert again.pk == first.pk
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert (first.kind, first.channel_id, first.customer_id) == ("csat", channel.pk, customer.pk)
    assert first.expires_at - first.created_at == timedelta(days=14)
    assert len(first.token) == 32  # token_urlsafe(24)


def test_csat_channel_falls_back_to_the_order_store_and_category_to_the_sku():
    order = OrderFactory(channel=ChannelFactory(code="tmall"))
    sku = SKUFactory(product=ProductFactory(category=CategoryFactory(code="tea", name="Tea")))
    survey = surveys.csat_survey_create(ticket=TicketFactory(order=order, sku=sku))
    assert survey.channel_id == order.channel_id
    assert survey.category.code == "tea"


# --- NPS scheduling -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "hour", "scheduled"),
    [
        (2, 12, False),
        (3, 23, True),  # late on day 3 (shop time) still counts as day 3
        (3, 0, True),
        (5, 12, True),
        (7, 0, True),
        (7, 23, True),
        (8, 23, False),
    ],
)
def test_nps_window_edges_in_shop_time(days_ago, hour, scheduled):
    order = delivered_order(days_ago, hour=hour)
    assert surveys.nps_surveys_schedule(today=TODAY) == int(scheduled)
    assert Survey.objects.filter(kind="nps", order=order).exists() is scheduled


def test_nps_window_edges_2_3_7_8_days_and_idempotent():
    orders = {days: delivered_order(days) for days in (2, 3, 7, 8)}
    assert surveys.nps_surveys_schedule(today=TODAY) == 2
    assert surveys.nps_surveys_schedule(today=TODAY) == 0
    assert set(Survey.objects.values_list("order_id", flat=True)) == {orders[3].pk, orders[7].pk}


def test_nps_only_delivered_orders_and_settings_window():
    delivered_order(4, status=Order.Status.SHIPPED)
    delivered_order(4, status=Order.Status.RETURNED)
    assert surveys.nps_surveys_schedule(today=TODAY) == 0
    settings = ServiceSettings.load()
    settings.nps_delay_min_days, settings.nps_delay_max_days = 1, 2
    settings.save()
    near = delivered_order(1)
    delivered_order(3)
    assert surveys.nps_surveys_schedule(today=TODAY) == 1
    assert Survey.objects.get().order_id == near.pk


def test_nps_survey_carries_channel_customer_and_highest_value_line_category():
    cheap = SKUFactory(product=ProductFactory(category=CategoryFactory(code="socks")))
    dear = SKUFactory(product=ProductFactory(category=CategoryFactory(code="shoes")))
    at = shop_time(TODAY - timedelta(days=4))
    order = order_with_lines(
        lines=[
            (cheap, 3, Decimal("30.00"), Decimal("0.00")),  # 90.00
            (dear, 1, Decimal("100.00"), Decimal("5.00")),  # 95.00
        ],
        status=Order.Status.DELIVERED,
        placed_at=at - timedelta(days=2),
        delivered_at=at,
    )
    assert surveys.nps_surveys_schedule(today=TODAY) == 1
    survey = Survey.objects.get()
    assert (survey.kind, survey.order_id, survey.channel_id, survey.customer_id) == (
        "nps",
        order.pk,
        order.channel_id,
        order.customer_id,
    )
    assert survey.category.code == "shoes"
    assert survey.expires_at - survey.created_at == timedelta(days=14)


def test_nps_existing_survey_is_not_duplicated():
    order = delivered_order(4)
    SurveyFactory(kind="nps", order=order)
    assert surveys.nps_surveys_schedule(today=TODAY) == 0
    assert Survey.objects.count() == 1


def test_task_counts_from_the_day_after_the_business_date_and_is_idempotent():
    order = delivered_order(3)  # 3 days before TODAY = 2 days before the business date (yesterday)
    assert survey_tasks.nps_surveys_schedule((TODAY - timedelta(days=1)).isoformat())["created"] == 1
    assert survey_tasks.nps_surveys_schedule((TODAY - timedelta(days=1)).isoformat())["created"] == 0
    assert Survey.objects.get().order_id == order.pk
    assert survey_tasks.nps_surveys_schedule.name == "service.nps_surveys_schedule"


# --- answers ------------------------------------------------------------------------------------------


def test_answer_records_score_comment_and_time():
    survey = SurveyFactory(kind="nps")
    now = timezone.now()
    answered = surveys.survey_answer(token=survey.token, score=10, comment="  很好  ", now=now)
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_at) == (10, "很好", now)
    assert answered.pk == survey.pk


@pytest.mark.parametrize(
    ("kind", "score", "ok"),
    [
        ("csat", 0, False),
        ("csat", 1, True),
        ("csat", 5, True),
        ("csat", 6, False),
        ("nps", -1, False),
        ("nps", 0, True),
        ("nps", 10, True),
        ("nps", 11, False),
        ("nps", True, False),
        ("nps", "7", False),
    ],
)
def test_answer_score_ranges(kind, score, ok):
    survey = SurveyFactory(kind=kind)
    if ok:
        assert surveys.survey_answer(token=survey.token, score=score).score == score
    else:
        with pytest.raises(ValidationError) as err:
            surveys.survey_answer(token=survey.token, score=score)
        assert set(err.value.message_dict) == {"score"}
        survey.refresh_from_db()
        assert survey.answered_at is None


def test_answer_refuses_unknown_expired_answered_and_long_comments():
    with pytest.raises(surveys.SurveyNotFound):
        surveys.survey_answer(token="nope", score=5)
    expired = SurveyFactory(created_at=timezone.now() - timedelta(days=15))
    with pytest.raises(surveys.SurveyClosed) as err:
        surveys.survey_answer(token=expired.token, score=9)
    assert err.value.code == "expired"
    survey = SurveyFactory()
    with pytest.raises(ValidationError) as err:
        surveys.survey_answer(token=survey.token, score=9, comment="x" * 2001)
    assert set(err.value.message_dict) == {"comment"}
    surveys.survey_answer(token=survey.token, score=9)
    with pytest.raises(surveys.SurveyClosed) as err:
        surveys.survey_answer(token=survey.token, score=3)
    assert err.value.code == "answered"
    survey.refresh_from_db()
    assert survey.score == 9


def test_detractor_comment_joins_the_feedback_stream_once():
    order = delivered_order(4)
    detractor = SurveyFactory(kind="nps", order=order, channel=order.channel, customer=order.customer)
    surveys.survey_answer(token=detractor.token, score=3, comment="物流太慢了，包装也破了")
    feedback = Feedback.objects.get()
    assert (feedback.source, feedback.external_id, feedback.order_id, feedback.customer_id) == (
        "survey",
        f"survey-{detractor.pk}",
        order.pk,
        order.customer_id,
    )
    promoter = SurveyFactory(kind="nps")
    surveys.survey_answer(token=promoter.token, score=9, comment="很好")
    happy_csat = SurveyFactory(kind="csat")
    surveys.survey_answer(token=happy_csat.token, score=3, comment="一般")
    unhappy_without_comment = SurveyFactory(kind="csat")
    surveys.survey_answer(token=unhappy_without_comment.token, score=1)
    assert Feedback.objects.count() == 1
