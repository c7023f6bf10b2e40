from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from catalog import selectors as catalog_selectors
from inventory import kpis, selectors
from inventory.api.serializers import (
    ForecastFilterSerializer,
    ForecastOutputSerializer,
    LevelFilterSerializer,
    LevelOutputSerializer,
    StockFilterSerializer,
    StockOutputSerializer,
    SuggestionFilterSerializer,
    SuggestionOutputSerializer,
)
from inventory.models import ReplenishmentSuggestion, StockLevel
from shopops.common.api import (
    NO_NUL,
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
            pattern=NO_NUL,  # DRF refuses a NUL character in a code
            examples=[OpenApiExample("Two SKUs", value="SKU-0001,SKU-0002")],
        ),
        OpenApiParameter(
            "channel",
            OpenApiTypes.STR,
            allow_blank=False,
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


# --- planning: forecasts, suggestions, stock levels (scope inventory:read) --------------------------------

PLANNING_SCOPE = "inventory:read"


def _bad_request(name: str, value: dict) -> OpenApiResponse:
    return OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description="Invalid query: field errors",
        examples=[OpenApiExample(name, value=value, response_only=True, status_codes=["400"])],
    )


def _not_found(name: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description=name,
        examples=[OpenApiExample(name, value={"detail": detail}, response_only=True, status_codes=["404"])],
    )


@extend_schema(
    tags=["inventory"],
    summary="The stored daily demand forecast of a SKU",
    description=(
        "The latest nightly forecast of one SKU (all warehouses together): the model the backtest chose, "
        "its accuracy over the last 28 days of actuals (WAPE and bias; null when the SKU sold nothing in "
        "them) and, per day from the day after `business_date`, the forecast units with the prediction "
        "interval (`lower`, `upper`).\n\n"
        "An unknown SKU code, or a SKU without a forecast yet (new, or before the first nightly run), is a "
        "404.\n\nRequires the scope `inventory:read`."
    ),
    parameters=[
        OpenApiParameter(
            "sku", OpenApiTypes.STR, required=True, allow_blank=False, description="SKU code (exact)."
        )
    ],
    responses={
        200: ForecastOutputSerializer,
        400: _bad_request("No SKU given", {"sku": ["This field is required."]}),
        404: _not_found("Unknown SKU or no forecast yet", "No forecast for SKU 'SKU-0001' yet."),
    },
    examples=[
        OpenApiExample(
            "A weekly-seasonal SKU",
            value={
                "sku": "SKU-0001",
                "business_date": "2025-06-01",
                "model": "ets",
                "model_name": "Exponential smoothing, weekly seasonality",
                "mean_daily": "4.210",
                "sigma_daily": "1.830",
                "wape": "0.2140",
                "bias": "-0.0310",
                "actual_28d": 121,
                "intermittent": False,
                "history_days": 730,
                "stockout_days": 3,
                "days": [{"date": "2025-06-02", "forecast": 4.6, "lower": 1.4, "upper": 7.8}],
            },
            response_only=True,
        )
    ],
)
class ForecastView(ClientAPIView):
    required_scope = PLANNING_SCOPE

    def get(self, request):
        filters = ForecastFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        code = filters.validated_data["sku"]
        sku = catalog_selectors.sku_client_list(codes=[code]).first()
        if sku is None:
            raise NotFound(f"No SKU with code {code!r}.")
        forecast = kpis.forecast_latest(sku_id=sku.pk)
        if forecast is None:
            raise NotFound(f"No forecast for SKU {code!r} yet.")
        forecast.sku = sku
        forecast.days = kpis.forecast_days(forecast)
        return Response(ForecastOutputSerializer(forecast).data)


@extend_schema(
    tags=["inventory"],
    summary="Today's replenishment suggestions",
    description=(
        "The suggestions of the latest nightly replenishment run (its `business_date`): per SKU and "
        "warehouse, buy from a supplier (`kind` purchase) or move stock from another warehouse (`kind` "
        "transfer), with the figures behind it: safety stock, reorder point, order-up-to level, projected "
        "stockout date and the quantity rounded to the supplier's MOQ and case pack. `status` says whether "
        "a planner has ordered (with the PO or transfer number) or dismissed it. Ordered by id, paginated "
        "with a cursor; empty before the first run.\n\n"
        "Filters: `supplier` and `warehouse` codes (unknown codes are a 400), `kind`, `status`.\n\n"
        "Requires the scope `inventory:read`."
    ),
    parameters=[
        OpenApiParameter("supplier", OpenApiTypes.STR, description="Supplier code."),
        OpenApiParameter("warehouse", OpenApiTypes.STR, description="Code of the warehouse replenished."),
        OpenApiParameter("kind", OpenApiTypes.STR, enum=ReplenishmentSuggestion.Kind.values),
        OpenApiParameter("status", OpenApiTypes.STR, enum=ReplenishmentSuggestion.Status.values),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page, 1-1000 (default 100)."),
    ],
    responses={
        200: SuggestionOutputSerializer(many=True),
        400: _bad_request("Unknown supplier", {"supplier": ["Unknown supplier 'acme'."]}),
    },
)
class SuggestionListView(ClientAPIView, generics.ListAPIView):
    required_scope = PLANNING_SCOPE
    serializer_class = SuggestionOutputSerializer
    pagination_class = ClientCursorPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return ReplenishmentSuggestion.objects.none()
        filters = SuggestionFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return kpis.suggestion_list(**filters.validated_data)


@extend_schema(
    tags=["inventory"],
    summary="Stock levels per SKU and warehouse",
    description=(
        "Units on hand, reserved for orders and available (on hand - reserved) per SKU and warehouse, for "
        "every stock level (also inactive warehouses), ordered by id and paginated with a cursor.\n\n"
        "`sku` keeps only those SKU codes (unknown codes are left out: the answer may be empty); "
        "`warehouse` one warehouse (an unknown code is a 400).\n\nRequires the scope `inventory:read`."
    ),
    parameters=[
        OpenApiParameter(
            "sku",
            OpenApiTypes.STR,
            description="SKU codes (exact): repeat the parameter or separate with commas; at most 500.",
            many=True,
            explode=True,
            pattern=NO_NUL,  # DRF refuses a NUL character in a code
        ),
        OpenApiParameter("warehouse", OpenApiTypes.STR, allow_blank=False, description="Warehouse code."),
        OpenApiParameter("page_size", OpenApiTypes.INT, description="Rows per page, 1-1000 (default 100)."),
    ],
    responses={
        200: LevelOutputSerializer(many=True),
        400: _bad_request("Unknown warehouse", {"warehouse": ["Unknown warehouse 'north'."]}),
    },
)
class LevelListView(ClientAPIView, generics.ListAPIView):
    required_scope = PLANNING_SCOPE
    serializer_class = LevelOutputSerializer
    pagination_class = ClientCursorPagination
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation
            return StockLevel.objects.none()
        params = self.request.query_params
        data = {"warehouse": params["warehouse"]} if "warehouse" in params else {}
        codes = values_from_query(self.request, "sku")
        if codes:
            data["sku"] = codes
        filters = LevelFilterSerializer(data=data)
        filters.is_valid(raise_exception=True)
        qs = selectors.stock_level_list(warehouse=filters.validated_data.get("warehouse", ""))
        if filters.validated_data.get("sku"):
            qs = qs.filter(sku__code__in=set(filters.validated_data["sku"]))
        return qs
