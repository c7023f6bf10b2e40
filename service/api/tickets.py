"""The tickets API for chat and marketplace connectors: open a ticket (``POST /api/v1/tickets``), add a
message (``POST /api/v1/tickets/{number}/messages``), read tickets (``GET /api/v1/tickets``,
``GET /api/v1/tickets/{number}``)."""

from __future__ import annotations

from datetime import UTC

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Prefetch, Subquery
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from service.models import Ticket, TicketMessage, TicketSLA
from service.selectors import tickets as selectors
from service.services.tickets import ticket_create, ticket_message_add
from shopops.common.api import (
    ClientAPIView,
    ClientCursorPagination,
    JSONInputSerializer,
    query_bool,
    scope_required,
    validation_error_response,
)

READ_SCOPES = ("service:read", "service:write")
WRITE_SCOPE = "service:write"
MESSAGE_KINDS = (TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.REPLY)


# ---------------------------------------------------------------------------------------------
# Input shapes
# ---------------------------------------------------------------------------------------------
class StoreRefSerializer(JSONInputSerializer):
    channel = serializers.CharField(max_length=30, help_text="The sales channel's code (tmall, jd, ...).")
    external_id = serializers.CharField(max_length=100, help_text="The id at that store.")


class AttachmentSerializer(JSONInputSerializer):
    name = serializers.CharField(max_length=255)
    size = serializers.IntegerField(min_value=0, default=0, help_text="Bytes.")
    content_type = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    url = serializers.CharField(max_length=1000, required=False, default="", allow_blank=True)


class TicketInSerializer(JSONInputSerializer):
    channel = serializers.ChoiceField(Ticket.Channel.values)
    type = serializers.ChoiceField(Ticket.Type.values)
    priority = serializers.ChoiceField(Ticket.Priority.values, default=Ticket.Priority.NORMAL)
    subject = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    body = serializers.CharField(required=False, default="", allow_blank=True, max_length=20_000)
    external_id = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    author_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    customer = StoreRefSerializer(required=False, allow_null=True, default=None)
    order = StoreRefSerializer(required=False, allow_null=True, default=None)
    sku = serializers.CharField(max_length=64, required=False, default="", allow_blank=True)
    attachments = AttachmentSerializer(many=True, required=False, default=list, max_length=20)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list, max_length=20
    )
    opened_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if not attrs["subject"].strip() and not attrs["body"].strip():
            raise serializers.ValidationError(
                {"subject": ["Give a subject or the customer's message (body)."]}
            )
        return attrs


class MessageInSerializer(JSONInputSerializer):
    body = serializers.CharField(max_length=20_000, allow_blank=True, default="")
    kind = serializers.ChoiceField(MESSAGE_KINDS, default=TicketMessage.Kind.CUSTOMER)
    author_name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    external_id = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)
    attachments = AttachmentSerializer(many=True, required=False, default=list, max_length=20)
    created_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------
def _iso(value):
    return value.astimezone(UTC).isoformat() if value is not None else None


def _tickets_for_json(queryset):
    last_auto = (
        TicketMessage.objects.filter(ticket=OuterRef("pk"), kind=TicketMessage.Kind.AUTO_REPLY)
        .order_by("-created_at", "-id")
        .values("body")[:1]
    )
    return (
        queryset.select_related(
            "customer", "customer__channel", "order", "order__channel", "sku", "assignee", "team"
        )
        .prefetch_related("tags", Prefetch("slas", queryset=TicketSLA.objects.order_by("metric")))
        .annotate(auto_reply_text=Subquery(last_auto))
    )


def ticket_as_json(ticket: Ticket) -> dict:
    """The ticket as clients see it; `ticket` comes from `_tickets_for_json` (tags, clocks prefetched)."""
    return {
        "number": ticket.number,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "type": ticket.type,
        "subject": ticket.subject,
        "source": ticket.source,
        "external_id": ticket.external_id,
        "customer": (
            {"channel": ticket.customer.channel.code, "external_id": ticket.customer.external_id}
            if ticket.customer
            else None
        ),
        "order": (
            {"channel": ticket.order.channel.code, "external_id": ticket.order.external_id}
            if ticket.order
            else None
        ),
        "sku": ticket.sku.code if ticket.sku else None,
        "assignee": ticket.assignee.get_username() if ticket.assignee else None,
        "team": ticket.team.code if ticket.team else None,
        "tags": sorted(tag.name for tag in ticket.tags.all()),
        "language": ticket.language,
        "sentiment": f"{ticket.sentiment:.4f}" if ticket.sentiment is not None else None,
        "opened_at": _iso(ticket.opened_at),
        "first_response_at": _iso(ticket.first_response_at),
        "resolved_at": _iso(ticket.resolved_at),
        "closed_at": _iso(ticket.closed_at),
        "sla": [
            {
                "metric": clock.metric,
                "state": clock.state,
                "target_minutes": clock.target_minutes,
                "due_at": _iso(clock.due_at),
                "breached": clock.breached,
            }
            for clock in ticket.slas.all()
        ],
        "auto_replied": ticket.auto_replied,
        "auto_reply": ticket.auto_reply_text,
        "handed_over": ticket.handed_over,
    }


def _ticket_json(pk: int) -> dict:
    return ticket_as_json(_tickets_for_json(Ticket.objects.filter(pk=pk)).get())


def message_as_json(message: TicketMessage) -> dict:
    return {
        "id": message.pk,
        "kind": message.kind,
        "body": message.body,
        "author_name": message.author_name,
        "external_id": message.external_id,
        "attachments": message.attachments,
        "sentiment": f"{message.sentiment:.4f}" if message.sentiment is not None else None,
        "created_at": _iso(message.created_at),
    }


def _auto_reply_after(message: TicketMessage) -> dict | None:
    """The auto-reply that answered this customer message, if any (before the customer's next one)."""
    later = TicketMessage.objects.filter(ticket_id=message.ticket_id, id__gt=message.pk).order_by("id")
    for kind, pk, body, created_at in later.values_list("kind", "id", "body", "created_at")[:20]:
        if kind == TicketMessage.Kind.CUSTOMER:
            return None
        if kind == TicketMessage.Kind.AUTO_REPLY:
            return {"id": pk, "body": body, "created_at": _iso(created_at)}
    return None


def _not_found(number) -> Response:
    return Response({"detail": f"No ticket {number}."}, status=status.HTTP_404_NOT_FOUND)


# ---------------------------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------------------------
TICKET_KEYS = """The ticket: `number` (T-000123), `status` (new, open, waiting_customer,
waiting_third_party, resolved, closed), `priority`, `channel`, `type`, `subject`, `source`, `external_id`,
`customer` and `order` (`{"channel", "external_id"}` or null), `sku` (code or null), `assignee` (username
or null), `team` (code or null), `tags`, `language` (zh / en), `sentiment` (-1 to 1, 4 decimals, as a
string), `opened_at`, `first_response_at`, `resolved_at`, `closed_at`, `sla` (the clocks: `metric`
first_response / resolution, `state` running / paused / met / breached, `target_minutes`, `due_at`,
`breached`), `auto_replied`, `auto_reply` (the text of the knowledge base's automatic answer, or null) and
`handed_over` (the customer was upset: the auto-reply stood back for a person)."""

CREATE_DESCRIPTION = f"""Open a ticket from a chat or marketplace conversation. `body` is the customer's
first message. For a chat ticket the knowledge base may answer at once (`auto_reply`), unless the message
is negative: then `handed_over` is true and an agent takes it.

Body: `channel` (chat, phone, email, marketplace, review, social), `type` (presale, order_issue,
after_sales, complaint), `priority` (normal, urgent, major; default normal), `subject` (default: the first
line of `body`), `body`, `external_id` (the connector's conversation id: sending it again answers 200 with
the ticket already opened, nothing changed), `author_name`, `customer` and `order`
(`{{"channel": "tmall", "external_id": "..."}}`), `sku` (a SKU code), `attachments` (metadata only:
`[{{"name", "size", "content_type", "url"}}]`), `tags` (names), `opened_at` (ISO 8601 with offset; default
now).

A customer not known yet on a known store (nobody with that id has ordered) is not linked: `customer` is
null in the answer. An unknown store, order or SKU is a 400 field error. Nothing is written on a 400.

201 (or 200 for a repeated `external_id`): {TICKET_KEYS}

Requires the scope `service:write`."""

CREATE_EXAMPLE = {
    "channel": "chat",
    "type": "presale",
    "subject": "退货政策",
    "body": "请问可以七天无理由退货吗?",
    "external_id": "conv-20261122-0001",
    "customer": {"channel": "tmall", "external_id": "tb_8812"},
    "tags": ["returns"],
    "attachments": [
        {"name": "screenshot.png", "size": 48213, "content_type": "image/png", "url": "https://..."}
    ],
}
CREATED_EXAMPLE = {
    "number": "T-000123",
    "status": "open",
    "priority": "normal",
    "channel": "chat",
    "type": "presale",
    "subject": "退货政策",
    "source": "api",
    "external_id": "conv-20261122-0001",
    "customer": {"channel": "tmall", "external_id": "tb_8812"},
    "order": None,
    "sku": None,
    "assignee": None,
    "team": None,
    "tags": ["returns"],
    "language": "zh",
    "sentiment": "0.4215",
    "opened_at": "2026-11-22T10:00:00+00:00",
    "first_response_at": "2026-11-22T10:00:00+00:00",
    "resolved_at": None,
    "closed_at": None,
    "sla": [
        {
            "metric": "first_response",
            "state": "met",
            "target_minutes": 5,
            "due_at": "2026-11-22T10:05:00+00:00",
            "breached": False,
        },
    ],
    "auto_replied": True,
    "auto_reply": "支持七天无理由退货,签收后7天内在订单页申请即可。",
    "handed_over": False,
}

MESSAGE_DESCRIPTION = """Add a message to a ticket (`{number}`: T-000123, or the numeric id).

Body: `body`, `kind` (`customer`, the default, or `reply` when the connector relays an answer written in
the store's own back office), `author_name`, `external_id` (the message id at the connector: sending it
again answers 200 with the stored message, nothing changed), `attachments` (metadata), `created_at`
(ISO 8601; default now).

A customer message on a ticket waiting on the customer (or resolved) reopens it and its SLA clocks resume;
on a chat ticket the knowledge base may answer it (`auto_reply`). A public reply is the ticket's first
response if none came before. A closed ticket refuses messages (400 on `body`): open a new ticket.

201: `{"message": {"id", "kind", "body", "author_name", "external_id", "attachments", "sentiment",
"created_at"}, "ticket": {"number", "status", "handed_over"}, "auto_reply": {"id", "body", "created_at"} or
null}`. 404: unknown ticket. Requires the scope `service:write`."""


class TicketPagination(ClientCursorPagination):
    page_size = 50


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------
class TicketListView(ClientAPIView):
    """GET lists tickets (service:read or service:write); POST opens one (service:write)."""

    required_scope = WRITE_SCOPE
    parser_classes = [JSONParser]

    def get_permissions(self):
        if self.request.method == "POST":
            return [scope_required(WRITE_SCOPE)()]
        return [scope_required(*READ_SCOPES)()]

    @extend_schema(
        operation_id="tickets_list",
        tags=["service"],
        summary="List tickets",
        description="Tickets by id, 50 a page (cursor pagination, `page_size` up to 1000). Filters: "
        "`status` (a status, or `active` for any open one), `priority`, `type`, `channel`, `team` (code), "
        "`q` (number, subject, conversation id, customer, order, message text), `overdue` (true: a running "
        "SLA clock past due). Each result has the keys of `GET /api/v1/tickets/{number}`. "
        "Scope `service:read` or `service:write`.",
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["active", *Ticket.Status.values]),
            OpenApiParameter("priority", OpenApiTypes.STR, enum=Ticket.Priority.values),
            OpenApiParameter("type", OpenApiTypes.STR, enum=Ticket.Type.values),
            OpenApiParameter("channel", OpenApiTypes.STR, enum=Ticket.Channel.values),
            OpenApiParameter("team", OpenApiTypes.STR),
            OpenApiParameter("q", OpenApiTypes.STR),
            OpenApiParameter("overdue", OpenApiTypes.BOOL),
            OpenApiParameter("cursor", OpenApiTypes.STR),
            OpenApiParameter("page_size", OpenApiTypes.INT),
        ],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="{next, previous, results}"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Bad filter"),
        },
    )
    def get(self, request):
        params = request.query_params
        errors = {}
        choices = {
            "status": ["active", *Ticket.Status.values],
            "priority": Ticket.Priority.values,
            "type": Ticket.Type.values,
            "channel": Ticket.Channel.values,
        }
        for name, allowed in choices.items():
            value = params.get(name, "")
            if name in params and value not in allowed:
                errors[name] = [f"Choose one of: {', '.join(allowed)}."]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        overdue = query_bool(request, "overdue")
        tickets = selectors.ticket_list(
            status=params.get("status", ""),
            priority=params.get("priority", ""),
            type=params.get("type", ""),
            channel=params.get("channel", ""),
            team=params.get("team", ""),
            q=params.get("q", ""),
            overdue_only=bool(overdue),
        )
        paginator = TicketPagination()
        page = paginator.paginate_queryset(_tickets_for_json(tickets), request, view=self)
        return paginator.get_paginated_response([ticket_as_json(t) for t in page])

    @extend_schema(
        operation_id="tickets_create",
        tags=["service"],
        summary="Open a ticket",
        description=CREATE_DESCRIPTION,
        request=TicketInSerializer,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="The ticket, opened now"),
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="The ticket opened before with this external_id"
            ),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
        },
        examples=[
            OpenApiExample("A chat question", value=CREATE_EXAMPLE, request_only=True),
            OpenApiExample(
                "Opened and answered", value=CREATED_EXAMPLE, response_only=True, status_codes=["201"]
            ),
            OpenApiExample(
                "Field errors",
                value={
                    "order": ["Unknown order 9999 on tmall."],
                    "type": ['"question" is not a valid choice.'],
                },
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send a JSON object."]}, status=status.HTTP_400_BAD_REQUEST)
        form = TicketInSerializer(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        data = form.validated_data
        existing = selectors.ticket_external_get(
            channel=data["channel"], external_id=data["external_id"].strip()
        )
        if existing is not None:
            return Response(_ticket_json(existing.pk), status=status.HTTP_200_OK)
        errors, refs = self._references(data)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        try:
            ticket = ticket_create(
                channel=data["channel"],
                type=data["type"],
                priority=data["priority"],
                subject=data["subject"],
                body=data["body"],
                external_id=data["external_id"],
                author_name=data["author_name"],
                attachments=[dict(a) for a in data["attachments"]],
                tags=data["tags"],
                opened_at=data["opened_at"],
                source=Ticket.Source.API,
                **refs,
            )
        except ValidationError as exc:
            return validation_error_response(exc)
        return Response(_ticket_json(ticket.pk), status=status.HTTP_201_CREATED)

    @staticmethod
    def _references(data) -> tuple[dict, dict]:
        errors: dict[str, list[str]] = {}
        refs: dict = {}
        for name in ("customer", "order"):
            ref = data[name]
            if ref is None:
                continue
            channel = selectors.sales_channel_by_code(code=ref["channel"])
            if channel is None:
                errors[name] = [f"Unknown store (channel) {ref['channel']}."]
                continue
            refs.setdefault("sales_channel", channel)
            if name == "customer":
                refs["customer"] = selectors.customer_by_external(
                    channel=channel.code, external_id=ref["external_id"]
                )
            else:
                order = selectors.order_by_external(channel=channel.code, external_id=ref["external_id"])
                if order is None:
                    errors["order"] = [f"Unknown order {ref['external_id']} on {channel.code}."]
                refs["order"] = order
        if data["sku"]:
            refs["sku"] = selectors.sku_by_code(code=data["sku"])
            if refs["sku"] is None:
                errors["sku"] = [f"Unknown SKU {data['sku']}."]
        return errors, refs


class TicketDetailView(ClientAPIView):
    required_scope = "service:read"
    permission_classes = [scope_required(*READ_SCOPES)]

    @extend_schema(
        operation_id="tickets_get",
        tags=["service"],
        summary="Read a ticket",
        description=f"`{{number}}`: T-000123 or the numeric id. {TICKET_KEYS} "
        "Scope `service:read` or `service:write`. 404 for an unknown ticket.",
        responses={200: OpenApiResponse(OpenApiTypes.OBJECT), 404: OpenApiResponse(OpenApiTypes.OBJECT)},
        examples=[
            OpenApiExample("A ticket", value=CREATED_EXAMPLE, response_only=True, status_codes=["200"])
        ],
    )
    def get(self, request, number):
        ticket = selectors.ticket_get(number=number)
        if ticket is None:
            return _not_found(number)
        return Response(_ticket_json(ticket.pk))


class TicketMessageCreateView(ClientAPIView):
    required_scope = WRITE_SCOPE
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="tickets_messages_create",
        tags=["service"],
        summary="Add a message to a ticket",
        description=MESSAGE_DESCRIPTION,
        request=MessageInSerializer,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="The message, the ticket's status"),
            200: OpenApiResponse(
                OpenApiTypes.OBJECT, description="The message stored before with this external_id"
            ),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors"),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description="Unknown ticket"),
        },
        examples=[
            OpenApiExample(
                "The customer answers",
                value={"body": "地址是上海市徐汇区", "author_name": "王芳", "external_id": "msg-88"},
                request_only=True,
            ),
            OpenApiExample(
                "Stored",
                value={
                    "message": {
                        "id": 812,
                        "kind": "customer",
                        "body": "地址是上海市徐汇区",
                        "author_name": "王芳",
                        "external_id": "msg-88",
                        "attachments": [],
                        "sentiment": "0.1520",
                        "created_at": "2026-11-22T10:12:00+00:00",
                    },
                    "ticket": {"number": "T-000123", "status": "open", "handed_over": False},
                    "auto_reply": None,
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, number):
        ticket = selectors.ticket_get(number=number)
        if ticket is None:
            return _not_found(number)
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send a JSON object."]}, status=status.HTTP_400_BAD_REQUEST)
        form = MessageInSerializer(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        data = form.validated_data
        external_id = data["external_id"].strip()
        known = external_id and ticket.messages.filter(external_id=external_id).exists()
        try:
            message = ticket_message_add(
                ticket=ticket,
                kind=data["kind"],
                body=data["body"],
                author_name=data["author_name"],
                attachments=[dict(a) for a in data["attachments"]],
                external_id=external_id,
                at=data["created_at"],
            )
        except ValidationError as exc:
            return validation_error_response(exc)
        ticket.refresh_from_db(fields=["status", "handed_over"])
        reply = _auto_reply_after(message) if message.kind == TicketMessage.Kind.CUSTOMER else None
        return Response(
            {
                "message": message_as_json(message),
                "ticket": {
                    "number": ticket.number,
                    "status": ticket.status,
                    "handed_over": ticket.handed_over,
                },
                "auto_reply": reply,
            },
            status=status.HTTP_200_OK if known else status.HTTP_201_CREATED,
        )
