"""The feedback API: ``POST /api/v1/feedback`` (reviews, ratings, social mentions from connectors) and
``GET /api/v1/feedback`` (the scored items, cursor-paginated)."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from service.feedback_import import parse_occurred_at
from service.models import Feedback
from service.selectors.feedback import SENTIMENT_BANDS, feedback_list, feedback_lookups
from service.services.feedback import feedback_record
from shopops.common.api import (
    ClientAPIView,
    ClientCursorPagination,
    QueryDateTimeField,
    json_object_body,
    scope_required,
)

READ_SCOPES = ("service:read", "service:write")
WRITE_SCOPE = "service:write"
MAX_ITEMS = 500
_FIELDS = ("source", "channel", "external_id", "sku", "order", "text", "rating", "occurred_at", "author")

POST_DESCRIPTION = f"""Record feedback: one item, or `{{"items": [...]}}` with up to {MAX_ITEMS}.

Fields per item: `source` (review, rating, social, survey, ticket; required), `channel` (a channel code),
`external_id` (the item's id on the channel; with it the call is idempotent on (source, channel,
external_id): a known item is answered with `created: false` and not scored again), `sku` (a SKU code),
`order` (`{{"channel", "external_id"}}`, or the order's external id on the item's channel), `text`
(required), `rating` (1-5 stars or null), `occurred_at` (ISO 8601; without an offset: shop time,
Asia/Shanghai; required), `author`.

Each item gets a language, a sentiment score (-1 to 1, a string with 4 places), an urgency (critical,
high, normal, low: graded from the sentiment, a rating of 1-2 stars, and risk words such as 12315, 投诉,
假货, 过敏, 起火, fraud, injury, lawyer) and its keywords. Strongly negative items (below the service
settings' ticket threshold, -0.60 by default) and critical items open one complaint ticket (priority
major for critical, urgent otherwise); posting the item again opens no second one.

**201** with, per item, `{{"id", "sentiment", "urgency", "ticket", "created"}}` (`ticket`: the ticket number
or null): one object for one item, `{{"items": [...]}}` for a batch, in the order sent.
**400** with field errors and nothing written: for one item keyed by field (`{{"sku": [...]}}`), for a
batch by item index and field (`{{"items[3].sku": [...]}}`). Requires the scope `service:write`.
"""

ITEM_EXAMPLE = {
    "source": "review",
    "channel": "tmall",
    "external_id": "RV-20261120-0001",
    "sku": "SKU-0001",
    "order": "TB20261118001",
    "text": "衣服洗了一次就起球了，质量太差，非常失望",
    "rating": 1,
    "occurred_at": "2026-11-20T21:14:00+08:00",
    "author": "tb_wangfang",
}
ITEM_ANSWER = {"id": 812, "sentiment": "-0.9620", "urgency": "high", "ticket": "T-000245", "created": True}


def _text(value, field: str, errors: dict, *, limit: int, required: bool = False) -> str:
    if value is None or value == "":
        if required:
            errors[field] = ["This field is required."]
        return ""
    if not isinstance(value, str):
        errors[field] = ["Expected a string."]
        return ""
    value = value.strip()
    if required and not value:
        errors[field] = ["This field is required."]
    elif len(value) > limit:
        errors[field] = [f"At most {limit} characters."]
    return value


def _occurred_at(value, errors: dict) -> datetime | None:
    if value is None or value == "":
        errors["occurred_at"] = ["This field is required."]
        return None
    parsed = None
    if isinstance(value, str):
        parsed = parse_occurred_at(value.strip())
    if parsed is None:
        errors["occurred_at"] = ["Enter a date and time, e.g. 2026-11-20T21:14:00+08:00."]
    return parsed


def _shape(item) -> tuple[dict, dict]:
    """An item's values as sent, type-checked; (values, errors by field)."""
    if not isinstance(item, dict):
        return {}, {"non_field_errors": ["Expected a JSON object."]}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(item) - set(_FIELDS))
    if unknown:
        errors["non_field_errors"] = [f"Unknown field(s): {', '.join(unknown)}."]
    values = {
        "source": _text(item.get("source"), "source", errors, limit=10, required=True),
        "channel": _text(item.get("channel"), "channel", errors, limit=30),
        "external_id": _text(item.get("external_id"), "external_id", errors, limit=100),
        "sku": _text(item.get("sku"), "sku", errors, limit=64),
        "text": _text(item.get("text"), "text", errors, limit=10_000, required=True),
        "author": _text(item.get("author"), "author", errors, limit=200),
        "occurred_at": _occurred_at(item.get("occurred_at"), errors),
    }
    if values["source"] and values["source"] not in Feedback.Source.values:
        errors["source"] = [f"Choose one of: {', '.join(Feedback.Source.values)}."]
    rating = item.get("rating")
    if rating is not None and (
        isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5
    ):
        errors["rating"] = ["A whole number of stars from 1 to 5, or null."]
        rating = None
    values["rating"] = rating
    order = item.get("order")
    values["order_channel"] = values["channel"]
    values["order"] = ""
    if isinstance(order, dict):
        values["order_channel"] = _text(
            order.get("channel"), "order.channel", errors, limit=30, required=True
        )
        values["order"] = _text(
            order.get("external_id"), "order.external_id", errors, limit=100, required=True
        )
    elif order is not None:
        values["order"] = _text(order, "order", errors, limit=100)
    if values["order"] and not values["order_channel"] and "order" not in errors:
        errors["order"] = [
            'Give the channel: {"channel": "...", "external_id": "..."}, or the item\'s channel.'
        ]
    return values, errors


def _resolve(values: dict, lookups) -> tuple[dict, dict]:
    """feedback_record's arguments for one shaped item; (kwargs, errors by field)."""
    errors: dict[str, list[str]] = {}
    kwargs = {
        "source": values["source"],
        "text": values["text"],
        "occurred_at": values["occurred_at"],
        "external_id": values["external_id"],
        "rating": values["rating"],
        "author": values["author"],
    }
    if values["channel"]:
        kwargs["channel"] = lookups.channels.get(values["channel"])
        if kwargs["channel"] is None:
            errors["channel"] = [f"Unknown channel: {values['channel']}."]
    if values["sku"]:
        kwargs["sku"] = lookups.skus.get(values["sku"])
        if kwargs["sku"] is None:
            errors["sku"] = [f"Unknown SKU: {values['sku']}."]
    if values["order"]:
        kwargs["order"] = lookups.orders.get((values["order_channel"], values["order"]))
        if kwargs["order"] is None:
            errors["order"] = [f"No order {values['order']} on channel {values['order_channel']}."]
        elif values["channel"] and values["order_channel"] != values["channel"]:
            errors["order"] = ["The order belongs to another channel."]
    return kwargs, errors


def _answer(feedback: Feedback, created: bool) -> dict:
    return {
        "id": feedback.pk,
        "sentiment": f"{feedback.sentiment:.4f}",
        "urgency": feedback.urgency,
        "ticket": feedback.ticket.number if feedback.ticket_id else None,
        "created": created,
    }


def _feedback_out(feedback: Feedback) -> dict:
    return {
        "id": feedback.pk,
        "source": feedback.source,
        "channel": feedback.channel.code if feedback.channel_id else None,
        "external_id": feedback.external_id,
        "sku": feedback.sku.code if feedback.sku_id else None,
        "order": (
            {
                "channel": feedback.channel.code if feedback.channel_id else None,
                "external_id": feedback.order.external_id,
            }
            if feedback.order_id
            else None
        ),
        "author": feedback.author,
        "text": feedback.text,
        "rating": feedback.rating,
        "occurred_at": feedback.occurred_at.isoformat(),
        "language": feedback.language,
        "sentiment": f"{feedback.sentiment:.4f}",
        "urgency": feedback.urgency,
        "keywords": feedback.keywords,
        "ticket": feedback.ticket.number if feedback.ticket_id else None,
        "created_at": feedback.created_at.isoformat(),
    }


class FeedbackPagination(ClientCursorPagination):
    page_size = 100


class FeedbackView(ClientAPIView):
    """POST records feedback (service:write); GET lists it (service:read or service:write)."""

    required_scope = "service:read"
    parser_classes = [JSONParser]  # documents the body; post decodes it itself

    def get_permissions(self):
        if self.request.method == "POST":
            return [scope_required(WRITE_SCOPE)()]
        return [scope_required(*READ_SCOPES)()]

    @extend_schema(
        operation_id="feedback_create",
        tags=["service"],
        summary="Record feedback (one item or a batch of up to 500)",
        description=POST_DESCRIPTION,
        request=OpenApiTypes.OBJECT,
        responses={
            201: OpenApiResponse(OpenApiTypes.OBJECT, description="Per item: id, sentiment, urgency, ticket"),
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Field errors; nothing written"),
        },
        examples=[
            OpenApiExample("A review", value=ITEM_EXAMPLE, request_only=True),
            OpenApiExample("A batch", value={"items": [ITEM_EXAMPLE]}, request_only=True),
            OpenApiExample("Scored", value=ITEM_ANSWER, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Batch field errors",
                value={"items[1].sku": ["Unknown SKU: SKU-9999."]},
                response_only=True,
                status_codes=["400"],
            ),
        ],
    )
    def post(self, request):
        body, error = json_object_body(request)
        if error is not None:
            return error
        batch = "items" in body
        items = body["items"] if batch else [body]
        if batch:
            extra = sorted(set(body) - {"items"})
            if extra or not isinstance(items, list) or not items:
                return Response(
                    {"items": [f'Send {{"items": [...]}} with 1 to {MAX_ITEMS} items and nothing else.']},
                    status=status.HTTP_400_BAD_REQUEST,
                )
            if len(items) > MAX_ITEMS:
                return Response(
                    {"items": [f"At most {MAX_ITEMS} items per call; got {len(items)}."]},
                    status=status.HTTP_400_BAD_REQUEST,
                )

        def key(index: int, field: str) -> str:
            return f"items[{index}].{field}" if batch else field

        errors: dict[str, list[str]] = {}
        shaped = []
        for index, item in enumerate(items):
            values, item_errors = _shape(item)
            errors.update({key(index, field): messages for field, messages in item_errors.items()})
            shaped.append(values)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        lookups = feedback_lookups(
            channel_codes=[v["channel"] for v in shaped if v["channel"]],
            sku_codes=[v["sku"] for v in shaped if v["sku"]],
            order_keys=[(v["order_channel"], v["order"]) for v in shaped if v["order"]],
        )
        resolved = []
        for index, values in enumerate(shaped):
            kwargs, item_errors = _resolve(values, lookups)
            errors.update({key(index, field): messages for field, messages in item_errors.items()})
            resolved.append(kwargs)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        answers = []
        try:
            with transaction.atomic():
                for index, kwargs in enumerate(resolved):
                    try:
                        feedback, created = feedback_record(**kwargs)
                    except ValidationError as exc:
                        detail = (
                            exc.message_dict
                            if hasattr(exc, "error_dict")
                            else {"non_field_errors": exc.messages}
                        )
                        errors.update({key(index, field): messages for field, messages in detail.items()})
                        raise
                    answers.append(_answer(feedback, created))
        except ValidationError:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        payload = {"items": answers} if batch else answers[0]
        return Response(payload, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="feedback_list",
        tags=["service"],
        summary="List feedback",
        description="Feedback by id, 100 a page (cursor pagination, `page_size` up to 1000). Filters: "
        "`source`, `channel` (code), `urgency`, `sentiment` (negative, neutral, positive: below the "
        "settings' negative threshold, from its mirror up, or between), `sku` (code), `since` / `until` "
        "(occurred_at, ISO 8601), `ticket` (true: only items that opened a ticket). "
        "Scope `service:read` or `service:write`.",
        parameters=[
            OpenApiParameter("source", OpenApiTypes.STR, enum=list(Feedback.Source.values)),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("urgency", OpenApiTypes.STR, enum=list(Feedback.Urgency.values)),
            OpenApiParameter("sentiment", OpenApiTypes.STR, enum=list(SENTIMENT_BANDS)),
            OpenApiParameter("sku", OpenApiTypes.STR),
            OpenApiParameter("since", OpenApiTypes.DATETIME),
            OpenApiParameter("until", OpenApiTypes.DATETIME),
            OpenApiParameter("ticket", OpenApiTypes.BOOL),
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
        errors: dict[str, list[str]] = {}
        choices = {
            "source": Feedback.Source.values,
            "urgency": Feedback.Urgency.values,
            "sentiment": SENTIMENT_BANDS,
        }
        for name, allowed in choices.items():
            value = params.get(name, "")
            if name in params and value not in allowed:
                errors[name] = [f"Choose one of: {', '.join(allowed)}."]
        moments = {}
        for name in ("since", "until"):
            if name in params:
                field = QueryDateTimeField()
                try:
                    moments[name] = field.to_internal_value(params[name])
                except Exception:  # noqa: BLE001 - DRF raises its own ValidationError here
                    errors[name] = ["Enter a date and time, e.g. 2026-11-01T00:00:00+08:00."]
        with_ticket = None
        if "ticket" in params:
            flag = params["ticket"].lower()
            if flag not in ("true", "false", "1", "0") or len(params.getlist("ticket")) > 1:
                errors["ticket"] = ["Use true or false."]
            with_ticket = flag in ("true", "1")
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        qs = feedback_list(
            source=params.get("source", ""),
            channel=params.get("channel", "").strip(),
            urgency=params.get("urgency", ""),
            sentiment=params.get("sentiment", ""),
            sku=params.get("sku", "").strip(),
            since=moments.get("since"),
            until=moments.get("until"),
            with_ticket=with_ticket,
        )
        paginator = FeedbackPagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([_feedback_out(item) for item in page])
