"""The service overview on a small hand-built set: every figure exact."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User

from orders.tests.factories import OrderFactory
from service.models import Compensation, Escalation, ReturnRequest, Ticket
from service.selectors.overview import service_overview
from service.tests.factories_surveys import SurveyFactory, TeamFactory, TicketFactory, TicketSLAFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = date(2026, 11, 20)
NOW = datetime.combine(TODAY, time(15, 0), tzinfo=SHANGHAI)
S = Ticket.Status


def day_at(days_ago: int, hour: int) -> datetime:
    return datetime.combine(TODAY - timedelta(days=days_ago), time(hour), tzinfo=SHANGHAI)


def minutes(n: int) -> timedelta:
    return timedelta(minutes=n)


@pytest.fixture
def service_set(db):
    team_a = TeamFactory(code="a", name="Alpha")
    team_b = TeamFactory(code="b", name="Beta")
    agent1 = User.objects.create_user("agent1", first_name="Li", last_name="Na")
    agent2 = User.objects.create_user("agent2")
    t = {}
    # Open, not answered, first response breached (still running: not an ended clock).
    t[1] = TicketFactory(status=S.OPEN, team=team_a, assignee=agent1, opened_at=NOW - timedelta(hours=2))
    TicketSLAFactory(ticket=t[1], state="breached", breached=True, due_at=NOW - timedelta(hours=1))
    # New, unassigned, at risk: warned 5 minutes ago, due in 10.
    t[2] = TicketFactory(status=S.NEW, team=team_a, opened_at=NOW - minutes(30))
    TicketSLAFactory(ticket=t[2], state="running", warn_at=NOW - minutes(5), due_at=NOW + minutes(10))
    # Waiting on the customer, answered after 30 minutes; its resolution clock not yet warned.
    t[3] = TicketFactory(status=S.WAITING_CUSTOMER, team=team_b, assignee=agent1, opened_at=day_at(3, 10))
    t[3].first_response_at = t[3].opened_at + minutes(30)
    t[3].save()
    TicketSLAFactory(
        ticket=t[3],
        metric="resolution",
        state="running",
        warn_at=NOW + minutes(60),
        due_at=NOW + minutes(600),
    )
    # Resolved the same day: answered in 21 minutes, resolved in 120; both clocks met.
    opened = day_at(5, 10)
    t[4] = TicketFactory(
        status=S.RESOLVED,
        opened_at=opened,
        first_response_at=opened + minutes(21),
        resolved_at=opened + minutes(120),
    )
    TicketSLAFactory(ticket=t[4], state="met", stopped_at=opened + minutes(21), due_at=opened + minutes(60))
    TicketSLAFactory(
        ticket=t[4],
        metric="resolution",
        state="met",
        stopped_at=opened + minutes(120),
        due_at=opened + minutes(2880),
    )
    # Closed: answered late (60 > 30 minutes, breached and stopped), resolved after 25 hours.
    opened = day_at(20, 10)
    t[5] = TicketFactory(
        status=S.CLOSED,
        opened_at=opened,
        first_response_at=opened + minutes(60),
        resolved_at=opened + minutes(1500),
        closed_at=opened + minutes(3000),
    )
    TicketSLAFactory(
        ticket=t[5],
        state="breached",
        breached=True,
        stopped_at=opened + minutes(60),
        due_at=opened + minutes(30),
    )
    # Old, resolved 25 days ago; a breached clock of a resolved ticket is not in "needs attention".
    t[6] = TicketFactory(status=S.RESOLVED, opened_at=day_at(40, 10), resolved_at=day_at(25, 12))
    TicketSLAFactory(ticket=t[6], state="breached", breached=True, due_at=day_at(40, 11))
    # Open since yesterday, answered in 14 minutes.
    t[7] = TicketFactory(status=S.OPEN, team=team_b, assignee=agent2, opened_at=day_at(1, 9))
    t[7].first_response_at = t[7].opened_at + minutes(14)
    t[7].save()

    Escalation.objects.create(ticket=t[1], reason="major complaint breached", raised_at=NOW - minutes(50))
    Escalation.objects.create(ticket=t[5], reason="filed", raised_at=day_at(19, 10), filed_at=day_at(18, 10))

    order = OrderFactory()
    for number, status in (("R-000001", "requested"), ("R-000002", "received"), ("R-000003", "approved")):
        ReturnRequest.objects.create(
            number=number, order=order, reason="no_reason", status=status, requested_at=day_at(2, 10)
        )
    for amount, status in (("20.00", "pending"), ("15.50", "pending"), ("99.00", "approved")):
        Compensation.objects.create(
            ticket=t[5],
            problem="late_delivery",
            severity="minor",
            remedy="coupon",
            amount=Decimal(amount),
            status=status,
        )

    for kind, score in (("csat", 5), ("csat", 2), ("nps", 9), ("nps", 10), ("nps", 3)):
        SurveyFactory(kind=kind, score=score, created_at=day_at(2, 9), answered_at=day_at(2, 10))
    return t


def test_needs_attention(service_set):
    data = service_overview(today=TODAY, now=NOW)
    assert data["open_tickets"] == 4
    assert [x.number for x in data["breached"]] == [service_set[1].number]
    assert [c.metric for c in data["breached"][0].breached_clocks] == ["first_response"]
    assert data["breached_count"] == 1
    assert [(c.ticket.number, c.minutes_left) for c in data["at_risk"]] == [(service_set[2].number, 10)]
    assert data["at_risk_count"] == 1
    assert [e.ticket_id for e in data["escalations"]] == [service_set[1].pk]
    assert data["escalation_count"] == 1
    assert data["returns"]["total"] == 2
    assert data["returns"]["by_status"] == {"requested": 1, "received": 1, "inspected": 0}
    assert data["compensation"]["count"] == 2
    assert data["compensation"]["amount"] == Decimal("35.50")


def test_queue_by_team_and_agent(service_set):
    data = service_overview(today=TODAY, now=NOW)
    by_team = [
        (r["name"], r["new"], r["open"], r["waiting_customer"], r["waiting_third_party"], r["total"])
        for r in data["queue_by_team"]
    ]
    assert by_team == [("Alpha", 1, 1, 0, 0, 2), ("Beta", 0, 1, 1, 0, 2)]
    by_agent = [
        (r["name"], r["new"], r["open"], r["waiting_customer"], r["total"]) for r in data["queue_by_agent"]
    ]
    assert by_agent == [("Li Na", 0, 1, 1, 2), ("agent2", 0, 1, 0, 1), ("Unassigned", 1, 0, 0, 1)]


def test_response_times_7_and_30_days(service_set):
    times = service_overview(today=TODAY, now=NOW)["times"]
    assert times["d7"] == {
        "days": 7,
        "opened": 5,  # tickets 1, 2, 3, 4, 7
        "first_response": {"count": 3, "median": Decimal("21.0"), "average": Decimal("21.7")},  # 14, 21, 30
        "resolution": {"count": 1, "median": Decimal("120.0"), "average": Decimal("120.0")},
    }
    assert times["d30"] == {
        "days": 30,
        "opened": 6,
        "first_response": {"count": 4, "median": Decimal("25.5"), "average": Decimal("31.3")},  # + 60
        "resolution": {"count": 2, "median": Decimal("810.0"), "average": Decimal("810.0")},  # 120, 1500
    }


def test_sla_attainment(service_set):
    attainment = service_overview(today=TODAY, now=NOW)["attainment"]
    assert {m: (a["total"], a["met"], a["breached"], a["rate"]) for m, a in attainment.items()} == {
        "first_response": (2, 1, 1, Decimal("0.5000")),
        "resolution": (1, 1, 0, Decimal("1.0000")),
    }


def test_backlog_per_day(service_set):
    backlog = service_overview(today=TODAY, now=NOW)["backlog"]
    assert len(backlog) == 30
    assert backlog[0]["day"] == TODAY - timedelta(days=29)
    assert backlog[-1]["day"] == TODAY
    by_days_ago = {(TODAY - row["day"]).days: row["open"] for row in backlog}
    expected = dict.fromkeys(range(30), 0)
    expected.update({29: 1, 28: 1, 27: 1, 26: 1})  # ticket 6 until it was resolved 25 days ago
    expected.update({20: 1})  # ticket 5 over its first night
    expected.update({3: 1, 2: 1, 1: 2, 0: 4})  # 3; 3 and 7; today also 1 and 2
    assert by_days_ago == expected


def test_first_response_by_day(service_set):
    rows = service_overview(today=TODAY, now=NOW)["first_response_by_day"]
    found = {(TODAY - r["day"]).days: (r["count"], r["median"]) for r in rows if r["count"]}
    assert found == {
        1: (1, Decimal("14.0")),
        3: (1, Decimal("30.0")),
        5: (1, Decimal("21.0")),
        20: (1, Decimal("60.0")),
    }


def test_satisfaction_figures(service_set):
    data = service_overview(today=TODAY, now=NOW)
    assert (data["csat"]["count"], data["csat"]["average"], data["csat"]["csat"]) == (
        2,
        Decimal("3.50"),
        Decimal("0.5000"),
    )
    assert (data["nps"]["count"], data["nps"]["nps"], data["nps"]["band"]) == (3, Decimal("33.3"), "average")
    assert len(data["nps_trend"]) == 12
    assert data["nps_trend"][-1]["nps"] == Decimal("33.3")


def test_empty_overview():
    data = service_overview(today=TODAY, now=NOW)
    assert data["open_tickets"] == 0
    assert data["times"]["d7"]["first_response"] == {"count": 0, "median": None, "average": None}
    assert data["attainment"]["first_response"]["rate"] is None
    assert data["compensation"]["amount"] == Decimal("0.00")
    assert {row["open"] for row in data["backlog"]} == {0}
