from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics

from inventory import selectors
from inventory.api.serializers import StockFilterSerializer, StockOutputSerializer
from shopops.common.api import (
    ClientAPIView,
    ClientCursorPagination,
    values_from_query,
)


@extend_schema(
    tags=["stock"],
    summary="Available stock per SKU",
    description=(
        "What each SKU can be sold at now, for channels to publish: `available` is the sum over active "
        "warehouses of on hand minus reserved, never negative, with the per-warehouse figures in "
        "`warehouses`. Every SKU is listed (0 when there is no stock), ordered by SKU id and paginated "
        "with a cursor (follow `next` until it is null).\n\n"
        "`channel` names the channel asking (an unknown or inactive channel is a 400). All channels "
        "share one stock pool for now, so the figures are the same for every channel.\n\n"
        "Requires the scope `stock:read`."
    ),
    parameters=[
        OpenApiParameter(
            "sku",
            OpenApiTypes.STR,
            description="Only these SKU codes (exact). Repeat the parameter or separate codes with commas; "
            "at most 500. Unknown codes are left out of the answer.",
            many=True,
            explode=True,
            examples=[OpenApiExample("Two SKUs", value="SKU-0001,SKU-0002")],
        ),
        OpenApiParameter(
            "channel",
            OpenApiTypes.STR,
            description="Code of the channel asking, e.g. `tmall`. Channels share one stock pool for now: "
            "the figures do not depend on it, but an unknown channel is refused.",
        ),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page, 1-1000 (default 100)."),
    ],
    responses={
        200: StockOutputSerializer(many=True),
        400: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description="Invalid filters: field errors",
            examples=[
                OpenApiExample(
                    "Unknown channel",
                    value={"channel": ["Unknown or inactive channel 'ebay'."]},
                    response_only=True,
                    status_codes=["400"],
                )
            ],
        ),
    },
    examples=[
        OpenApiExample(
            "Stock in two warehouses",
            value={
                "sku": "SKU-0001",
                "available": 12,
                "warehouses": [
                    {"warehouse": "east", "available": 10},
                    {"warehouse": "south", "available": 2},
                ],
            },
            response_only=True,
        )
    ],
)
class StockListView(ClientAPIView, generics.ListAPIView):
    required_scope = "stock:read"
    serializer_class = StockOutputSerializer
    pagination_class = ClientCursorPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return selectors.stock_sku_list().none()
        params = self.request.query_params
        data = {"channel": params["channel"]} if "channel" in params else {}
        codes = values_from_query(self.request, "sku")
        if codes:
            data["sku"] = codes
        filters = StockFilterSerializer(data=data)
        filters.is_valid(raise_exception=True)
        return selectors.stock_sku_list(sku_codes=filters.validated_data.get("sku", ()))

    def list(self, request, *args, **kwargs):
        skus = self.paginate_queryset(self.get_queryset())
        rows = selectors.stock_available_list(skus=skus)
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)
