"""SLA reads: policy matching, a ticket's clocks as the ticket page shows them, attainment, tickets at
risk or breached, escalations waiting for their report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from service import sla as clock
from service.models import Escalation, ServiceSettings, SLAPolicy, Ticket, TicketEvent, TicketSLA

WAITING = {Ticket.Status.WAITING_CUSTOMER.value}
STOPPED = {Ticket.Status.RESOLVED.value, Ticket.Status.CLOSED.value}
METRICS = tuple(SLAPolicy.Metric.values)


def shop_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


# ---------------------------------------------------------------------------------------------
# Policies
# ---------------------------------------------------------------------------------------------
def sla_policy_list() -> QuerySet[SLAPolicy]:
    return SLAPolicy.objects.order_by("metric", "-active", "target_minutes", "pk")


def sla_policy_get(*, pk: int) -> SLAPolicy | None:
    return SLAPolicy.objects.filter(pk=pk).first()


def _specificity(policy: SLAPolicy) -> tuple:
    # Channel outranks type outranks priority; among equals the stricter target, then the older row.
    return (
        bool(policy.channel),
        bool(policy.type),
        bool(policy.priority),
        -policy.target_minutes,
        -policy.pk,
    )


def sla_policy_match(*, channel: str, type: str, priority: str) -> dict[str, SLAPolicy]:
    """Per metric, the most specific active policy matching the ticket's channel, type and priority (a
    blank policy field matches anything). A metric without a match is absent."""
    candidates = SLAPolicy.objects.filter(
        Q(channel="") | Q(channel=channel),
        Q(type="") | Q(type=type),
        Q(priority="") | Q(priority=priority),
        active=True,
    )
    best: dict[str, SLAPolicy] = {}
    for policy in candidates:
        current = best.get(policy.metric)
        if current is None or _specificity(policy) > _specificity(current):
            best[policy.metric] = policy
    return best


# ---------------------------------------------------------------------------------------------
# Reading one ticket's clocks
# ---------------------------------------------------------------------------------------------
def ticket_status_changes(*, ticket: Ticket) -> list[tuple[datetime, str, str]]:
    """(at, from, to) of the ticket's status history, the creation included, in order."""
    return [
        (e.at, e.from_value, e.to_value)
        for e in TicketEvent.objects.filter(
            ticket=ticket, kind__in=[TicketEvent.Kind.CREATED, TicketEvent.Kind.STATUS]
        ).order_by("at", "pk")
    ]


def _intervals(changes, statuses: set[str]) -> list[clock.Pause]:
    """The spans the ticket spent in any of `statuses` (the last one open if it is still there)."""
    spans: list[clock.Pause] = []
    begin = None
    for at, _from, to in changes:
        if to in statuses and begin is None:
            begin = at
        elif to not in statuses and begin is not None:
            spans.append((begin, at))
            begin = None
    if begin is not None:
        spans.append((begin, None))
    return spans


def clock_inputs(*, ticket: Ticket, metric: str, changes) -> tuple[datetime | None, list[clock.Pause]]:
    """(stopped_at, pauses) of one metric's clock. Waiting on the customer pauses both clocks. The first
    response clock stops at the first reply (or when the ticket is resolved without one); the resolution
    clock stops when the ticket is resolved or closed, and a reopened ticket resumes it: the time it spent
    resolved is not counted."""
    waiting = _intervals(changes, WAITING)
    done = _intervals(changes, STOPPED)
    finished_at = None
    if not ticket.is_open:
        finished_at = ticket.resolved_at or ticket.closed_at
        if finished_at is None and done and done[-1][1] is None:
            finished_at = done[-1][0]
    # A reopened ticket: the spans it spent resolved pause the resolution clock.
    resolved_spans = [(b, e) for b, e in done if e is not None]
    if metric == SLAPolicy.Metric.FIRST_RESPONSE:
        return ticket.first_response_at or finished_at, waiting
    return finished_at, waiting + resolved_spans


def clock_read(
    *,
    ticket: Ticket,
    metric: str,
    target_minutes: int,
    calendar: str,
    now: datetime,
    conf: ServiceSettings | None = None,
    changes=None,
) -> clock.ClockReading:
    conf = conf or ServiceSettings.load()
    if changes is None:
        changes = ticket_status_changes(ticket=ticket)
    stopped_at, pauses = clock_inputs(ticket=ticket, metric=metric, changes=changes)
    return clock.clock_evaluate(
        start=ticket.opened_at,
        target_minutes=target_minutes,
        now=now,
        stopped_at=stopped_at,
        pauses=pauses,
        warn_ratio=conf.warn_ratio,
        calendar=calendar,
        business_start=conf.business_start,
        business_end=conf.business_end,
        tz=shop_tz(),
    )


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket as the ticket page shows it."""

    metric: str
    label: str
    state: str
    due_at: datetime | None
    target_minutes: int
    calendar: str
    remaining_minutes: int | None  # counted minutes left; negative when overdue; None when met
    paused: bool
    breached: bool
    warn_at: datetime | None = None
    warning: bool = False  # past the warning point, not yet due
    stopped_at: datetime | None = None
    state_label: str = ""
    calendar_label: str = ""

    @property
    def overdue(self) -> bool:
        return self.remaining_minutes is not None and self.remaining_minutes < 0

    @property
    def overdue_minutes(self) -> int | None:
        return -self.remaining_minutes if self.overdue else None

    @property
    def days(self) -> int | None:
        """Whole days of the time left (or overdue), shown from one day on: "2 d 5 h"."""
        return None if self.remaining_minutes is None else abs(self.remaining_minutes) // 1440

    @property
    def hours(self) -> int | None:
        """The hours past `days` of the time left (or overdue), for "3 h 12 min"."""
        return None if self.remaining_minutes is None else abs(self.remaining_minutes) % 1440 // 60

    @property
    def minutes(self) -> int | None:
        """The minutes past the whole hours of the time left (or overdue)."""
        return None if self.remaining_minutes is None else abs(self.remaining_minutes) % 60


def ticket_clocks(*, ticket: Ticket, now=None) -> list[Clock]:
    """The ticket's clocks (first response, then resolution) read now from the stored targets and the
    ticket's history: time left or overdue, paused, met, breached."""
    now = now or timezone.now()
    rows = sorted(TicketSLA.objects.filter(ticket=ticket), key=lambda r: METRICS.index(r.metric))
    if not rows:
        return []
    conf = ServiceSettings.load()
    changes = ticket_status_changes(ticket=ticket)
    labels = dict(SLAPolicy.Metric.choices)
    states = dict(TicketSLA.State.choices)
    calendars = dict(SLAPolicy.Calendar.choices)
    clocks = []
    for row in rows:
        reading = clock_read(
            ticket=ticket,
            metric=row.metric,
            target_minutes=row.target_minutes,
            calendar=row.calendar,
            now=now,
            conf=conf,
            changes=changes,
        )
        breached = reading.breached or row.breached
        clocks.append(
            Clock(
                metric=row.metric,
                label=labels.get(row.metric, row.metric),
                state=reading.state,
                due_at=reading.due_at,
                target_minutes=row.target_minutes,
                calendar=row.calendar,
                remaining_minutes=reading.remaining_minutes,
                paused=reading.state == clock.PAUSED,
                breached=breached,
                warn_at=reading.warn_at,
                warning=(
                    reading.state == clock.RUNNING and reading.warn_at is not None and reading.warn_at <= now
                ),
                stopped_at=reading.stopped_at,
                state_label=states.get(reading.state, reading.state),
                calendar_label=calendars.get(row.calendar, row.calendar),
            )
        )
    return clocks


# ---------------------------------------------------------------------------------------------
# Supervision: attainment, risk, breaches, escalations
# ---------------------------------------------------------------------------------------------
def sla_attainment(*, start: datetime, end: datetime) -> dict[str, dict]:
    """Per metric, the clocks that ended in [start, end) — met, or breached and stopped — and the share met
    on time (Decimal, 4 places; None when none ended). {"first_response": {"label", "total", "met",
    "breached", "rate"}, ...}"""
    result = {}
    labels = dict(SLAPolicy.Metric.choices)
    ended = TicketSLA.objects.filter(
        state__in=[TicketSLA.State.MET, TicketSLA.State.BREACHED],
        stopped_at__gte=start,
        stopped_at__lt=end,
    )
    for metric in METRICS:
        rows = ended.filter(metric=metric)
        total = rows.count()
        met = rows.filter(state=TicketSLA.State.MET).count()
        rate = (Decimal(met) / Decimal(total)).quantize(Decimal("0.0001"), ROUND_HALF_UP) if total else None
        result[metric] = {
            "label": labels[metric],
            "total": total,
            "met": met,
            "breached": total - met,
            "rate": rate,
        }
    return result


def tickets_at_risk(*, now=None, limit: int | None = 20) -> QuerySet[TicketSLA]:
    """Running clocks past their warning point and not yet due, soonest due first."""
    now = now or timezone.now()
    qs = (
        TicketSLA.objects.filter(state=TicketSLA.State.RUNNING, warn_at__lte=now, due_at__gt=now)
        .select_related("ticket", "ticket__assignee", "ticket__team")
        .order_by("due_at", "pk")
    )
    return qs[:limit] if limit else qs


def tickets_breached(*, open_only: bool = True) -> QuerySet[TicketSLA]:
    """Breached clocks, most recently due first; by default only of tickets still open."""
    qs = TicketSLA.objects.filter(Q(breached=True) | Q(state=TicketSLA.State.BREACHED)).select_related(
        "ticket", "ticket__assignee", "ticket__team"
    )
    if open_only:
        qs = qs.filter(ticket__status__in=Ticket.OPEN_STATUSES)
    return qs.order_by("-due_at", "-pk")


def escalations_pending() -> QuerySet[Escalation]:
    """Escalations whose written report has not been filed, oldest first."""
    return Escalation.objects.filter(filed_at=None).select_related("ticket").order_by("raised_at", "pk")


def escalations_filed() -> QuerySet[Escalation]:
    return (
        Escalation.objects.exclude(filed_at=None)
        .select_related("ticket", "filed_by")
        .order_by("-filed_at", "-pk")
    )


def escalation_get(*, number: str) -> Escalation | None:
    return Escalation.objects.select_related("ticket", "filed_by").filter(ticket__number=number).first()
