"""Flash-sale claims for storefronts: ``POST /api/v1/flash-sales/{code}/claims``."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from marketing.models import Promotion
from marketing.services import flash
from shopops.common.api import NOT_BLANK, ClientAPIView, JSONInputSerializer, scope_required

CLAIM_SCOPES = ("pricing:quote", "marketing:write")

HOLD_MINUTES = int(flash.CLAIM_HOLD.total_seconds() // 60)
CLAIM_DESCRIPTION = f"""Hold flash-sale units (秒杀) for a customer for {HOLD_MINUTES} minutes.

The storefront that prices carts (`POST /api/v1/pricing/quote`) claims too: the scope is
`pricing:quote` (a key with `marketing:write` may claim as well).

- **201**: the units are held: `{{"id", "promotion", "sku", "quantity", "price", "expires_at"}}`. Send
  the claim `id` as `flash_claim` on the order line when the order is synced
  (`POST /api/v1/orders/sync`): the claim is then converted. `price` is the flash price per unit (a string
  with 2 decimals).
- **409**: `{{"detail", "code"}}` with `code` `sold_out` (no units left) or `customer_limit` (this customer
  reached the sale's per-customer cap, counting held and bought units).
- **404**: no flash sale with this code.
- **400**: field errors: `sku` not the sale's SKU, `quantity` not a whole number >= 1, `customer` missing,
  or (`non_field_errors`) the sale is inactive or not running now.

Never oversold: the units are taken with conditional updates (`claimed + quantity <= quantity` on the
pool, `<= per_customer` on the customer's count) in one short transaction. A hold that is not converted
in time expires and its units go back to the pool (a task runs every minute, and a claim that finds the
pool full releases expired holds first, so nobody is refused while expired holds could serve them).
"""


class ClaimInSerializer(JSONInputSerializer):
    customer = serializers.CharField(
        max_length=100, validators=[NOT_BLANK], help_text="The customer's external id at the store."
    )
    sku = serializers.CharField(max_length=64, validators=[NOT_BLANK], help_text="The flash sale's SKU code.")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, default=1)


_ClaimOut = inline_serializer(
    name="FlashClaim",
    fields={
        "id": serializers.UUIDField(),
        "promotion": serializers.CharField(),
        "sku": serializers.CharField(),
        "quantity": serializers.IntegerField(),
        "price": serializers.CharField(help_text="Flash price per unit, 2 decimals."),
        "expires_at": serializers.DateTimeField(),
    },
)
_Refusal = inline_serializer(
    name="FlashClaimRefused",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.ChoiceField(["sold_out", "customer_limit"]),
    },
)


class FlashClaimCreateView(ClientAPIView):
    required_scope = "pricing:quote"
    permission_classes = [scope_required(*CLAIM_SCOPES)]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="flash_sale_claim_create",
        tags=["marketing"],
        summary="Claim flash-sale units (hold them 10 minutes)",
        description=CLAIM_DESCRIPTION,
        request=ClaimInSerializer,
        responses={
            201: _ClaimOut,
            400: OpenApiResponse(
                description="Field errors",
                examples=[
                    OpenApiExample(
                        "Not the sale's SKU",
                        value={"sku": ["This SKU is not the flash sale's SKU."]},
                        response_only=True,
                        status_codes=["400"],
                    )
                ],
            ),
            404: OpenApiResponse(description="No such flash sale"),
            409: OpenApiResponse(
                response=_Refusal,
                description="Sold out, or the customer's cap reached",
                examples=[
                    OpenApiExample(
                        "Sold out",
                        value={"detail": "Sold out: no units left in this flash sale.", "code": "sold_out"},
                        response_only=True,
                        status_codes=["409"],
                    )
                ],
            ),
        },
        examples=[
            OpenApiExample(
                "One unit", value={"customer": "C1", "sku": "SKU-0001", "quantity": 1}, request_only=True
            ),
            OpenApiExample(
                "Held",
                value={
                    "id": "0b7f5e1c-3d2a-4e8b-9c1f-2a6d5e4f3b21",
                    "promotion": "D11-FLASH",
                    "sku": "SKU-0001",
                    "quantity": 1,
                    "price": "59.90",
                    "expires_at": "2026-11-11T10:10:00+08:00",
                },
                response_only=True,
                status_codes=["201"],
            ),
        ],
    )
    def post(self, request, code: str):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            return Response({"non_field_errors": ["Send a JSON object."]}, status=400)
        form = ClaimInSerializer(data=data)
        if not form.is_valid():
            return Response(form.errors, status=400)
        try:
            claim = flash.flash_claim_create(
                code=code,
                customer=form.validated_data["customer"],
                sku=form.validated_data["sku"],
                quantity=form.validated_data["quantity"],
            )
        except Promotion.DoesNotExist:
            return Response({"detail": f"No flash sale '{code}'."}, status=404)
        except ValidationError as exc:
            return Response(exc.message_dict, status=400)
        except flash.ClaimRefused as refused:
            return Response({"detail": refused.detail, "code": refused.code}, status=409)
        return Response(
            {
                "id": str(claim.id),
                "promotion": claim.promotion,
                "sku": claim.sku,
                "quantity": claim.quantity,
                "price": f"{claim.price:.2f}",
                "expires_at": claim.expires_at.isoformat(),
            },
            status=201,
        )
