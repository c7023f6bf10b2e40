"""The service overview: what needs attention today (breached and at-risk tickets, escalations waiting for
their report, returns waiting for the shop, compensation waiting for approval), the queue, response
times, SLA attainment, satisfaction and the backlog.

It reads the models directly rather than the other subdomains' selectors, so that the overview does not
break while one of them changes; the definitions match theirs (an SLA clock has ended when it is met or
breached and stopped, as in `service.selectors.sla.sla_attainment`)."""

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from statistics import median

from django.db.models import Case, Count, DateTimeField, Q, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from service.models import Compensation, Escalation, ReturnRequest, SLAPolicy, Ticket, TicketSLA
from service.selectors.satisfaction import csat_summary, nps, nps_trend
from shopops.common.dates import day_start, shop_today
from shopops.common.money import ZERO, to_money

BACKLOG_DAYS = 30
TIME_WINDOWS = (7, 30)
ATTAINMENT_DAYS = 30
CSAT_DAYS = 30
NPS_DAYS = 90
NPS_MONTHS = 12
ATTENTION_ROWS = 50
# Returns waiting for the shop (not for the customer): decide, inspect, refund.
RETURNS_AWAITING = (
    ReturnRequest.Status.REQUESTED,
    ReturnRequest.Status.RECEIVED,
    ReturnRequest.Status.INSPECTED,
)
OPEN_STATUSES = [str(s) for s in Ticket.OPEN_STATUSES]

_ONE = Decimal("0.1")
_FRACTION = Decimal("0.0001")


def _minutes(start: datetime, end: datetime) -> Decimal:
    return Decimal((end - start).total_seconds()) / 60


def duration_stats(minutes: list[Decimal]) -> dict:
    """Count, median and average of durations in minutes (one decimal, half up); None when empty."""
    if not minutes:
        return {"count": 0, "median": None, "average": None}
    return {
        "count": len(minutes),
        "median": Decimal(median(minutes)).quantize(_ONE, rounding=ROUND_HALF_UP),
        "average": (sum(minutes, Decimal(0)) / len(minutes)).quantize(_ONE, rounding=ROUND_HALF_UP),
    }


def _window(today: date, days: int) -> tuple[datetime, datetime]:
    """The last `days` shop days, today included."""
    return day_start(today - timedelta(days=days - 1)), day_start(today + timedelta(days=1))


def breached_tickets(*, limit: int | None = ATTENTION_ROWS) -> tuple[list[Ticket], int]:
    """Open tickets with a breached clock, the longest overdue first; each carries `breached_clocks`
    (its breached TicketSLA rows). Returns (the first `limit` tickets, how many there are)."""
    clocks = (
        TicketSLA.objects.filter(Q(breached=True) | Q(state=TicketSLA.State.BREACHED))
        .filter(ticket__status__in=OPEN_STATUSES)
        .select_related("ticket", "ticket__assignee", "ticket__team")
        .order_by("due_at", "pk")
    )
    tickets: dict[int, Ticket] = {}
    for clock in clocks:
        ticket = tickets.setdefault(clock.ticket_id, clock.ticket)
        if not hasattr(ticket, "breached_clocks"):
            ticket.breached_clocks = []
        ticket.breached_clocks.append(clock)
    rows = list(tickets.values())
    return (rows[:limit] if limit else rows), len(rows)


def at_risk_clocks(*, now: datetime, limit: int | None = ATTENTION_ROWS) -> tuple[list[TicketSLA], int]:
    """Running clocks of open tickets past their warning point and not yet due (nor breached), soonest due
    first; each carries `minutes_left`. Returns (the first `limit`, how many tickets are at risk)."""
    qs = (
        TicketSLA.objects.filter(
            state=TicketSLA.State.RUNNING,
            breached=False,
            warn_at__lte=now,
            due_at__gt=now,
            ticket__status__in=OPEN_STATUSES,
        )
        .select_related("ticket", "ticket__assignee", "ticket__team")
        .order_by("due_at", "pk")
    )
    ticket_count = qs.values("ticket_id").distinct().count()
    rows = list(qs[:limit] if limit else qs)
    for clock in rows:
        clock.minutes_left = int((clock.due_at - now).total_seconds() // 60)
    return rows, ticket_count


def _queue_rows(group_fields: tuple[str, ...]) -> list[dict]:
    counts = {status: Count("id", filter=Q(status=status)) for status in OPEN_STATUSES}
    rows = (
        Ticket.objects.filter(status__in=OPEN_STATUSES)
        .values(*group_fields)
        .annotate(total=Count("id"), **counts)
        .order_by()
    )
    return list(rows)


def queue_by_team() -> list[dict]:
    """Open tickets per team and status: {"team_id", "name", "total", "new", "open", ...}; no team last."""
    rows = [
        {"team_id": row["team_id"], "name": row["team__name"] or str(_("No team"))}
        | {key: row[key] for key in ("total", *OPEN_STATUSES)}
        for row in _queue_rows(("team_id", "team__name"))
    ]
    return sorted(rows, key=lambda r: (r["team_id"] is None, r["name"]))


def queue_by_agent() -> list[dict]:
    """Open tickets per assignee and status: {"user_id", "name", "total", "new", ...}; unassigned last."""
    rows = []
    for row in _queue_rows(
        ("assignee_id", "assignee__username", "assignee__first_name", "assignee__last_name")
    ):
        full = f"{row['assignee__first_name'] or ''} {row['assignee__last_name'] or ''}".strip()
        name = full or row["assignee__username"] or str(_("Unassigned"))
        rows.append(
            {"user_id": row["assignee_id"], "name": name}
            | {key: row[key] for key in ("total", *OPEN_STATUSES)}
        )
    return sorted(rows, key=lambda r: (r["user_id"] is None, r["name"]))


def response_times(*, today: date, days: int) -> dict:
    """First-response and resolution times of the tickets opened in the last `days` shop days (today
    included), in minutes from opening: {"days", "opened", "first_response": {"count", "median",
    "average"}, "resolution": {...}}."""
    lo, hi = _window(today, days)
    rows = Ticket.objects.filter(opened_at__gte=lo, opened_at__lt=hi).values_list(
        "opened_at", "first_response_at", "resolved_at"
    )
    first, resolution, opened = [], [], 0
    for opened_at, first_response_at, resolved_at in rows:
        opened += 1
        if first_response_at:
            first.append(_minutes(opened_at, first_response_at))
        if resolved_at:
            resolution.append(_minutes(opened_at, resolved_at))
    return {
        "days": days,
        "opened": opened,
        "first_response": duration_stats(first),
        "resolution": duration_stats(resolution),
    }


def sla_attainment(*, start: datetime, end: datetime) -> dict[str, dict]:
    """Per metric, clocks met / clocks ended in [start, end) (met, or breached and stopped; by the time
    they stopped): {"first_response": {"label", "total", "met", "breached", "rate"}, ...}; rate is a
    fraction with 4 places, None when no clock ended."""
    ended = TicketSLA.objects.filter(
        state__in=[TicketSLA.State.MET, TicketSLA.State.BREACHED], stopped_at__gte=start, stopped_at__lt=end
    )
    facts = {
        row["metric"]: row
        for row in ended.values("metric")
        .annotate(total=Count("id"), met=Count("id", filter=Q(state=TicketSLA.State.MET)))
        .order_by()
    }
    result = {}
    for metric, label in SLAPolicy.Metric.choices:
        total = facts.get(metric, {}).get("total", 0)
        met = facts.get(metric, {}).get("met", 0)
        rate = (Decimal(met) / total).quantize(_FRACTION, rounding=ROUND_HALF_UP) if total else None
        result[metric] = {"label": label, "total": total, "met": met, "breached": total - met, "rate": rate}
    return result


def backlog(*, today: date, now: datetime, days: int = BACKLOG_DAYS) -> list[dict]:
    """Open tickets at the end of each of the last `days` shop days (today: now), oldest first, in one
    query. A ticket is open from `opened_at` until it was resolved (or closed without being resolved); a
    ticket open now counts as open since it was opened, even if it was resolved once and reopened."""
    ends = [
        (day, min(day_start(day + timedelta(days=1)), now))
        for day in (today - timedelta(days=days - 1 - i) for i in range(days))
    ]
    ended_at = Case(
        When(status__in=OPEN_STATUSES, then=Value(None)),
        default=Coalesce("resolved_at", "closed_at"),
        output_field=DateTimeField(),
    )
    qs = Ticket.objects.annotate(ended_at=ended_at)
    aggregates = {
        f"d{index}": Count(
            "id",
            filter=Q(opened_at__lt=moment) & (Q(ended_at__isnull=True) | Q(ended_at__gte=moment)),
        )
        for index, (_day, moment) in enumerate(ends)
    }
    counts = qs.aggregate(**aggregates)
    return [{"day": day, "open": counts[f"d{index}"]} for index, (day, _moment) in enumerate(ends)]


def first_response_by_day(*, today: date, days: int = BACKLOG_DAYS) -> list[dict]:
    """Per shop day of the last `days` (tickets opened that day): answered tickets and the median first
    response in minutes (None when none was answered), oldest first."""
    lo, hi = _window(today, days)
    by_day: dict[date, list[Decimal]] = defaultdict(list)
    rows = Ticket.objects.filter(opened_at__gte=lo, opened_at__lt=hi, first_response_at__isnull=False)
    for opened_at, first_response_at in rows.values_list("opened_at", "first_response_at"):
        by_day[timezone.localtime(opened_at).date()].append(_minutes(opened_at, first_response_at))
    result = []
    for index in range(days):
        day = today - timedelta(days=days - 1 - index)
        stats = duration_stats(by_day.get(day, []))
        result.append({"day": day, "count": stats["count"], "median": stats["median"]})
    return result


def escalations_pending(*, limit: int | None = ATTENTION_ROWS) -> tuple[list[Escalation], int]:
    """Escalations whose written report is not filed yet, oldest first: (the first `limit`, count)."""
    qs = Escalation.objects.filter(filed_at__isnull=True).select_related("ticket").order_by("raised_at", "pk")
    return list(qs[:limit] if limit else qs), qs.count()


def returns_awaiting(*, limit: int | None = ATTENTION_ROWS) -> dict:
    """Returns waiting for the shop: to decide (requested), to inspect (received), to refund (inspected).
    {"total", "by_status": {status: count}, "oldest": [ReturnRequest, ...]}"""
    qs = ReturnRequest.objects.filter(status__in=RETURNS_AWAITING)
    counts = dict.fromkeys([str(s) for s in RETURNS_AWAITING], 0)
    for row in qs.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    oldest = qs.select_related("order", "customer").order_by("requested_at", "pk")
    return {
        "total": sum(counts.values()),
        "by_status": counts,
        "oldest": list(oldest[:limit] if limit else oldest),
    }


def compensation_pending(*, limit: int | None = ATTENTION_ROWS) -> dict:
    """Compensation awaiting approval: {"count", "amount" (total, to the cent), "oldest": [...]}"""
    qs = Compensation.objects.filter(status=Compensation.Status.PENDING)
    facts = qs.aggregate(count=Count("id"), amount=Sum("amount"))
    oldest = qs.select_related("ticket", "requested_by").order_by("created_at", "pk")
    return {
        "count": facts["count"],
        "amount": to_money(facts["amount"] or ZERO),
        "oldest": list(oldest[:limit] if limit else oldest),
    }


def service_overview(*, today: date | None = None, now: datetime | None = None) -> dict:
    """Everything the overview page shows, for `today` (shop-local; default today) at `now`."""
    now = now or timezone.now()
    today = today or shop_today()
    breached, breached_count = breached_tickets()
    at_risk, at_risk_count = at_risk_clocks(now=now)
    escalations, escalation_count = escalations_pending()
    attainment_lo, attainment_hi = _window(today, ATTAINMENT_DAYS)
    return {
        "today": today,
        "now": now,
        "open_tickets": Ticket.objects.filter(status__in=OPEN_STATUSES).count(),
        "breached": breached,
        "breached_count": breached_count,
        "at_risk": at_risk,
        "at_risk_count": at_risk_count,
        "queue_by_team": queue_by_team(),
        "queue_by_agent": queue_by_agent(),
        "times": {f"d{days}": response_times(today=today, days=days) for days in TIME_WINDOWS},
        "attainment_days": ATTAINMENT_DAYS,
        "attainment": sla_attainment(start=attainment_lo, end=attainment_hi),
        "csat_days": CSAT_DAYS,
        "csat": csat_summary(start=today - timedelta(days=CSAT_DAYS - 1), end=today + timedelta(days=1)),
        "nps_days": NPS_DAYS,
        "nps": nps(start=today - timedelta(days=NPS_DAYS - 1), end=today + timedelta(days=1)),
        "nps_trend": nps_trend(months=NPS_MONTHS, today=today),
        "backlog": backlog(today=today, now=now),
        "first_response_by_day": first_response_by_day(today=today),
        "escalations": escalations,
        "escalation_count": escalation_count,
        "returns": returns_awaiting(),
        "compensation": compensation_pending(),
    }
