"""Races on real PostgreSQL: two answers to one survey record one; two NPS runs create one survey per
order."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, connections

from conftest import require
from orders.models import Order
from orders.tests.factories import OrderFactory
from service.models import Survey
from service.services import surveys
from service.tests.factories_surveys import SurveyFactory

pytestmark = pytest.mark.django_db(transaction=True)
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    results, errors = [], []
    barrier = threading.Barrier(len(args_list))

    def wrapped(*args):
        try:
            barrier.wait(timeout=30)
            results.append(target(*args))
        except Exception as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors


def test_two_answers_at_once_record_one():
    survey = SurveyFactory(kind="nps")
    results, errors = run_threads(
        lambda score: surveys.survey_answer(token=survey.token, score=score), [(9,), (2,)]
    )
    assert len(results) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], surveys.SurveyClosed)
    assert errors[0].code == "answered"
    survey.refresh_from_db()
    assert survey.score == results[0].score


def test_two_schedules_at_once_create_one_survey_per_order():
    delivered = datetime.combine(TODAY - timedelta(days=4), time(12), tzinfo=ZoneInfo("Asia/Shanghai"))
    orders = [OrderFactory(status=Order.Status.DELIVERED, delivered_at=delivered) for _ in range(20)]
    _results, errors = run_threads(lambda: surveys.nps_surveys_schedule(today=TODAY), [(), ()])
    assert errors == []
    assert Survey.objects.filter(kind="nps").count() == len(orders)
