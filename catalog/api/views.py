from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics

from catalog import selectors
from catalog.api.serializers import SKUFilterSerializer, SKUOutputSerializer
from shopops.common.api import (
    ClientAPIView,
    ClientCursorPagination,
    values_from_query,
)


@extend_schema(
    tags=["catalog"],
    summary="List SKUs",
    description=(
        "The catalogue for channel clients: every SKU with its category, cost, list price and role, ordered "
        "by id and paginated with a cursor (follow `next` until it is null).\n\n"
        "Money is a string with two decimals (CNY); `weight_kg` a string with three.\n\n"
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
                "role": "hero",
                "active": True,
            },
            response_only=True,
        )
    ],
)
class SKUListView(ClientAPIView, generics.ListAPIView):
    required_scope = "catalog:read"
    serializer_class = SKUOutputSerializer
    pagination_class = ClientCursorPagination
    filter_backends = []

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
        )
