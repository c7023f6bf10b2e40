"""SLA clocks of tickets, the breach / warning job and escalations.

The pure clock arithmetic is in `service/sla.py`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from service import sla as clock
from service.models import Escalation, ServiceSettings, SLAPolicy, Ticket, TicketEvent, TicketSLA
from service.selectors import sla as selectors
from shopops.common import roles
from shopops.common.models import Notification
from shopops.common.notifications import notification_send, users_with_roles


@transaction.atomic
def ticket_sla_sync(*, ticket: Ticket, now=None) -> list[TicketSLA]:
    """Recompute the ticket's clocks (first response, resolution) from its policy match and its history
    (events: waiting on customer pauses; priority / type changes re-target) and save them."""
    now = now or timezone.now()
    conf = ServiceSettings.load()
    policies = selectors.sla_policy_match(channel=ticket.channel, type=ticket.type, priority=ticket.priority)
    existing = {row.metric: row for row in TicketSLA.objects.select_for_update().filter(ticket=ticket)}
    changes = selectors.ticket_status_changes(ticket=ticket)
    clocks = []
    for metric in selectors.METRICS:
        policy = policies.get(metric)
        row = existing.get(metric)
        if policy is None:
            # No target applies any more (the policy was switched off or the ticket changed type).
            if row is not None:
                row.delete()
            continue
        reading = selectors.clock_read(
            ticket=ticket,
            metric=metric,
            target_minutes=policy.target_minutes,
            calendar=policy.calendar,
            now=now,
            conf=conf,
            changes=changes,
        )
        row = row or TicketSLA(ticket=ticket, metric=metric)
        row.policy = policy
        row.target_minutes = policy.target_minutes
        row.calendar = policy.calendar
        row.state = reading.state
        row.due_at = reading.due_at
        row.warn_at = reading.warn_at
        row.stopped_at = reading.stopped_at if reading.state in (clock.MET, clock.BREACHED) else None
        if reading.state != clock.BREACHED:
            # A lowered priority can move a breached clock back inside its target.
            row.breached = False
            row.breached_at = None
        if row.warned_at is not None and row.warn_at is not None and row.warn_at > now:
            row.warned_at = None
        row.save()
        clocks.append(row)
    return clocks


def _responsible(ticket: Ticket) -> list:
    """Who hears about a ticket's clock: its assignee; unassigned, its team; no team, every agent."""
    if ticket.assignee_id and ticket.assignee.is_active:
        return [ticket.assignee]
    if ticket.team_id:
        members = list(ticket.team.members.filter(is_active=True))
        if members:
            return members
    return list(users_with_roles([roles.SERVICE_AGENT]))


def _metric_label(metric: str) -> str:
    return str(dict(SLAPolicy.Metric.choices).get(metric, metric))


def _warn(row: TicketSLA, now) -> None:
    ticket = row.ticket
    minutes = max(int((row.due_at - now).total_seconds() // 60), 0)
    notification_send(
        users=_responsible(ticket),
        key=f"sla-warn:{ticket.pk}:{row.metric}",
        title=_("%(number)s: %(metric)s due in %(minutes)s min")
        % {"number": ticket.number, "metric": _metric_label(row.metric), "minutes": minutes},
        body=ticket.subject,
        url=reverse("service:ticket-detail", args=[ticket.number]),
        level=Notification.Level.WARNING,
    )
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA_WARNING, to_value=row.metric, at=now)


def _breach(row: TicketSLA, now) -> None:
    ticket = row.ticket
    notification_send(
        users=_responsible(ticket),
        key=f"sla-breach:{ticket.pk}:{row.metric}",
        title=_("%(number)s: %(metric)s target breached")
        % {"number": ticket.number, "metric": _metric_label(row.metric)},
        body=ticket.subject,
        url=reverse("service:ticket-detail", args=[ticket.number]),
        level=Notification.Level.CRITICAL,
    )
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.SLA_BREACH, to_value=row.metric, at=now)


def _escalate(ticket: Ticket, metric: str, now) -> bool:
    escalation, created = Escalation.objects.get_or_create(
        ticket=ticket,
        defaults={
            "reason": _("Major complaint: %(metric)s target breached") % {"metric": _metric_label(metric)},
            "raised_at": now,
        },
    )
    if not created:
        return False
    TicketEvent.objects.create(ticket=ticket, kind=TicketEvent.Kind.ESCALATED, to_value=metric, at=now)
    notification_send(
        users=users_with_roles([roles.MANAGER]),
        key=f"sla-escalation:{ticket.pk}",
        title=_("Escalated: %(number)s, a major complaint, breached its SLA") % {"number": ticket.number},
        body=_("%(subject)s. A written report is required before the ticket can be closed.")
        % {"subject": ticket.subject},
        url=reverse("service:escalation-report", args=[ticket.number]),
        level=Notification.Level.CRITICAL,
        email=True,
    )
    return True


@transaction.atomic
def sla_check(*, now=None) -> dict:
    """The every-5-minutes job: warn assignees (and team) at the warn ratio, mark breaches, escalate a
    breached major complaint to the managers. Idempotent: twice sends one warning and one escalation.

    Returns {"warnings": n, "breaches": n, "escalations": n} of what this run did."""
    now = now or timezone.now()
    counts = {"warnings": 0, "breaches": 0, "escalations": 0}
    # Rows are locked in primary-key order so two overlapping runs queue rather than both notify.
    warn_rows = (
        TicketSLA.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__assignee", "ticket__team")
        .filter(state=TicketSLA.State.RUNNING, warned_at=None, warn_at__lte=now)
        .order_by("pk")
    )
    for row in warn_rows:
        # A clock found already past due gets the breach notice alone, not a stale warning as well.
        if row.due_at is not None and row.due_at > now:
            _warn(row, now)
            counts["warnings"] += 1
        row.warned_at = now
        row.save(update_fields=["warned_at"])
    breach_rows = (
        TicketSLA.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__assignee", "ticket__team")
        .filter(
            state__in=[TicketSLA.State.RUNNING, TicketSLA.State.BREACHED],
            breached=False,
            due_at__lt=now,
        )
        .order_by("pk")
    )
    for row in breach_rows:
        row.state = TicketSLA.State.BREACHED
        row.breached = True
        row.breached_at = now
        row.save(update_fields=["state", "breached", "breached_at"])
        _breach(row, now)
        counts["breaches"] += 1
    # Also covers a ticket that became a major complaint after its clock had breached.
    to_escalate = (
        TicketSLA.objects.filter(
            breached=True,
            ticket__priority=Ticket.Priority.MAJOR,
            ticket__type=Ticket.Type.COMPLAINT,
            ticket__escalation__isnull=True,
        )
        .select_related("ticket")
        .order_by("ticket_id", "pk")
    )
    seen = set()
    for row in to_escalate:
        if row.ticket_id in seen:
            continue
        seen.add(row.ticket_id)
        if _escalate(row.ticket, row.metric, now):
            counts["escalations"] += 1
    return counts


@transaction.atomic
def escalation_report_file(
    *, escalation: Escalation, cause: str, actions: str, prevention: str, user
) -> Escalation:
    """A manager's written report; only then can the ticket close. The view checks that `user` may
    supervise (service.supervise_ticket)."""
    values = {"cause": (cause or "").strip(), "actions": (actions or "").strip()}
    values["prevention"] = (prevention or "").strip()
    errors = {field: _("This part of the report is required.") for field, text in values.items() if not text}
    if errors:
        raise ValidationError(errors)
    escalation = Escalation.objects.select_for_update().get(pk=escalation.pk)
    for field, text in values.items():
        setattr(escalation, field, text)
    escalation.filed_by = user
    escalation.filed_at = timezone.now()
    escalation.save(update_fields=["cause", "actions", "prevention", "filed_by", "filed_at"])
    return escalation


# ---------------------------------------------------------------------------------------------
# Policies and settings (supervisors)
# ---------------------------------------------------------------------------------------------
POLICY_FIELDS = ("name", "metric", "channel", "type", "priority", "target_minutes", "calendar", "active")


def _policy_validate(values: dict) -> None:
    errors = {}
    if not (values.get("name") or "").strip():
        errors["name"] = _("Give the policy a name.")
    choices = {
        "metric": SLAPolicy.Metric.values,
        "calendar": SLAPolicy.Calendar.values,
        "channel": ["", *Ticket.Channel.values],
        "type": ["", *Ticket.Type.values],
        "priority": ["", *Ticket.Priority.values],
    }
    for field, allowed in choices.items():
        if values.get(field) not in allowed:
            errors[field] = _("Choose one of the listed values.")
    target = values.get("target_minutes")
    if not isinstance(target, int) or target <= 0:
        errors["target_minutes"] = _("The target is a whole number of minutes above zero.")
    if errors:
        raise ValidationError(errors)


def ticket_sla_resync_open(*, now=None) -> int:
    """Re-sync the clocks of every open ticket (after a policy or business-hours change); returns how many."""
    now = now or timezone.now()
    count = 0
    for ticket in (
        Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES).order_by("pk").iterator(chunk_size=500)
    ):
        ticket_sla_sync(ticket=ticket, now=now)
        count += 1
    return count


@transaction.atomic
def sla_policy_create(
    *,
    name: str,
    metric: str,
    target_minutes: int,
    calendar: str = SLAPolicy.Calendar.CALENDAR,
    channel: str = "",
    type: str = "",
    priority: str = "",
    active: bool = True,
) -> SLAPolicy:
    """A new target; open tickets it now matches take it at once."""
    values = {
        "name": (name or "").strip(),
        "metric": metric,
        "channel": channel or "",
        "type": type or "",
        "priority": priority or "",
        "target_minutes": target_minutes,
        "calendar": calendar,
        "active": bool(active),
    }
    _policy_validate(values)
    policy = SLAPolicy.objects.create(**values)
    ticket_sla_resync_open()
    return policy


@transaction.atomic
def sla_policy_update(*, policy: SLAPolicy, **changes) -> SLAPolicy:
    """Change a policy (any of POLICY_FIELDS); open tickets' clocks follow, from their original start."""
    unknown = set(changes) - set(POLICY_FIELDS)
    if unknown:
        raise TypeError(f"Unknown policy fields: {sorted(unknown)}")
    policy = SLAPolicy.objects.select_for_update().get(pk=policy.pk)
    values = {field: getattr(policy, field) for field in POLICY_FIELDS} | changes
    values["name"] = (values["name"] or "").strip()
    for field in ("channel", "type", "priority"):
        values[field] = values[field] or ""
    _policy_validate(values)
    for field, value in values.items():
        setattr(policy, field, value)
    policy.save()
    ticket_sla_resync_open()
    return policy


SETTINGS_FIELDS = (
    "business_start",
    "business_end",
    "warn_ratio",
    "autoreply_margin",
    "autoreply_min_score",
    "negative_sentiment",
    "ticket_sentiment",
    "return_days",
    "refund_target_days",
    "kb_coverage_target",
    "nps_delay_min_days",
    "nps_delay_max_days",
)


@transaction.atomic
def service_settings_update(**changes) -> ServiceSettings:
    """Change the service area's numbers (any of SETTINGS_FIELDS). New business hours or warning ratio
    re-time the open tickets' clocks."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"Unknown settings: {sorted(unknown)}")
    conf = ServiceSettings.load()
    conf = ServiceSettings.objects.select_for_update().get(pk=conf.pk)
    values = {field: getattr(conf, field) for field in SETTINGS_FIELDS} | changes
    errors = {}
    if values["business_end"] <= values["business_start"]:
        errors["business_end"] = _("Business hours must end after they start.")
    if not 0 < values["warn_ratio"] < 1:
        errors["warn_ratio"] = _("Warn somewhere between the start (0) and the target (1).")
    if values["ticket_sentiment"] > values["negative_sentiment"]:
        errors["ticket_sentiment"] = _("Opening a ticket needs a score at or below the negative threshold.")
    if values["nps_delay_max_days"] < values["nps_delay_min_days"]:
        errors["nps_delay_max_days"] = _("The survey window ends on or after the day it starts.")
    if values["return_days"] < 7:
        errors["return_days"] = _("The law requires at least 7 days of no-reason returns.")
    if errors:
        raise ValidationError(errors)
    clock_fields = {"business_start", "business_end", "warn_ratio"}
    retime = any(values[f] != getattr(conf, f) for f in clock_fields)
    for field, value in values.items():
        setattr(conf, field, value)
    conf.save()
    if retime:
        ticket_sla_resync_open()
    return conf
