"""Shopify's order webhooks: signed by Shopify, not API-key authenticated.

Every delivery is checked against the channel's webhook secret before anything is read or written, then
recorded as a WebhookDelivery in the same transaction as the order it carries, so that a redelivery of the
same `X-Shopify-Webhook-Id` is applied at most once — also when Shopify sends it twice at the same time.
"""

import msgspec
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, transaction
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api.serializers import OrderSyncResponseSerializer
from orders.models import Channel, WebhookDelivery
from orders.schemas import body_decode
from orders.services import SyncResult, order_sync
from orders.webhooks import TOPICS_APPLIED, shopify_order_map, shopify_signature_valid

OUTCOME_MAX = WebhookDelivery._meta.get_field("outcome").max_length
WEBHOOK_ID_MAX = WebhookDelivery._meta.get_field("webhook_id").max_length
TOPIC_MAX = WebhookDelivery._meta.get_field("topic").max_length

DESCRIPTION = """Receives Shopify's `orders/create` and `orders/updated` webhooks for one channel (the path's
channel code) and applies the order like `POST /orders/sync` does, with the same rules.

**Signature.** Shopify signs each delivery: `X-Shopify-Hmac-Sha256` is the base64 of HMAC-SHA256 over the
raw request body, keyed with the app's shared secret, which is the channel's `webhook_secret`. A missing or
wrong signature, an unknown channel or a channel without a secret answers 401 and nothing is recorded.

**Once only.** Deliveries are recorded by `X-Shopify-Webhook-Id`, in the same transaction as the order
write; a delivery id already applied answers `{"status": "duplicate"}` and changes nothing.

**Answers.** `applied`: the order was created, updated or found unchanged (see the counts). `rejected`: the
order breaks a rule (unknown SKU, totals that do not add up, an illegal status move, no exchange rate); the
reason is in the body and in the recorded delivery, and the answer is still 200, because Shopify retries
any other status and a rejection is not transient. `ignored`: another topic (recorded, not applied).

**Mapping.** `id` → external_id; `created_at` → placed_at; `updated_at`; status from `cancelled_at`,
`financial_status` (pending, authorized → pending; paid, partially_paid, partially_refunded → paid;
refunded → refunded; voided → cancelled) and `fulfillment_status` (fulfilled → shipped); `line_items`
(sku, quantity, price; discount = the sum of `discount_allocations`, else `total_discount`);
`total_discounts` minus the line discounts → order_discount; the `shipping_lines` prices → shipping_fee;
`total_tax` → tax (0 when `taxes_included`); `total_price` → total; `gateway` or
`payment_gateway_names[0]` → payment_method; `customer` and `shipping_address` → customer, province,
city and address.
"""

EXAMPLE_ORDER = {
    "id": 820982911946154508,
    "name": "#1001",
    "created_at": "2026-06-18T10:21:00-04:00",
    "updated_at": "2026-06-18T10:25:00-04:00",
    "cancelled_at": None,
    "currency": "USD",
    "financial_status": "paid",
    "fulfillment_status": None,
    "payment_gateway_names": ["shopify_payments"],
    "total_discounts": "15.00",
    "total_tax": "11.40",
    "taxes_included": False,
    "total_price": "151.90",
    "customer": {
        "id": 115310627314723954,
        "first_name": "Jon",
        "last_name": "Doe",
        "email": "jon.doe@example.com",
        "phone": "+15025550123",
    },
    "shipping_address": {
        "address1": "123 Shipping Street",
        "address2": "Suite 4",
        "city": "Louisville",
        "province": "Kentucky",
        "province_code": "KY",
        "country_code": "US",
    },
    "line_items": [
        {
            "sku": "SKU-0001",
            "quantity": 2,
            "price": "59.00",
            "total_discount": "0.00",
            "discount_allocations": [{"amount": "10.00", "discount_application_index": 0}],
        },
        {
            "sku": "SKU-0002",
            "quantity": 1,
            "price": "25.50",
            "total_discount": "0.00",
            "discount_allocations": [],
        },
    ],
    "shipping_lines": [{"title": "Standard Shipping", "price": "12.00", "discounted_price": "7.00"}],
}


class WebhookAnswerSerializer(serializers.Serializer):
    # Not a ChoiceField: its enum, also named after `status`, would make drf-spectacular rename the orders'
    # StatusEnum component.
    status = serializers.CharField(help_text="applied, rejected, ignored or duplicate")
    topic = serializers.CharField(required=False)
    result = OrderSyncResponseSerializer(required=False, help_text="What order_sync did (applied, rejected)")


_ErrorSerializer = inline_serializer(name="WebhookError", fields={"detail": serializers.CharField()})


def _error(description: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=_ErrorSerializer,
        description=description,
        examples=[OpenApiExample(description, value={"detail": detail}, response_only=True)],
    )


def _header(request, name: str) -> str:
    return (request.headers.get(name) or "").strip()


def _outcome(result: SyncResult) -> str:
    if result.rejected:
        reasons = "; ".join(
            f"{field}: {' '.join(messages)}"
            for item in result.rejected
            for field, messages in item["errors"].items()
        )
        text = f"rejected: {reasons}"
    elif result.created:
        text = "created"
    elif result.updated:
        text = "updated"
    else:
        text = "unchanged"
    return text if len(text) <= OUTCOME_MAX else text[: OUTCOME_MAX - 1] + "…"


class ShopifyWebhookView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    parser_classes = [JSONParser]  # the schema lists JSON only; post reads the raw body itself
    metadata_class = None  # OPTIONS: 405 like every other undocumented method

    @extend_schema(
        operation_id="webhooks_shopify_orders",
        summary="Receive a Shopify order webhook (orders/create, orders/updated)",
        description=DESCRIPTION,
        auth=[],
        parameters=[
            OpenApiParameter("channel", OpenApiTypes.STR, OpenApiParameter.PATH, description="Channel code"),
            OpenApiParameter(
                "X-Shopify-Hmac-Sha256",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="base64(HMAC-SHA256(raw body, channel webhook secret))",
            ),
            OpenApiParameter(
                "X-Shopify-Topic",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="orders/create or orders/updated; other topics are recorded and ignored",
            ),
            OpenApiParameter(
                "X-Shopify-Webhook-Id",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=True,
                description="The delivery's id: the same id is applied once",
            ),
        ],
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: WebhookAnswerSerializer,
            400: _error("Malformed JSON or no X-Shopify-Webhook-Id", "Missing X-Shopify-Webhook-Id header."),
            401: _error(
                "Missing or wrong signature, unknown channel, or a channel without a webhook secret",
                "Invalid webhook signature.",
            ),
            404: _error(
                "The channel in the path is not a channel code (letters, digits, - and _)", "Not found."
            ),
        },
        examples=[
            OpenApiExample("A Shopify order (abridged)", value=EXAMPLE_ORDER, request_only=True),
            OpenApiExample(
                "Applied",
                response_only=True,
                value={
                    "status": "applied",
                    "topic": "orders/create",
                    "result": {"created": 1, "updated": 0, "unchanged": 0, "rejected": []},
                },
            ),
            OpenApiExample(
                "Rejected",
                response_only=True,
                value={
                    "status": "rejected",
                    "topic": "orders/updated",
                    "result": {
                        "created": 0,
                        "updated": 0,
                        "unchanged": 0,
                        "rejected": [
                            {
                                "external_id": "820982911946154508",
                                "errors": {"lines[0].sku": ["Unknown SKU 'SKU-9999'."]},
                            }
                        ],
                    },
                },
            ),
            OpenApiExample("Duplicate", response_only=True, value={"status": "duplicate"}),
        ],
        tags=["webhooks"],
    )
    def post(self, request, channel: str):
        found = Channel.objects.filter(code=channel, active=True).only("id", "code", "webhook_secret").first()
        body = request.body
        if found is None or not shopify_signature_valid(
            body, found.webhook_secret, request.headers.get("X-Shopify-Hmac-Sha256")
        ):
            # The same answer for every case: the caller learns nothing about which channels exist.
            return Response({"detail": "Invalid webhook signature."}, status=status.HTTP_401_UNAUTHORIZED)
        webhook_id = _header(request, "X-Shopify-Webhook-Id")
        topic = _header(request, "X-Shopify-Topic")[:TOPIC_MAX]
        if not webhook_id or len(webhook_id) > WEBHOOK_ID_MAX:
            return Response(
                {"detail": "Missing or overlong X-Shopify-Webhook-Id header."},
                status=status.HTTP_400_BAD_REQUEST,
            )

        order = None
        result = SyncResult()
        if topic in TOPICS_APPLIED:
            try:
                payload = body_decode(body)
            except msgspec.DecodeError as exc:
                return Response({"detail": f"Malformed JSON: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
            order, errors = shopify_order_map(payload)
            if errors:
                order_id = payload.get("id") if isinstance(payload, dict) else None
                result.reject(str(order_id) if order_id is not None else None, errors)

        with transaction.atomic():
            try:
                # Insert first: a concurrent delivery of the same id waits on the unique index here and then
                # fails, so it never reaches the order write.
                with transaction.atomic():
                    delivery = WebhookDelivery.objects.create(
                        channel=found, webhook_id=webhook_id, topic=topic, outcome="received"
                    )
            except IntegrityError:
                return Response({"status": "duplicate"})
            if topic not in TOPICS_APPLIED:
                delivery.outcome = f"ignored: topic {topic or '(none)'}"[:OUTCOME_MAX]
                delivery.save(update_fields=["outcome"])
                return Response({"status": "ignored", "topic": topic})
            if order is not None:
                order_sync(channel_code=found.code, orders=[order], source="webhook", result=result)
            delivery.outcome = _outcome(result)
            delivery.save(update_fields=["outcome"])
        answer = "rejected" if result.rejected else "applied"
        return Response({"status": answer, "topic": topic, "result": result.as_dict()})

    @classmethod
    def as_view(cls, **initkwargs):
        # Shopify has no session: exempt from LoginRequiredMiddleware and from CSRF.
        return login_not_required(csrf_exempt(super().as_view(**initkwargs)))
