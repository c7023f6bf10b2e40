"""Return requests for channel connectors: ``POST /api/v1/returns`` and ``GET /api/v1/returns/{number}``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from orders.models import Order
from service.models import ReturnRequest
from service.selectors import returns as selectors
from service.services import returns as services
from shopops.common.api import ClientAPIView, JSONInputSerializer, scope_required

READ_SCOPES = ("service:read", "service:write")

CREATE_DESCRIPTION = """Request a return (RMA) of units of a synced order.

Body: `order` `{"channel", "external_id"}` (the order as the channel knows it), `lines` (1 to 100 of
`{"sku", "quantity"}`: SKU codes of the order's lines), `reason` (`no_reason`, `defective`,
`not_as_described`, `wrong_item`, `damaged`, `missing_parts`, `late`, `other`), `note`, `external_id`
(the connector's id of the request: sending it again returns the same request with **200**, unchanged).

Rules: the order must be shipped or delivered; a line may take at most the units bought less those in the
order's other requests that were not rejected or cancelled; `no_reason` (七天无理由退货) is accepted until
the end of day 7 after the delivery day, shop time (Asia/Shanghai), and never for SKUs exempt from
no-reason return (`eligibility.exempt_skus` says why). Other reasons are accepted after the window.

- **201**: the request: `number` (R-000123), `status` (`requested`), `eligibility` (`delivered_at`,
  `no_reason_deadline`: the last day, inclusive, `no_reason_open`, `exempt_skus` of the order).
- **400**: field errors (`order`, `lines`, `reason`, `note`, `external_id`); nothing is written.
"""


class _OrderRefIn(JSONInputSerializer):
    channel = serializers.CharField(max_length=30)
    external_id = serializers.CharField(max_length=100)


class _LineIn(JSONInputSerializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)


class ReturnCreateIn(JSONInputSerializer):
    order = _OrderRefIn()
    lines = _LineIn(many=True, allow_empty=False, max_length=100)
    reason = serializers.ChoiceField(choices=ReturnRequest.Reason.values)
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


_Eligibility = inline_serializer(
    name="ReturnEligibility",
    fields={
        "delivered_at": serializers.DateTimeField(allow_null=True),
        "no_reason_deadline": serializers.DateField(allow_null=True, help_text="Last day, inclusive."),
        "no_reason_open": serializers.BooleanField(),
        "exempt_skus": inline_serializer(
            name="ReturnExemptSKU",
            fields={"sku": serializers.CharField(), "reason": serializers.CharField()},
            many=True,
        ),
    },
)
_ReturnOut = inline_serializer(
    name="ReturnRequest",
    fields={
        "number": serializers.CharField(),
        "status": serializers.ChoiceField(ReturnRequest.Status.values),
        "reason": serializers.ChoiceField(ReturnRequest.Reason.values),
        "order": _OrderRefIn(),
        "lines": inline_serializer(
            name="ReturnLineOut",
            fields={
                "sku": serializers.CharField(),
                "quantity": serializers.IntegerField(),
                "restocked": serializers.IntegerField(),
                "scrapped": serializers.IntegerField(),
            },
            many=True,
        ),
        "external_id": serializers.CharField(),
        "requested_at": serializers.DateTimeField(),
        "received_at": serializers.DateTimeField(allow_null=True),
        "refund_amount": serializers.CharField(allow_null=True, help_text="2 decimals"),
        "refund_method": serializers.CharField(),
        "refunded_at": serializers.DateTimeField(allow_null=True),
        "rejection_reason": serializers.CharField(),
        "eligibility": _Eligibility,
    },
)

_EXAMPLE_OUT = {
    "number": "R-000123",
    "status": "requested",
    "reason": "no_reason",
    "order": {"channel": "tmall", "external_id": "T20261101001"},
    "lines": [{"sku": "SKU-0001", "quantity": 1, "restocked": 0, "scrapped": 0}],
    "external_id": "RMA-881",
    "requested_at": "2026-11-05T10:00:00+08:00",
    "received_at": None,
    "refund_amount": None,
    "refund_method": "",
    "refunded_at": None,
    "rejection_reason": "",
    "eligibility": {
        "delivered_at": "2026-11-01T10:00:00+08:00",
        "no_reason_deadline": "2026-11-08",
        "no_reason_open": True,
        "exempt_skus": [{"sku": "SKU-0009", "reason": "Intimate apparel"}],
    },
}


def _iso(value):
    return timezone.localtime(value).isoformat() if value else None


def return_as_json(request: ReturnRequest) -> dict:
    eligibility = services.return_eligibility(order=request.order)
    return {
        "number": request.number,
        "status": request.status,
        "reason": request.reason,
        "order": {"channel": request.order.channel.code, "external_id": request.order.external_id},
        "lines": [
            {
                "sku": line.sku.code,
                "quantity": line.quantity,
                "restocked": line.restocked,
                "scrapped": line.scrapped,
            }
            for line in selectors.return_lines(request=request)
        ],
        "external_id": request.external_id,
        "requested_at": _iso(request.requested_at),
        "received_at": _iso(request.received_at),
        "refund_amount": None if request.refund_amount is None else f"{request.refund_amount:.2f}",
        "refund_method": request.refund_method,
        "refunded_at": _iso(request.refunded_at),
        "rejection_reason": request.rejection_reason,
        "eligibility": {
            "delivered_at": _iso(eligibility.delivered_at),
            "no_reason_deadline": eligibility.no_reason_deadline.isoformat()
            if eligibility.no_reason_deadline
            else None,
            "no_reason_open": eligibility.no_reason_open,
            "exempt_skus": [
                {"sku": line.sku_code, "reason": line.exempt_reason} for line in eligibility.exempt_lines
            ],
        },
    }


def _lines_by_sku(order: Order, wanted: list[dict]) -> tuple[list[tuple[int, int]], list[str]]:
    """SKU codes and quantities → (order line id, quantity). A SKU on several lines of the order fills
    them in line order, each up to what it can still return."""
    eligibility = services.return_eligibility(order=order)
    by_code: dict[str, list] = {}
    for line in eligibility.lines:
        by_code.setdefault(line.sku_code, []).append(line)
    result: dict[int, int] = {}
    errors = []
    for item in wanted:
        code, quantity = item["sku"], item["quantity"]
        lines = by_code.get(code)
        if not lines:
            errors.append(f"SKU {code} is not on this order.")
            continue
        for i, line in enumerate(lines):
            room = line.returnable - result.get(line.order_line_id, 0)
            take = quantity if i == len(lines) - 1 else min(quantity, max(room, 0))
            if take:
                result[line.order_line_id] = result.get(line.order_line_id, 0) + take
            quantity -= take
            if not quantity:
                break
    return list(result.items()), errors


class ReturnCreateView(ClientAPIView):
    required_scope = "service:write"
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="return_create",
        tags=["service"],
        summary="Request a return (RMA)",
        description=CREATE_DESCRIPTION,
        request=ReturnCreateIn,
        responses={
            200: OpenApiResponse(response=_ReturnOut, description="Already known (same external_id)"),
            201: _ReturnOut,
            400: OpenApiResponse(
                description="Field errors",
                examples=[
                    OpenApiExample(
                        "Window closed",
                        value={
                            "reason": [
                                "The 7-day no-reason return window closed at the end of 2026-11-08; "
                                "choose another reason."
                            ]
                        },
                        response_only=True,
                        status_codes=["400"],
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "No-reason return",
                value={
                    "order": {"channel": "tmall", "external_id": "T20261101001"},
                    "lines": [{"sku": "SKU-0001", "quantity": 1}],
                    "reason": "no_reason",
                    "note": "不喜欢颜色",
                    "external_id": "RMA-881",
                },
                request_only=True,
            ),
            OpenApiExample("Requested", value=_EXAMPLE_OUT, response_only=True, status_codes=["201"]),
        ],
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            return Response({"non_field_errors": ["Send a JSON object."]}, status=status.HTTP_400_BAD_REQUEST)
        form = ReturnCreateIn(data=request.data)
        if not form.is_valid():
            return Response(form.errors, status=status.HTTP_400_BAD_REQUEST)
        data = form.validated_data
        order = (
            Order.objects.select_related("channel")
            .filter(channel__code=data["order"]["channel"], external_id=data["order"]["external_id"])
            .first()
        )
        if order is None:
            return Response({"order": ["No such order on this channel."]}, status=status.HTTP_400_BAD_REQUEST)
        external_id = data["external_id"].strip()
        if external_id:
            existing = ReturnRequest.objects.filter(order=order, external_id=external_id).first()
            if existing is not None:
                return Response(return_as_json(existing), status=status.HTTP_200_OK)
        lines, errors = _lines_by_sku(order, data["lines"])
        if errors:
            return Response({"lines": errors}, status=status.HTTP_400_BAD_REQUEST)
        try:
            created = services.return_request_create(
                order=order,
                lines=lines,
                reason=data["reason"],
                note=data["note"],
                source=ReturnRequest.Source.API,
                external_id=external_id,
            )
        except ValidationError as exc:
            detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        return Response(return_as_json(created), status=status.HTTP_201_CREATED)


class ReturnDetailView(ClientAPIView):
    required_scope = "service:read"
    permission_classes = [scope_required(*READ_SCOPES)]

    @extend_schema(
        operation_id="return_get",
        tags=["service"],
        summary="A return request",
        description="One return request by its number (scope `service:read` or `service:write`).",
        responses={
            200: OpenApiResponse(
                response=_ReturnOut,
                examples=[OpenApiExample("Requested", value=_EXAMPLE_OUT, response_only=True)],
            ),
            404: OpenApiResponse(description="No such return"),
        },
    )
    def get(self, request, number: str):
        try:
            found = selectors.return_get(number)
        except ReturnRequest.DoesNotExist:
            return Response({"detail": f"No return {number}."}, status=status.HTTP_404_NOT_FOUND)
        return Response(return_as_json(found))
