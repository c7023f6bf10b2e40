"""POST /api/v1/ad-metrics: daily ad metrics per campaign and channel, in bulk."""

from decimal import Decimal

import msgspec
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from marketing.services import ads
from shopops.common.api import ClientAPIView

_DECODER = msgspec.json.Decoder(float_hook=Decimal)  # numbers with a fraction: exact Decimals

DESCRIPTION = f"""Import 1 to {ads.MAX_ROWS} days of ad metrics (more: 413, none: 400), upserted on
(campaign, channel, day): sending a day again replaces its figures.

Each row: `campaign` (a campaign code), `channel` (a channel code), `day` (ISO date, not in the future,
within the campaign's dates), `impressions`, `clicks` (<= impressions), `orders`, `new_customers` (whole
numbers >= 0), `spend`, `revenue`, `brand_value` (money >= 0 as strings, at most 2 decimals;
`new_customers` and `brand_value` are optional, default 0). One (campaign, channel, day) at most once per
request.

All or nothing: when any row is wrong, nothing is written and the answer is 400 with every wrong row by
its index in `rows` (from 0): `{{"rows": [{{"index": 1, "errors": {{"clicks": ["More clicks than
impressions."]}}}}]}}`.

The campaign pages show CTR (clicks / impressions, band 2-5 %), CPC (spend / clicks, ¥0.50-3.00), CVR
(orders / clicks, 3-10 %), ROI (revenue / spend, >= 3) and CAC (spend / new customers) from these rows.

Requires the scope `marketing:write`.
"""

EXAMPLE = {
    "rows": [
        {
            "campaign": "D11-2026",
            "channel": "douyin",
            "day": "2026-11-10",
            "impressions": 120000,
            "clicks": 3600,
            "spend": "4320.00",
            "orders": 180,
            "revenue": "21600.00",
            "new_customers": 95,
            "brand_value": "800.00",
        }
    ]
}


class AdMetricsView(ClientAPIView):
    required_scope = "marketing:write"
    parser_classes = [JSONParser]  # documents the body; post decodes it itself (exact Decimals)

    @extend_schema(
        operation_id="ad_metrics_import",
        tags=["marketing"],
        summary="Import daily ad metrics",
        description=DESCRIPTION,
        request=OpenApiTypes.OBJECT,
        responses={
            200: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Imported",
                examples=[
                    OpenApiExample(
                        "Imported", value={"rows": 1, "created": 1, "updated": 0}, response_only=True
                    )
                ],
            ),
            400: OpenApiResponse(
                response=OpenApiTypes.OBJECT,
                description="Wrong rows: nothing written",
                examples=[
                    OpenApiExample(
                        "Wrong rows",
                        value={"rows": [{"index": 0, "errors": {"campaign": ["Unknown campaign: X"]}}]},
                        response_only=True,
                        status_codes=["400"],
                    )
                ],
            ),
            413: OpenApiResponse(response=OpenApiTypes.OBJECT, description="Too many rows"),
        },
        examples=[OpenApiExample("One day", value=EXAMPLE, request_only=True)],
    )
    def post(self, request):
        try:
            body = _DECODER.decode(request.body)
        except msgspec.DecodeError as exc:
            return Response({"detail": f"Malformed JSON: {exc}"}, status=status.HTTP_400_BAD_REQUEST)
        rows = body.get("rows") if isinstance(body, dict) else None
        if not isinstance(rows, list) or not rows:
            return Response({"rows": ["Send a non-empty list of rows."]}, status=status.HTTP_400_BAD_REQUEST)
        if len(rows) > ads.MAX_ROWS:
            return Response(
                {"detail": f"At most {ads.MAX_ROWS} rows per request, not {len(rows)}."},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        for row in rows:
            if isinstance(row, dict):
                row.pop("_line", None)
        result = ads.ad_metrics_import(rows)
        if not result.ok:
            return Response({"rows": result.errors_by_row()}, status=status.HTTP_400_BAD_REQUEST)
        return Response({"rows": result.rows, "created": result.created, "updated": result.updated})
