import msgspec
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from orders import selectors
from orders.api.serializers import (
    PERSONAL_SCOPE,
    OrderOutSerializer,
    OrderSyncRequestSerializer,
    OrderSyncResponseSerializer,
)
from orders.schemas import MAX_ORDERS_PER_SYNC, body_decode, order_parse
from orders.services import SyncResult, order_sync
from shopops.common.api import ClientAPIView, ClientCursorPagination

SYNC_EXAMPLE = {
    "channel": "tmall",
    "orders": [
        {
            "external_id": "T100023",
            "placed_at": "2026-06-18T10:21:00+08:00",
            "updated_at": "2026-06-18T10:25:00+08:00",
            "status": "paid",
            "currency": "CNY",
            "payment_method": "alipay",
            "customer": {
                "external_id": "C881",
                "name": "王芳",
                "phone": "13800000000",
                "email": None,
                "province": "上海",
            },
            "shipping_fee": "0.00",
            "tax": "0.00",
            "order_discount": "20.00",
            "coupon_code": "DOUBLE11",
            "total": "218.00",
            "lines": [{"sku": "SKU-0001", "quantity": 2, "unit_price": "129.00", "discount": "20.00"}],
        }
    ],
}

SYNC_DESCRIPTION = f"""Bulk upsert of 1 to {MAX_ORDERS_PER_SYNC} orders of one channel (more: 413).

Rules:
- The key is (channel, external_id). Sending the same payload again changes nothing (`unchanged`).
- An update whose `updated_at` is older than the stored one is ignored as stale (`unchanged`).
- The server computes total = sum(quantity x unit_price - line discount) - order_discount + shipping_fee
  + tax; a `total` that disagrees rejects that order.
- Status moves: pending → paid, shipped (cash on delivery), cancelled; paid → shipped, delivered,
  cancelled, refunded; shipped → delivered, returned, refunded; delivered → returned, refunded;
  returned → refunded. Anything else (e.g. delivered → paid) rejects the order. Lines may change only
  while the order is pending or paid.
- A rejected order writes nothing; the valid orders of the same request are applied.
- Orders in another currency than the shop's are converted at the rate of the day they were placed
  (the latest earlier rate if that day has none); with no rate at all the order is rejected.
- A new pending or paid order reserves stock for its lines in one warehouse (routing by province), or
  split by line; units no warehouse has are backordered. Cancelling releases the reservation; shipping
  turns it into a shipment.
- Promotions: an order's `coupon_code` is recorded by marketing after the sync commits (a coupon or a
  promotion's code: a redemption, or a refusal with its reason when a limit was reached; a referral or
  KOC code attributes a new customer's first order). A line's optional `flash_claim` (the id answered by
  POST /api/v1/flash-sales/{{code}}/claims) converts that flash-sale hold. Cancelling gives the use back.
"""


class OrderSyncView(ClientAPIView):
    required_scope = "orders:write"
    items_checked_one_by_one = ("orders",)  # each order rejected on its own (schema: ClientAutoSchema)

    @extend_schema(
        operation_id="orders_sync",
        summary="Push orders (bulk upsert)",
        description=SYNC_DESCRIPTION,
        request=OrderSyncRequestSerializer,
        responses={
            200: OrderSyncResponseSerializer,
            413: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description=f"More than {MAX_ORDERS_PER_SYNC} orders in one request",
            ),
        },
        examples=[
            OpenApiExample("One paid Tmall order", value=SYNC_EXAMPLE, request_only=True),
            OpenApiExample(
                "Result",
                response_only=True,
                value={
                    "created": 1,
                    "updated": 0,
                    "unchanged": 0,
                    "rejected": [
                        {
                            "external_id": "T100024",
                            "errors": {"total": ["Does not add up: ... = 218.00, not 220.00."]},
                        }
                    ],
                },
            ),
        ],
        tags=["orders"],
    )
    def post(self, request):
        try:
            body = body_decode(request.body)
        except msgspec.DecodeError as exc:
            return Response({"detail": f"Malformed JSON: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
        if not isinstance(body, dict):
            return Response(
                {"non_field_errors": ["Expected a JSON object."]}, status=status.HTTP_400_BAD_REQUEST
            )
        channel, orders = body.get("channel"), body.get("orders")
        errors = {}
        if not isinstance(channel, str) or not channel:
            errors["channel"] = ["This field is required."]
        if not isinstance(orders, list):
            errors["orders"] = ["Expected a list of orders."]
        elif not orders:
            errors["orders"] = ["Send at least one order."]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        if len(orders) > MAX_ORDERS_PER_SYNC:
            return Response(
                {"detail": f"At most {MAX_ORDERS_PER_SYNC} orders per request, not {len(orders)}."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        result = SyncResult()
        parsed = []
        for raw in orders:
            order, order_errors = order_parse(raw)
            if order_errors:
                external_id = raw.get("external_id") if isinstance(raw, dict) else None
                result.reject(external_id if isinstance(external_id, str) else None, order_errors)
            else:
                parsed.append(order)
        if parsed:
            order_sync(channel_code=channel, orders=parsed, source="api", result=result)
        return Response(result.as_dict())


def _context(request) -> dict:
    """Whether the key may read personal data in full (the personal:read scope), for the serializers."""
    scopes = getattr(request.auth, "scopes", None)
    return {"personal": isinstance(scopes, list) and PERSONAL_SCOPE in scopes}


class OrderCursorPagination(ClientCursorPagination):
    max_page_size = 500


PaginatedOrderSerializer = inline_serializer(
    name="PaginatedOrderList",
    fields={
        "next": serializers.URLField(allow_null=True, help_text="The next page, null on the last one"),
        "previous": serializers.URLField(allow_null=True),
        "results": OrderOutSerializer(many=True),
    },
)


class OrderListView(ClientAPIView):
    required_scope = "orders:read"
    pagination_class = OrderCursorPagination  # read by the schema (page_size maximum)

    @extend_schema(
        operation_id="orders_list",
        summary="List orders",
        description="Orders filtered by channel, status, last change and placement time; cursor-paginated "
        "in id order. Phones, emails and addresses are in full only for a key with the `personal:read` "
        "scope (a connector that ships the orders); masked for every other key.",
        parameters=[
            OpenApiParameter("channel", str, description="Channel code"),
            OpenApiParameter(
                "status",
                str,
                enum=["pending", "paid", "shipped", "delivered", "cancelled", "returned", "refunded"],
            ),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Synced at or after"),
            OpenApiParameter(
                "placed_from", OpenApiTypes.DATETIME, description="Placed at or after (date or date-time)"
            ),
            OpenApiParameter(
                "placed_to", OpenApiTypes.DATETIME, description="Placed before (date or date-time)"
            ),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: PaginatedOrderSerializer},
        tags=["orders"],
    )
    def get(self, request):
        filters, errors = selectors.order_api_filters(request.query_params)
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        paginator = OrderCursorPagination()
        page = paginator.paginate_queryset(selectors.order_api_list(**filters), request, view=self)
        return paginator.get_paginated_response(
            OrderOutSerializer(page, many=True, context=_context(request)).data
        )


class OrderDetailView(ClientAPIView):
    required_scope = "orders:read"

    @extend_schema(
        operation_id="orders_retrieve",
        summary="One order by channel and external id",
        responses={200: OrderOutSerializer},
        tags=["orders"],
    )
    def get(self, request, channel: str, external_id: str):
        order = selectors.order_api_list(channel=channel).filter(external_id=external_id).first()
        if order is None:
            raise Http404
        return Response(OrderOutSerializer(order, context=_context(request)).data)
