"""Races on real PostgreSQL: concurrent requests never return more units than were bought, a retried
external id gives one request, and two refunds of one order never exceed its total."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from conftest import require
from orders.models import Order
from service.models import ReturnRequest
from service.services import returns as svc
from service.tests.factories_returns import delivered_order, return_make, shanghai

pytestmark = pytest.mark.django_db(transaction=True)
AT = shanghai(2026, 11, 3, 10, 0)


@pytest.fixture(autouse=True)
def postgres_only():
    require(connection.vendor == "postgresql", "races need PostgreSQL: set DATABASE_URL")


def run_threads(target, args_list):
    errors, barrier = [], threading.Barrier(len(args_list))

    def wrapped(*args):
        try:
            barrier.wait(timeout=30)
            target(*args)
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrapped, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return errors


def test_concurrent_requests_take_each_unit_once():
    order = delivered_order()
    line = order.lines.order_by("id").first()  # 2 units
    errors = run_threads(
        lambda: svc.return_request_create(order=order, lines=[(line.pk, 1)], reason="defective", at=AT),
        [()] * 6,
    )
    assert (ReturnRequest.objects.count(), len(errors)) == (2, 4)


def test_retried_external_id_gives_one_request():
    order = delivered_order()
    line = order.lines.order_by("id").first()
    errors = run_threads(
        lambda: svc.return_request_create(
            order=order, lines=[(line.pk, 1)], reason="defective", external_id="RMA-1", at=AT
        ),
        [()] * 6,
    )
    assert (ReturnRequest.objects.count(), errors) == (1, [])


def test_concurrent_refunds_never_exceed_the_order_total():
    order = delivered_order()  # total 230.00
    first, second = order.lines.order_by("id")
    a = return_make(order=order, lines=[(first, 2)], status=ReturnRequest.Status.APPROVED)
    b = return_make(order=order, lines=[(second, 1)], status=ReturnRequest.Status.APPROVED)
    errors = run_threads(
        lambda request: svc.return_refund(request=request, amount=Decimal("150.00"), method="original"),
        [(a,), (b,)],
    )
    order.refresh_from_db()
    assert (len(errors), order.refund_amount, order.status) == (1, Decimal("150.00"), Order.Status.REFUNDED)
