"""Tickets: open, add messages, change status / priority / assignment.

Every write ends with `service.services.sla.ticket_sla_sync(ticket=..., now=...)` so the SLA clocks follow.

The status machine: a new ticket opens with the first public reply (or auto-reply); a customer message on
a ticket waiting on the customer, or on a resolved one, reopens it; a closed ticket is final. Every status,
priority, type and assignment change is a `TicketEvent`: the SLA clocks are computed from that history.
"""

import uuid

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from service import nlp
from service.models import Escalation, Tag, Ticket, TicketEvent, TicketMessage

S = Ticket.Status

# Allowed status changes by hand. Reopening from `resolved` is allowed (the customer was not helped after
# all); `closed` is final: a customer writing again gets a new ticket.
TRANSITIONS = {
    S.NEW: {S.OPEN, S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
    S.OPEN: {S.WAITING_CUSTOMER, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
    S.WAITING_CUSTOMER: {S.OPEN, S.WAITING_THIRD_PARTY, S.RESOLVED, S.CLOSED},
    S.WAITING_THIRD_PARTY: {S.OPEN, S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED},
    S.RESOLVED: {S.OPEN, S.CLOSED},
    S.CLOSED: set(),
}
# A customer's message puts these back in the agents' queue.
REOPENED_BY_CUSTOMER = (S.WAITING_CUSTOMER, S.RESOLVED)
RESPONSE_KINDS = (TicketMessage.Kind.REPLY, TicketMessage.Kind.AUTO_REPLY)

MAX_ATTACHMENTS = 20
MAX_TAGS = 20
TAG_MAX_LENGTH = Tag._meta.get_field("name").max_length
SUBJECT_MAX_LENGTH = Ticket._meta.get_field("subject").max_length


# ---------------------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------------------
def _choice(errors: dict, field: str, value, choices) -> None:
    if value not in choices.values:
        errors[field] = _("“%(value)s” is not one of: %(choices)s.") % {
            "value": value,
            "choices": ", ".join(choices.values),
        }


def _aware(errors: dict, field: str, value) -> None:
    if value is not None and (not hasattr(value, "tzinfo") or timezone.is_naive(value)):
        errors[field] = _("Give a date and time with its time zone.")


def attachments_clean(attachments) -> list[dict]:
    """Attachment metadata (no files): each a dict with `name` and optional `size` (bytes),
    `content_type`, `url`. Raises ValidationError on `attachments`."""
    if attachments is None:
        return []
    if not isinstance(attachments, list | tuple) or len(attachments) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"attachments": _("Give a list of at most %(n)s attachments.") % {"n": MAX_ATTACHMENTS}}
        )
    cleaned = []
    for index, item in enumerate(attachments):
        name = item.get("name") if isinstance(item, dict) else None
        size = item.get("size", 0) if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ValidationError({"attachments": _("Attachment %(n)s has no name.") % {"n": index + 1}})
        if size is None:
            size = 0
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValidationError(
                {
                    "attachments": _("Attachment %(n)s: the size is a whole number of bytes.")
                    % {"n": index + 1}
                }
            )
        cleaned.append(
            {
                "name": name.strip()[:255],
                "size": size,
                "content_type": str(item.get("content_type") or "")[:100],
                "url": str(item.get("url") or "")[:1000],
            }
        )
    return cleaned


def tags_clean(tags) -> list[str]:
    """Tag names, stripped, without duplicates, in the order given."""
    if tags is None:
        return []
    if isinstance(tags, str):
        tags = tags.split(",")
    if not isinstance(tags, list | tuple | set):
        raise ValidationError({"tags": _("Give a list of tag names.")})
    names: list[str] = []
    for tag in tags:
        if not isinstance(tag, str):
            raise ValidationError({"tags": _("Give a list of tag names.")})
        name = tag.strip()
        if not name or name in names:
            continue
        if len(name) > TAG_MAX_LENGTH:
            raise ValidationError(
                {
                    "tags": _("A tag has at most %(n)s characters: %(tag)s")
                    % {"n": TAG_MAX_LENGTH, "tag": name}
                }
            )
        names.append(name)
    if len(names) > MAX_TAGS:
        raise ValidationError({"tags": _("At most %(n)s tags.") % {"n": MAX_TAGS}})
    return names


def _tags_get(names: list[str]) -> list[Tag]:
    existing = {tag.name: tag for tag in Tag.objects.filter(name__in=names)}
    return [existing.get(name) or Tag.objects.get_or_create(name=name)[0] for name in names]


def _user_label(user) -> str:
    return user.get_username() if user is not None else ""


def _event(ticket: Ticket, kind: str, *, at, user=None, from_value="", to_value="") -> TicketEvent:
    return TicketEvent(
        ticket=ticket,
        kind=kind,
        from_value=str(from_value or "")[:100],
        to_value=str(to_value or "")[:100],
        user=user,
        at=at,
    )


def _lock(ticket: Ticket) -> None:
    """Re-read the ticket under a row lock: two agents (or an agent and a connector) writing at once
    must each see the other's status change."""
    ticket.refresh_from_db(from_queryset=Ticket.objects.select_for_update())


def _sla_sync(ticket: Ticket, now) -> None:
    from service.services.sla import ticket_sla_sync

    ticket_sla_sync(ticket=ticket, now=now)


def _autoreply(ticket: Ticket, message: TicketMessage) -> TicketMessage | None:
    """Let the knowledge base answer a chat customer message; a reply it wrote without going through
    `ticket_message_add` still counts as the first response."""
    from service.services.knowledge import kb_autoreply

    reply = kb_autoreply(ticket=ticket, message=message)
    if reply is not None:
        _lock(ticket)
        events: list[TicketEvent] = []
        fields = _responded(ticket, at=reply.created_at, events=events)
        if fields:
            ticket.save(update_fields=[*fields, "updated_at"])
            TicketEvent.objects.bulk_create(events)
    return reply


def _responded(ticket: Ticket, *, at, events: list, user=None) -> list[str]:
    """A public reply: the first one sets first_response_at; a new ticket becomes open."""
    fields = []
    if ticket.first_response_at is None:
        ticket.first_response_at = at
        fields.append("first_response_at")
    if ticket.status == S.NEW:
        events.append(
            _event(ticket, TicketEvent.Kind.STATUS, at=at, user=user, from_value=S.NEW, to_value=S.OPEN)
        )
        ticket.status = S.OPEN
        fields.append("status")
    return fields


# ---------------------------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------------------------
@transaction.atomic
def ticket_create(
    *,
    channel: str,
    type: str,
    subject: str,
    body: str = "",
    priority: str = Ticket.Priority.NORMAL,
    customer=None,
    order=None,
    sku=None,
    sales_channel=None,
    source: str = Ticket.Source.AGENT,
    external_id: str = "",
    author_name: str = "",
    attachments=(),
    tags=(),
    team=None,
    assignee=None,
    opened_at=None,
    user=None,
) -> Ticket:
    """Open a ticket; `body` becomes its first customer message. Validates (ValidationError with field
    keys), numbers the ticket, records the `created` event, starts the SLA clocks, and for a chat ticket
    lets the knowledge base try an auto-reply. An `external_id` already known on the channel returns the
    existing ticket unchanged (connectors retry)."""
    external_id = (external_id or "").strip()
    body = (body or "").strip()
    subject = (subject or "").strip() or (body.splitlines()[0][:SUBJECT_MAX_LENGTH] if body else "")
    errors: dict = {}
    _choice(errors, "channel", channel, Ticket.Channel)
    _choice(errors, "type", type, Ticket.Type)
    _choice(errors, "priority", priority, Ticket.Priority)
    _choice(errors, "source", source, Ticket.Source)
    _aware(errors, "opened_at", opened_at)
    if not subject:
        errors["subject"] = _("Give a subject or the customer's message.")
    elif len(subject) > SUBJECT_MAX_LENGTH:
        errors["subject"] = _("At most %(n)s characters.") % {"n": SUBJECT_MAX_LENGTH}
    if len(external_id) > 100:
        errors["external_id"] = _("At most %(n)s characters.") % {"n": 100}
    if order is not None and customer is not None and order.customer_id not in (None, customer.pk):
        errors["order"] = _("The order belongs to another customer.")
    if errors:
        raise ValidationError(errors)
    attachments = attachments_clean(list(attachments or []))
    tag_names = tags_clean(tags)

    if external_id:
        existing = Ticket.objects.filter(channel=channel, external_id=external_id).first()
        if existing is not None:
            return existing

    at = opened_at or timezone.now()
    if customer is None and order is not None:
        customer = order.customer
    if sales_channel is None:
        if order is not None:
            sales_channel = order.channel
        elif customer is not None:
            sales_channel = customer.channel
    language = nlp.language_of(body or subject)
    sentiment = nlp.sentiment(body) if body else None
    try:
        # Its own savepoint: a concurrent retry of the same connector may insert the same external id.
        with transaction.atomic():
            ticket = Ticket.objects.create(
                # unique placeholder until the pk is known
                number=f"tmp-{uuid.uuid4().hex[:16]}",
                subject=subject,
                channel=channel,
                type=type,
                priority=priority,
                status=S.NEW,
                source=source,
                sales_channel=sales_channel,
                external_id=external_id,
                customer=customer,
                order=order,
                sku=sku,
                team=team,
                assignee=assignee,
                language=language,
                sentiment=sentiment,
                opened_at=at,
            )
    except IntegrityError:
        existing = (
            Ticket.objects.filter(channel=channel, external_id=external_id).first() if external_id else None
        )
        if existing is None:
            raise
        return existing
    return _ticket_create_rest(
        ticket,
        body=body,
        author_name=author_name,
        attachments=attachments,
        tag_names=tag_names,
        sentiment=sentiment,
        user=user,
        at=at,
    )


def _ticket_create_rest(ticket, *, body, author_name, attachments, tag_names, sentiment, user, at) -> Ticket:
    ticket.number = f"T-{ticket.pk:06d}"
    Ticket.objects.filter(pk=ticket.pk).update(number=ticket.number)
    events = [_event(ticket, TicketEvent.Kind.CREATED, at=at, user=user, to_value=ticket.status)]
    if ticket.assignee is not None:
        events.append(
            _event(ticket, TicketEvent.Kind.ASSIGN, at=at, user=user, to_value=_user_label(ticket.assignee))
        )
    TicketEvent.objects.bulk_create(events)
    if tag_names:
        ticket.tags.set(_tags_get(tag_names))
    message = None
    if body or attachments:
        message = TicketMessage.objects.create(
            ticket=ticket,
            kind=TicketMessage.Kind.CUSTOMER,
            body=body,
            author_name=author_name or (ticket.customer.name if ticket.customer else ""),
            attachments=attachments,
            sentiment=sentiment,
            created_at=at,
        )
    if message is not None and body and ticket.channel == Ticket.Channel.CHAT:
        _autoreply(ticket, message)
    _sla_sync(ticket, at)
    return ticket


def ticket_message_add(
    *,
    ticket: Ticket,
    kind: str,
    body: str,
    author=None,
    author_name: str = "",
    attachments=(),
    article=None,
    external_id: str = "",
    at=None,
) -> TicketMessage:
    """Add a message. A customer message on a ticket waiting on the customer reopens it (the clocks
    resume); the first public reply (or auto-reply) sets `first_response_at`; a new ticket becomes open
    with the first reply. Repeated `external_id` on the ticket returns the existing message."""
    with transaction.atomic():
        return _message_add(
            ticket=ticket,
            kind=kind,
            body=body,
            author=author,
            author_name=author_name,
            attachments=attachments,
            article=article,
            external_id=external_id,
            at=at,
        )


def _message_add(*, ticket, kind, body, author, author_name, attachments, article, external_id, at):
    body = (body or "").strip()
    external_id = (external_id or "").strip()
    errors: dict = {}
    _choice(errors, "kind", kind, TicketMessage.Kind)
    _aware(errors, "created_at", at)
    attachments = attachments_clean(list(attachments or []))
    if not body and not attachments:
        errors["body"] = _("Write a message.")
    if len(external_id) > 100:
        errors["external_id"] = _("At most %(n)s characters.") % {"n": 100}
    if errors:
        raise ValidationError(errors)
    # Under the ticket's row lock, so two deliveries of the same message cannot both pass the check.
    _lock(ticket)
    if external_id:
        existing = TicketMessage.objects.filter(ticket=ticket, external_id=external_id).first()
        if existing is not None:
            return existing
    if ticket.status == S.CLOSED and kind != TicketMessage.Kind.NOTE:
        raise ValidationError(
            {"body": _("Ticket %(number)s is closed: open a new ticket.") % {"number": ticket.number}}
        )
    at = at or timezone.now()
    if at < ticket.opened_at:
        at = ticket.opened_at  # a connector's clock running behind must not put a reply before the question
    is_customer = kind == TicketMessage.Kind.CUSTOMER
    sentiment = nlp.sentiment(body) if is_customer and body else None
    message = TicketMessage.objects.create(
        ticket=ticket,
        kind=kind,
        body=body,
        author=author,
        author_name=author_name or (author.get_full_name() or author.get_username() if author else ""),
        attachments=attachments,
        article=article,
        external_id=external_id,
        sentiment=sentiment,
        created_at=at,
    )
    events: list[TicketEvent] = []
    fields: list[str] = []
    if is_customer:
        if sentiment is not None:
            ticket.sentiment = sentiment
            fields.append("sentiment")
        if body and not ticket.language:
            ticket.language = nlp.language_of(body)
            fields.append("language")
        if ticket.status in REOPENED_BY_CUSTOMER:
            events.append(
                _event(ticket, TicketEvent.Kind.STATUS, at=at, from_value=ticket.status, to_value=S.OPEN)
            )
            if ticket.status == S.RESOLVED:
                ticket.resolved_at = None
                fields.append("resolved_at")
            ticket.status = S.OPEN
            fields.append("status")
    elif kind in RESPONSE_KINDS:
        fields += _responded(ticket, at=at, events=events, user=author)
        if kind == TicketMessage.Kind.AUTO_REPLY and not ticket.auto_replied:
            ticket.auto_replied = True
            fields.append("auto_replied")
    if fields:
        ticket.save(update_fields=[*fields, "updated_at"])
    if events:
        TicketEvent.objects.bulk_create(events)
    if is_customer and body and ticket.channel == Ticket.Channel.CHAT:
        _autoreply(ticket, message)
    _sla_sync(ticket, at)
    return message


@transaction.atomic
def ticket_update(
    *,
    ticket: Ticket,
    user=None,
    status=None,
    priority=None,
    type=None,
    team=...,
    assignee=...,
    tags=None,
    at=None,
) -> Ticket:
    """Change what is given (each change an event). Closing a ticket with an escalation whose report is
    not filed is refused (ValidationError on `status`). Resolving asks for CSAT
    (`service.services.surveys.csat_survey_create`)."""
    errors: dict = {}
    if status is not None:
        _choice(errors, "status", status, Ticket.Status)
    if priority is not None:
        _choice(errors, "priority", priority, Ticket.Priority)
    if type is not None:
        _choice(errors, "type", type, Ticket.Type)
    _aware(errors, "at", at)
    if errors:
        raise ValidationError(errors)
    tag_names = tags_clean(tags) if tags is not None else None
    _lock(ticket)
    at = at or timezone.now()
    events: list[TicketEvent] = []
    fields: list[str] = []
    resolved_now = False

    if status is not None and status != ticket.status:
        if status not in TRANSITIONS[ticket.status]:
            raise ValidationError(
                {
                    "status": _("A ticket cannot go from “%(old)s” to “%(new)s”.")
                    % {"old": ticket.get_status_display(), "new": S(status).label}
                }
            )
        if status == S.CLOSED and Escalation.objects.filter(ticket=ticket, filed_at=None).exists():
            raise ValidationError(
                {
                    "status": _(
                        "This ticket was escalated: a manager must file the written report before it closes."
                    )
                }
            )
        events.append(
            _event(
                ticket, TicketEvent.Kind.STATUS, at=at, user=user, from_value=ticket.status, to_value=status
            )
        )
        if status == S.RESOLVED:
            ticket.resolved_at = at
            resolved_now = True
            fields.append("resolved_at")
        elif status == S.CLOSED:
            ticket.closed_at = at
            fields.append("closed_at")
            if ticket.resolved_at is None:
                # Closed without passing through resolved: it is solved as of now.
                ticket.resolved_at = at
                fields.append("resolved_at")
        elif ticket.status == S.RESOLVED:
            ticket.resolved_at = None
            fields.append("resolved_at")
        ticket.status = status
        fields.append("status")
    if priority is not None and priority != ticket.priority:
        events.append(
            _event(
                ticket,
                TicketEvent.Kind.PRIORITY,
                at=at,
                user=user,
                from_value=ticket.priority,
                to_value=priority,
            )
        )
        ticket.priority = priority
        fields.append("priority")
    if type is not None and type != ticket.type:
        events.append(
            _event(ticket, TicketEvent.Kind.TYPE, at=at, user=user, from_value=ticket.type, to_value=type)
        )
        ticket.type = type
        fields.append("type")
    if assignee is not ... and (assignee.pk if assignee else None) != ticket.assignee_id:
        events.append(
            _event(
                ticket,
                TicketEvent.Kind.ASSIGN,
                at=at,
                user=user,
                from_value=_user_label(ticket.assignee) if ticket.assignee_id else "",
                to_value=_user_label(assignee),
            )
        )
        ticket.assignee = assignee
        fields.append("assignee")
    if team is not ... and (team.pk if team else None) != ticket.team_id:
        # A team handover is an assignment too; "team:" tells it apart from a person in the history.
        events.append(
            _event(
                ticket,
                TicketEvent.Kind.ASSIGN,
                at=at,
                user=user,
                from_value=f"team:{ticket.team.code}" if ticket.team_id else "",
                to_value=f"team:{team.code}" if team else "",
            )
        )
        ticket.team = team
        fields.append("team")
    if tag_names is not None:
        ticket.tags.set(_tags_get(tag_names))
    if fields:
        ticket.save(update_fields=[*fields, "updated_at"])
    if events:
        TicketEvent.objects.bulk_create(events)
    if resolved_now:
        transaction.on_commit(lambda: _csat_request(ticket, at))
    if fields:
        _sla_sync(ticket, at)
    return ticket


def _csat_request(ticket: Ticket, at) -> None:
    from service.services.surveys import csat_survey_create

    csat_survey_create(ticket=ticket, at=at)
