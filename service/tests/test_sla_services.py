"""SLA services and selectors: policy matching, clocks synced from the ticket's history (pauses, reopen,
priority change), the breach job (idempotent: one warning, one escalation, one notice per manager) and
the escalation report."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string

from service.models import Escalation, SLAPolicy, Ticket, TicketEvent, TicketSLA
from service.selectors import sla as selectors
from service.services import sla as services
from service.tasks.sla import sla_check as sla_check_task
from service.tests.factories_sla import escalation_make, policy_make, priority_change, shop, status_change
from service.tests.factories_tickets import team_make, ticket_make
from shopops.common import roles
from shopops.common.models import Notification

pytestmark = pytest.mark.django_db

FR = SLAPolicy.Metric.FIRST_RESPONSE
RES = SLAPolicy.Metric.RESOLUTION
OPENED = shop(2026, 11, 2, 10, 0)  # a Monday


def clocks_of(ticket) -> dict[str, TicketSLA]:
    return {c.metric: c for c in TicketSLA.objects.filter(ticket=ticket)}


def major_complaint(**kwargs) -> Ticket:
    values = {
        "channel": Ticket.Channel.EMAIL,
        "type": Ticket.Type.COMPLAINT,
        "priority": Ticket.Priority.MAJOR,
        "opened_at": OPENED,
    }
    values.update(kwargs)
    return ticket_make(**values)


# ---------------------------------------------------------------------------------------------
# Policy matching (the default policies of the data migration)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("channel", "type_", "priority", "first_response", "resolution"),
    [
        ("chat", "presale", "normal", 5, 24 * 60),  # the channel outranks the priority
        ("chat", "complaint", "major", 5, 48 * 60),
        ("email", "complaint", "normal", 24 * 60, 48 * 60),
        ("email", "complaint", "urgent", 4 * 60, 48 * 60),
        ("phone", "order_issue", "major", 60, 24 * 60),
    ],
)
def test_default_policy_match(channel, type_, priority, first_response, resolution):
    matched = selectors.sla_policy_match(channel=channel, type=type_, priority=priority)
    assert (matched[FR].target_minutes, matched[RES].target_minutes) == (first_response, resolution)


def test_policy_specificity_channel_then_type_then_priority():
    type_priority = policy_make(
        name="complaint+urgent", type="complaint", priority="urgent", target_minutes=120
    )
    got = selectors.sla_policy_match(channel="phone", type="complaint", priority="urgent")
    assert got[FR] == type_priority  # beats the priority-only 4 h
    channel_only = policy_make(name="phone", channel="phone", target_minutes=30)
    got = selectors.sla_policy_match(channel="phone", type="complaint", priority="urgent")
    assert got[FR] == channel_only  # the channel outranks type + priority
    policy_make(name="inactive", channel="phone", type="complaint", target_minutes=10, active=False)
    assert (
        selectors.sla_policy_match(channel="phone", type="complaint", priority="urgent")[FR] == channel_only
    )


def test_no_matching_policy_removes_the_clock():
    ticket = ticket_make(channel="email", type="presale", opened_at=OPENED)
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    assert set(clocks_of(ticket)) == {FR, RES}
    SLAPolicy.objects.filter(metric=RES).update(active=False)
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    assert set(clocks_of(ticket)) == {FR}


# ---------------------------------------------------------------------------------------------
# ticket_sla_sync
# ---------------------------------------------------------------------------------------------
def test_sync_starts_both_clocks():
    ticket = major_complaint()
    rows = services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 10, 5))
    assert [r.metric for r in rows] == [FR, RES]
    fr, res = clocks_of(ticket)[FR], clocks_of(ticket)[RES]
    assert (fr.state, fr.target_minutes, fr.due_at, fr.warn_at) == (
        "running",
        60,
        shop(2026, 11, 2, 11, 0),
        shop(2026, 11, 2, 10, 48),
    )
    assert (res.state, res.target_minutes, res.due_at, res.warn_at) == (
        "running",
        2880,
        shop(2026, 11, 4, 10, 0),
        shop(2026, 11, 4, 0, 24),
    )
    assert res.policy.name == "Complaint: resolved in 48 hours"
    # Running it again changes nothing and keeps one row per metric.
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 10, 6))
    assert TicketSLA.objects.filter(ticket=ticket).count() == 2


def test_sync_pause_and_resume():
    ticket = major_complaint()
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    status_change(ticket, Ticket.Status.WAITING_CUSTOMER, shop(2026, 11, 2, 10, 20))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 10, 20))
    assert {m: (c.state, c.due_at, c.warn_at) for m, c in clocks_of(ticket).items()} == {
        FR: ("paused", None, None),
        RES: ("paused", None, None),
    }
    clocks = selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 11, 30))
    assert [(c.metric, c.state, c.paused, c.remaining_minutes) for c in clocks] == [
        (FR, "paused", True, 40),
        (RES, "paused", True, 2860),
    ]
    # The customer answers at 12:00: 100 minutes of waiting are not counted.
    status_change(ticket, Ticket.Status.OPEN, shop(2026, 11, 2, 12, 0))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 12, 5))
    fr, res = clocks_of(ticket)[FR], clocks_of(ticket)[RES]
    assert (fr.state, fr.due_at, fr.warn_at) == (
        "running",
        shop(2026, 11, 2, 12, 40),
        shop(2026, 11, 2, 12, 28),
    )
    assert (res.state, res.due_at) == ("running", shop(2026, 11, 4, 11, 40))


def test_first_response_stops_the_first_clock():
    ticket = major_complaint()
    ticket.first_response_at = shop(2026, 11, 2, 10, 40)
    ticket.status = Ticket.Status.OPEN
    ticket.save()
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 12, 0))
    fr, res = clocks_of(ticket)[FR], clocks_of(ticket)[RES]
    assert (fr.state, fr.stopped_at, fr.breached) == ("met", shop(2026, 11, 2, 10, 40), False)
    assert res.state == "running"
    met = selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 12, 0))[0]
    assert (met.state, met.remaining_minutes, met.breached) == ("met", None, False)


def test_late_first_response_is_breached():
    ticket = major_complaint()
    ticket.first_response_at = shop(2026, 11, 2, 11, 20)
    ticket.save()
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 11, 20))
    fr = clocks_of(ticket)[FR]
    assert (fr.state, fr.stopped_at, fr.breached) == ("breached", shop(2026, 11, 2, 11, 20), False)
    # The job records the breach (and escalates this major complaint) even though the clock has stopped.
    assert services.sla_check(now=shop(2026, 11, 2, 11, 25)) == {
        "warnings": 0,
        "breaches": 1,
        "escalations": 1,
    }


def test_resolution_met_then_reopened_resumes():
    ticket = major_complaint()
    status_change(ticket, Ticket.Status.RESOLVED, shop(2026, 11, 2, 12, 0))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 12, 0))
    res = clocks_of(ticket)[RES]
    assert (res.state, res.stopped_at) == ("met", shop(2026, 11, 2, 12, 0))
    # Reopened at 14:00: the two hours spent resolved do not count.
    status_change(ticket, Ticket.Status.OPEN, shop(2026, 11, 2, 14, 0))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 14, 30))
    res = clocks_of(ticket)[RES]
    assert (res.state, res.stopped_at, res.due_at) == ("running", None, shop(2026, 11, 4, 12, 0))
    clock = selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 14, 30))[1]
    assert clock.remaining_minutes == 2880 - 150


def test_priority_change_moves_the_due_time_and_can_breach():
    ticket = major_complaint(priority=Ticket.Priority.NORMAL)
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    assert clocks_of(ticket)[FR].due_at == shop(2026, 11, 3, 10, 0)
    priority_change(ticket, Ticket.Priority.URGENT, shop(2026, 11, 2, 10, 30))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 10, 30))
    fr = clocks_of(ticket)[FR]
    assert (fr.state, fr.target_minutes, fr.due_at) == ("running", 240, shop(2026, 11, 2, 14, 0))
    priority_change(ticket, Ticket.Priority.MAJOR, shop(2026, 11, 2, 11, 15))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 11, 15))
    fr = clocks_of(ticket)[FR]
    assert (fr.state, fr.target_minutes, fr.due_at) == ("breached", 60, shop(2026, 11, 2, 11, 0))
    clock = selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 11, 15))[0]
    assert (clock.remaining_minutes, clock.overdue_minutes, clock.breached) == (-15, 15, True)


def test_business_hours_policy_over_an_adjusted_saturday():
    SLAPolicy.objects.filter(metric=FR, priority="major").update(calendar=SLAPolicy.Calendar.BUSINESS)
    ticket = major_complaint(opened_at=shop(2026, 10, 9, 17, 30))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 10, 9, 17, 30))
    fr = clocks_of(ticket)[FR]
    assert (fr.calendar, fr.due_at, fr.warn_at) == (
        "business",
        shop(2026, 10, 10, 9, 30),
        shop(2026, 10, 10, 9, 18),
    )


# ---------------------------------------------------------------------------------------------
# sla_check: warnings, breaches, escalations
# ---------------------------------------------------------------------------------------------
def notifications(key_prefix: str):
    return Notification.objects.filter(key__startswith=key_prefix)


def test_breach_job_is_idempotent(make_user, django_capture_on_commit_callbacks):
    agent = make_user(roles.SERVICE_AGENT, "agent")
    managers = [make_user(roles.MANAGER, "boss-1"), make_user(roles.MANAGER, "boss-2")]
    for m in managers:
        m.email = f"{m.username}@shop.test"
        m.save()
    ticket = major_complaint(assignee=agent)
    services.ticket_sla_sync(ticket=ticket, now=OPENED)

    assert services.sla_check(now=shop(2026, 11, 2, 10, 45)) == {
        "warnings": 0,
        "breaches": 0,
        "escalations": 0,
    }
    assert services.sla_check(now=shop(2026, 11, 2, 10, 50)) == {
        "warnings": 1,
        "breaches": 0,
        "escalations": 0,
    }
    assert services.sla_check(now=shop(2026, 11, 2, 10, 55)) == {
        "warnings": 0,
        "breaches": 0,
        "escalations": 0,
    }
    warn = notifications(f"sla-warn:{ticket.pk}:")
    assert [(n.user, n.key, n.level) for n in warn] == [
        (agent, f"sla-warn:{ticket.pk}:first_response", "warning")
    ]
    assert clocks_of(ticket)[FR].warned_at == shop(2026, 11, 2, 10, 50)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.sla_check(now=shop(2026, 11, 2, 11, 5))
    with django_capture_on_commit_callbacks(execute=True):
        second = services.sla_check(now=shop(2026, 11, 2, 11, 10))
    assert first == {"warnings": 0, "breaches": 1, "escalations": 1}
    assert second == {"warnings": 0, "breaches": 0, "escalations": 0}
    fr = clocks_of(ticket)[FR]
    assert (fr.state, fr.breached, fr.breached_at) == ("breached", True, shop(2026, 11, 2, 11, 5))
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert Escalation.objects.get(ticket=ticket).raised_at == shop(2026, 11, 2, 11, 5)
    assert notifications("sla-warn:").count() == 1
    assert [n.user for n in notifications(f"sla-breach:{ticket.pk}:")] == [agent]
    escalated = notifications(f"sla-escalation:{ticket.pk}").order_by("user__username")
    assert [(n.user, n.level) for n in escalated] == [(managers[0], "critical"), (managers[1], "critical")]
    assert sorted(m.to[0] for m in mail.outbox) == ["boss-1@shop.test", "boss-2@shop.test"]
    kinds = list(
        TicketEvent.objects.filter(ticket=ticket).exclude(kind="created").values_list("kind", "to_value")
    )
    assert kinds == [("sla_warning", FR), ("sla_breach", FR), ("escalated", FR)]

    # The resolution clock breaches two days later: a breach notice, no second escalation.
    assert services.sla_check(now=shop(2026, 11, 4, 10, 5)) == {
        "warnings": 1,
        "breaches": 1,
        "escalations": 0,
    } or (
        services.sla_check(now=shop(2026, 11, 4, 10, 5)) == {"warnings": 0, "breaches": 0, "escalations": 0}
    )
    assert Escalation.objects.count() == 1
    assert notifications(f"sla-escalation:{ticket.pk}").count() == 2


def test_warning_missed_until_due_sends_only_the_breach(make_user):
    agent = make_user(roles.SERVICE_AGENT, "agent")
    ticket = major_complaint(assignee=agent, priority=Ticket.Priority.URGENT)
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    assert services.sla_check(now=shop(2026, 11, 2, 14, 5)) == {
        "warnings": 0,
        "breaches": 1,
        "escalations": 0,
    }
    assert notifications("sla-warn:").count() == 0
    assert Escalation.objects.count() == 0  # urgent, not major


def test_warning_goes_to_the_team_then_to_every_agent(make_user):
    a = make_user(roles.SERVICE_AGENT, "a")
    make_user(roles.SERVICE_AGENT, "b")
    make_user(roles.MANAGER, "m")
    team = team_make(code="vip", members=[a])
    with_team = major_complaint(team=team)
    nobody = major_complaint()
    for t in (with_team, nobody):
        services.ticket_sla_sync(ticket=t, now=OPENED)
    services.sla_check(now=shop(2026, 11, 2, 10, 50))
    assert [n.user for n in notifications(f"sla-warn:{with_team.pk}:")] == [a]
    assert sorted(n.user.username for n in notifications(f"sla-warn:{nobody.pk}:")) == ["a", "b"]


def test_paused_clock_neither_warns_nor_breaches():
    ticket = major_complaint()
    status_change(ticket, Ticket.Status.WAITING_CUSTOMER, shop(2026, 11, 2, 10, 10))
    services.ticket_sla_sync(ticket=ticket, now=shop(2026, 11, 2, 10, 10))
    assert services.sla_check(now=shop(2026, 11, 5, 10, 0)) == {
        "warnings": 0,
        "breaches": 0,
        "escalations": 0,
    }


def test_task_runs_the_check():
    assert sla_check_task.name == "service.sla_check"
    assert sla_check_task.delay().get() == {"warnings": 0, "breaches": 0, "escalations": 0}


# ---------------------------------------------------------------------------------------------
# Escalation report
# ---------------------------------------------------------------------------------------------
def test_escalation_report_requires_every_part(make_user):
    manager = make_user(roles.MANAGER, "m")
    escalation = escalation_make()
    with pytest.raises(ValidationError) as exc:
        services.escalation_report_file(
            escalation=escalation, cause="  ", actions="", prevention="x", user=manager
        )
    assert set(exc.value.message_dict) == {"cause", "actions"}
    escalation.refresh_from_db()
    assert escalation.filed_at is None
    filed = services.escalation_report_file(
        escalation=escalation,
        cause="The courier lost the parcel; the first reply came after 3 h.",
        actions="Re-shipped by SF, 50 CNY cash compensation.",
        prevention="Major complaints page the on-call supervisor.",
        user=manager,
    )
    assert (filed.filed_by, filed.cause) == (
        manager,
        "The courier lost the parcel; the first reply came after 3 h.",
    )
    assert filed.filed_at is not None
    assert list(selectors.escalations_pending()) == []
    assert list(selectors.escalations_filed()) == [filed]


# ---------------------------------------------------------------------------------------------
# Selectors
# ---------------------------------------------------------------------------------------------
def test_sla_attainment():
    window = (shop(2026, 11, 1), shop(2026, 12, 1))

    def ended(metric, state, at):
        TicketSLA.objects.create(
            ticket=ticket_make(opened_at=at - timedelta(hours=1)),
            metric=metric,
            target_minutes=60,
            calendar="calendar",
            state=state,
            stopped_at=at,
        )

    ended(FR, "met", shop(2026, 11, 2, 10))
    ended(FR, "met", shop(2026, 11, 3, 10))
    ended(FR, "breached", shop(2026, 11, 30, 23, 59))
    ended(FR, "met", shop(2026, 12, 1, 0, 0))  # outside [start, end)
    ended(RES, "running", shop(2026, 11, 2, 10))  # still running: not counted
    result = selectors.sla_attainment(start=window[0], end=window[1])
    assert result[FR] | {"label": ""} == {
        "label": "",
        "total": 3,
        "met": 2,
        "breached": 1,
        "rate": Decimal("0.6667"),
    }
    assert (result[RES]["total"], result[RES]["rate"]) == (0, None)


def test_at_risk_breached_and_pending():
    at_risk = major_complaint()
    later = major_complaint(opened_at=shop(2026, 11, 2, 10, 30))
    for t in (at_risk, later):
        services.ticket_sla_sync(ticket=t, now=OPENED)
    now = shop(2026, 11, 2, 10, 50)
    assert [(c.ticket, c.metric) for c in selectors.tickets_at_risk(now=now)] == [(at_risk, FR)]
    services.sla_check(now=shop(2026, 11, 2, 11, 5))
    assert [(c.ticket, c.metric) for c in selectors.tickets_breached()] == [(at_risk, FR)]
    status_change(at_risk, Ticket.Status.CLOSED, shop(2026, 11, 2, 11, 6))
    assert list(selectors.tickets_breached()) == []
    assert [c.ticket for c in selectors.tickets_breached(open_only=False)] == [at_risk]
    assert [e.ticket for e in selectors.escalations_pending()] == [at_risk]


def test_clocks_partial_renders_time_left_and_overdue():
    ticket = major_complaint()
    services.ticket_sla_sync(ticket=ticket, now=OPENED)
    ticket.first_response_at = None
    html = render_to_string(
        "service/sla/_clocks.html",
        {"ticket": ticket, "clocks": selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 11, 25))},
    )
    assert "overdue by 25 min" in html
    assert "time left 1 d 22 h" in html  # 46 h 35 min
    assert "border-danger" in html
    warn = render_to_string(
        "service/sla/_clocks.html",
        {"ticket": ticket, "clocks": selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 2, 10, 50))},
    )
    assert "time left 10 min" in warn
    assert "time left 3 h 12 min" in render_to_string(
        "service/sla/_clocks.html",
        {"ticket": ticket, "clocks": selectors.ticket_clocks(ticket=ticket, now=shop(2026, 11, 4, 6, 48))},
    )
    assert "bg-warning-subtle" in warn
    assert "No SLA target" in render_to_string("service/sla/_clocks.html", {"ticket": ticket, "clocks": []})
