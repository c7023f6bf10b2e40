"""GET /api/v1/reports/kpis: the order KPIs of a period, in total and as a series (scope reports:read)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from reports import kpis
from reports.api.serializers import KpiQuerySerializer, KpiResponseSerializer, kpi_json
from shopops.common.api import ClientAPIView

DEFINITIONS = "\n".join(f"- `{key}`: {kpis.KPI_DEFINITIONS[key]}" for key in kpis.ORDER_KPIS)

EXAMPLE_VALUES = {
    "orders": 5,
    "units": 10,
    "gmv": "576.00",
    "aov": "115.20",
    "refunds": "40.00",
    "net_sales": "536.00",
    "customers": 4,
    "new_customers": 2,
    "returning_customers": 2,
    "returning_rate": "0.5000",
    "repurchase_rate": "0.2500",
    "gross_margin": "0.5896",
    "return_rate": "0.1667",
    "cancel_rate": "0.1429",
}


@extend_schema(
    tags=["reports"],
    summary="Order KPIs of a period: totals and a series by day, week or month",
    description=(
        "For the shop-local dates [start, end): an order counts when it was placed in the period and its "
        "status is neither `pending` nor `cancelled`. Weeks start on Monday; the first and last periods of "
        "a series are cut to [start, end). Money is a string with 2 decimals (shop currency), rates a "
        "string with 4 decimals (0.1234 = 12.34 %), null when the denominator is zero. Read from rollups "
        "kept current as orders sync.\n\n"
        f"{DEFINITIONS}\n\nRequires the scope `reports:read`."
    ),
    parameters=[
        OpenApiParameter("start", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD, included."),
        OpenApiParameter("end", OpenApiTypes.DATE, required=True, description="YYYY-MM-DD, excluded."),
        OpenApiParameter(
            "granularity", OpenApiTypes.STR, enum=list(kpis.GRANULARITIES), description="Default day."
        ),
        OpenApiParameter(
            "channel", OpenApiTypes.STR, description="A channel code; all channels when absent."
        ),
    ],
    responses={
        200: KpiResponseSerializer,
        400: OpenApiResponse(
            response=OpenApiTypes.OBJECT,
            description="Bad parameters",
            examples=[
                OpenApiExample(
                    "Bad period",
                    value={"end": ["end must be after start (the period is [start, end))."]},
                    response_only=True,
                    status_codes=["400"],
                )
            ],
        ),
    },
    examples=[
        OpenApiExample(
            "One week by day (first day shown)",
            value={"totals": EXAMPLE_VALUES, "series": [{"period_start": "2026-03-02", **EXAMPLE_VALUES}]},
            response_only=True,
        )
    ],
)
class KpiView(ClientAPIView):
    required_scope = "reports:read"

    def get(self, request):
        query = KpiQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        channel_id = q["channel"].pk if q.get("channel") else None
        totals = kpis.kpi_totals(start=q["start"], end=q["end"], channel_id=channel_id)
        series = kpis.kpi_series(
            start=q["start"], end=q["end"], granularity=q["granularity"], channel_id=channel_id
        )
        return Response(
            {
                "totals": kpi_json(totals),
                "series": [
                    {"period_start": row["period_start"].isoformat(), **kpi_json(row)} for row in series
                ],
            }
        )
