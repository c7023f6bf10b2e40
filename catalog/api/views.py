from decimal import Decimal

import msgspec
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from catalog import selectors, services
from catalog.api.serializers import (
    CompetitorPricesRequestSerializer,
    CompetitorPricesResponseSerializer,
    SKUFilterSerializer,
    SKUOutputSerializer,
    SKUUpsertRequestSerializer,
    SKUUpsertResponseSerializer,
)
from catalog.models import PriceChange
from shopops.common.api import (
    ClientAPIView,
    ClientCursorPagination,
    scope_required,
    values_from_query,
)

WRITE_SCOPE = "catalog:write"
_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # JSON numbers with a fraction: exact Decimals


def _rows_from_body(request, key: str, limit: int, noun: str):
    """The list under `key` of a JSON object body, or the error Response (400, or 413 over `limit`)."""
    try:
        body = _DECODER.decode(request.body)
    except msgspec.DecodeError as exc:
        return None, Response({"detail": f"Malformed JSON: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
    if not isinstance(body, dict):
        return None, Response(
            {"non_field_errors": ["Expected a JSON object."]}, status=status.HTTP_400_BAD_REQUEST
        )
    rows = body.get(key)
    if not isinstance(rows, list):
        return None, Response({key: [f"Expected a list of {noun}."]}, status=status.HTTP_400_BAD_REQUEST)
    if not rows:
        return None, Response(
            {key: [f"Send at least one of the {noun}."]}, status=status.HTTP_400_BAD_REQUEST
        )
    if len(rows) > limit:
        return None, Response(
            {"detail": f"At most {limit} {noun} per request, not {len(rows)}."},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    return rows, None


def _error_example(name: str, value: dict, code: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description=name,
        examples=[OpenApiExample(name, value=value, response_only=True, status_codes=[code])],
    )


UPSERT_DESCRIPTION = f"""Bulk upsert of 1 to {services.MAX_SKUS_PER_REQUEST} SKUs by code (more: 413, none:
400).

Fields: `code` (the key), `name`, `category` (a category code), `unit_cost`, `list_price`, `weight` (kg),
`role` (hero, core, long_tail, new, image), `active`. Money is a string with at most two decimals.

Rules:
- An existing SKU (same `code`) is updated: fields left out or null keep their value. Sending the same
  values again changes nothing (`unchanged`).
- A new SKU needs `name`, `category`, `unit_cost` and `list_price`; `weight` defaults to 0, `role` to core,
  `active` to true. **Each new SKU gets a product of its own, named after the SKU, in the given category.**
  A category change moves that product (or, when other SKUs share it, gives the SKU a product of its own).
- An unknown category, a bad value or a code given twice rejects that row.
- Every price and cost change is recorded in the price history with the source "api" and the reason
  "API sync by <client name>".
- A `list_price` under the margin floor (40 % gross margin unless the category or a loss-leader setting
  says otherwise) rejects the row; the API cannot override the floor.
- A rejected row writes nothing; the other rows of the request are applied, in one transaction.

Requires the scope `{WRITE_SCOPE}`.
"""

UPSERT_EXAMPLE = {
    "skus": [
        {
            "code": "SKU-0101",
            "name": "Electric toothbrush, black",
            "category": "oral-care",
            "unit_cost": "40.00",
            "list_price": "129.00",
            "weight": "0.350",
            "role": "core",
            "active": True,
        },
        {"code": "SKU-0001", "list_price": "119.00"},
    ]
}

COMPETITOR_DESCRIPTION = f"""Record 1 to {services.MAX_PRICES_PER_REQUEST} competitor offers (more: 413,
none: 400).

Each offer: `sku` (our SKU code), `competitor` (a name), `channel` (a channel code, or blank for an offer
not tied to one of our channels), `price` (above zero, at most two decimals), `seen_at` (ISO 8601 with a
time zone offset, not in the future).

The key is (sku, competitor, channel, seen_at): sending the same offer again changes nothing
(`unchanged`); the same key with another price corrects it (`updated`). A bad row is rejected with its
position in `prices` (`index`, from 0); the others are recorded, in one transaction.

Requires the scope `{WRITE_SCOPE}`.
"""

COMPETITOR_EXAMPLE = {
    "prices": [
        {
            "sku": "SKU-0001",
            "competitor": "BrightSmile flagship store",
            "channel": "tmall",
            "price": "119.00",
            "seen_at": "2026-06-18T10:21:00+08:00",
        },
        {
            "sku": "SKU-9999",
            "competitor": "BrightSmile flagship store",
            "channel": "",
            "price": "79.00",
            "seen_at": "2026-06-18T10:21:00+08:00",
        },
    ]
}


@extend_schema(
    methods=["GET"],
    tags=["catalog"],
    summary="List SKUs",
    description=(
        "The catalogue for channel clients: every SKU with its category, cost, list price, weight, role and "
        "channel prices, ordered by id and paginated with a cursor (follow `next` until it is null).\n\n"
        "Money is a string with two decimals (CNY); `weight_kg` (and its twin `weight`, the name PUT takes) "
        "a string with three. `channel_prices` holds the channels where the SKU has a price of its own "
        "(channel code: price); on every other channel it sells at `list_price`.\n\n"
        "For an incremental sync pass the time of the previous sync as `updated_since`: SKUs changed at or "
        "after it are returned (a SKU may come twice; apply it idempotently by `code`).\n\n"
        "Requires the scope `catalog:read`."
    ),
    parameters=[
        OpenApiParameter(
            "code",
            OpenApiTypes.STR,
            description="Only these SKU codes (exact). Repeat the parameter or separate codes with commas; "
            "at most 500.",
            many=True,
            explode=True,
            examples=[OpenApiExample("Two SKUs", value="SKU-0001,SKU-0002")],
        ),
        OpenApiParameter(
            "updated_since",
            OpenApiTypes.DATETIME,
            description="Only SKUs changed at or after this ISO 8601 instant. Give an offset (`Z`, "
            "`+08:00`); a time without one is read in the shop's time zone (Asia/Shanghai).",
            examples=[OpenApiExample("Since", value="2025-06-01T00:00:00+08:00")],
        ),
        OpenApiParameter("active", OpenApiTypes.BOOL, description="Only active (`true`) or inactive SKUs."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page, 1-1000 (default 100)."),
    ],
    responses={
        200: SKUOutputSerializer(many=True),
        400: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description="Invalid filters: field errors",
            examples=[
                OpenApiExample(
                    "Bad date",
                    value={
                        "updated_since": ["Datetime has wrong format. Use one of these formats instead: ..."]
                    },
                    response_only=True,
                    status_codes=["400"],
                )
            ],
        ),
    },
    examples=[
        OpenApiExample(
            "A SKU",
            value={
                "code": "SKU-0001",
                "name": "Electric toothbrush, white",
                "category": "oral-care",
                "unit_cost": "40.00",
                "list_price": "129.00",
                "weight_kg": "0.350",
                "weight": "0.350",
                "role": "hero",
                "active": True,
                "channel_prices": {"jd": "125.00", "tmall": "129.00"},
            },
            response_only=True,
        )
    ],
)
class SKUListView(ClientAPIView, generics.ListAPIView):
    """GET lists the catalogue (scope catalog:read); PUT upserts SKUs (scope catalog:write)."""

    required_scope = "catalog:read"
    serializer_class = SKUOutputSerializer
    items_checked_one_by_one = ("skus",)  # PUT: each SKU rejected on its own (schema: ClientAutoSchema)
    pagination_class = ClientCursorPagination
    filter_backends = []
    parser_classes = [JSONParser]  # documents the body; PUT decodes it itself (exact Decimals)

    def get_permissions(self):
        if self.request.method == "PUT":
            return [scope_required(WRITE_SCOPE)()]
        return super().get_permissions()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return selectors.sku_client_list().none()
        params = self.request.query_params
        data = {key: params[key] for key in ("updated_since", "active") if key in params}
        codes = values_from_query(self.request, "code")
        if codes:
            data["code"] = codes
        filters = SKUFilterSerializer(data=data)
        filters.is_valid(raise_exception=True)
        return selectors.sku_client_list(
            codes=filters.validated_data.get("code", ()),
            updated_since=filters.validated_data.get("updated_since"),
            active=filters.validated_data.get("active"),
        ).prefetch_related("channel_prices")

    @extend_schema(
        operation_id="skus_upsert",
        tags=["catalog"],
        summary="Create or update SKUs (bulk upsert by code)",
        description=UPSERT_DESCRIPTION,
        request=SKUUpsertRequestSerializer,
        responses={
            200: SKUUpsertResponseSerializer,
            400: _error_example("Not a list of SKUs", {"skus": ["Send at least one of the SKUs."]}, "400"),
            403: _error_example(
                f"The API key lacks the scope `{WRITE_SCOPE}`",
                {"detail": f"This API key lacks the scope '{WRITE_SCOPE}'."},
                "403",
            ),
            413: _error_example(
                "Too many SKUs",
                {"detail": f"At most {services.MAX_SKUS_PER_REQUEST} SKUs per request, not 1200."},
                "413",
            ),
        },
        examples=[
            OpenApiExample("A new SKU and a price change", value=UPSERT_EXAMPLE, request_only=True),
            OpenApiExample(
                "Result",
                response_only=True,
                status_codes=["200"],
                value={
                    "created": 1,
                    "updated": 1,
                    "unchanged": 0,
                    "rejected": [
                        {
                            "code": "SKU-0003",
                            "errors": {
                                "list_price": [
                                    "¥59.00 is under the margin floor: gross margin 32.2 %, floor 40.0 % "
                                    "(lowest allowed price ¥66.67). Prices under the floor are set on the "
                                    "SKU page, with the override permission."
                                ]
                            },
                        },
                        {"code": "SKU-0004", "errors": {"category": ["Unknown category: toys"]}},
                    ],
                },
            ),
        ],
    )
    def put(self, request):
        rows, error = _rows_from_body(request, "skus", services.MAX_SKUS_PER_REQUEST, "SKUs")
        if error is not None:
            return error
        result = services.sku_upsert(
            rows=rows, reason=f"API sync by {request.auth.name}", user=None, source=PriceChange.Source.API
        )
        return Response(result.as_dict())


class CompetitorPriceView(ClientAPIView):
    required_scope = WRITE_SCOPE
    items_checked_one_by_one = ("prices",)  # each offer rejected on its own (schema: ClientAutoSchema)
    parser_classes = [JSONParser]  # documents the body; post decodes it itself (exact Decimals)

    @extend_schema(
        operation_id="competitor_prices_record",
        tags=["catalog"],
        summary="Record competitor prices",
        description=COMPETITOR_DESCRIPTION,
        request=CompetitorPricesRequestSerializer,
        responses={
            200: CompetitorPricesResponseSerializer,
            400: _error_example(
                "Not a list of prices", {"prices": ["Send at least one of the prices."]}, "400"
            ),
            413: _error_example(
                "Too many prices",
                {"detail": f"At most {services.MAX_PRICES_PER_REQUEST} prices per request, not 1200."},
                "413",
            ),
        },
        examples=[
            OpenApiExample("Two offers", value=COMPETITOR_EXAMPLE, request_only=True),
            OpenApiExample(
                "Result",
                response_only=True,
                status_codes=["200"],
                value={
                    "created": 1,
                    "updated": 0,
                    "unchanged": 0,
                    "rejected": [
                        {"index": 1, "sku": "SKU-9999", "errors": {"sku": ["Unknown SKU: SKU-9999"]}}
                    ],
                },
            ),
        ],
    )
    def post(self, request):
        rows, error = _rows_from_body(request, "prices", services.MAX_PRICES_PER_REQUEST, "prices")
        if error is not None:
            return error
        return Response(services.competitor_prices_record(rows=rows, source="api").as_dict())
