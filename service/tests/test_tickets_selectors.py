"""Ticket selectors: lookup by number, queue counts by team and agent, response times of a period."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from orders.tests.factories import CustomerFactory
from service.models import Ticket
from service.selectors.tickets import (
    customer_tickets,
    ticket_get,
    ticket_queue_counts,
    ticket_response_times,
    ticket_status_counts,
)
from service.tests.factories_tickets import team_make, ticket_make

pytestmark = pytest.mark.django_db
# 2026-11-20 00:00 in Shanghai
DAY = datetime(2026, 11, 19, 16, 0, tzinfo=UTC)


def test_ticket_get_by_number_or_id():
    ticket = ticket_make()
    assert ticket_get(number=ticket.number) == ticket
    assert ticket_get(number=ticket.number.lower()) == ticket
    assert ticket_get(number=str(ticket.pk)) == ticket
    assert ticket_get(number=ticket.pk) == ticket
    assert ticket_get(number="T-999999") is None
    assert ticket_get(number="junk") is None


def test_queue_counts_by_team_and_agent(make_user):
    li = make_user("service_agent", "li")
    wang = make_user("service_agent", "wang")
    vip = team_make(code="vip", name="VIP")
    ticket_make(team=vip, assignee=li, status="open")
    ticket_make(team=vip, assignee=li, status="waiting_customer")
    ticket_make(team=vip, assignee=wang, status="new")
    ticket_make(assignee=wang, status="open")
    ticket_make(status="new")
    ticket_make(team=vip, assignee=li, status="resolved")  # not open: not counted
    ticket_make(status="closed")
    counts = ticket_queue_counts()
    assert counts["totals"] == {
        "new": 2,
        "open": 2,
        "waiting_customer": 1,
        "waiting_third_party": 0,
        "total": 5,
    }
    teams = {row["team__code"]: row for row in counts["by_team"]}
    assert teams["vip"] == {
        "team_id": vip.pk,
        "team__code": "vip",
        "team__name": "VIP",
        "total": 3,
        "new": 1,
        "open": 1,
        "waiting_customer": 1,
        "waiting_third_party": 0,
    }
    assert teams[None]["total"] == 2
    agents = {
        row["assignee__username"]: (row["total"], row["new"], row["open"]) for row in counts["by_agent"]
    }
    assert agents == {"li": (2, 0, 1), "wang": (2, 1, 1), None: (1, 1, 0)}
    assert ticket_status_counts(user=li) == {
        "new": 0,
        "open": 1,
        "waiting_customer": 1,
        "waiting_third_party": 0,
    }


def test_response_times_of_tickets_opened_in_the_period():
    def make(opened, first=None, resolved=None):
        t = ticket_make(opened_at=opened)
        Ticket.objects.filter(pk=t.pk).update(first_response_at=first, resolved_at=resolved)

    a = DAY + timedelta(hours=9)
    make(a, a + timedelta(minutes=4), a + timedelta(hours=2))
    b = DAY + timedelta(hours=10)
    make(b, b + timedelta(minutes=10), b + timedelta(hours=5))
    c = DAY + timedelta(hours=23, minutes=59)
    make(c, c + timedelta(minutes=31))
    make(DAY + timedelta(hours=11))  # not answered yet
    make(DAY - timedelta(minutes=1), DAY)  # the day before (shop time): outside
    make(DAY + timedelta(days=1), DAY + timedelta(days=1, minutes=1))  # the next day: outside
    times = ticket_response_times(start=date(2026, 11, 20), end=date(2026, 11, 21))
    assert (times.tickets, times.responded, times.resolved) == (4, 3, 2)
    assert times.first_response_median == Decimal("10.0")
    assert times.first_response_average == Decimal("15.0")
    assert times.resolution_median == Decimal("210.0")
    assert times.resolution_average == Decimal("210.0")
    empty = ticket_response_times(start=date(2026, 1, 1), end=date(2026, 1, 2))
    assert (empty.tickets, empty.first_response_median, empty.resolution_average) == (0, None, None)


def test_customer_tickets_newest_first():
    customer = CustomerFactory()
    old = ticket_make(customer=customer, opened_at=DAY)
    new = ticket_make(customer=customer, opened_at=DAY + timedelta(days=1))
    ticket_make()
    assert list(customer_tickets(customer=customer)) == [new, old]
